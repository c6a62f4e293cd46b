#!/usr/bin/env bash
# nerdctl 2.3.5 with containerd 2.3.7 end to end, both built from tests/e2e/go/containerd. containerd
# runs as root in lib.sh's private mount and network namespace (only loopback) with a config of
# its own (no CRI, native snapshotter, root, state and sockets in the work folder). The registry is
# Debian's docker-registry on 127.0.0.1:443 for two ECR host names, its CA given through nerdctl's
# --hosts-dir (hosts.toml); the ECR API is the project's stand-in, which refuses the second
# account. With containerd >= 2.0 nerdctl pulls through the Transfer Service: the daemon talks to
# the registry and, on a 401, asks nerdctl for credentials over a stream, and nerdctl runs the
# helper in its own process. The script proves that path was taken (the daemon's log holds the
# registry requests and the credentials stream). With credHelpers, then credsStore:
#   pull (the image's layer comes back), push under a new tag (client side, and through the
#   Transfer Service with --allow-nondistributable-artifacts) checked with skopeo, and a pull after
#   the cached token expired, which fetches a new one;
#   a pull from the refused account fails within seconds, showing the helper's one-line cause, and
#   the good registry still pulls;
#   login and logout, with what they do to config.json and to later pulls.
# Negative controls: a helper that answers the refused account with its cause on stdout (not the
# not-found line, as the old helper did) hangs the pull with credsStore (containerd#13500) and
# does not with credHelpers; the registry restarted on another password refuses pulls with 401.
# Every call the helper gets is recorded and checked: nerdctl sends the bare host with
# credHelpers and host:443 first with credsStore.
#
# Run as root from the checkout: bash tests/e2e/nerdctl.sh. It installs the Debian packages it
# needs, builds the helper, the stand-in and the Go module first (outside the namespace).
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
  cd "$(dirname "$0")/../.."
  e2e_need skopeo:skopeo docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl \
    ip:iproute2 unshare:util-linux
  cargo build --locked --quiet --bin docker-credential-ecr-login --example ecr-stand-in
  E2E_CONTAINERD_BIN=$(tests/e2e/go/build containerd)
  export E2E_CONTAINERD_BIN
fi
e2e_enter "$0" "$@"

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
bad=210987654321.dkr.ecr.us-east-1.amazonaws.com
image=$good/team/app
bin=$E2E_CONTAINERD_BIN
# A pull that waits this long for credentials is hung: a good one takes well under a second here.
hang_secs=60
# The negative control that is expected to hang is given less: nothing comes after this long.
control_secs=15

e2e_hosts "$good" "$bad"
e2e_certs "$good" "$bad"
# --same-password: the token that replaces an expired one is still the password the registry has.
e2e_stand_in --same-password --deny 210987654321
e2e_helper_env
export DOCKER_CONFIG=$work/docker-config NERDCTL_TOML=$work/nerdctl.toml
mkdir -p "$DOCKER_CONFIG"
docker_config() { printf '%s\n' "$1" >"$DOCKER_CONFIG/config.json"; }
cred_helpers='{"credHelpers":{"'$good'":"ecr-login","'$bad'":"ecr-login"}}'
docker_config "$cred_helpers"
token=$(e2e_token "$good")
[ -n "$token" ] || fail "no token from the helper"
e2e_registry "$token"
e2e_seed "$image:1" "$token"
layer=$(cat "$work/layer-digest")
e2e_record_calls

# The registry's CA for both names, in Docker's certs.d form (a ca.crt in a folder named for the
# host), which containerd reads too. Not a hosts.toml with `server = "https://HOST"`: nerdctl login
# then fails, its check wants credentials asked for HOST:443 while that server entry asks for HOST
# ("expected acArg to be HOST:443"). nerdctl hands only its first --hosts-dir to the daemon on the
# transfer path (seen: with the CA in a second one, pulls and transfer pushes fail with x509 while
# nerdctl's own push works), so everything is in one.
for name in "$good" "$bad"; do
  mkdir -p "$work/hosts.d/$name"
  cp "$work/ca.crt" "$work/hosts.d/$name/ca.crt"
done

