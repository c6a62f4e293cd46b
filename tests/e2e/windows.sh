#!/usr/bin/env bash
# Windows clients under Wine, end to end: crane.exe, oras.exe and regctl.exe (GOOS=windows builds
# of their tools modules in tests/e2e/go) pull and push through `credHelpers` in
# %USERPROFILE%\.docker\config.json, which docker's Windows rule names, with the Windows helper
# (docker-credential-ecr-login.exe, found along the Windows PATH: WINEPATH puts its folder first),
# and docker.exe (docker/cli built for Windows) finds the helper's login for `docker login`.
# Everything runs in lib.sh's private mount and network namespace (only loopback): Debian's
# docker-registry on 127.0.0.1:443 for two ECR host names, the project's ECR stand-in
# (--same-password; the second account is refused). HOME is unset for every Windows process, and
# the helper's AWS keys are only in %USERPROFILE%\.aws\credentials: that the gets work, and that the
# cache lands under the profile's LocalAppData, shows it found its files there.
#   The helper alone: a get (a miss), a second get (a hit: no token request), keys rotated in the
#   credentials file (a new identity: a token request), a host the stand-in refuses (one line).
#   crane digest/pull/push/copy, oras push/pull of a file, regctl image digest/copy; every push is
#   checked in the registry's own storage, every pull by content.
#   Negative control: the registry restarted on another password; every client fails with 401 and
#   the registry's log shows that it refused user AWS.
# The registry's certificate is made for the run; the clients skip its verification (crane and
# oras --insecure, regctl's registry tls setting), since Wine's certificate store is the host's.
# The Wine prefix is target/wine-prefix-e2e (tests/wine/setup), apart from the one the test suites
# use, and its user's .docker, .aws and cache folders are emptied first.
#
# Run as root from the checkout: bash tests/e2e/windows.sh. It builds the Windows helper, the
# stand-in and the three Windows clients first (outside the namespace).
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
  cd "$(dirname "$0")/../.."
  e2e_need skopeo:skopeo docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl \
    ip:iproute2 unshare:util-linux
  WINEPREFIX=$(WINEPREFIX=$PWD/target/wine-prefix-e2e tests/wine/setup)
  target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  cargo build --locked --quiet --example ecr-stand-in
  # The Windows build of tests/windows, whose objects carry no debug info: the same flags reuse them.
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS=${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS-"-C debuginfo=0"}
  cargo build --locked --quiet --target x86_64-pc-windows-gnu --bin docker-credential-ecr-login
  E2E_STAND_IN=$target_dir/debug/examples/ecr-stand-in
  E2E_WINDOWS_HELPER=$target_dir/x86_64-pc-windows-gnu/debug/docker-credential-ecr-login.exe
  E2E_GO_BINS=$(GOOS=windows GOARCH=amd64 tests/e2e/go/build crane oras regctl docker-cli | paste -sd:)
  export WINEPREFIX E2E_STAND_IN E2E_WINDOWS_HELPER E2E_GO_BINS
fi
e2e_enter "$0" "$@"
started=$SECONDS

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
bad=210987654321.dkr.ecr.us-east-1.amazonaws.com
denied="ecr-login: access denied getting a token for $bad"
wine=/usr/lib/wine/wine64
IFS=: read -r crane_dir oras_dir regctl_dir docker_dir <<<"${E2E_GO_BINS:?build the Windows clients first}"

# The Windows user's profile as the Unix side sees it, and as Windows names it.
profile=$WINEPREFIX/drive_c/users/$(id -un)
rm -rf "$profile/.docker" "$profile/.aws" "$profile/.regctl" "$profile/.ecr" "$profile/.config/ecr-login" \
  "$profile/AppData/Local/ecr-login"
mkdir -p "$profile/.docker" "$profile/.aws" "$work/winbin"
cp "$E2E_WINDOWS_HELPER" "$work/winbin/docker-credential-ecr-login.exe"

# Every Windows process runs through this: no HOME and no AWS keys from the Unix side, the
# helper's folder first on the Windows PATH, and the ECR API at the stand-in.
windows() {
  env -u HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u DOCKER_CONFIG -u AWS_ECR_CACHE_DIR \
    -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE -u SSL_CERT_FILE \
    WINEDEBUG=-all WINEPATH="Z:${work//\//\\}\\winbin" AWS_EC2_METADATA_DISABLED=true \
    AWS_ENDPOINT_URL="$endpoint" "$wine" "$@"
}
helper_get() { # $1: a host; the helper's answer on stdout
  printf '%s' "$1" | windows "$work/winbin/docker-credential-ecr-login.exe" get
}
crane() { windows "$crane_dir/crane.exe" --insecure "$@"; }
oras() { windows "$oras_dir/oras.exe" "$@"; }
regctl() { windows "$regctl_dir/regctl.exe" "$@"; }
docker() { windows "$docker_dir/docker.exe" "$@"; }

