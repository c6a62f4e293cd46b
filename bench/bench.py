#!/usr/bin/env python3
"""Whole-process benchmark of ecr-login beside the Go helper; run it through bench/run.

Each scenario runs its commands interleaved (A, B, A, B, ...) after a warm-up, each as a fresh
process with the registry host on stdin, timed from spawn to exit; peak RSS comes from GNU time in a separate pass.
Every command's answer is checked once before timing. Nothing leaves 127.0.0.1: the environment
is built from nothing, the EC2 metadata service is off, and AWS calls go to the loopback stand-in
or through moto's HTTPS proxy on 127.0.0.1.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
NON_ECR = "index.docker.io"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: nothing listens on 127.0.0.1:{port}")


class Command:
    """One program with its environment and stdin, and a hook that runs (untimed) before each run."""

    def __init__(self, name, argv, env, stdin, before=None, expect="Secret"):
        self.name, self.argv, self.env, self.stdin = name, argv, env, stdin
        self.before, self.expect = before, expect
        self.times = []

    def check(self):
        if self.before:
            self.before()
        out = subprocess.run(self.argv, input=self.stdin.encode(), env=self.env, capture_output=True)
        if self.expect not in out.stdout.decode():
            sys.exit(f"bench: {self.name} answered {out.returncode} {out.stdout!r} {out.stderr!r}")

    def peak_rss_mb(self, samples=5):
        """Peak RSS from GNU time, which forks a small process of its own: wait4 on a child of this
        Python process would count the parent's pages that the child shared before exec."""
        best = 0
        with tempfile.NamedTemporaryFile() as report:
            for _ in range(samples):
                if self.before:
                    self.before()
                subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *self.argv],
                               input=self.stdin.encode(), env=self.env, capture_output=True)
                best = max(best, int(open(report.name).read().split()[-1]))
        return best / 1024

    def run_once(self, record):
        if self.before:
            self.before()
        read_fd, write_fd = os.pipe()
        os.write(write_fd, self.stdin.encode())
        os.close(write_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        actions = [
            (os.POSIX_SPAWN_DUP2, read_fd, 0),
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ]
        start = time.perf_counter()
        pid = os.posix_spawn(self.argv[0], self.argv, self.env, file_actions=actions)
        os.waitpid(pid, 0)
        elapsed = time.perf_counter() - start
        os.close(read_fd)
        os.close(devnull)
        if record:
            self.times.append(elapsed * 1000)

    def summary(self):
        return {
            "median_ms": statistics.median(self.times),
            "min_ms": min(self.times),
            "max_ms": max(self.times),
            "peak_rss_mb": self.peak_rss_mb(),
        }


def measure(commands, runs, warmup):
    for command in commands:
        command.check()
    for i in range(warmup + runs):
        for command in commands:
            command.run_once(record=i >= warmup)
    return {c.name: c.summary() for c in commands}


def base_env(home):
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIDBENCH",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_REGION": "us-east-1",
    }


def build_floor(work):
    source = os.path.join(work, "hello.c")
    binary = os.path.join(work, "hello-static")
    with open(source, "w") as f:
        f.write('#include <unistd.h>\nint main(void){write(1,"hello\\n",6);return 0;}\n')
    subprocess.run(["gcc", "-O2", "-static", "-o", binary, source], check=True)
    return binary


