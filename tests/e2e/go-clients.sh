#!/usr/bin/env bash
# crane, oras, helm (v4) and regctl end to end, each built from its tools module in tests/e2e/go,
# in lib.sh's private mount and network namespace (only loopback). The registry is Debian's
# docker-registry on 127.0.0.1:443 for two ECR host names; the ECR API is the project's stand-in
# (--same-password, so a cold cache's new token is still the registry's password), which refuses
# the second account. Each client gets the CA the way its users give it: crane SSL_CERT_FILE, oras
# and helm --ca-file, regctl /etc/docker/certs.d. Every call the helper gets is recorded, and so is
# every call docker-credential-pass gets, and each client's calls are checked exactly.
#   credHelpers: crane pull/push/copy/digest, oras push/pull of a file, helm push/pull of a chart
#   made by `helm create` + `helm package`, regctl image digest/copy/export/import (regctl on a
#   cold cache); every push is checked in the registry's own storage, every pull by content.
#   A host the stand-in refuses: every client fails, and shows the helper's one-line cause.
#   credsStore ecr-login with `fallback = "pass"` (the real docker-credential-pass on a throwaway
#   gpg key): the same pulls and pushes; crane, oras and helm log in to a second, non-ECR registry
#   (registry.example.test:5443, its own htpasswd user), the login lands in pass through
#   ecr-login's fallback, pushes and pulls there use it, and logout erases it; oras and helm log
#   in to and out of the ECR host with the helper's token (store and erase succeed, pass gets none).
#   The registry restarted on another password: every client fails with 401.
#   Last, regctl with credsStore on a COLD cache and AWS_REGION set: regctl asks `list` first and
#   `get` only for the hosts `list` returned, so this works only if `list` names the caller's
#   default registry when the cache is empty.
#
# Run as root from the checkout: bash tests/e2e/go-clients.sh. It installs the Debian packages it
# needs, builds the helper, the stand-in and the four Go modules first (outside the namespace).
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
  cd "$(dirname "$0")/../.."
  e2e_need skopeo:skopeo docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl \
    ip:iproute2 unshare:util-linux pass:pass gpg:gnupg docker-credential-pass:golang-docker-credential-helpers
  cargo build --locked --quiet --bin docker-credential-ecr-login --example ecr-stand-in
  E2E_GO_BINS=$(tests/e2e/go/build crane oras helm regctl | paste -sd:)
  export E2E_GO_BINS
fi
e2e_enter "$0" "$@"
started=$SECONDS

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
bad=210987654321.dkr.ecr.us-east-1.amazonaws.com
hub=registry.example.test:5443 # not ECR: a registry with a login of its own
hub_user=hub-user
hub_pass=hub-pass
denied="ecr-login: access denied getting a token for $bad"

IFS=: read -r crane_dir oras_dir helm_dir regctl_dir <<<"${E2E_GO_BINS:?build the Go clients first}"
crane() { SSL_CERT_FILE=$work/ca.crt "$crane_dir/crane" "$@"; }
# oras and helm get --ca-file on every command that talks to a registry; regctl reads certs.d.
oras() { "$oras_dir/oras" "$@"; }
helm() { "$helm_dir/helm" "$@"; }
regctl() { "$regctl_dir/regctl" "$@"; }

e2e_hosts "$good" "$bad" "${hub%:*}"
e2e_certs "$good" "$bad" "${hub%:*}"
# regctl reads Docker's certs.d (a folder per host[:port] holding the CA).
e2e_certs_d "$good" "$bad" "$hub"
e2e_stand_in --same-password --deny 210987654321
e2e_helper_env
token=$(e2e_token "$good")
[ -n "$token" ] || fail "no token from the helper"
e2e_registry "$token"
e2e_seed "$good/team/app:1" "$token"
e2e_record_calls

# docker-credential-pass, recorded the same way: helm may call it on its own, and ecr-login's
# fallback calls it for every host that is not ECR. Lines start with "pass " (never a secret).
pass_helper=$(command -v docker-credential-pass)
cat >"$work/bin/docker-credential-pass" <<WRAP
#!/usr/bin/env bash
input=\$(cat; printf x)
input=\${input%x}
case "\$1" in
  get|erase) call="\$1 \$input" ;;
  store) call="store \$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("ServerURL"))' <<<"\$input")" ;;
  *) call=\$1 ;;
