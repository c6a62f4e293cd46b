"""Counts that do not depend on the machine's load: instructions (valgrind's callgrind), system calls
(strace) and minor page faults (GNU time) of one whole process, and the budgets a cache hit, a
non-ECR get and `list` must keep. bench/bench.py prints them beside its timings and, in --quick
mode (what CI runs), fails when a count is over its budget by more than BUDGET_SLACK.

Instructions and system calls are the same run after run on one machine and close on another (the
C library picks its string functions and cache sizes by CPU, a few thousand instructions);
timings are not, so only counts are asserted. Faults depend on the kernel's fault-around and on
where the binary's pages land, so they are reported and never asserted.

Every counted run is checked before its count is read: it must exit with the code and print exactly
the answer its scenario expects (an `Answer`, which the caller passes in). A hit that fails early
costs fewer instructions than one that answers, and would pass its budget.

The system calls of a hit include one statx per directory on the way to the cache (the trust
walk), so the bench keeps its files at a fixed depth: /tmp/<work>/<home>/cache/v1/<identity>.
"""

import hashlib
import json
import os
import re
import statistics
import subprocess
import tempfile

# The budgets, written down after measuring (bench/RESULTS.md has the run): the static build, keys
# in the environment, a credentials file with one profile, no configuration file, bench.py's
# environment of eight variables (the C library's start-up reads each: a few hundred instructions
# a variable). The targets were 150K instructions and 45 system calls for a hit.
BUDGETS = {
    "get, cache hit": {"instructions": 106_000, "syscalls": 42},
    "get, non-ECR host": {"instructions": 43_000, "syscalls": 25},
    "list": {"instructions": 105_000, "syscalls": 45},
    # The same hit through bench.py's 20-rule file and its profile: reading and checking the
    # file, and the rule's identity (issue 20 halved the file's part).
    "get, cache hit, 20-rule configuration": {"instructions": 213_000, "syscalls": 46},
}
# A count may exceed its budget by this much before the check fails.
BUDGET_SLACK = 0.10
# Faults vary by a page or two from run to run (where the stack and heap start): median of these.
FAULT_RUNS = 5
# How many hex digits of an answer's SHA-256 a message shows: enough to tell two answers apart.
HASH_PREFIX = 12
# The lines on stderr that are the counting tool's, not the command's: valgrind's, and GNU time's
# note of a non-zero exit and its count.
TOOL_LINE = re.compile(r"==\d+==|Command exited with non-zero status|Command terminated by signal|\d+$")


class WrongAnswer(Exception):
    """A counted run that did not give its scenario's answer: its counts are not the scenario's."""


class Answer:
    """The exit code and the exact stdout a counted run must give. `secret` is the part of stdout
    that is a credential. A run that answers otherwise is described by lengths, hash prefixes and
    the names of the JSON fields that differ, never by the text of either answer, and the secret is
    hidden in the rest of the message (the command, its last line on stderr)."""

    def __init__(self, code, stdout, secret=None):
        self.code, self.stdout, self.secret = code, stdout, secret

    def problem(self, code, stdout):
        """What differs from this answer, in words that carry neither text; None when nothing does."""
        problems = []
        if code != self.code:
            problems.append(f"exit {code}, not {self.code}")
        if stdout != self.stdout:
            problems.append(f"stdout {_describe(stdout)}, not the expected {_describe(self.stdout)}"
                            f"{_fields_that_differ(stdout, self.stdout)}")
        return "; ".join(problems) or None

    def hide(self, text):
        return text.replace(self.secret, "<secret>") if self.secret else text


def _describe(text):
    data = text.encode()
    return f"{len(data)} bytes (sha256 {hashlib.sha256(data).hexdigest()[:HASH_PREFIX]})" if data else "empty"


def _fields_that_differ(got, expected):
    """The names of the fields in which two JSON objects differ, when both answers are one."""
    try:
        got, expected = json.loads(got), json.loads(expected)
    except ValueError:
        return ""
    if not isinstance(got, dict) or not isinstance(expected, dict):
        return ""
    names = sorted(k for k in got.keys() | expected.keys() if got.get(k, ...) != expected.get(k, ...))
    return f" (fields that differ: {', '.join(names)})" if names else ""


def _run(scenario, tool, argv, env, stdin, answer):
    """Runs `argv` under `tool` (which writes to stderr or a file, never to stdout) and returns the
    run's stderr, once its exit code and stdout are `answer`; else raises WrongAnswer."""
    done = subprocess.run([*tool, *argv], input=stdin.encode(), env=env, capture_output=True)
    stderr = done.stderr.decode(errors="replace")
    problem = answer.problem(done.returncode, done.stdout.decode(errors="replace"))
    if problem:
        said = [line for line in stderr.splitlines() if line.strip() and not TOOL_LINE.match(line)]
        cause = f"; its stderr ends: {said[-1]}" if said else ""
        raise WrongAnswer(answer.hide(f"{scenario}: {' '.join(argv)}, run under {tool[0]}: {problem}{cause}"))
    return stderr


def instructions(scenario, argv, env, stdin, answer):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        _run(scenario, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"], argv, env, stdin, answer)
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError(f"callgrind gave no total for {argv}")


def syscalls(scenario, argv, env, stdin, answer):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "strace.out")
        _run(scenario, ["strace", "-f", "-o", out], argv, env, stdin, answer)
        with open(out) as f:
            # Every line is a call, but the "+++ exited" line; exit_group counts (it is one).
            return sum(1 for line in f if "+++" not in line and "--- SIG" not in line)


def faults(scenario, argv, env, stdin, answer):
    counts = []
    for _ in range(FAULT_RUNS):
        stderr = _run(scenario, ["/usr/bin/time", "-f", "%R"], argv, env, stdin, answer)
        counts.append(int(stderr.strip().splitlines()[-1]))
    return int(statistics.median(counts))


def count(scenario, argv, env, stdin, answer):
    """All three counts of one command, whose every run must give `answer` (an Answer); `scenario`
    names the command in a WrongAnswer."""
    return {what: measure(scenario, argv, env, stdin, answer)
            for what, measure in (("instructions", instructions), ("syscalls", syscalls), ("faults", faults))}


def over_budget(scenario, counts, budgets=None):
    """The counts of `scenario` that exceed their budget by more than BUDGET_SLACK, as messages."""
    budget = (budgets or BUDGETS)[scenario]
    return [f"{scenario}: {name} {counts[name]:,} > {limit:,} + {BUDGET_SLACK:.0%}"
            for name, limit in budget.items() if counts[name] > limit * (1 + BUDGET_SLACK)]