def seed_go_cache(home, go_env, go_binary):
    """Lets the Go helper fetch once through moto's proxy, then moves its entry's expiry 12 hours
    ahead (moto answers a fixed 2015 expiry), so that its following gets are cache hits."""
    subprocess.run([go_binary, "get"], input=HOST.encode(), env=go_env, capture_output=True, check=True)
    path = os.path.join(home, ".ecr", "cache.json")
    with open(path) as f:
        cache = json.load(f)
    now = datetime.now(timezone.utc)
    for entry in cache["Registries"].values():
        entry["RequestedAt"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry["ExpiresAt"] = (now + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "w") as f:
        json.dump(cache, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True)
    parser.add_argument("--go", required=True)
    parser.add_argument("--stand-in", required=True)
    parser.add_argument("--moto-proxy", required=True)
    parser.add_argument("--moto-ca", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, warmup = (5, 1) if args.quick else (200, 20)
    cold_runs = 5 if args.quick else 60

    work = tempfile.mkdtemp(prefix="ecr-login-bench-")
    processes = []
    try:
        stand_in = subprocess.Popen([args.stand_in], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        processes.append(stand_in)
        stand_in_url = stand_in.stdout.readline().strip()
        proxy_port = free_port()
        processes.append(subprocess.Popen(
            [args.moto_proxy, "-H", "127.0.0.1", "-p", str(proxy_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(proxy_port)
        proxy = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy_port}", "SSL_CERT_FILE": args.moto_ca}

        def home(name):
            path = os.path.join(work, name)
            os.makedirs(path)
            return path

        floor = Command("static hello (floor)", [build_floor(work)], {}, "", expect="hello")

        ours_home = home("ours")
        ours_cache = os.path.join(ours_home, "cache")
        ours_env = {**base_env(ours_home), "AWS_ENDPOINT_URL": stand_in_url, "AWS_ECR_CACHE_DIR": ours_cache}
        ours = [args.ours, "get"]
        subprocess.run(ours, input=HOST.encode(), env=ours_env, check=True, capture_output=True)

        go_home = home("go")
        go_env = {**base_env(go_home), **proxy}
        go = [args.go, "get"]
        seed_go_cache(go_home, go_env, args.go)

        def clear(path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        cold_home = home("ours-cold")
        cold_cache = os.path.join(cold_home, "cache")
        cold_env = {**base_env(cold_home), "AWS_ENDPOINT_URL": stand_in_url, "AWS_ECR_CACHE_DIR": cold_cache}
        tls_home = home("ours-tls")
        tls_env = {**base_env(tls_home), **proxy, "AWS_ECR_CACHE_DIR": os.path.join(tls_home, "cache")}
        go_cold_home = home("go-cold")
        go_cold_env = {**base_env(go_cold_home), **proxy}

        results = {}
        results["get, cache hit"] = measure([
            floor,
            Command("ecr-login", ours, ours_env, HOST),
            Command("Go helper", go, go_env, HOST),
        ], runs, warmup)
        results["get, non-ECR host"] = measure([
            Command("static hello (floor)", floor.argv, {}, "", expect="hello"),
            Command("ecr-login", ours, ours_env, NON_ECR, expect="credentials not found"),
            Command("Go helper", go, go_env, NON_ECR, expect="credentials not found"),
        ], runs, warmup)
        results["get, cold (ecr-login: loopback stand-in, plain HTTP)"] = measure([
            Command("ecr-login", ours, cold_env, HOST, before=clear(cold_cache)),
        ], cold_runs, 2)
        results["get, cold (both: TLS through moto's proxy)"] = measure([
            Command("ecr-login", ours, tls_env, HOST),
            Command("Go helper", go, go_cold_env, HOST),
        ], cold_runs, 2)
    finally:
        for p in processes:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    print_table(results, runs, cold_runs, args)


def print_table(results, runs, cold_runs, args):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, {cpu}, "
          f"{platform.system()} {platform.release()}; {runs} timed runs per warm command, {cold_runs} per cold one.\n")
    print("| scenario | command | median ms | min–max ms | peak RSS MB | ratio to ecr-login |")
    print("|---|---|---:|---:|---:|---:|")
    for scenario, rows in results.items():
        ours = rows.get("ecr-login", {}).get("median_ms")
        for name, r in rows.items():
            ratio = f"{r['median_ms'] / ours:.2f}×" if ours else ""
            print(f"| {scenario} | {name} | {r['median_ms']:.2f} | {r['min_ms']:.2f}–{r['max_ms']:.2f} "
                  f"| {r['peak_rss_mb']:.1f} | {ratio} |")
    sizes = [(n, os.path.getsize(p)) for n, p in (("ecr-login", args.ours), ("Go helper", args.go))]
    print()
    print("| binary | size bytes | MiB |")
    print("|---|---:|---:|")
    for name, size in sizes:
        print(f"| {name} | {size} | {size / 1048576:.2f} |")


if __name__ == "__main__":
    main()