esac
echo "pass \$call" >>"$work/calls.log"
printf '%s' "\$input" | exec "$pass_helper" "\$@"
WRAP
chmod +x "$work/bin/docker-credential-pass"

cd "$work"
out=$work/out.txt

# Runs a client command, its stdout and stderr kept in $out; a failure shows them.
run() { # $1: what it is; the rest: the command
  local what=$1
  shift
  "$@" >"$out" 2>&1 || fail "$what: $(cat "$out")"
}
# Runs a client command that must fail; $out holds what it said.
refused() { # $1: what it is; the rest: the command
  local what=$1
  shift
  if "$@" >"$out" 2>&1; then
    fail "$what succeeded, so the test proves nothing: $(cat "$out")"
  fi
}
# The digest a tag points to in a registry's own storage: proof a push landed, read without any
# client or credential.
landed() { # $1: registry data folder; $2: repository; $3: tag
  local link=$1/docker/registry/v2/repositories/$2/_manifests/tags/$3/current/link
  [ -s "$link" ] || fail "nothing was pushed to $2:$3"
  cat "$link"
}
# The calls since the last reset must be exactly the lines given (in any order, repeats allowed).
calls_are() { # $1: the client; the rest: the expected lines
  local who=$1
  shift
  local want got
  want=$(printf '%s\n' "$@" | LC_ALL=C sort -u)
  got=$(LC_ALL=C sort -u "$work/calls.log")
  [ "$got" = "$want" ] || fail "$who: the helpers got
$(cat "$work/calls.log")
expected the lines
$want"
  echo "    $who's calls, in order ($(wc -l <"$work/calls.log") in all):"
  uniq -c "$work/calls.log" | sed 's/^/    | /'
  : >"$work/calls.log"
}

seed_digest=$(landed "$work/registry-data" team/app 1)

# A chart of our own, and an artifact file (oras refuses absolute paths, so both live in $work).
helm create mychart >/dev/null
# helm pull -d does not create its folder: it fails writing the chart into a missing one.
mkdir helm-pulled helm-bad helm-pulled-store helm-pulled-hub helm-401
helm package mychart -d "$work" >/dev/null
chart=$work/mychart-0.1.0.tgz
echo "pushed by oras through ecr-login" >artifact.txt

cred_helpers='{"credHelpers":{"'$good'":"ecr-login","'$bad'":"ecr-login"}}'
export DOCKER_CONFIG=$work/docker-helpers
mkdir -p "$DOCKER_CONFIG"
printf '%s\n' "$cred_helpers" >"$DOCKER_CONFIG/config.json"
: >"$work/calls.log"

echo "== credHelpers: $good and $bad routed to ecr-login in \$DOCKER_CONFIG/config.json"

echo "-- crane $(crane version)"
run "crane digest" crane digest "$good/team/app:1"
[ "$(cat "$out")" = "$seed_digest" ] || fail "crane digest: $(cat "$out"), the registry has $seed_digest"
run "crane pull" crane pull --format oci "$good/team/app:1" crane-oci
run "crane push" crane push crane-oci "$good/team/app:crane"
[ "$(landed "$work/registry-data" team/app crane)" = "$seed_digest" ] || fail "crane push: another manifest landed"
run "crane copy" crane copy "$good/team/app:1" "$good/team/app:crane-copy"
[ "$(landed "$work/registry-data" team/app crane-copy)" = "$seed_digest" ] || fail "crane copy: another manifest landed"
ok "crane: digest, pull, push and copy; both pushes landed with the seed's digest"
# crane asks for host/repository first; credHelpers has no such key, so docker's config answers
# that one from its (empty) auths and only the bare host reaches the helper.
calls_are crane "get $good"

oras_version=$(oras version | awk '/^Version:/ {print $2}')
echo "-- oras $oras_version"
run "oras push" oras push --ca-file "$work/ca.crt" "$good/team/artifact:oras" artifact.txt:text/plain
landed "$work/registry-data" team/artifact oras >/dev/null
run "oras pull" oras pull --ca-file "$work/ca.crt" -o oras-pulled "$good/team/artifact:oras"
cmp artifact.txt oras-pulled/artifact.txt || fail "oras pull: the file differs"
ok "oras: push of a file landed, pull gives the same file"
calls_are oras "get $good"

