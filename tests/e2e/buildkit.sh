#!/usr/bin/env bash
# BuildKit end to end, for real: buildkitd v0.34.2 (OCI worker on Debian's runc, native snapshotter,
# run as root) beside Debian's docker-registry serving TLS on 127.0.0.1:443 for two ECR host names,
# in a private mount and network namespace (only loopback). buildkitd trusts the registry's CA
# through its own config ([registry."HOST"] ca=[...]). The clients, buildctl v0.34.2 and docker
# buildx v0.38.2 (standalone, remote driver to the same buildkitd), find the helper through
# credHelpers only; the helper runs on the client side (the daemon asks the client's session for
# credentials), so PATH and the AWS environment are the clients'. They must:
#   build a Dockerfile FROM the private image (a LABEL, a COPY, and a RUN of busybox-static, since
#   the seeded image has no shell, that reads the base image's file) and push the result to a new
#   tag, which is then pulled back with the helper's token and checked; one get per build;
#   do the same with a reference that names the port (HOST:443/...);
#   fail a build FROM the second host, whose account the ECR stand-in refuses, with the helper's
#   one-line cause in the client's output, while builds FROM the first host go on working.
# Negative control: with the registry restarted on another password, the build fails with 401.
# Every server string the clients send is recorded ($work/calls.log) and checked: BuildKit asks for
# the registry's host exactly as the image reference writes it (the bare host; HOST:443 only when
# the reference says :443), and calls nothing but get.
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ]; then
  # Outside the namespace, where the package mirror and the module proxy can be reached.
  e2e_need runc:runc busybox:busybox-static skopeo:skopeo docker-registry:docker-registry \
    htpasswd:apache2-utils openssl:openssl ip:iproute2
  (cd "$(dirname "$0")/../.." && cargo build --locked --quiet --bin docker-credential-ecr-login --example ecr-stand-in)
  E2E_BUILDKIT_BIN=$("$(dirname "$0")/go/build" buildkit)
  # The binaries print v0.0.0+unknown (upstream sets the version by linker flags); the module
  # versions are in their build information.
  E2E_BUILDKIT_VERSIONS=$(for tool in buildkitd buildx; do
    go version -m "$E2E_BUILDKIT_BIN/$tool" | awk -v tool="$tool" '$1 == "mod" {print tool, $3}'
  done | paste -sd, -)
  export E2E_BUILDKIT_BIN E2E_BUILDKIT_VERSIONS
fi
e2e_enter "$0" "$@"

good=123456789012.dkr.ecr.us-east-1.amazonaws.com
bad=210987654321.dkr.ecr.us-east-1.amazonaws.com
bin=$E2E_BUILDKIT_BIN
sock=$work/buildkitd.sock
busybox=$(command -v busybox)
# A dynamically linked busybox would need the host's libraries inside the image.
! ldd "$busybox" >/dev/null 2>&1 || fail "$busybox is not static: install busybox-static"

e2e_hosts "$good" "$bad"
e2e_certs "$good" "$bad"
e2e_stand_in --deny 210987654321
e2e_helper_env
token=$(e2e_token "$good")
[ -n "$token" ] || fail "no token from the helper"
e2e_registry "$token"
e2e_seed "$good/team/app:1" "$token"
# The seeded image's one file, which the builds' RUN step reads.
tar -xzOf "$work/image/blobs/sha256/$(sed 's/^sha256://' "$work/layer-digest")" hello.txt >"$work/hello.txt"
ok "the registry serves $good/team/app:1 (and, being one registry, $bad/team/app:1)"

# buildkitd reads no certs.d; ca= adds the private CA to the system pool for these hosts only.
cat >"$work/buildkitd.toml" <<TOML
[registry."$good"]
  ca = ["$work/ca.crt"]
[registry."$good:443"]
  ca = ["$work/ca.crt"]
[registry."$bad"]
  ca = ["$work/ca.crt"]
TOML
# The OCI worker is skipped silently when runc is not on PATH, and the daemon then refuses builds
# with "no worker found": check it here so the cause is named.
command -v runc >/dev/null || fail "runc is not on PATH: buildkitd's OCI worker would be skipped"
"$bin/buildkitd" --root "$work/buildkit" --addr "unix://$sock" --config "$work/buildkitd.toml" \
  --oci-worker=true --oci-worker-snapshotter native --containerd-worker=false >"$work/buildkitd.log" 2>&1 &
