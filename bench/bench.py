#!/usr/bin/env python3
"""Whole-process benchmark of ecr-login beside Debian's Go helper; run it through bench/run.

Every command is a fresh process with the registry host on stdin. Warm scenarios run their
commands interleaved (A, B, C, A, B, C, ...) after a warm-up and report the median and the
min–max spread; peak RSS comes from GNU time in a separate pass (wait4 on a child of this Python
process would count pages it shared with the parent before exec). Every answer is checked before
it is timed, and ecr-login's API call counts are asserted; timings never are.

Nothing leaves 127.0.0.1: the environment is built from nothing, the EC2 metadata service is off,
and AWS calls go either to the loopback ECR stand-in (plain HTTP, counts its calls) or through
moto's HTTPS proxy (bench/moto_proxy_12h.py, which counts nothing itself: its log does). Debian's
Go helper (0.6) cannot be pointed at a custom endpoint, so both helpers reach moto the same way,
through HTTPS_PROXY with moto's CA in SSL_CERT_FILE.
"""

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
NON_ECR = "index.docker.io"
REGISTRIES = [f"{100000000000 + i}.dkr.ecr.us-east-1.amazonaws.com" for i in range(10)]
CONCURRENT = 32


def twenty_rules(path):
    """A configuration file of 20 rules, two aliases and a fallback, as a team with many accounts
    might keep: 19 rules for other accounts, then the one that selects HOST (with a profile)."""
    lines = ['fallback = "pass"', ""]
    for i in range(19):
        account = 200000000000 + i
        lines += ["[[registry]]", f'match = "{account}.dkr.ecr.*.amazonaws.com"', f'profile = "team-{i}"',
                  f'role_arn = "arn:aws:iam::{account}:role/ecr-pull"', f'external_id = "bench-{i}"', ""]
    lines += ["[[registry]]", f'account = "{HOST.split(".")[0]}"', 'profile = "bench-rule"', ""]
    for name in ("registry.example.com", "mirror.example.com"):
        lines += ["[[alias]]", f'host = "{name}"', f'registry = "{HOST}"', ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: nothing listens on 127.0.0.1:{port}")


def count_lines(path, needle):
    with open(path, errors="replace") as f:
        return sum(needle in line for line in f)


class Command:
    """One program with its environment and stdin; `before` runs untimed before each run."""

    def __init__(self, name, argv, env, stdin, expect, before=None):
        self.name, self.argv, self.env, self.stdin = name, argv, env, stdin
        self.expect, self.before = expect, before
        self.times = []

    def check(self):
        if self.before:
            self.before()
        out = subprocess.run(self.argv, input=self.stdin.encode(), env=self.env, capture_output=True)
        if self.expect not in out.stdout.decode():
            sys.exit(f"bench: {self.name} answered {out.returncode} {out.stdout!r} {out.stderr!r}")

    def run_once(self, record):
        if self.before:
            self.before()
        read_fd, write_fd = os.pipe()
        os.write(write_fd, self.stdin.encode())
        os.close(write_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        actions = [(os.POSIX_SPAWN_DUP2, read_fd, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, devnull, 2)]
        start = time.perf_counter()
        pid = os.posix_spawn(self.argv[0], self.argv, self.env, file_actions=actions)
        os.waitpid(pid, 0)
        elapsed = time.perf_counter() - start
        os.close(read_fd)
        os.close(devnull)
        if record:
            self.times.append(elapsed * 1000)

    def peak_rss_mb(self, samples=5):
        best = 0
        with tempfile.NamedTemporaryFile() as report:
            for _ in range(samples):
                if self.before:
                    self.before()
                subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *self.argv],
                               input=self.stdin.encode(), env=self.env, capture_output=True)
                with open(report.name) as f:
                    best = max(best, int(f.read().split()[-1]))
        return best / 1024


def measure(commands, runs, warmup):
    for command in commands:
        command.check()
    for i in range(warmup + runs):
        for command in commands:
            command.run_once(record=i >= warmup)
    return [{
        "command": c.name,
        "median": statistics.median(c.times),
        "min": min(c.times),
        "max": max(c.times),
        "rss": c.peak_rss_mb(),
    } for c in commands]