echo "-- helm $(helm version --template '{{.Version}}') (module v4.3.2)"
# helm's own registry config (~/.config/helm/registry/config.json) is empty, so helm's oras-go
# picks a default native store, docker-credential-pass (pass is on PATH), and asks it first; only
# when that answers empty does it read docker's config. Debian's docker-credential-pass 0.6.4
# answers a host it does not keep with empty fields and exit 0 (its store initialised or not),
# which helm reads as "nothing here". A store that failed instead would stop helm there: oras-go's
# chain of stores ends at the first error.
run "helm push" helm push "$chart" "oci://$good/team" --ca-file "$work/ca.crt"
landed "$work/registry-data" team/mychart 0.1.0 >/dev/null
run "helm pull" helm pull "oci://$good/team/mychart" --version 0.1.0 --ca-file "$work/ca.crt" -d helm-pulled
cmp "$chart" helm-pulled/mychart-0.1.0.tgz || fail "helm pull: the chart differs"
ok "helm: push of a chart landed, pull gives the same chart"
calls_are helm "pass get $good" "get $good"

echo "-- regctl $(regctl version --format '{{.VCSTag}}'), on a cold cache"
# A fresh cache: regctl's get for the credHelpers key makes the helper fetch a token.
regctl_calls_before=$(e2e_stand_in_calls)
AWS_ECR_CACHE_DIR=$work/cache-regctl-helpers run "regctl image digest" regctl image digest "$good/team/app:1"
[ "$(cat "$out")" = "$seed_digest" ] || fail "regctl image digest: $(cat "$out"), the registry has $seed_digest"
[ "$(e2e_stand_in_calls)" -gt "$regctl_calls_before" ] || fail "regctl on a cold cache made no token request"
run "regctl image copy" regctl image copy "$good/team/app:1" "$good/team/app:regctl-copy"
[ "$(landed "$work/registry-data" team/app regctl-copy)" = "$seed_digest" ] || fail "regctl image copy: another manifest landed"
run "regctl image export" regctl image export "$good/team/app:1" regctl.tar
run "regctl image import" regctl image import "$good/team/app:regctl-import" regctl.tar
[ "$(landed "$work/registry-data" team/app regctl-import)" = "$seed_digest" ] \
  || fail "regctl image import: the exported and imported image has another digest"
ok "regctl: digest (cold cache), copy, export and import; both pushes landed"
calls_are regctl "get $good"

echo "== a host whose token the stand-in refuses ($bad, same registry): each client fails and shows why"
check_refused() { # $1: the client; it already ran, and $out holds what it said
  grep -F "$denied" "$out" >/dev/null || fail "$1: the helper's cause is not on the client's output: $(cat "$out")"
  ok "$1 against $bad fails and shows the helper's cause:"
  sed 's/^/    | /' "$out"
}
refused "crane digest $bad" crane digest "$bad/team/app:1"
grep -iE '401|unauthorized' "$out" >/dev/null || fail "crane: refused for another reason: $(cat "$out")"
check_refused crane
calls_are crane "get $bad"
refused "oras pull $bad" oras pull --ca-file "$work/ca.crt" -o oras-bad "$bad/team/artifact:oras"
# oras-go has no password for a Basic challenge, so it stops before sending a request with one
# ("basic credential not found"); the 401 it answered is not in its message.
grep -iE '401|unauthorized|basic credential not found' "$out" >/dev/null \
  || fail "oras: refused for another reason: $(cat "$out")"
check_refused oras
calls_are oras "get $bad"
refused "helm pull $bad" helm pull "oci://$bad/team/mychart" --version 0.1.0 --ca-file "$work/ca.crt" -d helm-bad
grep -iE '401|unauthorized|basic credential not found' "$out" >/dev/null \
  || fail "helm: refused for another reason: $(cat "$out")"
check_refused helm
calls_are helm "pass get $bad" "get $bad"
refused "regctl image digest $bad" regctl image digest "$bad/team/app:1"
grep -iE '401|unauthorized' "$out" >/dev/null || fail "regctl: refused for another reason: $(cat "$out")"
check_refused regctl
calls_are regctl "get $bad"