# containerd 2.3's own config version is 4 (3 is accepted and migrated with a warning); the
# sockets moved into the server plugins. The opt plugin would create /opt/containerd and NRI a
# socket in /var/run: keep them out of the machine's folders.
mkdir -p "$work/containerd"
cat >"$work/containerd.toml" <<TOML
version = 4
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime",
  "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.nri.v1.nri"]
[plugins."io.containerd.server.v1.grpc"]
  address = "$work/containerd/containerd.sock"
[plugins."io.containerd.server.v1.ttrpc"]
  address = "$work/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
[plugins."io.containerd.transfer.v1.local"]
  unpack_config = [{platform = "linux/amd64", snapshotter = "native"}]
TOML
"$bin/containerd" --config "$work/containerd.toml" --log-level debug >"$work/containerd.log" 2>&1 &
pids+=($!)
nerdctl=("$bin/nerdctl" --address "$work/containerd/containerd.sock" --namespace e2e
  --data-root "$work/nerdctl" --snapshotter native --hosts-dir "$work/hosts.d")
for _ in $(seq 150); do "${nerdctl[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
server=$("${nerdctl[@]}" version --format '{{range .Server.Components}}{{.Name}} {{.Version}}, {{end}}' 2>/dev/null) \
  || fail "containerd did not start: $(tail -n 20 "$work/containerd.log")"
ok "$("$bin/nerdctl" --version) with ${server%, }"

# The helper's calls since the last reset, each distinct line once, in the order first seen.
calls() { awk '!seen[$0]++' "$work/calls.log"; }
reset_calls() { : >"$work/calls.log"; }
expect_calls() { # $1: what ran; the rest: the distinct calls expected, in order
  local want got
  want=$(printf '%s\n' "${@:2}")
  got=$(calls)
  [ "$got" = "$want" ] || fail "$1: the helper got
$got
instead of
$want"
}
# Fails unless the pull ran on the Transfer Service: the daemon itself sent the registry requests
# for this reference and opened a credentials stream back to nerdctl.
expect_transfer_path() { # $1: the log offset before the pull; $2: the reference's repository URL part
  local log
  log=$(tail -c +"$1" "$work/containerd.log")
  grep -F 'msg="registering stream" stream=creds-' <<<"$log" >/dev/null \
    || fail "the daemon opened no credentials stream: not the transfer path"
  grep -F "url=\"https://$2" <<<"$log" >/dev/null \
    || fail "the daemon made no request to $2: not the transfer path"
}
log_offset() { echo $(($(stat -c %s "$work/containerd.log") + 1)); }
# Pulls $1; fails unless it succeeded and the image's layer is in what containerd stored.
pull_ok() { # $1: reference; $2: what this pull proves
  local out
  out=$(timeout "$hang_secs" "${nerdctl[@]}" pull -q "$1" 2>&1) || fail "$2: pull $1: $out"
  # To a file: `nerdctl save` into a pipe once gave tar a truncated archive.
  out=$("${nerdctl[@]}" save -o "$work/saved.tar" "$1" 2>&1) || fail "$2: save $1: $out"
  tar -tf "$work/saved.tar" | grep -Fx "blobs/sha256/${layer#sha256:}" >/dev/null \
    || fail "$2: the image pulled from $1 lacks the seeded layer"
}
# Pulls $1, which must fail within $2 seconds; the combined output is left in $out.
pull_fails() { # $1: reference; $2: seconds; $3: what this pull proves
  local status=0 start=$SECONDS
  out=$(timeout "$2" "${nerdctl[@]}" pull -q "$1" 2>&1) || status=$?
  elapsed=$((SECONDS - start))
  [ "$status" -ne 0 ] || fail "$3: pull $1 succeeded: $out"
  [ "$status" -ne 124 ] || fail "$3: pull $1 hung (killed after $2 s): $out"
}
# The stderr lines our helper wrote, as nerdctl passes them through.
helper_lines() { grep '^ecr-login: ' <<<"$out" || true; }
# config.json's auths as KEY=password (it holds one) or KEY=- (no secret), sorted; never the secret.
auths() {
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1])).get("auths", {}); print(" ".join(k + ("=password" if a[k].get("auth") or a[k].get("password") else "=-") for k in sorted(a)))' "$DOCKER_CONFIG/config.json"
}
cache_entry() { compgen -G "$AWS_ECR_CACHE_DIR/v1/*/$good.json" | head -n 1; }

