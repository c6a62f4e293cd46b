# shellcheck shell=bash
# What the end-to-end scripts that run a client against the TLS registry share. Sourced, never run.
#
# A script starts with
#     source "$(dirname "$0")/lib.sh"
#     e2e_need TOOL:PACKAGE...   (outside the namespace: installs the Debian packages that are missing)
#     e2e_enter "$0" "$@"
# which re-executes it as root in a private mount and network namespace (only loopback exists
# there, so nothing it starts can reach another address), with a fresh work folder that is removed
# afterwards. Inside, the script calls what it needs:
#     e2e_hosts NAME...        NAME... resolve to 127.0.0.1 (a private /etc/hosts)
#     e2e_certs NAME...        a CA ($work/ca.crt) and the registry's certificate for NAME...
#     e2e_certs_d NAME...      the CA in a private /etc/docker/certs.d/NAME/ca.crt (docker, regctl)
#     e2e_stand_in [ARGS]      the project's ECR stand-in (tests/suite/support/stand_in.rs) on loopback
#     e2e_helper_env           PATH, HOME, AWS_* and the cache for the helper the clients start
#     e2e_token HOST           the helper's password for HOST (one get, which fills the cache)
#     e2e_registry PASSWORD    docker-registry, TLS on 127.0.0.1:443, htpasswd user AWS
#     e2e_aws_refusals         how many logins of user AWS the registry has refused so far
#     e2e_expect_aws_refused   fails unless a client's output shows a 401 and the registry
#                              refused user AWS since that count
#     e2e_seed REF             pushes a small OCI image (make-oci-image.py) to REF with skopeo
#     e2e_record_calls         the helper on PATH logs each call it gets to $work/calls.log
# Every process recorded in `pids` is killed on exit, pass or fail; e2e_on_exit adds a command.
set -euo pipefail
# No `producer | grep -q` in these scripts: under pipefail, grep quitting early fails the producer
# with SIGPIPE.

e2e_need() { # TOOL:PACKAGE...: installs each Debian PACKAGE whose TOOL is not on PATH
  local tool need=()
  for tool; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
  fi
}