echo "== credsStore: ecr-login, with fallback = \"pass\" (docker-credential-pass) for every other registry"
htpasswd -Bbn "$hub_user" "$hub_pass" >"$work/hub-htpasswd"
# The ECR registry's own config, moved to another port, folder and htpasswd file.
sed -e "s|127.0.0.1:443|127.0.0.1:${hub#*:}|; s|$work/registry-data|$work/hub-data|; s|$work/htpasswd|$work/hub-htpasswd|" \
  "$work/registry.yml" >"$work/hub.yml"
docker-registry serve "$work/hub.yml" >>"$work/hub.log" 2>&1 &
pids+=($!)
wait_port "${hub#*:}"

# pass on a throwaway gpg key without a passphrase, private to this run.
export GNUPGHOME=$work/gnupg PASSWORD_STORE_DIR=$work/pass
mkdir -m 700 "$GNUPGHOME"
e2e_on_exit gpgconf --kill gpg-agent
gpg --batch --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'ecr-login e2e <e2e@ecr-login.invalid>' future-default default never >/dev/null 2>&1
pass init "$(gpg --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" >/dev/null 2>&1

export DOCKER_CONFIG=$work/docker-store
mkdir -p "$DOCKER_CONFIG" "$HOME/.config/ecr-login"
printf '{"credsStore":"ecr-login"}\n' >"$DOCKER_CONFIG/config.json"
printf 'fallback = "pass"\n' >"$HOME/.config/ecr-login/config.toml"
# helm's own registry config is where `helm registry login` stores: pointed at docker's config it
# goes through credsStore, so to ecr-login and its fallback. Left empty, helm would pick pass
# itself (as above) and ecr-login would never see the login.
export HELM_REGISTRY_CONFIG=$DOCKER_CONFIG/config.json
: >"$work/calls.log"

in_pass() { # $1: a host; succeeds when pass keeps a login for it
  local stored
  stored=$("$pass_helper" list </dev/null)
  grep -F "\"$1\":\"$hub_user\"" <<<"$stored" >/dev/null
}

echo "-- crane"
run "crane digest" crane digest "$good/team/app:1"
[ "$(cat "$out")" = "$seed_digest" ] || fail "crane digest: $(cat "$out")"
run "crane pull" crane pull --format oci "$good/team/app:1" crane-oci-store
run "crane push" crane push crane-oci-store "$good/team/app:crane-store"
[ "$(landed "$work/registry-data" team/app crane-store)" = "$seed_digest" ] || fail "crane push: another manifest landed"
run "crane copy" crane copy "$good/team/app:1" "$good/team/app:crane-store-copy"
[ "$(landed "$work/registry-data" team/app crane-store-copy)" = "$seed_digest" ] || fail "crane copy: another manifest landed"
ok "crane: digest, pull, push and copy with credsStore"
# With credsStore every key reaches the helper: host/repository first, which answers.
calls_are crane "get $good/team/app"
printf '%s' "$hub_pass" | run "crane auth login $hub" crane auth login "$hub" -u "$hub_user" --password-stdin
in_pass "$hub" || fail "crane auth login: $hub is not in pass"
ok "crane auth login $hub landed in pass through ecr-login's fallback"
calls_are crane "store $hub" "pass store $hub"
run "crane push to $hub" crane push crane-oci-store "$hub/team/app:crane"
[ "$(landed "$work/hub-data" team/app crane)" = "$seed_digest" ] || fail "crane push to $hub: another manifest landed"
run "crane pull from $hub" crane pull --format oci "$hub/team/app:crane" crane-oci-hub
ok "crane: push and pull on $hub with the login pass keeps"
# pass keeps the login under the bare host, and answers host/repository with empty fields and exit
# 0; ecr-login passes that through unchanged, and crane goes on to the bare host.
calls_are crane "get $hub/team/app" "pass get $hub/team/app" "get $hub" "pass get $hub"
run "crane auth logout $hub" crane auth logout "$hub"
! in_pass "$hub" || fail "crane auth logout: $hub is still in pass"
calls_are crane "erase $hub" "pass erase $hub"
ok "crane auth logout erased $hub from pass"

