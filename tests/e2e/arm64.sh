#!/usr/bin/env bash
# crane built for arm64 pulls and pushes through the arm64 release helper, both running under
# qemu-user, in lib.sh's private mount and network namespace (only loopback): Debian's
# docker-registry on 127.0.0.1:443 for an ECR host name, the project's ECR stand-in behind the
# helper, `credHelpers` in $DOCKER_CONFIG/config.json. Every call the helper gets is recorded.
# Negative control: the registry restarted on another password; crane must fail with 401, and the
# registry's own log must show that it refused user AWS.
#
# tests/arm64 runs it, after building the arm64 helper and crane and registering qemu with
# binfmt_misc (the kernel then runs aarch64 files in any namespace):
#   E2E_ARM64_HELPER=<arm64 helper> E2E_ARM64_CRANE=<folder holding arm64 crane> bash tests/e2e/arm64.sh
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
  cd "$(dirname "$0")/../.."
  e2e_need skopeo:skopeo docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl \
    ip:iproute2 unshare:util-linux readelf:binutils
  cargo build --locked --quiet --example ecr-stand-in
fi
e2e_enter "$0" "$@"
started=$SECONDS

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
helper=${E2E_ARM64_HELPER:?the arm64 helper: tests/arm64 builds it}
crane_bin=${E2E_ARM64_CRANE:?the folder of arm64 crane: tests/arm64 builds it}/crane
for file in "$helper" "$crane_bin"; do
  readelf -h "$file" 2>/dev/null | grep -E 'Machine: +AArch64' >/dev/null || fail "$file is not an arm64 executable"
done
crane() { SSL_CERT_FILE=$work/ca.crt "$crane_bin" "$@"; }

api=ecr-api.arm64.test # the stand-in's name, known only to the private /etc/hosts
e2e_hosts "$good" "$api"
e2e_certs "$good"
e2e_stand_in --same-password
e2e_helper_env

echo "== the arm64 helper resolves names itself, whatever nsswitch.conf lists"
# A static glibc would dlopen the NSS modules listed before files (for arm64, from paths this
# machine does not even have); the helper's own resolver reads /etc/hosts. qemu's -strace shows
# every file the helper opens.
printf 'hosts: myhostname mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] files dns\n' >"$work/nsswitch.conf"
mount --bind "$work/nsswitch.conf" /etc/nsswitch.conf
printf '%s' "$good" | AWS_ENDPOINT_URL="${endpoint/127.0.0.1/$api}" AWS_ECR_CACHE_DIR="$work/cache-resolve" \
  /usr/bin/qemu-aarch64-static -strace "$helper" get >"$work/resolve.json" 2>"$work/resolve.strace" \
  || fail "get through $api: $(cat "$work/resolve.json") $(grep -v '^[0-9]* ' "$work/resolve.strace" | tail -n 3)"
grep -F '"Secret"' "$work/resolve.json" >/dev/null || fail "get through $api: $(cat "$work/resolve.json")"
grep -F '/etc/hosts' "$work/resolve.strace" >/dev/null || fail "the helper did not read /etc/hosts to find $api"
if grep -E 'libnss_|libc\.so' "$work/resolve.strace" >/dev/null; then
  fail "the helper opened NSS modules: $(grep -E 'libnss_|libc\.so' "$work/resolve.strace" | head -n 3)"
fi
ok "a get through $api (in /etc/hosts only): a token, /etc/hosts read, no NSS module or libc.so opened"

echo "== a get from the arm64 helper (the secret shortened)"
printf '%s' "$good" | "$helper" get >"$work/get.json" || fail "get: $(cat "$work/get.json")"
python3 - "$work/get.json" <<'EOF' || fail "get: $(cat "$work/get.json")"
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["Username"] == "AWS" and answer["Secret"], answer
answer["Secret"] = answer["Secret"][:12] + "..."
print("   ", json.dumps(answer))
EOF
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Secret"])' "$work/get.json")
e2e_registry "$token"
e2e_seed "$good/team/app:1" "$token"
e2e_record_calls

cd "$work"
out=$work/out.txt
run() { # $1: what it is; the rest: the command
  local what=$1
  shift
  "$@" >"$out" 2>&1 || fail "$what: $(cat "$out")"
}
landed() { # $1: repository; $2: tag
  local link=$work/registry-data/docker/registry/v2/repositories/$1/_manifests/tags/$2/current/link
  [ -s "$link" ] || fail "nothing was pushed to $1:$2"
  cat "$link"
}
calls_are() { # the calls since the last check, as a sorted set of lines
  local want got
  want=$(printf '%s\n' "$@" | LC_ALL=C sort -u)
  got=$(LC_ALL=C sort -u "$work/calls.log")
  [ "$got" = "$want" ] || fail "the helper got
$(cat "$work/calls.log")
expected the lines
$want"
  echo "    the helper's calls: $(wc -l <"$work/calls.log"), $(paste -sd, "$work/calls.log")"
  : >"$work/calls.log"
}
seed_digest=$(landed team/app 1)

export DOCKER_CONFIG=$work/docker
mkdir -p "$DOCKER_CONFIG"
printf '{"credHelpers":{"%s":"ecr-login"}}\n' "$good" >"$DOCKER_CONFIG/config.json"

echo "== crane $(crane version) (arm64), credHelpers routing $good to the arm64 helper"
run "crane digest" crane digest "$good/team/app:1"
[ "$(cat "$out")" = "$seed_digest" ] || fail "crane digest: $(cat "$out"), the registry has $seed_digest"
run "crane pull" crane pull --format oci "$good/team/app:1" crane-oci
run "crane push" crane push crane-oci "$good/team/app:arm64"
[ "$(landed team/app arm64)" = "$seed_digest" ] || fail "crane push: another manifest landed"
ok "crane: digest, pull and push; the push landed with the seed's digest"
calls_are "get $good"

echo "== negative control: the registry accepts another password, so the helper's must fail with 401"
e2e_registry_stop
e2e_registry "not-the-token"
refusals=$(e2e_aws_refusals)
if crane digest "$good/team/app:1" >"$out" 2>&1; then
  fail "crane digest succeeded against a registry that refuses the helper's password: $(cat "$out")"
fi
e2e_expect_aws_refused crane "$refusals" "$(cat "$out")"
ok "crane refused: $(tail -n 1 "$out"); the registry's log shows it refused user AWS"
calls_are "get $good"

echo "e2e arm64: crane pulled and pushed through the arm64 helper under qemu in $((SECONDS - started)) s"