pids+=($!)
buildctl=("$bin/buildctl" --addr "unix://$sock")
for _ in $(seq 120); do "${buildctl[@]}" debug workers >/dev/null 2>&1 && break; sleep 0.5; done
workers=$("${buildctl[@]}" debug workers -v 2>&1) || fail "buildkitd did not start: $(tail -n 20 "$work/buildkitd.log")"
grep -E "worker.snapshotter:\s*native" <<<"$workers" >/dev/null || fail "buildkitd has no native OCI worker: $workers"
ok "$E2E_BUILDKIT_VERSIONS; buildkitd runs an OCI worker (runc $(runc --version | awk 'NR==1 {print $3}'), native snapshotter)"

# The clients' configuration: credHelpers only, no auths, no credsStore.
export DOCKER_CONFIG=$work/docker-config
mkdir -p "$DOCKER_CONFIG"
# credHelpers keys match the client's server string exactly, so the port form has its own key.
printf '{"credHelpers":{"%s":"ecr-login","%s:443":"ecr-login","%s":"ecr-login"}}\n' "$good" "$good" "$bad" \
  >"$DOCKER_CONFIG/config.json"
e2e_record_calls

context() { # $1: a folder; $2: the base image. A LABEL, a COPY and a RUN on top of it.
  mkdir -p "$1"
  printf 'built from %s at %s\n' "$2" "$(date +%s%N)" >"$1/stamp.txt"
  cp "$busybox" "$1/busybox"
  cat >"$1/Dockerfile" <<DOCKERFILE
FROM $2
LABEL built-by=ecr-login-e2e
COPY stamp.txt busybox /
RUN ["/busybox", "sh", "-c", "/busybox cat /hello.txt /stamp.txt >/ran.txt"]
DOCKERFILE
}
buildctl_build() { # $1: context folder; $2: the image reference to push
  "${buildctl[@]}" build --progress plain --frontend dockerfile.v0 \
    --local "context=$1" --local "dockerfile=$1" --output "type=image,name=$2,push=true" 2>&1
}
buildx_build() { # $1: context folder; $2: the image reference to push
  "$bin/buildx" build --builder e2e --progress plain --push -t "$2" "$1" 2>&1
}

