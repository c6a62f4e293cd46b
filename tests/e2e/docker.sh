#!/usr/bin/env bash
# docker end to end, with a real daemon: Debian's dockerd (20.10) runs in a private mount and
# network namespace (only loopback), beside Debian's docker-registry serving TLS on 127.0.0.1:443
# for a real ECR host name, whose CA the daemon trusts through a private
# /etc/docker/certs.d/<host>/ca.crt. The ECR API is the project's stand-in, which refuses a second
# account with AccessDeniedException. Every docker CLI on PATH (Debian's 20.10 and a current one,
# 28 or newer: both must be there) gets its credentials through credHelpers only and must:
#   push an image made with `docker import`, pull it and read its content back;
#   log in with the helper's token and log out (store and erase);
#   be refused a wrong password by the registry;
#   run a classic build (DOCKER_BUILDKIT=0) FROM the working registry while credHelpers also names
#   the failing one, and show the failing one's cause from the helper's stderr.
# Then, with `credsStore: ecr-login` set by `configure docker --creds-store` over an existing
# `credsStore: pass` (the real docker-credential-pass, on a throwaway gpg key): `docker login` to a
# second, non-ECR registry lands in pass through the fallback, pushes and pulls there use it, a
# custom domain in front of the ECR registry ([[alias]]) pulls with the ECR token, ECR pulls still
# come from ecr-login, and logout erases from pass.
# Negative controls: with a helper that answers the failing host as the old one did (its cause on
# stdout), the 20.10 CLI's classic build sends the daemon no credentials for any registry and
# fails on its FROM pull; with the registry restarted on another password, pulls fail with 401 and
# the registry's log shows it refused the login of user AWS (not an anonymous request).
# Run by tests/e2e/run (root; it installs the packages). Nothing listens outside the namespace.
source "$(dirname "$0")/lib.sh"
e2e_enter "$0" "$@"

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
bad=210987654321.dkr.ecr.us-east-1.amazonaws.com
alias_host=ecr.example.test          # a custom domain in front of $good, same registry
hub=registry.example.test:5443       # a registry that is not ECR, with a login of its own

dockerd_pid=
# pass started a gpg-agent for the throwaway key; the daemon goes before the registries.
e2e_on_exit '[ -n "${GNUPGHOME:-}" ] && gpgconf --kill gpg-agent 2>/dev/null'
e2e_on_exit '[ -n "$dockerd_pid" ] && kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null'

e2e_hosts "$good" "$bad" "$alias_host" "${hub%:*}"

# A CA, a certificate for the registry's ECR host name and its alias, and one for the hub.
e2e_certs "$good" "$alias_host"
(
  cd "$work"
  openssl req -newkey rsa:2048 -nodes -keyout hub.key -out hub.csr -subj "/CN=${hub%:*}"
  printf 'subjectAltName=DNS:%s\n' "${hub%:*}" >hub.ext
  openssl x509 -req -in hub.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out hub.crt -days 2 -extfile hub.ext
) >/dev/null 2>&1 || fail "openssl could not make the hub's certificate"
# The daemon's certs.d, private to this namespace (docker.io and docker-registry create /etc/docker).
e2e_certs_d "$good" "$alias_host" "$hub"
e2e_stand_in --deny 210987654321

# The environment every docker CLI runs in, and so the helper it starts.
e2e_helper_env
mkdir -p "$work/docker-config"
export DOCKER_CONFIG="$work/docker-config" DOCKER_HOST="unix://$work/docker.sock"
unset DOCKER_BUILDKIT
printf '{"credHelpers":{"%s":"ecr-login","%s":"ecr-login"}}\n' "$good" "$bad" >"$DOCKER_CONFIG/config.json"

# One get fetches the 12-hour token and caches it; the registry accepts that password only.
token=$(e2e_token "$good")
[ -n "$token" ] || fail "no token from the helper"

e2e_registry "$token"

dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
  --data-root="$work/docker-data" --exec-root="$work/docker-exec" --pidfile="$work/docker.pid" \
  -H "$DOCKER_HOST" >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null 2>&1 || fail "dockerd did not start: $(tail -n 20 "$work/dockerd.log")"
ok "dockerd $(docker version --format '{{.Server.Version}}') runs in a private namespace"

mkdir -p "$work/rootfs"
echo "pushed through ecr-login at $(date +%s%N)" >"$work/rootfs/hello.txt"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .

# docs/protocol.md promises both docker 20.10 (Debian's docker.io, whose classic builder the control below
# needs) and a current one (28, the machine image's /usr/local/bin/docker): both must be here.
clis=$(for cli in $(which -a docker); do readlink -f "$cli"; done | sort -u)
legacy_cli=
current_cli=
for cli in $clis; do
  case $("$cli" version --format '{{.Client.Version}}') in
    20.10.*) legacy_cli=$cli ;;
    2[89].* | [3-9][0-9].*) current_cli=$cli ;;
  esac
done
[ -n "$legacy_cli" ] || fail "no docker 20.10 CLI on PATH (Debian's docker.io), which docs/protocol.md says is checked; found: ${clis:-none}"
[ -n "$current_cli" ] || fail "no docker 28 or newer CLI on PATH, which docs/protocol.md says is checked; found: ${clis:-none}"
e2e_record_calls
for cli in $clis; do
  version=$("$cli" version --format '{{.Client.Version}}')
  tag=cli-$(tr -c 'a-zA-Z0-9_.\n' '-' <<<"$version")
  image=$good/team/app:$tag
  echo "== docker CLI $version ($cli)"

  "$cli" import "$work/rootfs.tar" "$image" >/dev/null
  "$cli" push "$image" >/dev/null
  ok "$version: push"
  "$cli" rmi "$image" >/dev/null
  "$cli" pull "$image" >/dev/null
  container=$("$cli" create "$image" /hello.txt)
  "$cli" cp "$container:/hello.txt" "$work/pulled-$tag.txt"
  "$cli" rm "$container" >/dev/null
  cmp "$work/rootfs/hello.txt" "$work/pulled-$tag.txt" || fail "$version: the pulled image's content differs"
  ok "$version: pull, same content"

  out=$(printf '%s' "$token" | "$cli" login "$good" --username AWS --password-stdin 2>&1) || fail "$version: login: $out"
  grep -F "Login Succeeded" <<<"$out" >/dev/null || fail "$version: login: $out"
  : >"$work/exits.log"
  out=$("$cli" logout "$good" 2>&1) || fail "$version: logout: $out"
  # docker logout succeeds whatever the helper answers: the helper's own exit status says.
  grep -Fx "erase $good 0" "$work/exits.log" >/dev/null || fail "$version: logout: the helper's erase of $good did not succeed: $(cat "$work/exits.log")"
  ok "$version: login with the helper's token and logout (store and erase succeed: the helper's erase of $good exited 0)"
  "$cli" rmi "$image" >/dev/null
  "$cli" pull "$image" >/dev/null || fail "$version: no credentials after logout"
  ok "$version: credentials still come from the helper after logout"

  if out=$(printf 'not-the-token' | "$cli" login "$good" --username AWS --password-stdin 2>&1); then
    fail "$version: the registry accepted a wrong password: $out"
  fi
  grep -iE '401|unauthorized' <<<"$out" >/dev/null || fail "$version: wrong password failed without a 401: $out"
  ok "$version: a wrong password is refused by the registry"

  "$cli" rmi "$image" >/dev/null
  mkdir -p "$work/build-$tag"
  printf 'FROM %s\nLABEL built-by=ecr-login-e2e\n' "$image" >"$work/build-$tag/Dockerfile"
  out=$(DOCKER_BUILDKIT=0 "$cli" build -t "local/built:$tag" "$work/build-$tag" 2>&1) \
    || fail "$version: the classic build failed although only the other registry's token is refused: $out"
  grep -F "ecr-login: access denied getting a token for $bad" <<<"$out" >/dev/null \
    || fail "$version: the classic build does not show the failing registry's cause: $out"
  ok "$version: classic build FROM $good passes while $bad fails, and shows why:"
  sed 's/^/    | /' <<<"$out"
done