e2e_hosts "$good" "$bad"
e2e_certs "$good" "$bad"
"${E2E_STAND_IN:?}" 0 --same-password --deny 210987654321 >"$work/stand-in.url" 2>"$work/stand-in.log" &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$work/stand-in.url" ] && break
  sleep 0.05
done
endpoint=$(head -n 1 "$work/stand-in.url")
[ -n "$endpoint" ] || fail "the ECR stand-in did not start"
# Wine's own processes outlive a client by a few seconds; they are stopped with the namespace.
e2e_on_exit "WINEPREFIX=$WINEPREFIX /usr/lib/wine/wineserver -k"

printf '[default]\naws_access_key_id = AKIDWINE1\naws_secret_access_key = wine-secret-1\n' >"$profile/.aws/credentials"
printf '[default]\nregion = us-east-1\n' >"$profile/.aws/config"

cd "$work"
out=$work/out.txt
run() { # $1: what it is; the rest: the command
  local what=$1
  shift
  "$@" >"$out" 2>&1 || fail "$what: $(cat "$out")"
}
refused() { # $1: what it is; the rest: the command
  local what=$1
  shift
  if "$@" >"$out" 2>&1; then
    fail "$what succeeded, so the test proves nothing: $(cat "$out")"
  fi
}
landed() { # $1: repository; $2: tag
  local link=$work/registry-data/docker/registry/v2/repositories/$1/_manifests/tags/$2/current/link
  [ -s "$link" ] || fail "nothing was pushed to $1:$2"
  cat "$link"
}
# The last line a client printed, without Windows's carriage return (regctl logs warnings first).
last_line() { tr -d '\r' <"$out" | tail -n 1; }
secret_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["Secret"])' <"$out"; }

echo "== the Windows helper under Wine, HOME unset, keys only in %USERPROFILE%\\.aws\\credentials"
run "version" windows "$work/winbin/docker-credential-ecr-login.exe" version
echo "    $(head -n 1 "$out")"
run "get $good" helper_get "$good"
token=$(secret_of)
[ -n "$token" ] || fail "no token from the helper: $(cat "$out")"
[ "$(e2e_stand_in_calls)" = 1 ] || fail "a miss made $(e2e_stand_in_calls) token requests"
ok "get (a miss): one token request, signed with the profile's keys (no AWS keys in the environment)"
run "get $good again" helper_get "$good"
[ "$(secret_of)" = "$token" ] || fail "the hit served another token"
[ "$(e2e_stand_in_calls)" = 1 ] || fail "the second get made a token request: not a cache hit"
ok "get (a hit): no token request"
# The platform's local cache directory, %LOCALAPPDATA%\ecr-login, written by this run (the prefix
# outlives runs, so an older entry proves nothing).
cache=$(cd "$profile" && find AppData/Local/ecr-login -type f -path "*/v1/*/$good.json" -newer "$work/stand-in.url" 2>/dev/null | head -n 1)
[ -n "$cache" ] || fail "no cache entry of this run in %LOCALAPPDATA%\\ecr-login: $(cd "$profile" && find . -path ./AppData/Roaming -prune -o -newer "$work/stand-in.url" -print | head)"
ok "the cache entry is in %LOCALAPPDATA%\\ecr-login: $cache"
refused "get $bad" helper_get "$bad"
grep -F "$denied" "$out" >/dev/null || fail "the refused host's cause is not said: $(cat "$out")"
ok "a host the stand-in refuses: $(grep -F 'ecr-login:' "$out" | head -n 1 | cut -c1-100)..."

e2e_registry "$token"
e2e_seed "$good/team/app:1" "$token"
seed_digest=$(landed team/app 1)
printf '{"credHelpers":{"%s":"ecr-login","%s":"ecr-login"}}\n' "$good" "$bad" >"$profile/.docker/config.json"
echo "pushed by oras.exe through ecr-login.exe" >artifact.txt
calls_before=$(e2e_stand_in_calls)

echo "== credHelpers in %USERPROFILE%\\.docker\\config.json routes $good and $bad to ecr-login"
echo "-- crane.exe $(crane version 2>/dev/null | tr -d '\r')"
run "crane digest" crane digest "$good/team/app:1"
[ "$(last_line)" = "$seed_digest" ] || fail "crane digest: $(cat "$out"), the registry has $seed_digest"
run "crane pull" crane pull --format oci "$good/team/app:1" crane-oci
run "crane push" crane push crane-oci "$good/team/app:crane"
[ "$(landed team/app crane)" = "$seed_digest" ] || fail "crane push: another manifest landed"
run "crane copy" crane copy "$good/team/app:1" "$good/team/app:crane-copy"
[ "$(landed team/app crane-copy)" = "$seed_digest" ] || fail "crane copy: another manifest landed"
ok "crane.exe: digest, pull, push and copy; both pushes landed with the seed's digest"