echo "-- oras"
run "oras push" oras push --ca-file "$work/ca.crt" "$good/team/artifact:oras-store" artifact.txt:text/plain
landed "$work/registry-data" team/artifact oras-store >/dev/null
run "oras pull" oras pull --ca-file "$work/ca.crt" -o oras-pulled-store "$good/team/artifact:oras-store"
cmp artifact.txt oras-pulled-store/artifact.txt || fail "oras pull: the file differs"
ok "oras: push and pull with credsStore"
calls_are oras "get $good"
# `aws ecr get-login-password | oras login`: oras checks the password with the registry, then
# stores it; ecr-login keeps nothing for an ECR host and succeeds, and logout likewise.
printf '%s' "$token" | run "oras login $good" oras login --ca-file "$work/ca.crt" -u AWS --password-stdin "$good"
run "oras logout $good" oras logout "$good"
[ "$("$pass_helper" list </dev/null)" = "{}" ] || fail "oras login $good: something landed in pass"
ok "oras login and logout $good: store and erase succeed, nothing reaches pass"
calls_are oras "store $good" "erase $good"
printf '%s' "$hub_pass" | run "oras login $hub" oras login --ca-file "$work/ca.crt" -u "$hub_user" --password-stdin "$hub"
in_pass "$hub" || fail "oras login: $hub is not in pass"
ok "oras login $hub landed in pass through ecr-login's fallback"
calls_are oras "store $hub" "pass store $hub"
run "oras push to $hub" oras push --ca-file "$work/ca.crt" "$hub/team/artifact:oras" artifact.txt:text/plain
landed "$work/hub-data" team/artifact oras >/dev/null
run "oras pull from $hub" oras pull --ca-file "$work/ca.crt" -o oras-pulled-hub "$hub/team/artifact:oras"
cmp artifact.txt oras-pulled-hub/artifact.txt || fail "oras pull from $hub: the file differs"
ok "oras: push and pull on $hub with the login pass keeps"
calls_are oras "get $hub" "pass get $hub"
run "oras logout $hub" oras logout "$hub"
! in_pass "$hub" || fail "oras logout: $hub is still in pass"
calls_are oras "erase $hub" "pass erase $hub"
ok "oras logout erased $hub from pass"

echo "-- helm"
run "helm push" helm push "$chart" "oci://$good/team/store" --ca-file "$work/ca.crt"
landed "$work/registry-data" team/store/mychart 0.1.0 >/dev/null
run "helm pull" helm pull "oci://$good/team/store/mychart" --version 0.1.0 --ca-file "$work/ca.crt" -d helm-pulled-store
cmp "$chart" helm-pulled-store/mychart-0.1.0.tgz || fail "helm pull: the chart differs"
ok "helm: push and pull of a chart with credsStore"
calls_are helm "get $good"
printf '%s' "$token" | run "helm registry login $good" \
  helm registry login "$good" -u AWS --password-stdin --ca-file "$work/ca.crt"
run "helm registry logout $good" helm registry logout "$good"
[ "$("$pass_helper" list </dev/null)" = "{}" ] || fail "helm registry login $good: something landed in pass"
ok "helm registry login and logout $good: store and erase succeed, nothing reaches pass"
calls_are helm "store $good" "erase $good"
printf '%s' "$hub_pass" | run "helm registry login $hub" \
  helm registry login "$hub" -u "$hub_user" --password-stdin --ca-file "$work/ca.crt"
in_pass "$hub" || fail "helm registry login: $hub is not in pass"
ok "helm registry login $hub landed in pass through ecr-login's fallback"
calls_are helm "store $hub" "pass store $hub"
run "helm push to $hub" helm push "$chart" "oci://$hub/team" --ca-file "$work/ca.crt"
landed "$work/hub-data" team/mychart 0.1.0 >/dev/null
run "helm pull from $hub" helm pull "oci://$hub/team/mychart" --version 0.1.0 --ca-file "$work/ca.crt" -d helm-pulled-hub
cmp "$chart" helm-pulled-hub/mychart-0.1.0.tgz || fail "helm pull from $hub: the chart differs"
ok "helm: push and pull on $hub with the login pass keeps"
calls_are helm "get $hub" "pass get $hub"