echo "== credHelpers (the two ECR hosts routed to ecr-login)"
reset_calls
offset=$(log_offset)
pull_ok "$image:1" "credHelpers pull"
expect_transfer_path "$offset" "$good/v2/team/app/manifests/1"
# nerdctl tries host:443, https://host:443, http://host:443, host, https://host, http://host;
# credHelpers is looked up by exact key, so only the bare host reaches the helper and the first
# three read the empty plain store. containerd asked twice: the HEAD and the GET of the manifest
# each met a 401 of their own.
expect_calls "credHelpers pull" "get $good"
[ "$(wc -l <"$work/calls.log")" -eq 2 ] || fail "credHelpers pull: containerd's HEAD and GET should each ask once: $(cat "$work/calls.log")"
ok "pull through the Transfer Service, the daemon asking nerdctl for credentials (2 gets of the bare host)"

reset_calls
"${nerdctl[@]}" tag "$image:1" "$image:nerdctl"
offset=$(log_offset)
out=$(timeout "$hang_secs" "${nerdctl[@]}" push -q "$image:nerdctl" 2>&1) || fail "push: $out"
expect_calls "credHelpers push" "get $good"
# nerdctl 2.3 pushes from its own process unless non-distributable layers are allowed.
if tail -c +"$offset" "$work/containerd.log" | grep -F 'url="https://'"$good" >/dev/null; then
  fail "the daemon took part in a plain push: nerdctl's push changed paths"
fi
"${nerdctl[@]}" tag "$image:1" "$image:nerdctl-transfer"
offset=$(log_offset)
out=$(timeout "$hang_secs" "${nerdctl[@]}" push -q --allow-nondistributable-artifacts "$image:nerdctl-transfer" 2>&1) \
  || fail "push through the Transfer Service: $out"
expect_transfer_path "$offset" "$good/v2/team/app/manifests/nerdctl-transfer"
want=$(skopeo inspect --raw --cert-dir "$work/skopeo-certs" --creds "AWS:$token" "docker://$image:1" | sha256sum)
for tag in nerdctl nerdctl-transfer; do
  got=$(skopeo inspect --raw --cert-dir "$work/skopeo-certs" --creds "AWS:$token" "docker://$image:$tag" | sha256sum) \
    || fail "skopeo finds no $image:$tag after the push"
  [ "$got" = "$want" ] || fail "$image:$tag is not the manifest that was pulled"
done
expect_calls "credHelpers pushes" "get $good"
ok "push from nerdctl's process and through the Transfer Service; skopeo reads both tags back"

# The cached token runs out: the next pull must fetch a new one, not offer the old one.
entry=$(cache_entry)
[ -n "$entry" ] || fail "no cache entry for $good under $AWS_ECR_CACHE_DIR"
python3 - "$entry" <<'PY'
import json, os, sys
path = sys.argv[1]
with open(path) as f:
    entry = json.load(f)
entry["issued_at"], entry["expires_at"] = 1, 2  # issued and expired long ago
tmp = path + ".e2e"
with open(tmp, "w") as f:
    json.dump(entry, f)
os.chmod(tmp, 0o600)
os.replace(tmp, path)
PY
before=$(e2e_stand_in_calls)
reset_calls
pull_ok "$image:1" "pull after the cached token expired"
after=$(e2e_stand_in_calls)
[ "$after" -eq $((before + 1)) ] || fail "the expired token was not replaced by one new token call ($before -> $after)"
expires=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expires_at"])' "$(cache_entry)")
[ "$expires" -gt "$(date +%s)" ] || fail "the cache entry still holds an expired token"
ok "pull after the cached token expired: one new token call, the entry is good again"

reset_calls
pull_fails "$bad/team/app:1" "$hang_secs" "the refused account"
grep -F 'no basic auth credentials' <<<"$out" >/dev/null || fail "the refused account failed for another reason: $out"
lines=$(helper_lines)
[ "$(wc -l <<<"$lines")" -eq 1 ] && grep -F "ecr-login: access denied getting a token for $bad" <<<"$lines" >/dev/null \
  || fail "the refused account's pull does not show the helper's one cause line: $out"