def concurrent_gets(argv, env, host, expect, before):
    """Starts CONCURRENT gets, then releases them together by writing their stdin; returns the wall
    time from the release to the last exit."""
    before()
    children = [subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL) for _ in range(CONCURRENT)]
    time.sleep(0.05)  # let every process reach its read of stdin
    start = time.perf_counter()
    for child in children:
        child.stdin.write(host.encode())
        child.stdin.close()
    outputs = [child.stdout.read().decode() for child in children]
    for child in children:
        child.wait()
    wall = (time.perf_counter() - start) * 1000
    wrong = [o for o in outputs if expect not in o]
    if wrong:
        sys.exit(f"bench: {len(wrong)} of {CONCURRENT} concurrent answers were wrong: {wrong[0]!r}")
    return wall


def sequential_gets(argv, env, count, before):
    """`count` gets in a row, cycling over REGISTRIES; returns the total wall time."""
    before()
    start = time.perf_counter()
    for i in range(count):
        host = REGISTRIES[i % len(REGISTRIES)]
        out = subprocess.run(argv, input=host.encode(), env=env, capture_output=True)
        if f"{host.split('.')[0]}-" not in out.stdout.decode():
            sys.exit(f"bench: sequential get {i} for {host} answered {out.stdout!r} {out.stderr!r}")
    return (time.perf_counter() - start) * 1000


def build_floor(work):
    source = os.path.join(work, "hello.c")
    binary = os.path.join(work, "hello-static")
    with open(source, "w") as f:
        f.write('#include <unistd.h>\nint main(void){write(1,"hello\\n",6);return 0;}\n')
    subprocess.run(["gcc", "-O2", "-static", "-o", binary, source], check=True)
    return binary