# Pulls $1 back with the helper's token and checks the base layer, the LABEL and the RUN's file,
# which holds the base image's hello.txt and the context's stamp.txt.
check_pushed() { # $1: the pushed reference; $2: its context folder
  local pulled=$work/pulled-${1##*:} layer found=
  rm -rf "$pulled"
  skopeo copy --quiet --src-cert-dir "$work/skopeo-certs" --src-creds "AWS:$token" \
    "docker://$1" "oci:$pulled:latest" || fail "$1 was not pushed"
  skopeo inspect --config "oci:$pulled:latest" >"$pulled.config.json"
  grep -F '"built-by": "ecr-login-e2e"' "$pulled.config.json" >/dev/null || fail "$1 lacks the LABEL"
  [ -f "$pulled/blobs/sha256/$(sed 's/^sha256://' "$work/layer-digest")" ] || fail "$1 lacks the base image's layer"
  cat "$work/hello.txt" "$2/stamp.txt" >"$pulled.expected"
  for layer in "$pulled"/blobs/sha256/*; do
    if tar -xzOf "$layer" ran.txt 2>/dev/null | cmp -s - "$pulled.expected"; then found=1; fi
  done
  [ -n "$found" ] || fail "$1 has no layer with the RUN's ran.txt"
}

# The calls the helper got since calls.log had $1 lines; fails unless they are all `get $2`.
calls_since() { # $1: line count before; $2: the server string expected
  local new
  new=$(tail -n "+$(($1 + 1))" "$work/calls.log")
  [ -n "$new" ] || fail "no call reached the helper (expected 'get $2')"
  ! grep -vxF "get $2" <<<"$new" >/dev/null || fail "a call other than 'get $2' reached the helper: $new"
  wc -l <<<"$new"
}

# Builds FROM $3/team/app:1 with client $1 and pushes $3/team/app:$2; checks the pushed image and
# that the helper got exactly one get, for $3 as written. One per build: the client's session
# keeps the answer for the pull and the push (and the daemon shares nothing between sessions).
good_build() { # $1: buildctl or buildx; $2: the tag to push; $3: the registry as the reference writes it
  local before start out gets
  before=$(wc -l <"$work/calls.log")
  context "$work/ctx-$2" "$3/team/app:1"
  start=$SECONDS
  out=$("$1_build" "$work/ctx-$2" "$3/team/app:$2") || fail "$1 build FROM $3/team/app:1: $out"
  gets=$(calls_since "$before" "$3")
  [ "$gets" -eq 1 ] || fail "$1 asked the helper $gets times in one build: $(tail -n "$gets" "$work/calls.log")"
  # BuildKit's progress names the host whose credentials the client handed to the daemon.
  grep -F "[auth] sharing credentials for $3" <<<"$out" >/dev/null || fail "$1 shared no credentials for $3: $out"
  check_pushed "$3/team/app:$2" "$work/ctx-$2"
  ok "$1 built FROM $3/team/app:1 (LABEL, COPY, RUN) and pushed :$2 in $((SECONDS - start)) s; the helper got one 'get $3'"
}

echo "== buildctl"
good_build buildctl buildctl "$good"
# BuildKit asks for host:443 only when the reference says :443.
good_build buildctl buildctl-port "$good:443"

echo "== buildx (standalone, remote driver to the same buildkitd)"
"$bin/buildx" create --name e2e --driver remote "unix://$sock" >/dev/null
good_build buildx buildx "$good"
good_build buildx buildx-port "$good:443"

echo "== a build FROM $bad, whose account the ECR API refuses"
context "$work/ctx-bad" "$bad/team/app:1"
for client in buildctl buildx; do
  before=$(wc -l <"$work/calls.log")
  if out=$("${client}_build" "$work/ctx-bad" "$good/team/app:from-bad-$client"); then
    fail "$client built FROM $bad although its account is refused: $out"
  fi
  calls_since "$before" "$bad" >/dev/null
  # The helper answered not-found (its cause on stderr), so the client shared no credentials and the
  # daemon went on anonymously, to the registry's 401.
  grep -F "ecr-login: access denied getting a token for $bad" <<<"$out" >/dev/null \
    || fail "$client does not show the helper's cause: $out"
  ! grep -F "[auth] sharing credentials for $bad" <<<"$out" >/dev/null || fail "$client shared credentials for $bad: $out"
  grep -iE '401|unauthorized' <<<"$out" >/dev/null || fail "$client failed FROM $bad without a 401: $out"
  ok "$client fails FROM $bad with a 401 and shows the helper's cause:"
  grep -F 'ecr-login:' <<<"$out" | sed 's/^/    | /'
done
# The refusal left nothing behind in the daemon or the helper's cache: the good host still builds.
good_build buildctl buildctl-after-refusal "$good"
good_build buildx buildx-after-refusal "$good"

echo "== what BuildKit asked the helper (calls.log, all runs above)"
sort "$work/calls.log" | uniq -c | sed 's/^/    | /'

echo "== negative control: the registry accepts another password, so the helper's must fail with 401"
e2e_registry_stop
e2e_registry "not-the-token"
for client in buildctl buildx; do
  before=$(wc -l <"$work/calls.log")
  refusals=$(e2e_aws_refusals)
  context "$work/ctx-denied-$client" "$good/team/app:1"
  if out=$("${client}_build" "$work/ctx-denied-$client" "$good/team/app:denied-$client"); then
    fail "$client built and pushed although the registry does not accept the helper's password"
  fi
  # The helper's password was sent (the same path that passed above) and refused.
  calls_since "$before" "$good" >/dev/null
  grep -F "[auth] sharing credentials for $good" <<<"$out" >/dev/null || fail "$client shared no credentials: $out"
  e2e_expect_aws_refused "$client" "$refusals" "$out"
  ok "$client refused with 401, and the registry's log shows it refused user AWS"
done
echo "e2e buildkit: buildctl and buildx passed"
