#!/usr/bin/env python3
"""Runs a command with a fresh pseudo-terminal as its controlling terminal, waits for its MFA
prompt, reports whether the terminal echoes at that moment, presses Ctrl-C, and reports how the
command ended and whether the terminal echoes afterwards. One line each:

    echo at the prompt: off
    ended by: SIGINT
    echo after: on

usage: interrupt-prompt.py TIMEOUT_SECONDS COMMAND [ARG...]

Used by tests/suite/mfa.rs: the prompt turns echo off, and Ctrl-C must not leave it off.
"""
import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import termios
import time

PROMPT = re.compile(rb"MFA code for [^\r\n]*?: ")


def echo(fd):
    return "on" if termios.tcgetattr(fd)[3] & termios.ECHO else "off"


def main():
    timeout, argv = float(sys.argv[1]), sys.argv[2:]
    master, slave = os.openpty()

    def controlling_terminal():
        # A shell that starts a job in the background without job control leaves SIGINT ignored,
        # and an ignored signal stays ignored across exec: the command would never see the Ctrl-C
        # a person at a terminal sends. Give it the disposition a terminal session has.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal)
    seen = b""
    deadline = time.time() + timeout
    while not PROMPT.search(seen):
        if time.time() > deadline or child.poll() is not None:
            print("no prompt:", seen.decode(errors="replace"))
            child.kill()
            return 1
        if select.select([master], [], [], 0.1)[0]:
            seen += os.read(master, 4096)
    print("echo at the prompt:", echo(slave))
    os.write(master, b"\x03")
    try:
        status = child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        print("ended by: nothing (killed after the timeout)")
        return 1
    print("ended by:", signal.Signals(-status).name if status < 0 else f"exit {status}")
    print("echo after:", echo(slave))
    return 0


if __name__ == "__main__":
    sys.exit(main())