echo "-- regctl, on the cache the clients above filled"
# regctl asks `list` when it loads docker's config and registers only the hosts it returns: ours
# from the cache, and pass's (helm's login to $hub is still there).
run "regctl image digest" regctl image digest "$good/team/app:1"
[ "$(cat "$out")" = "$seed_digest" ] || fail "regctl image digest: $(cat "$out")"
run "regctl image copy" regctl image copy "$good/team/app:1" "$good/team/app:regctl-store-copy"
[ "$(landed "$work/registry-data" team/app regctl-store-copy)" = "$seed_digest" ] || fail "regctl image copy: another manifest landed"
run "regctl image export" regctl image export "$good/team/app:1" regctl-store.tar
run "regctl image import" regctl image import "$good/team/app:regctl-store-import" regctl-store.tar
[ "$(landed "$work/registry-data" team/app regctl-store-import)" = "$seed_digest" ] \
  || fail "regctl image import: the exported and imported image has another digest"
run "regctl image digest on $hub" regctl image digest "$hub/team/app:crane"
[ "$(cat "$out")" = "$seed_digest" ] || fail "regctl image digest on $hub: $(cat "$out")"
ok "regctl: digest, copy, export and import with credsStore, and $hub's login from pass through list and get"
calls_are regctl "list" "pass list" "get $good" "get $hub" "pass get $hub"
run "helm registry logout $hub" helm registry logout "$hub"
! in_pass "$hub" || fail "helm registry logout: $hub is still in pass"
calls_are helm "erase $hub" "pass erase $hub"
ok "helm registry logout erased $hub from pass"

echo "== negative control: the registry accepts another password, so the helper's must fail with 401"
# Each client still gets the helper's password (its calls are checked) and sends it: the registry's
# log shows it refused user AWS. Only the registry changed.
e2e_registry_stop
e2e_registry "not-the-token"
refusals=$(e2e_aws_refusals)
refused "crane pull" crane digest "$good/team/app:1"
e2e_expect_aws_refused crane "$refusals" "$(cat "$out")"
ok "crane refused, and the registry's log shows it refused user AWS: $(tail -n 1 "$out")"
calls_are crane "get $good/team/app"
refusals=$(e2e_aws_refusals)
refused "oras pull" oras pull --ca-file "$work/ca.crt" -o oras-401 "$good/team/artifact:oras"
e2e_expect_aws_refused oras "$refusals" "$(cat "$out")"
ok "oras refused, and the registry's log shows it refused user AWS: $(tail -n 1 "$out")"
calls_are oras "get $good"
refusals=$(e2e_aws_refusals)
refused "helm pull" helm pull "oci://$good/team/mychart" --version 0.1.0 --ca-file "$work/ca.crt" -d helm-401
e2e_expect_aws_refused helm "$refusals" "$(cat "$out")"
ok "helm refused, and the registry's log shows it refused user AWS: $(tail -n 1 "$out")"
calls_are helm "get $good"
refusals=$(e2e_aws_refusals)
refused "regctl image digest" regctl image digest "$good/team/app:1"
e2e_expect_aws_refused regctl "$refusals" "$(cat "$out")"
ok "regctl refused, and the registry's log shows it refused user AWS: $(tail -n 1 "$out")"
calls_are regctl "list" "pass list" "get $good"
e2e_registry_stop
e2e_registry "$token"

echo "== regctl with credsStore on a cold cache, AWS_REGION=us-east-1"
# Nothing has asked for a token in this cache: only `list` can tell regctl that ecr-login serves
# $good, and it can know only by asking ECR for the caller's default registry.
cold_before=$(e2e_stand_in_calls)
cold=(env AWS_ECR_CACHE_DIR="$work/cache-regctl-store" AWS_REGION=us-east-1)
if ! "${cold[@]}" "$regctl_dir/regctl" image digest "$good/team/app:1" >"$out" 2>&1; then
  fail "regctl with credsStore on a cold cache: $(cat "$out")
  the helpers got: $(paste -sd, "$work/calls.log")
  token requests meanwhile: $(($(e2e_stand_in_calls) - cold_before))
  list on another cold cache answers: $(env AWS_ECR_CACHE_DIR="$work/cache-list" AWS_REGION=us-east-1 "$helper" list </dev/null)"
fi
[ "$(cat "$out")" = "$seed_digest" ] || fail "regctl image digest on a cold cache: $(cat "$out")"
[ "$(e2e_stand_in_calls)" -gt "$cold_before" ] || fail "regctl on a cold cache made no token request"
ok "regctl with credsStore on a cold cache: list named $good, and its get answered"
calls_are regctl "list" "pass list" "get $good"

echo "e2e go-clients: crane, oras, helm and regctl passed in $((SECONDS - started)) s"