echo "-- oras.exe $(oras version 2>/dev/null | tr -d '\r' | awk '/^Version:/ {print $2}')"
run "oras push" oras push --insecure "$good/team/artifact:oras" artifact.txt:text/plain
landed team/artifact oras >/dev/null
run "oras pull" oras pull --insecure -o oras-pulled "$good/team/artifact:oras"
cmp artifact.txt oras-pulled/artifact.txt || fail "oras pull: the file differs"
ok "oras.exe: push and pull of a file"

echo "-- regctl.exe $(regctl version --format '{{.VCSTag}}' 2>/dev/null | tr -d '\r')"
# --skip-check: setting the TLS mode would otherwise ping the registry, and $bad's ping fails.
run "regctl registry set" regctl registry set --skip-check --tls insecure "$good"
run "regctl registry set" regctl registry set --skip-check --tls insecure "$bad"
run "regctl image digest" regctl image digest "$good/team/app:1"
[ "$(last_line)" = "$seed_digest" ] || fail "regctl image digest: $(cat "$out"), the registry has $seed_digest"
run "regctl image copy" regctl image copy "$good/team/app:1" "$good/team/app:regctl-copy"
[ "$(landed team/app regctl-copy)" = "$seed_digest" ] || fail "regctl image copy: another manifest landed"
ok "regctl.exe: digest and copy; the push landed"
[ "$(e2e_stand_in_calls)" = "$calls_before" ] || fail "the clients' gets made token requests: not served from the cache"
ok "every client's get was a cache hit of the helper's own cache"

echo "-- docker.exe (docker/cli $(awk '$1 == "github.com/docker/cli" {print $2}' "$root/tests/e2e/go/docker-cli/go.mod")), with no daemon"
# docker login with no user asks the credential helper for the stored login before anything else;
# the login itself goes through the daemon, which this machine does not run for Windows.
docker login "$good" </dev/null >"$out" 2>&1 || true
grep -E "^Authenticating with existing credentials.* \[Username: AWS\]" "$out" >/dev/null \
  || fail "docker login did not get the helper's login: $(cat "$out")"
ok "docker.exe login found the helper's login through credHelpers: $(tr -d '\r' <"$out" | head -n 1)"
echo "    then, without a daemon: $(tr -d '\r' <"$out" | tail -n 1 | cut -c1-120)"

echo "== a host whose token the stand-in refuses ($bad): crane.exe fails showing the helper's cause, regctl.exe with 401"
refused "crane digest $bad" crane digest "$bad/team/app:1"
grep -F "$denied" "$out" >/dev/null || fail "crane: the helper's cause is not on its output: $(cat "$out")"
ok "crane.exe against $bad fails and shows the helper's cause"
refused "regctl image digest $bad" regctl image digest "$bad/team/app:1"
grep -iE '401|unauthorized' "$out" >/dev/null || fail "regctl: refused for another reason: $(cat "$out")"
ok "regctl.exe against $bad fails with 401"

echo "== negative control: the registry accepts another password, so the helper's must fail with 401"
e2e_registry_stop
e2e_registry "not-the-token"
for client in crane oras regctl; do
  case $client in
    crane) command=(crane digest "$good/team/app:1") ;;
    oras) command=(oras pull --insecure -o oras-401 "$good/team/artifact:oras") ;;
    regctl) command=(regctl image digest "$good/team/app:1") ;;
  esac
  refusals=$(e2e_aws_refusals)
  refused "$client with the wrong password" "${command[@]}"
  e2e_expect_aws_refused "$client.exe" "$refusals" "$(cat "$out")"
  ok "$client.exe refused, and the registry's log shows it refused user AWS: $(tr -d '\r' <"$out" | tail -n 1 | cut -c1-120)"
done

echo "== keys rotated in %USERPROFILE%\\.aws\\credentials: a new identity, so a new token"
e2e_registry_stop
calls_before=$(e2e_stand_in_calls)
printf '[default]\naws_access_key_id = AKIDWINE2\naws_secret_access_key = wine-secret-2\n' >"$profile/.aws/credentials"
run "get $good with rotated keys" helper_get "$good"
[ "$(e2e_stand_in_calls)" = $((calls_before + 1)) ] \
  || fail "rotated keys in %USERPROFILE%\\.aws\\credentials were served the old keys' token"
ok "keys rotated: the get made a token request instead of serving the old keys' token"

echo "e2e windows: the helper, crane.exe, oras.exe, regctl.exe and docker.exe under Wine passed in $((SECONDS - started)) s"
