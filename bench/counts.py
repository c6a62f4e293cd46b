"""Counts that do not depend on the machine's load: instructions (valgrind's callgrind), system calls
(strace) and minor page faults (GNU time) of one whole process, and the budgets a cache hit, a
non-ECR get and `list` must keep. bench/bench.py prints them beside its timings and, in --quick
mode (what CI runs), fails when a count is over its budget by more than BUDGET_SLACK.

Instructions and system calls are the same run after run on one machine and close on another (the
C library picks its string functions and cache sizes by CPU, a few thousand instructions);
timings are not, so only counts are asserted. Faults depend on the kernel's fault-around and on
where the binary's pages land, so they are reported and never asserted.

The system calls of a hit include one statx per directory on the way to the cache (the trust
walk), so the bench keeps its files at a fixed depth: /tmp/<work>/<home>/cache/v1/<identity>.
"""

import os
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


def _run(argv, env, stdin, **kwargs):
    return subprocess.run(argv, input=stdin.encode(), env=env, capture_output=True, **kwargs)


def instructions(argv, env, stdin):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        _run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv], env, stdin)
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError(f"callgrind gave no total for {argv}")


def syscalls(argv, env, stdin):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "strace.out")
        _run(["strace", "-f", "-o", out, *argv], env, stdin)
        with open(out) as f:
            # Every line is a call, but the "+++ exited" line; exit_group counts (it is one).
            return sum(1 for line in f if "+++" not in line and "--- SIG" not in line)


def faults(argv, env, stdin):
    counts = []
    for _ in range(FAULT_RUNS):
        done = _run(["/usr/bin/time", "-f", "%R", *argv], env, stdin)
        counts.append(int(done.stderr.decode().strip().splitlines()[-1]))
    return int(statistics.median(counts))


def count(argv, env, stdin):
    """All three counts of one command."""
    return {"instructions": instructions(argv, env, stdin), "syscalls": syscalls(argv, env, stdin),
            "faults": faults(argv, env, stdin)}


def over_budget(scenario, counts, budgets=None):
    """The counts of `scenario` that exceed their budget by more than BUDGET_SLACK, as messages."""
    budget = (budgets or BUDGETS)[scenario]
    return [f"{scenario}: {name} {counts[name]:,} > {limit:,} + {BUDGET_SLACK:.0%}"
            for name, limit in budget.items() if counts[name] > limit * (1 + BUDGET_SLACK)]
