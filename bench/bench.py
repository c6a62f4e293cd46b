#!/usr/bin/env python3
"""Whole-process benchmark of ecr-login beside the Go helpers and AWS's kubelet provider; run it
through bench/run.

Every command is a fresh process with its request on stdin. Warm scenarios run their commands
interleaved (A, B, C, A, B, C, ...) after a warm-up and report the median and the min–max spread;
peak RSS comes from GNU time in a separate pass (wait4 on a child of this Python process would count
pages it shared with the parent before exec). Every answer is checked before it is timed, then one
untimed run per command counts the API calls it makes; ecr-login's counts, and the counts that
prove each Go client reached its loopback server, are asserted. Timings never are.

The contenders: ecr-login; the Go helper's newest release (built from tests/e2e/go/go-helper),
which uses the AWS SDK for Go v2 and so honours AWS_ENDPOINT_URL; Debian's Go helper (0.6), which
cannot be pointed at a custom endpoint; and, in kubelet mode, cloud-provider-aws's
ecr-credential-provider (tests/e2e/go/ecr-credential-provider).

Nothing leaves 127.0.0.1: the environment is built from nothing, the EC2 metadata service is off,
and AWS calls go either to a loopback ECR stand-in (plain HTTP, one per helper so that each
counts its own calls) or through moto's HTTPS proxy (bench/moto_proxy_12h.py, counted from its
log), which every contender reaches the same way, through HTTPS_PROXY with moto's CA in
SSL_CERT_FILE. The kubelet provider asks for a token without registryIds (the caller's own
registry), which only moto answers, so the kubelet scenario runs through moto for both providers.
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
from datetime import datetime, timezone

import counts as counting

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
NON_ECR = "index.docker.io"
# The docker-credential-helpers protocol's answer, with exit code 1, for a host without credentials.
NOT_FOUND = "credentials not found in native keychain\n"
FLOOR, EMPTY = "static hello (floor)", "static empty Rust"
RULES_HIT, RULES_SCENARIO = "get, cache hit, 20-rule configuration", "get, cache hit: no configuration file vs 20 rules"
# The scenarios whose counts bench/counts.py keeps budgets for, and the (scenario, command) whose
# median each is shown beside.
COUNTED = {
    "get, cache hit": ("get, cache hit", "ecr-login"),
    "get, non-ECR host": ("get, non-ECR host", "ecr-login"),
    "list": ("list", "ecr-login"),
    RULES_HIT: (RULES_SCENARIO, "ecr-login, 20-rule configuration"),
}
REGISTRIES = [f"{100000000000 + i}.dkr.ecr.us-east-1.amazonaws.com" for i in range(10)]
CONCURRENT = 32
DAY = 24 * 3600
# The kubelet sends the image without tag or digest (REFERENCE section 10).
KUBELET_REQUEST = json.dumps({"apiVersion": "credentialprovider.kubelet.k8s.io/v1",
                              "kind": "CredentialProviderRequest", "image": f"{HOST}/team/app"})
COLD_TLS = "get, cold, TLS through moto's proxy"
COLD_HTTP = "get, cold, plain HTTP to a stand-in"
KUBELET = "kubelet: one request, fresh process, TLS through moto's proxy"
KUBELET_ON_DISK = "ecr-login kubelet-provider, token on disk (after a kubelet restart)"
KUBELET_FETCH = "ecr-login kubelet-provider, fetching (first boot, or the kubelet's entry expired)"


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
    """One program with its environment and stdin; `before` runs untimed before each run, and
    `calls` (when given) reads the call counter of the server it talks to."""

    def __init__(self, name, argv, env, stdin, expect, before=None, calls=None):
        self.name, self.argv, self.env, self.stdin = name, argv, env, stdin
        self.expect, self.before, self.calls = expect, before, calls
        self.times = []
        self.answer = ""

    def check(self):
        if self.before:
            self.before()
        out = subprocess.run(self.argv, input=self.stdin.encode(), env=self.env, capture_output=True)
        self.answer = out.stdout.decode()
        if self.expect not in self.answer:
            sys.exit(f"bench: {self.name} answered {out.returncode} {out.stdout!r} {out.stderr!r}")

    def api_calls(self):
        """The API calls of one untimed run, after the check: None without a counter."""
        if not self.calls:
            return None
        before = self.calls()
        self.run_once(record=False)
        return self.calls() - before

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
    calls = {}
    for command in commands:
        command.check()
        calls[command.name] = command.api_calls()
    for i in range(warmup + runs):
        for command in commands:
            command.run_once(record=i >= warmup)
    return [{
        "command": c.name,
        "median": statistics.median(c.times),
        "min": min(c.times),
        "max": max(c.times),
        "rss": c.peak_rss_mb(),
        "calls": calls[c.name],
        "answer": c.answer,
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


def get_answer(host, secret):
    """A successful `get`'s exact answer: one line of JSON, its fields in the protocol's order."""
    return json.dumps({"ServerURL": host, "Username": "AWS", "Secret": secret}, separators=(",", ":")) + "\n"


def filled_token(argv, env):
    """Runs a get of HOST that fills an empty cache and returns the token it answered, which a hit
    from that cache must answer again."""
    done = subprocess.run(argv, input=HOST.encode(), env=env, check=True, capture_output=True)
    answer = done.stdout.decode()
    try:
        secret = json.loads(answer).get("Secret", "")
    except (ValueError, AttributeError):
        secret = ""
    if answer != get_answer(HOST, secret) or not secret.startswith(HOST.split(".")[0] + "-"):
        sys.exit(f"bench: the get that fills the cache answered no token for {HOST} ({len(answer)} bytes)")
    return secret


def build_floor(work):
    source = os.path.join(work, "hello.c")
    binary = os.path.join(work, "hello-static")
    with open(source, "w") as f:
        f.write('#include <unistd.h>\nint main(void){write(1,"hello\\n",6);return 0;}\n')
    subprocess.run(["gcc", "-O2", "-static", "-o", binary, source], check=True)
    return binary


def go_duration_seconds(text):
    """Seconds in a Go duration as the kubelet's providers print it (`11h50m0s`, `6h0m0s`)."""
    seconds, number = 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        else:
            seconds += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return seconds