expect_calls "refused account" "get $bad"
ok "a pull from the refused account fails in ${elapsed} s and shows why:"
sed 's/^/    | /' <<<"$out"
pull_ok "$image:1" "the good registry after the refused one"
ok "the good registry still pulls"

# nerdctl login stores host:443 in the plain file (credHelpers has no such key), then the bare
# host, which goes to the helper's store. host:443 is the first form a pull tries, so from then on
# the plain copy shadows the helper.
reset_calls
out=$(printf '%s' "$token" | "${nerdctl[@]}" login -u AWS --password-stdin "$good" 2>&1) || fail "login: $out"
grep -F "Login Succeeded" <<<"$out" >/dev/null || fail "login: $out"
expect_calls "credHelpers login" "store $good"
# docker/cli's native store also keeps an entry without secrets in auths, for the bare host.
[ "$(auths)" = "$good=- $good:443=password" ] || fail "login left auths $(auths)"
ok "login: store of the bare host to the helper (auths[\"$good\"] without secret), the password in plain auths[\"$good:443\"]"
reset_calls
pull_ok "$image:1" "pull after login"
[ ! -s "$work/calls.log" ] || fail "a pull after login still asked the helper: $(calls)"
# Twelve hours later ECR no longer accepts that password, while the helper would have a new one.
python3 - "$DOCKER_CONFIG/config.json" "$good:443" <<'PY'
import base64, json, sys
path, key = sys.argv[1], sys.argv[2]
with open(path) as f:
    config = json.load(f)
config["auths"][key]["auth"] = base64.b64encode(b"AWS:a-token-from-yesterday").decode()
with open(path, "w") as f:
    json.dump(config, f)
PY
pull_fails "$image:1" "$hang_secs" "pull with an outdated login"
grep -iE '401|unauthorized|no basic auth' <<<"$out" >/dev/null || fail "the outdated login failed for another reason: $out"
[ ! -s "$work/calls.log" ] || fail "a pull with a login in auths asked the helper: $(calls)"
ok "after login the helper is never asked: an outdated login fails the pull with 401 although the helper would answer"
reset_calls
out=$("${nerdctl[@]}" logout "$good" 2>&1) || fail "logout: $out"
expect_calls "credHelpers logout" "erase $good"
[ -z "$(auths)" ] || fail "logout left auths $(auths)"
reset_calls
pull_ok "$image:1" "pull after logout"
expect_calls "pull after logout" "get $good"
ok "logout: erase of the bare host to the helper, auths emptied, pulls ask the helper again"
# `nerdctl login HOST` with no password takes the helper's answer, and writes that token in plain
# text under host:443 all the same.
reset_calls
out=$("${nerdctl[@]}" login "$good" </dev/null 2>&1) || fail "login with no password: $out"
expect_calls "credHelpers login with no password" "get $good" "store $good"
[ "$(auths)" = "$good=- $good:443=password" ] || fail "login with no password left auths $(auths)"
out=$("${nerdctl[@]}" logout "$good" 2>&1) || fail "logout: $out"
ok "login with no password: get and store of the bare host, and the helper's token lands in plain auths[\"$good:443\"] too"

echo "== credsStore: ecr-login"
docker_config '{"credsStore":"ecr-login"}'
reset_calls
offset=$(log_offset)
pull_ok "$image:1" "credsStore pull"
expect_transfer_path "$offset" "$good/v2/team/app/manifests/1"
# The first form already gets credentials, so nerdctl stops there.
expect_calls "credsStore pull" "get $good:443"
ok "pull asks the helper for $good:443 only"

reset_calls
before=$(e2e_stand_in_calls)
pull_fails "$bad/team/app:1" "$hang_secs" "credsStore, the refused account"
expect_calls "credsStore, the refused account" "get $bad:443" "get https://$bad:443" "get http://$bad:443" \
  "get $bad" "get https://$bad" "get http://$bad"
# One cause line per form, each the refused account's access denial, and nothing else from the helper.
lines=$(helper_lines)
[ "$(wc -l <<<"$lines")" -eq 6 ] && [ "$(grep -cF "ecr-login: access denied getting a token for $bad" <<<"$lines")" -eq 6 ] \
  || fail "six forms, six access-denied lines for $bad expected: $out"
