"""The timing half of bench/ab: interleaved whole-process runs of two builds, medians side by side.

Each run is one posix_spawn with stdin from a file and stdout/stderr to /dev/null, timed with
perf_counter; the two binaries alternate, so the shared machine's noise falls on both alike.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def spawn(binary, env, stdin_path):
    fd = os.open(stdin_path, os.O_RDONLY)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(binary, [binary, "get"], env, file_actions=[
            (os.POSIX_SPAWN_DUP2, fd, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
        _, status = os.waitpid(pid, 0)
        return time.perf_counter() - start, os.waitstatus_to_exitcode(status)
    finally:
        os.close(fd)
        os.close(null)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--new", required=True)
    parser.add_argument("--old", required=True)
    parser.add_argument("--old-label", default="old")
    parser.add_argument("--stand-in", required=True)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        stand_in = subprocess.Popen([args.stand_in], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            endpoint = stand_in.stdout.readline().strip()
            os.makedirs(os.path.join(work, "home"))
            base = {"HOME": os.path.join(work, "home"), "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_ACCESS_KEY_ID": "AKIDAB", "AWS_SECRET_ACCESS_KEY": "ab-secret",
                    "AWS_ENDPOINT_URL": endpoint}
            inputs = {"cache hit": os.path.join(work, "ecr"), "non-ECR get": os.path.join(work, "other")}
            with open(inputs["cache hit"], "w") as f:
                f.write(HOST)
            with open(inputs["non-ECR get"], "w") as f:
                f.write("ghcr.io")
            builds = {"this tree": args.new, args.old_label: args.old}
            envs = {label: dict(base, AWS_ECR_CACHE_DIR=os.path.join(work, "cache-" + str(i)))
                    for i, label in enumerate(builds)}
            for label, binary in builds.items():  # prime each cache with one fetch from the stand-in
                _, code = spawn(binary, envs[label], inputs["cache hit"])
                assert code == 0, f"{label}: the priming get failed"
        finally:
            stand_in.kill()
        times = {(scenario, label): [] for scenario in inputs for label in builds}
        for _ in range(args.runs):
            for scenario, path in inputs.items():
                for label, binary in builds.items():
                    elapsed, code = spawn(binary, envs[label], path)
                    assert code == (0 if scenario == "cache hit" else 1), (scenario, label, code)
                    times[(scenario, label)].append(elapsed)
    print(f"{args.runs} interleaved runs per command; medians in ms\n")
    print("| scenario | this tree | " + args.old_label + " | this tree / " + args.old_label + " |")
    print("|---|---:|---:|---:|")
    for scenario in inputs:
        new = statistics.median(times[(scenario, "this tree")]) * 1000
        old = statistics.median(times[(scenario, args.old_label)]) * 1000
        print(f"| {scenario} | {new:.3f} | {old:.3f} | {new / old:.3f} |")


if __name__ == "__main__":
    main()
