#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal (its controlling terminal, as a person's shell would
be) and types CODE after every MFA prompt that appears on it. Prints everything the terminal
showed, then exits with the command's exit status.

usage: answer-prompts.py CODE TIMEOUT_SECONDS COMMAND [ARG...]

Used by tests/suite/mfa.rs: the helper asks on /dev/tty, never on stdin or stdout, so only a real
terminal can answer it; the AWS CLI's prompt (getpass) reads /dev/tty as well.
"""
import os
import pty
import re
import select
import sys
import time

# A whole prompt line, up to the ": " after which a person types (ours and the AWS CLI's).
PROMPT = re.compile(rb"MFA code for [^\r\n]*?: ")


def main():
    code, timeout, argv = sys.argv[1].encode(), float(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen = b""
    answered = 0
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            seen += data
            prompts = len(PROMPT.findall(seen))
            while answered < prompts:
                os.write(fd, code + b"\n")
                answered += 1
            if data:
                continue
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            status = raw
            break
    if status is None:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write("answer-prompts: timed out\n")
    # Whatever is still buffered on the terminal.
    while select.select([fd], [], [], 0)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)


if __name__ == "__main__":
    main()