# The refusal is never cached, so each form is one token request.
[ "$(($(e2e_stand_in_calls) - before))" -eq 6 ] || fail "credsStore, the refused account: $(($(e2e_stand_in_calls) - before)) token calls for six forms"
ok "credsStore: the refused account fails in ${elapsed} s after the six forms, each with the cause line (6 token calls)"

# `nerdctl login HOST` with no password: nerdctl asks the store, checks the answer against the
# registry and stores it under host:443 and the bare host, both in the helper now.
reset_calls
out=$("${nerdctl[@]}" login "$good" </dev/null 2>&1) || fail "credsStore login: $out"
grep -F "Login Succeeded" <<<"$out" >/dev/null || fail "credsStore login: $out"
expect_calls "credsStore login" "get $good:443" "store $good:443" "store $good"
[ "$(auths)" = "$good=- $good:443=-" ] || fail "credsStore login left auths $(auths)"
reset_calls
pull_ok "$image:1" "credsStore pull after login"
expect_calls "credsStore pull after login" "get $good:443"
reset_calls
out=$("${nerdctl[@]}" logout "$good" 2>&1) || fail "credsStore logout: $out"
expect_calls "credsStore logout" "erase $good:443" "erase https://$good:443" "erase http://$good:443" \
  "erase $good" "erase https://$good" "erase http://$good"
ok "credsStore login with no password (get, then store of $good:443 and $good), logout erases all six forms, pulls still use the helper"

echo "== negative control: a helper that answers the refused account with its cause on stdout"
# As the old helper did: exit 1 with a message that is not the not-found line.
mv "$work/bin/docker-credential-ecr-login" "$work/bin/recording-helper"
cat >"$work/bin/docker-credential-ecr-login" <<WRAP
#!/usr/bin/env bash
input=\$(cat; printf x)
input=\${input%x}
if [ "\$1" = get ] && [[ \$input == *$bad* ]]; then
  printf 'get %s\n' "\$input" >>"$work/calls.log"
  echo "access denied getting a token for \$input"
  exit 1
fi
printf '%s' "\$input" | exec "$work/bin/recording-helper" "\$@"
WRAP
chmod +x "$work/bin/docker-credential-ecr-login"
# credsStore: every form errors, nerdctl returns the last error, and containerd's client loop logs
# it and sends no answer, so the daemon waits on the stream for good (containerd#13500).
reset_calls
status=0
out=$(timeout "$control_secs" "${nerdctl[@]}" pull -q "$bad/team/app:1" 2>&1) || status=$?
[ "$status" -eq 124 ] || fail "control: with credsStore the old-style error did not hang the pull (exit $status): $out"
grep -F 'failed to get credentials' <<<"$out" >/dev/null || fail "control: the hang has another cause: $out"
ok "control: credsStore, an error answer hangs the pull (killed after $control_secs s):"
sed 's/^/    | /' <<<"$out"
# credHelpers: only the bare host reaches the helper; its error is overwritten by the next forms,
# which read the plain store without error, so nerdctl answers "no credentials" and the pull fails.
docker_config "$cred_helpers"
reset_calls
pull_fails "$bad/team/app:1" "$hang_secs" "control: credHelpers"
grep -F 'no basic auth credentials' <<<"$out" >/dev/null || fail "control: credHelpers failed for another reason: $out"
! grep -F 'access denied getting a token' <<<"$out" >/dev/null || fail "control: credHelpers showed the error answer after all: $out"
expect_calls "control: credHelpers" "get $bad"
ok "control: credHelpers, the same error answer does not hang (failed in ${elapsed} s), but its cause is never shown"
mv "$work/bin/recording-helper" "$work/bin/docker-credential-ecr-login"
pull_ok "$image:1" "the good registry after the hung pull"
ok "the daemon still pulls after the hung transfer was abandoned"

echo "== negative control: the registry restarted with another password"
e2e_registry_stop
e2e_registry "not-the-helpers-token"
refusals=$(e2e_aws_refusals)
pull_fails "$image:1" "$hang_secs" "control: another password"
e2e_expect_aws_refused "control: nerdctl" "$refusals" "$out"
ok "control: a registry that wants another password refuses the helper's login of user AWS (its log shows it):"
sed 's/^/    | /' <<<"$out"