e2e_enter() { # $1: the script; the rest: its arguments
  local script=$1
  shift
  if [ "${E2E_INSIDE:-}" = 1 ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$script"): needs root (a private mount and network namespace)" >&2
    exit 1
  fi
  local root work status=0
  root=$(cd "$(dirname "$script")/../.." && pwd)
  work=$(mktemp -d)
  E2E_INSIDE=1 E2E_ROOT=$root E2E_WORK=$work unshare --mount --net bash "$script" "$@" || status=$?
  rm -rf "$work"
  exit "$status"
}

root=${E2E_ROOT:-}
work=${E2E_WORK:-}
helper=$root/target/debug/docker-credential-ecr-login
pids=()
exit_commands=()

ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

e2e_on_exit() { exit_commands+=("$*"); }
e2e_cleanup() {
  local command pid
  for command in "${exit_commands[@]}"; do eval "$command" || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
if [ "${E2E_INSIDE:-}" = 1 ]; then
  trap e2e_cleanup EXIT
fi

wait_port() { # $1: a port on 127.0.0.1
  local _
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on 127.0.0.1:$1"
}

e2e_hosts() {
  ip link set lo up
  {
    echo "127.0.0.1 localhost"
    printf '127.0.0.1 %s\n' "$@"
  } >"$work/hosts"
  mount --bind "$work/hosts" /etc/hosts
}

e2e_certs() { # $1...: the names the registry's certificate is for
  local sans
  sans=$(printf 'DNS:%s,' "$@")
  (
    cd "$work"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=ecr-login-e2e-ca
    openssl req -newkey rsa:2048 -nodes -keyout registry.key -out registry.csr -subj "/CN=$1"
    printf 'subjectAltName=%s\n' "${sans%,}" >san.ext
    openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out registry.crt -days 2 -extfile san.ext
  ) >/dev/null 2>&1 || fail "openssl could not make the registry's certificate"
}

e2e_certs_d() { # $1...: registry names whose certs.d gets the CA
  local name
  mkdir -p /etc/docker
  mountpoint -q /etc/docker || mount -t tmpfs tmpfs /etc/docker
  for name; do
    mkdir -p "/etc/docker/certs.d/$name"
    cp "$work/ca.crt" "/etc/docker/certs.d/$name/ca.crt"
  done
}

e2e_stand_in() { # arguments for examples/ecr-stand-in.rs (--deny ACCOUNT, --same-password)
  "$root/target/debug/examples/ecr-stand-in" 0 "$@" >"$work/stand-in.url" 2>"$work/stand-in.log" &
  pids+=($!)
  local _
  for _ in $(seq 100); do
    [ -s "$work/stand-in.url" ] && break
    sleep 0.05
  done
  endpoint=$(head -n 1 "$work/stand-in.url")
  [ -n "$endpoint" ] || fail "the ECR stand-in did not start"
}

# The number of token requests the stand-in has answered so far.
e2e_stand_in_calls() { grep -c '^stand-in: call' "$work/stand-in.log" || true; }

e2e_helper_env() {
  mkdir -p "$work/bin" "$work/home"
  ln -sf "$helper" "$work/bin/docker-credential-ecr-login"
  export PATH="$work/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$work/home"
  export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIDE2E AWS_SECRET_ACCESS_KEY=e2e-secret
  export AWS_ENDPOINT_URL="$endpoint" AWS_ECR_CACHE_DIR="$work/cache"
  unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN AWS_CA_BUNDLE DOCKER_CONFIG DOCKER_HOST
}

e2e_token() { # $1: a registry host
  printf '%s' "$1" | "$helper" get | python3 -c 'import json,sys; print(json.load(sys.stdin)["Secret"])'
}

registry_pid=
e2e_registry() { # $1: the password htpasswd accepts for user AWS
  htpasswd -Bbn AWS "$1" >"$work/htpasswd"
  cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:443
  tls:
    certificate: $work/registry.crt
    key: $work/registry.key
auth:
  htpasswd:
    realm: ecr-login-e2e
    path: $work/htpasswd
YAML
  docker-registry serve "$work/registry.yml" >>"$work/registry.log" 2>&1 &
  registry_pid=$!
  pids+=($registry_pid)
  wait_port 443
}

# distribution logs this line when user AWS sends a password that htpasswd does not accept:
#   level=error msg="error authenticating user \"AWS\": authentication failure"
# An anonymous request gets the same 401 and logs nothing of the kind, so a new line proves that the
# client sent the helper's login and the registry refused that login. The wrong-password controls
# count the lines before a client's request and require one more after it.
e2e_aws_refusals() { grep -cE 'error authenticating user \\?"AWS\\?": authentication failure' "$work/registry.log" || true; }
e2e_expect_aws_refused() { # $1: the client; $2: e2e_aws_refusals before its request; $3: its output
  grep -iE '401|unauthorized' <<<"$3" >/dev/null || fail "$1: refused without a 401: $3"
  [ "$(e2e_aws_refusals)" -gt "$2" ] \
    || fail "$1: the registry logged no refused login of user AWS, so its 401 is not a refusal of the helper's password (an anonymous request gets one too); the log ends: $(tail -n 3 "$work/registry.log")"
}

e2e_registry_stop() {
  kill "$registry_pid"
  wait "$registry_pid" 2>/dev/null || true
}

e2e_seed() { # $1: an image reference on the registry; $2: the password
  [ -d "$work/image" ] || python3 "$root/tests/e2e/make-oci-image.py" "$work/image" >"$work/layer-digest"
  mkdir -p "$work/skopeo-certs"
  cp "$work/ca.crt" "$work/skopeo-certs/ca.crt"
  skopeo copy --quiet --dest-cert-dir "$work/skopeo-certs" --dest-creds "AWS:$2" \
    "oci:$work/image:latest" "docker://$1" || fail "skopeo could not seed $1"
}

# Replaces the helper on PATH with a wrapper that appends one line per call to $work/calls.log:
# the action and, for get and erase, the server string exactly as the client sent it; for store,
# its ServerURL (never the secret). The real helper then gets the same input, and the same line
# with its exit status after it goes to $work/exits.log (clients that ignore a helper's failure,
# as docker logout does, are checked there).
e2e_record_calls() {
  rm -f "$work/bin/docker-credential-ecr-login"
  cat >"$work/bin/docker-credential-ecr-login" <<WRAP
#!/usr/bin/env bash
input=\$(cat; printf x)
input=\${input%x}
case "\$1" in
  get|erase) printf -v call '%s %s' "\$1" "\$input" ;;
  store) call="store \$(printf '%s' "\$input" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("ServerURL"))')" ;;
  *) call=\$1 ;;
esac
printf '%s\n' "\$call" >>"$work/calls.log"
printf '%s' "\$input" | "$helper" "\$@"
status=\$?
printf '%s %s\n' "\$call" "\$status" >>"$work/exits.log"
exit "\$status"
WRAP
  chmod +x "$work/bin/docker-credential-ecr-login"
  : >"$work/calls.log"
  : >"$work/exits.log"
}