echo "== credsStore: ecr-login, with docker-credential-pass as the fallback for every other registry"
cat >"$work/hub.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/hub-data
http:
  addr: 127.0.0.1:${hub#*:}
  tls:
    certificate: $work/hub.crt
    key: $work/hub.key
auth:
  htpasswd:
    realm: ecr-login-e2e-hub
    path: $work/hub-htpasswd
YAML
htpasswd -Bbn hub-user hub-pass >"$work/hub-htpasswd"
docker-registry serve "$work/hub.yml" >>"$work/hub.log" 2>&1 &
pids+=($!)
wait_port "${hub#*:}"

# pass on a throwaway gpg key without a passphrase, private to this run.
export GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/pass"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'ecr-login e2e <e2e@ecr-login.invalid>' future-default default never >/dev/null 2>&1
pass init "$(gpg --list-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')" >/dev/null

export DOCKER_CONFIG="$work/docker-config-store"
mkdir -p "$DOCKER_CONFIG" "$HOME/.config/ecr-login"
printf '{"auths":{},"credsStore":"pass"}\n' >"$DOCKER_CONFIG/config.json"
cat >"$HOME/.config/ecr-login/config.toml" <<TOML
[[alias]]
host = "$alias_host"
registry = "$good"
TOML
docker-credential-ecr-login configure docker --creds-store
# From here the helper on PATH notes each get's host (never a store's input, which holds a secret).
rm "$work/bin/docker-credential-ecr-login"
cat >"$work/bin/docker-credential-ecr-login" <<WRAP
#!/usr/bin/env bash
if [ "\$1" = get ]; then
  input=\$(cat)
  echo "get \$input" >>"$work/gets.log"
  printf '%s' "\$input" | "$root/target/debug/docker-credential-ecr-login" get
  exit
fi
exec "$root/target/debug/docker-credential-ecr-login" "\$@"
WRAP
chmod +x "$work/bin/docker-credential-ecr-login"
python3 - "$DOCKER_CONFIG/config.json" <<'PY' || fail "configure --creds-store did not set credsStore"
import json, sys
assert json.load(open(sys.argv[1]))["credsStore"] == "ecr-login"
PY
grep -x 'fallback = "pass".*' "$HOME/.config/ecr-login/config.toml" >/dev/null \
  || fail "configure --creds-store did not move pass into fallback: $(cat "$HOME/.config/ecr-login/config.toml")"
ok "configure docker --creds-store: credsStore ecr-login, pass became the fallback"

for cli in $clis; do
  version=$("$cli" version --format '{{.Client.Version}}')
  tag=cli-$(tr -c 'a-zA-Z0-9_.\n' '-' <<<"$version")
  echo "== docker CLI $version with credsStore ecr-login"
  out=$(printf 'hub-pass' | "$cli" login "$hub" --username hub-user --password-stdin 2>&1) || fail "$version: login to $hub: $out"
  stored=$(docker-credential-pass list)
  grep -F "\"$hub\":\"hub-user\"" <<<"$stored" >/dev/null || fail "$version: the login to $hub is not in pass: $stored"
  ok "$version: docker login $hub landed in pass"
  "$cli" tag "$good/team/app:$tag" "$hub/team/app:$tag"
  "$cli" push "$hub/team/app:$tag" >/dev/null || fail "$version: push to $hub with the fallback's credentials"
  "$cli" rmi "$hub/team/app:$tag" >/dev/null
  "$cli" pull "$hub/team/app:$tag" >/dev/null || fail "$version: pull from $hub with the fallback's credentials"
  ok "$version: push and pull on $hub with the credentials pass keeps"

  : >"$work/gets.log"
  "$cli" rmi "$good/team/app:$tag" >/dev/null
  "$cli" pull "$good/team/app:$tag" >/dev/null || fail "$version: ECR pull with credsStore ecr-login"
  "$cli" pull "$alias_host/team/app:$tag" >/dev/null || fail "$version: pull through the alias $alias_host"
  for host in "$good" "$alias_host"; do
    grep -x "get $host" "$work/gets.log" >/dev/null || fail "$version: no get for $host reached ecr-login: $(cat "$work/gets.log")"
  done
  ok "$version: ECR pulls still come from ecr-login, and the alias $alias_host pulls with $good's token"

  listed=$(docker-credential-ecr-login list)
  for host in "$good" "$alias_host" "$hub"; do
    grep -F "\"$host\"" <<<"$listed" >/dev/null || fail "$version: list lacks $host: $listed"
  done
  "$cli" logout "$hub" >/dev/null || fail "$version: logout from $hub"
  stored=$(docker-credential-pass list)
  ! grep -F "$hub" <<<"$stored" >/dev/null || fail "$version: logout did not erase $hub from pass: $stored"
  ok "$version: list merges ecr-login's hosts and pass's; logout erased $hub from pass"
done
echo "== negative control: the same login without the fallback"
cp "$HOME/.config/ecr-login/config.toml" "$work/config-with-fallback.toml"
sed -i '/^fallback = /d' "$HOME/.config/ecr-login/config.toml"
if out=$(printf 'hub-pass' | docker login "$hub" --username hub-user --password-stdin 2>&1); then
  fail "negative control: docker login $hub succeeded with no fallback, so the test proves nothing: $out"
fi
grep -F "ecr-login keeps no credentials for" <<<"$out" >/dev/null || fail "negative control: login failed for another reason: $out"
ok "without fallback, ecr-login refuses to keep $hub's login (what the Go helper's credsStore users meet)"
cp "$work/config-with-fallback.toml" "$HOME/.config/ecr-login/config.toml"
docker-credential-ecr-login configure docker --creds-store --undo >/dev/null
python3 - "$DOCKER_CONFIG/config.json" <<'PY' || fail "configure --creds-store --undo did not restore credsStore pass"
import json, sys
assert json.load(open(sys.argv[1]))["credsStore"] == "pass"
PY
ok "configure docker --creds-store --undo: credsStore is pass again"
export DOCKER_CONFIG="$work/docker-config"
rm -f "$HOME/.config/ecr-login/config.toml" "$work/bin/docker-credential-ecr-login"
ln -s "$root/target/debug/docker-credential-ecr-login" "$work/bin/docker-credential-ecr-login"

echo "== negative control: a helper that puts the failing registry's cause on stdout, as before"
mkdir -p "$work/old-bin"
cat >"$work/old-bin/docker-credential-ecr-login" <<OLD
#!/usr/bin/env bash
# The answer ecr-login gave before: a failure's cause on stdout, not the not-found line.
if [ "\$1" = get ]; then
  input=\$(cat)
  if [ "\$input" = "$bad" ]; then
    echo "access denied getting a token for $bad"
    exit 1
  fi
  printf '%s' "\$input" | "$root/target/debug/docker-credential-ecr-login" get
  exit
fi
exec "$root/target/debug/docker-credential-ecr-login" "\$@"
OLD
chmod +x "$work/old-bin/docker-credential-ecr-login"
image=$good/team/app:control
"$legacy_cli" tag "$good/team/app:cli-$(tr -c 'a-zA-Z0-9_.\n' '-' <<<"$("$legacy_cli" version --format '{{.Client.Version}}')")" "$image"
"$legacy_cli" push "$image" >/dev/null
"$legacy_cli" rmi "$image" >/dev/null
mkdir -p "$work/build-control"
printf 'FROM %s\n' "$image" >"$work/build-control/Dockerfile"
refusals=$(e2e_aws_refusals)
log_lines=$(wc -l <"$work/registry.log")
if out=$(PATH="$work/old-bin:$PATH" DOCKER_BUILDKIT=0 "$legacy_cli" build "$work/build-control" 2>&1); then
  fail "negative control: docker 20.10's classic build passed with the old answer, so the test proves nothing: $out"
fi
# The cause, as 20.10 shows it: its CLI ignores GetAllCredentials' error and sends the daemon no
# credentials for any registry. The daemon pings the registry over TLS (401, as every pull's first
# request), has no login to answer the challenge with, so it asks for no manifest and falls back
# to plain HTTP, where nothing listens: that refusal is what the build prints, after step 1. The
# registry's log must agree: no manifest request since the build began and no refused login of
# user AWS (the daemon sent none), where the builds above pulled the same image with the helper's.
fallback="Get \"http://$good/v2/\": dial tcp 127.0.0.1:80: connect: connection refused"
since_build=$(tail -n +$((log_lines + 1)) "$work/registry.log")
{ grep -F "Step 1/1 : FROM $image" <<<"$out" >/dev/null && [ "$(tail -n 1 <<<"$out")" = "$fallback" ]; } \
  || fail "negative control: the build did not fail on the pull of $image without credentials: $out"
! grep -E '"(GET|HEAD) /v2/team/app/manifests/' <<<"$since_build" >/dev/null \
  || fail "negative control: the daemon asked for the manifest, so it had credentials: $since_build"
[ "$(e2e_aws_refusals)" = "$refusals" ] || fail "negative control: the daemon sent a login of user AWS, which the registry refused"
ok "docker 20.10's classic build fails with the old answer: the daemon got no credentials for $good and fell back to plain HTTP ($(tail -n 1 <<<"$out" | cut -c1-60)...)"

echo "== negative control: the registry accepts another password, so the helper's must fail with 401"
e2e_registry_stop
e2e_registry "not-the-token"
for cli in $clis; do
  version=$("$cli" version --format '{{.Client.Version}}')
  image=$good/team/app:cli-$(tr -c 'a-zA-Z0-9_.\n' '-' <<<"$version")
  "$cli" rmi "$image" >/dev/null 2>&1 || true
  refusals=$(e2e_aws_refusals)
  if out=$("$cli" pull "$image" 2>&1); then
    fail "$version: pulled although the registry does not accept the helper's password"
  fi
  e2e_expect_aws_refused "docker $version" "$refusals" "$out"
  ok "$version: pull refused with 401, and the registry's log shows it refused user AWS"
done
echo "e2e docker: all CLIs passed"