def cache_duration(answer):
    return go_duration_seconds(json.loads(answer)["cacheDuration"])


def main():
    parser = argparse.ArgumentParser()
    for option in ("--ours", "--ours-dynamic", "--empty", "--go", "--go-new", "--provider", "--stand-in",
                   "--moto-python", "--moto-ca"):
        parser.add_argument(option, required=True)
    for option in ("--go-version", "--go-new-version", "--provider-version"):
        parser.add_argument(option, default="?")
    parser.add_argument("--quick", action="store_true", help="few iterations: proves it works")
    args = parser.parse_args()
    quick = args.quick
    runs, warmup = (5, 1) if quick else (300, 30)
    cold_runs = 5 if quick else 60
    batches = 1 if quick else 5
    sequential = 100 if quick else 1000
    go_new, go_old = f"Go helper {args.go_new_version}", f"Go helper {args.go_version} (Debian)"
    provider = f"ecr-credential-provider {args.provider_version}"

    # At a fixed depth: a hit's system calls include one per directory above its cache.
    work = tempfile.mkdtemp(prefix="ecr-login-bench-", dir="/tmp")
    processes = []
    try:
        def start_stand_in(name):
            log = os.path.join(work, f"{name}.log")
            process = subprocess.Popen([args.stand_in], stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
            processes.append(process)
            return process.stdout.readline().strip(), lambda: count_lines(log, "GetAuthorizationToken")

        # One stand-in per helper that uses one, so that each counts only its own calls.
        stand_in_url, stand_in_calls = start_stand_in("stand-in")
        go_stand_in_url, go_stand_in_calls = start_stand_in("stand-in-go")
        proxy_log = os.path.join(work, "moto-proxy.log")
        proxy_port = free_port()
        harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "moto_proxy_12h.py")
        processes.append(subprocess.Popen([args.moto_python, harness, "-H", "127.0.0.1", "-p", str(proxy_port)],
                                          env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                          stdout=open(proxy_log, "w"), stderr=subprocess.STDOUT))
        wait_for_port(proxy_port)

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
        ours, old, new = [args.ours, "get"], [args.go, "get"], [args.go_new, "get"]
        kubelet_mode = [args.ours, "kubelet-provider"]

        # ecr-login and the newest Go helper each with a stand-in, every contender through moto's
        # proxy; cold variants clear their cache before each run.
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
        old_home = home("go-old")
        old_env, old_cache = env_for(old_home, **proxy), os.path.join(old_home, ".ecr")
        new_home = home("go-new")
        new_env, new_cache = env_for(new_home, AWS_ENDPOINT_URL=go_stand_in_url), os.path.join(new_home, ".ecr")
        new_tls_home = home("go-new-tls")
        new_tls_env, new_tls_cache = env_for(new_tls_home, **proxy), os.path.join(new_tls_home, ".ecr")
        # The kubelet runs its provider with its own environment: the node's credentials, no
        # endpoint (here: moto's proxy). ecr-login keeps its disk cache across kubelet restarts.
        kube_hit_home, kube_fetch_home = home("kubelet-on-disk"), home("kubelet-fetch")
        kube_hit_env = env_for(kube_hit_home, AWS_ECR_CACHE_DIR=os.path.join(kube_hit_home, "cache"), **proxy)
        kube_fetch_cache = os.path.join(kube_fetch_home, "cache")
        kube_fetch_env = env_for(kube_fetch_home, AWS_ECR_CACHE_DIR=kube_fetch_cache, **proxy)
        provider_env = env_for(home("provider"), **proxy)

        def clear(path):
            return lambda: shutil.rmtree(path, ignore_errors=True)

        secret, public_secret = "123456789012-", "credentials not found"
        kubelet_secret = '"username":"AWS","password":"123456789012-'
        floor, empty = [build_floor(work)], [args.empty]

        results = []

        def scenario(name, rows):
            results.append((name, rows))
            return {r["command"]: r for r in rows}

        # Warm the caches the hit and list scenarios read.
        hit_token, rules_token = filled_token(ours, stand_env), filled_token(ours, rules_env)
        for argv, env, stdin in ((ours, tls_env, HOST), (old, old_env, HOST), (new, new_env, HOST),
                                 (kubelet_mode, kube_hit_env, KUBELET_REQUEST)):
            subprocess.run(argv, input=stdin.encode(), env=env, check=True, capture_output=True)

        dynamic = [args.ours_dynamic, "get"]
        for name, host, expect in (("get, cache hit", HOST, secret), ("get, non-ECR host", NON_ECR, public_secret)):
            rows = scenario(name, measure([
                Command(FLOOR, floor, {}, "", "hello"),
                Command(EMPTY, empty, {}, "", "hello"),
                Command("ecr-login", ours, stand_env, host, expect, calls=stand_in_calls),
                Command(go_new, new, new_env, host, expect, calls=go_stand_in_calls),
                Command(go_old, old, old_env, host, expect, calls=moto_calls),
                Command("ecr-login, dynamic build (cargo install)", dynamic, stand_env, host, expect,
                        calls=stand_in_calls),
            ], runs, warmup))
            assert rows["ecr-login"]["calls"] == 0, f"ecr-login, {name}: {rows['ecr-login']['calls']} API calls"
            assert rows[go_new]["calls"] == 0, f"{go_new}, {name}: {rows[go_new]['calls']} API calls"
        scenario(RULES_SCENARIO, measure([
            Command("ecr-login", ours, stand_env, HOST, secret),
            Command("ecr-login, 20-rule configuration", ours, rules_env, HOST, secret),
        ], runs, warmup))
        rows = scenario("list", measure([
            Command(FLOOR, floor, {}, "", "hello"),
            Command(EMPTY, empty, {}, "", "hello"),
            Command("ecr-login", [args.ours, "list"], stand_env, "unused", HOST, calls=stand_in_calls),
            Command(go_new, [args.go_new, "list"], new_env, "unused", "{", calls=go_stand_in_calls),
            Command(go_old, [args.go, "list"], old_env, "unused", "{", calls=moto_calls),
        ], runs, warmup))
        assert rows["ecr-login"]["calls"] == 0, f"ecr-login list made {rows['ecr-login']['calls']} API calls"

        # The same environment for all: the C library's start-up reads every variable (its tunables),
        # a few hundred instructions a variable. Each run must give its scenario's exact answer.
        hello = counting.Answer(0, "hello\n")
        hit = counting.Answer(0, get_answer(HOST, hit_token), secret=hit_token)
        listed = json.dumps({HOST: "AWS"}, separators=(",", ":")) + "\n"
        try:
            if quick:
                check_answers(ours, stand_env, hit, work)
            counted = {FLOOR: counting.count(FLOOR, floor, stand_env, "", hello),
                       EMPTY: counting.count(EMPTY, empty, stand_env, "", hello)}
            for name, argv, env, stdin, answer in (
                    ("get, cache hit", ours, stand_env, HOST, hit),
                    ("get, non-ECR host", ours, stand_env, NON_ECR, counting.Answer(1, NOT_FOUND)),
                    ("list", [args.ours, "list"], stand_env, "unused", counting.Answer(0, listed)),
                    (RULES_HIT, ours, rules_env, HOST,
                     counting.Answer(0, get_answer(HOST, rules_token), secret=rules_token))):
                counted[name] = counting.count(name, argv, env, stdin, answer)
        except counting.WrongAnswer as e:
            sys.exit(f"bench: a counted run gave the wrong answer (bench/counts.py): {e}")
        if quick:
            check_budgets(counted)

        scenario(COLD_TLS, measure([
            Command("ecr-login", ours, tls_env, HOST, secret, before=clear(tls_cache), calls=moto_calls),
            Command(go_new, new, new_tls_env, HOST, secret, before=clear(new_tls_cache), calls=moto_calls),
            Command(go_old, old, old_env, HOST, secret, before=clear(old_cache), calls=moto_calls),
        ], cold_runs, 2))
        rows = scenario(COLD_HTTP, measure([
            Command("ecr-login", ours, stand_env, HOST, secret, before=clear(stand_cache), calls=stand_in_calls),
            Command(go_new, new, new_env, HOST, secret, before=clear(new_cache), calls=go_stand_in_calls),
        ], cold_runs, 2))
        # One call each: ecr-login's count, and the proof that the Go helper honours AWS_ENDPOINT_URL.
        for name, row in rows.items():
            assert row["calls"] == 1, f"{name}, cold get on a stand-in: {row['calls']} API calls"

        rows = scenario(KUBELET, measure([
            Command(FLOOR, floor, {}, "", "hello"),
            Command(KUBELET_ON_DISK, kubelet_mode, kube_hit_env, KUBELET_REQUEST, kubelet_secret, calls=moto_calls),
            Command(KUBELET_FETCH, kubelet_mode, kube_fetch_env, KUBELET_REQUEST, kubelet_secret,
                    before=clear(kube_fetch_cache), calls=moto_calls),
            Command(provider, [args.provider], provider_env, KUBELET_REQUEST, kubelet_secret, calls=moto_calls),
        ], cold_runs, 2))
        for name, expected in ((KUBELET_ON_DISK, 0), (KUBELET_FETCH, 1), (provider, 1)):
            assert rows[name]["calls"] == expected, f"{name}: {rows[name]['calls']} API calls, not {expected}"
        kubelet = {
            "ecr-login kubelet-provider": (cache_duration(rows[KUBELET_FETCH]["answer"]), rows[KUBELET_ON_DISK]["calls"]),
            provider: (cache_duration(rows[provider]["answer"]), rows[provider]["calls"]),
        }

        contenders = (
            ("ecr-login, stand-in", ours, stand_env, stand_cache, stand_in_calls),
            ("ecr-login, moto proxy", ours, tls_env, tls_cache, moto_calls),
            (f"{go_new}, stand-in", new, new_env, new_cache, go_stand_in_calls),
            (f"{go_old}, moto proxy", old, old_env, old_cache, moto_calls),
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

    binaries = (("ecr-login", args.ours), ("ecr-login, dynamic build", args.ours_dynamic), (go_new, args.go_new),
                (go_old, args.go), (provider, args.provider))
    report(results, crowd, series, kubelet, binaries, (go_new, go_old), sequential, runs, cold_runs, batches)
    report_counts(counted, {(scenario, r["command"]): r["median"] for scenario, rows in results for r in rows})


def check_answers(ours, env, hit, work):
    """Shows that a counted run is refused unless it gives its scenario's answer, and that the
    refusal names what differs and never the token: a hit whose configuration file is missing
    fails before it reads the cache (cheaper than a hit, so within its budget), and a hit from a
    cache that another get filled answers that get's token."""
    other = {**env, "AWS_ECR_CACHE_DIR": os.path.join(work, "other-cache")}
    tokens = (hit.secret, filled_token(ours, other))
    planted = (("exit 1, not 0", {**env, "ECR_LOGIN_CONFIG": os.path.join(work, "missing.toml")}),
               ("fields that differ: Secret", other))
    for named, planted_env in planted:
        try:
            counting.count("get, cache hit (planted)", ours, planted_env, HOST, hit)
        except counting.WrongAnswer as e:
            if named not in str(e) or any(token in str(e) for token in tokens):
                sys.exit(f"bench: the answer check refused a planted failure without naming {named!r}, "
                         "or with a token in its message")
            continue
        sys.exit(f"bench: the answer check passed a planted failure that should name {named!r}")


def check_budgets(counted):
    """Fails the run when a count is over its budget by more than the slack; first shows that the
    check can fail, by holding the hit to the C floor's counts."""
    planted = counting.over_budget("get, cache hit", counted["get, cache hit"],
                                 {"get, cache hit": {k: counted[FLOOR][k] for k in ("instructions", "syscalls")}})
    assert len(planted) == 2, f"the budget check passed a hit held to the C floor's counts: {planted}"
    problems = [p for name in COUNTED for p in counting.over_budget(name, counted[name])]
    if problems:
        sys.exit("bench: over budget (bench/counts.py):\n" + "\n".join(problems))


def report_counts(counted, medians):
    """The counts table beside the medians, and the targets of the counts issue."""
    print("\n| one process | instructions | system calls | minor faults | median ms | instructions × C floor |"
          " × empty Rust |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    floor, empty = counted[FLOOR], counted[EMPTY]
    for name, c in counted.items():
        wall = medians.get(COUNTED.get(name, ("get, cache hit", name)))
        print(f"| {name} | {c['instructions']:,} | {c['syscalls']} | {c['faults']} "
              f"| {wall:.3f} | {c['instructions'] / floor['instructions']:.2f} "
              f"| {c['instructions'] / empty['instructions']:.2f} |")
    hit = counted["get, cache hit"]
    hit_ms, floor_ms = medians[("get, cache hit", "ecr-login")], medians[("get, cache hit", FLOOR)]
    empty_ms = medians[("get, cache hit", EMPTY)]
    rows = [
        ("get, cache hit: ≤ 150K instructions", f"{hit['instructions']:,}", hit["instructions"] <= 150_000),
        ("get, cache hit: ≤ 45 system calls", str(hit["syscalls"]), hit["syscalls"] <= 45),
        ("get, cache hit: ≤ 70 minor faults", str(hit["faults"]), hit["faults"] <= 70),
        ("get, cache hit: ≤ 1.35× the static C floor (wall)", f"{hit_ms / floor_ms:.2f}×", hit_ms <= 1.35 * floor_ms),
        ("get, cache hit: ≤ 1.15× the empty static Rust program (wall)", f"{hit_ms / empty_ms:.2f}×",
         hit_ms <= 1.15 * empty_ms),
    ]
    for name in COUNTED:
        for what, limit in counting.BUDGETS[name].items():
            rows.append((f"{name}: {what} within its budget ({limit:,}) + {counting.BUDGET_SLACK:.0%}",
                         f"{counted[name][what]:,}", not counting.over_budget(name, counted[name])))
    print("\n| target (counts) | measured | met |")
    print("|---|---|---|")
    for target, measured, met in rows:
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")


def report(results, crowd, series, kubelet, binaries, go_helpers, sequential, runs, cold_runs, batches):
    go_new, go_old = go_helpers
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {cpu}, "
          f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f} at the end. "
          f"{runs} timed runs per warm command, {cold_runs} per cold one and per kubelet request, {batches} "
          f"batch(es) of {CONCURRENT} concurrent gets, {sequential} sequential gets.\n")
    medians = {(scenario, r["command"]): r for scenario, rows in results for r in rows}

    print(f"| scenario | ecr-login | {go_new} | {go_old} | {go_new} ÷ ecr-login | {go_old} ÷ ecr-login |")
    print("|---|---:|---:|---:|---:|---:|")
    for scenario in ("get, cache hit", "get, non-ECR host", "list", COLD_TLS, COLD_HTTP):
        ours = medians[(scenario, "ecr-login")]
        cells, ratios = [], []
        for helper in ("ecr-login", go_new, go_old):
            row = medians.get((scenario, helper))
            cells.append(f"{row['median']:.2f} ms" if row else "")
            if helper != "ecr-login":
                ratios.append(f"{row['median'] / ours['median']:.2f}×" if row else "")
        print(f"| {scenario} | {' | '.join(cells)} | {' | '.join(ratios)} |")

    print("\n| scenario | command | median ms | min–max ms | peak RSS MB | API calls per run | × floor | × ecr-login |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for scenario, rows in results:
        floor = next((r["median"] for r in rows if r["command"] == FLOOR), None)
        ours = next((r["median"] for r in rows if r["command"].startswith("ecr-login")), None)
        for r in rows:
            x_floor = f"{r['median'] / floor:.2f}" if floor else ""
            x_ours = f"{r['median'] / ours:.2f}" if ours else ""
            calls = "" if r["calls"] is None else r["calls"]
            print(f"| {scenario} | {r['command']} | {r['median']:.2f} | {r['min']:.2f}–{r['max']:.2f} "
                  f"| {r['rss']:.1f} | {calls} | {x_floor} | {x_ours} |")

    print("\n| kubelet provider | API calls, first request after a kubelet restart | cacheDuration answered "
          "for a fresh 12 h token | steady state: runs per registry per day at most, one API call each |")
    print("|---|---:|---:|---:|")
    for name, (duration, restart_calls) in kubelet.items():
        # The kubelet runs a provider again for a registry only once its entry expired; ecr-login's
        # token is then past half its life, so both providers make one API call per run.
        print(f"| {name} | {restart_calls} | {duration / 3600:.2f} h | {DAY / duration:.2f} |")

    print(f"\n| {CONCURRENT} concurrent gets, cold cache, one registry | median wall ms | min–max ms | API calls per batch |")
    print("|---|---:|---:|---|")
    for label, median, low, high, counts in crowd:
        print(f"| {label} | {median:.1f} | {low:.1f}–{high:.1f} | {', '.join(map(str, counts))} |")
    print(f"\n| {sequential} sequential gets over {len(REGISTRIES)} registries, cold start | total wall ms | per get ms | API calls |")
    print("|---|---:|---:|---:|")
    for label, wall, made in series:
        print(f"| {label} | {wall:.0f} | {wall / sequential:.2f} | {made} |")
    sizes = {name: os.path.getsize(path) for name, path in binaries}
    print("\n| binary | bytes | MiB |")
    print("|---|---:|---:|")
    for name, size in sizes.items():
        print(f"| {name} | {size} | {size / 1048576:.2f} |")

    def median(scenario, command):
        return medians[(scenario, command)]["median"]

    hit, hit_floor = median("get, cache hit", "ecr-login"), median("get, cache hit", FLOOR)
    hit_go = median("get, cache hit", go_new)
    hit_rss = medians[("get, cache hit", "ecr-login")]["rss"]
    non, non_floor = median("get, non-ECR host", "ecr-login"), median("get, non-ECR host", FLOOR)
    lst, lst_floor = median("list", "ecr-login"), median("list", FLOOR)
    plain = median(RULES_SCENARIO, "ecr-login")
    ruled = median(*COUNTED[RULES_HIT])
    cold, cold_go = median(COLD_TLS, "ecr-login"), median(COLD_TLS, go_new)
    rows = [
        ("get, cache hit: median ≤ 1.0 ms", f"{hit:.2f} ms", hit <= 1.0),
        ("get, cache hit: ≤ 1.5× the floor", f"{hit / hit_floor:.2f}×", hit <= 1.5 * hit_floor),
        (f"get, cache hit: ≥ 4× faster than the {go_new}", f"{hit_go / hit:.2f}×", hit_go >= 4 * hit),
        ("get, cache hit: peak RSS ≤ 4 MB", f"{hit_rss:.1f} MB", hit_rss <= 4.0),
        ("get, cache hit with a 20-rule configuration: ≤ 1.05× without one", f"{ruled / plain:.3f}×",
         ruled <= 1.05 * plain),
        ("get, non-ECR host: ≤ 1.5× the floor", f"{non / non_floor:.2f}×", non <= 1.5 * non_floor),
        ("list: ≤ 1.5× the floor", f"{lst / lst_floor:.2f}×", lst <= 1.5 * lst_floor),
        ("list: zero API calls", "0", True),
        (f"get, cold: ≤ the {go_new}'s cold get", f"{cold:.2f} vs {cold_go:.2f} ms", cold <= cold_go),
        (f"{CONCURRENT} concurrent cold gets: exactly 1 API call", "1 per batch", True),
        (f"{sequential} sequential gets over {len(REGISTRIES)} registries: {len(REGISTRIES)} API calls",
         f"{series[0][2]} and {series[1][2]}", True),
        ("kubelet-provider after a kubelet restart: zero API calls", "0", True),
        (f"stripped binary ≤ the {go_new}'s", f"{sizes['ecr-login']} vs {sizes[go_new]} bytes",
         sizes["ecr-login"] <= sizes[go_new]),
    ]
    print("\n| target | measured | met |")
    print("|---|---|---|")
    for target, measured, met in rows:
        print(f"| {target} | {measured} | {'yes' if met else 'no'} |")

if __name__ == "__main__":
    main()