def main():
    parser = argparse.ArgumentParser()
    for option in ("--ours", "--ours-dynamic", "--go", "--stand-in", "--moto-python", "--moto-ca"):
        parser.add_argument(option, required=True)
    parser.add_argument("--quick", action="store_true", help="few iterations: proves it works")
    args = parser.parse_args()
    quick = args.quick
    runs, warmup = (5, 1) if quick else (300, 30)
    cold_runs = 5 if quick else 60
    batches = 1 if quick else 5
    sequential = 100 if quick else 1000

    work = tempfile.mkdtemp(prefix="ecr-login-bench-")
    processes = []
    try:
        stand_in_log = os.path.join(work, "stand-in.log")
        stand_in = subprocess.Popen([args.stand_in], stdout=subprocess.PIPE, stderr=open(stand_in_log, "w"),
                                    text=True)
        processes.append(stand_in)
        stand_in_url = stand_in.stdout.readline().strip()
        proxy_log = os.path.join(work, "moto-proxy.log")
        proxy_port = free_port()
        harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "moto_proxy_12h.py")
        processes.append(subprocess.Popen([args.moto_python, harness, "-H", "127.0.0.1", "-p", str(proxy_port)],
                                          env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                          stdout=open(proxy_log, "w"), stderr=subprocess.STDOUT))
        wait_for_port(proxy_port)

        def stand_in_calls():
            return count_lines(stand_in_log, "GetAuthorizationToken")

        def moto_calls():
            return count_lines(proxy_log, " https://api.ecr.")

        def home(name):
            path = os.path.join(work, name)
            os.makedirs(path)
            return path

        def env_for(home_dir, **extra):
            return {"PATH": "/usr/bin:/bin", "HOME": home_dir, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench-secret",
                    "AWS_REGION": "us-east-1", **extra}

        proxy = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy_port}", "SSL_CERT_FILE": args.moto_ca}
        ours, go = [args.ours, "get"], [args.go, "get"]

        # ecr-login with the stand-in, and each helper through moto's proxy; cold variants clear
        # their cache before each run.
        stand_home = home("ours-stand-in")
        stand_cache = os.path.join(stand_home, "cache")
        stand_env = env_for(stand_home, AWS_ENDPOINT_URL=stand_in_url, AWS_ECR_CACHE_DIR=stand_cache)
        # The rule's profile, in the same home for both: the shared files read are the same.
        os.makedirs(os.path.join(stand_home, ".aws"))
        with open(os.path.join(stand_home, ".aws", "credentials"), "w") as f:
            f.write("[bench-rule]\naws_access_key_id = AKIDRULE\naws_secret_access_key = bench-rule-secret\n")
        rules_file = os.path.join(work, "config.toml")
        twenty_rules(rules_file)
        rules_env = {**stand_env, "ECR_LOGIN_CONFIG": rules_file}
        tls_home = home("ours-tls")
        tls_cache = os.path.join(tls_home, "cache")
        tls_env = env_for(tls_home, AWS_ECR_CACHE_DIR=tls_cache, **proxy)
        go_home = home("go")
        go_env = env_for(go_home, **proxy)
        go_cache = os.path.join(go_home, ".ecr")

        def clear(path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        secret, public_secret = "123456789012-", "credentials not found"
        floor = [build_floor(work)]

        results = []

        def scenario(name, rows):
            results.append((name, rows))

        # Warm the caches the hit and list scenarios read.
        for argv, env in ((ours, stand_env), (ours, rules_env), (ours, tls_env), (go, go_env)):
            subprocess.run(argv, input=HOST.encode(), env=env, check=True, capture_output=True)

        dynamic = [args.ours_dynamic, "get"]
        for name, host, expect in (("get, cache hit", HOST, secret), ("get, non-ECR host", NON_ECR, public_secret)):
            scenario(name, measure([
                Command("static hello (floor)", floor, {}, "", "hello"),
                Command("ecr-login", ours, stand_env, host, expect),
                Command("Go helper", go, go_env, host, expect),
                Command("ecr-login, dynamic build (cargo install)", dynamic, stand_env, host, expect),
            ], runs, warmup))
        scenario("get, cache hit: no configuration file vs 20 rules", measure([
            Command("ecr-login", ours, stand_env, HOST, secret),
            Command("ecr-login, 20-rule configuration", ours, rules_env, HOST, secret),
        ], runs, warmup))
        calls_before = (stand_in_calls(), moto_calls())
        scenario("list", measure([
            Command("static hello (floor)", floor, {}, "", "hello"),
            Command("ecr-login", [args.ours, "list"], stand_env, "unused", HOST),
            Command("Go helper", [args.go, "list"], go_env, "unused", "{"),
        ], runs, warmup))
        list_calls = stand_in_calls() - calls_before[0]
        assert list_calls == 0, f"ecr-login list made {list_calls} API calls"
        go_list_calls = moto_calls() - calls_before[1]

        scenario("get, cold (TLS through moto's proxy, both)", measure([
            Command("ecr-login", ours, tls_env, HOST, secret, before=clear(tls_cache)),
            Command("Go helper", go, go_env, HOST, secret, before=clear(go_cache)),
        ], cold_runs, 2))
        scenario("get, cold (ecr-login, plain HTTP to the stand-in)", measure([
            Command("ecr-login", ours, stand_env, HOST, secret, before=clear(stand_cache)),
        ], cold_runs, 2))

        contenders = (
            ("ecr-login, stand-in", ours, stand_env, stand_cache, stand_in_calls),
            ("ecr-login, moto proxy", ours, tls_env, tls_cache, moto_calls),
            ("Go helper, moto proxy", go, go_env, go_cache, moto_calls),
        )
        crowd = []
        for label, argv, env, cache, calls in contenders:
            walls, counts = [], []
            for _ in range(batches):
                before = calls()
                walls.append(concurrent_gets(argv, env, HOST, secret, clear(cache)))
                counts.append(calls() - before)
            if label.startswith("ecr-login"):
                assert set(counts) == {1}, f"{label}: {CONCURRENT} concurrent gets made {counts} API calls"
            crowd.append((label, statistics.median(walls), min(walls), max(walls), counts))

        series = []
        for label, argv, env, cache, calls in contenders:
            before = calls()
            wall = sequential_gets(argv, env, sequential, clear(cache))
            made = calls() - before
            if label.startswith("ecr-login"):
                assert made == len(REGISTRIES), f"{label}: {sequential} gets made {made} API calls"
            series.append((label, wall, made))
    finally:
        for p in processes:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    report(results, crowd, series, list_calls, go_list_calls, sequential, args, runs, cold_runs, batches)


def report(results, crowd, series, list_calls, go_list_calls, sequential, args, runs, cold_runs, batches):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {cpu}, "
          f"{platform.system()} {platform.release()}. {runs} timed runs per warm command, {cold_runs} per "
          f"cold one, {batches} batch(es) of {CONCURRENT} concurrent gets, {sequential} sequential gets.\n")
    print("| scenario | command | median ms | min–max ms | peak RSS MB | × floor | × ecr-login |")
    print("|---|---|---:|---:|---:|---:|---:|")
    medians = {}
    for scenario, rows in results:
        floor = next((r["median"] for r in rows if r["command"].startswith("static")), None)
        ours = next((r["median"] for r in rows if r["command"] == "ecr-login"), None)
        for r in rows:
            medians[(scenario, r["command"])] = r
            x_floor = f"{r['median'] / floor:.2f}" if floor else ""
            x_ours = f"{r['median'] / ours:.2f}" if ours else ""
            print(f"| {scenario} | {r['command']} | {r['median']:.2f} | {r['min']:.2f}–{r['max']:.2f} "
                  f"| {r['rss']:.1f} | {x_floor} | {x_ours} |")
    print(f"\nAPI calls during the list scenario: ecr-login {list_calls}, Go helper {go_list_calls}.\n")
    print(f"| {CONCURRENT} concurrent gets, cold cache, one registry | median wall ms | min–max ms | API calls per batch |")
    print("|---|---:|---:|---|")
    for label, median, low, high, counts in crowd:
        print(f"| {label} | {median:.1f} | {low:.1f}–{high:.1f} | {', '.join(map(str, counts))} |")
    print(f"\n| {sequential} sequential gets over {len(REGISTRIES)} registries, cold start | total wall ms | per get ms | API calls |")
    print("|---|---:|---:|---:|")
    for label, wall, made in series:
        print(f"| {label} | {wall:.0f} | {wall / sequential:.2f} | {made} |")
    sizes = {name: os.path.getsize(path) for name, path in (
        ("ecr-login", args.ours), ("ecr-login, dynamic build", args.ours_dynamic), ("Go helper", args.go))}
    print("\n| binary | bytes | MiB |")
    print("|---|---:|---:|")
    for name, size in sizes.items():
        print(f"| {name} | {size} | {size / 1048576:.2f} |")

    hit = medians[("get, cache hit", "ecr-login")]["median"]
    hit_floor = medians[("get, cache hit", "static hello (floor)")]["median"]
    hit_go = medians[("get, cache hit", "Go helper")]["median"]
    hit_rss = medians[("get, cache hit", "ecr-login")]["rss"]
    non = medians[("get, non-ECR host", "ecr-login")]["median"]
    non_floor = medians[("get, non-ECR host", "static hello (floor)")]["median"]
    lst = medians[("list", "ecr-login")]["median"]
    lst_floor = medians[("list", "static hello (floor)")]["median"]
    plain = medians[("get, cache hit: no configuration file vs 20 rules", "ecr-login")]["median"]
    ruled = medians[("get, cache hit: no configuration file vs 20 rules", "ecr-login, 20-rule configuration")]["median"]
    cold = medians[("get, cold (TLS through moto's proxy, both)", "ecr-login")]["median"]
    cold_go = medians[("get, cold (TLS through moto's proxy, both)", "Go helper")]["median"]
    rows = [
        ("get, cache hit: median ≤ 1.0 ms", f"{hit:.2f} ms", hit <= 1.0),
        ("get, cache hit: ≤ 1.5× the floor", f"{hit / hit_floor:.2f}×", hit <= 1.5 * hit_floor),
        ("get, cache hit: ≥ 4× faster than the Go helper", f"{hit_go / hit:.2f}×", hit_go >= 4 * hit),
        ("get, cache hit: peak RSS ≤ 4 MB", f"{hit_rss:.1f} MB", hit_rss <= 4.0),
        ("get, cache hit with a 20-rule configuration: ≤ 1.05× without one", f"{ruled / plain:.3f}×",
         ruled <= 1.05 * plain),
        ("get, non-ECR host: ≤ 1.5× the floor", f"{non / non_floor:.2f}×", non <= 1.5 * non_floor),
        ("list: ≤ 1.5× the floor", f"{lst / lst_floor:.2f}×", lst <= 1.5 * lst_floor),
        ("list: zero API calls", f"{list_calls}", list_calls == 0),
        ("get, cold: ≤ the Go helper's cold get", f"{cold:.2f} vs {cold_go:.2f} ms", cold <= cold_go),
        (f"{CONCURRENT} concurrent cold gets: exactly 1 API call", "1 per batch", True),
        (f"{sequential} sequential gets over {len(REGISTRIES)} registries: {len(REGISTRIES)} API calls",
         f"{series[0][2]} and {series[1][2]}", True),
        ("stripped binary ≤ the Go helper's", f"{sizes['ecr-login']} vs {sizes['Go helper']} bytes",
         sizes["ecr-login"] <= sizes["Go helper"]),
    ]
    print("\n| target | measured | met |")
    print("|---|---|---|")
    for target, measured, met in rows:
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
