#!/usr/bin/env bash
# Runs inside tests/e2e/run's private mount namespace, where the ECR host name is 127.0.0.1.
# Drives skopeo, podman and buildah against the registry with credentials from the helper only.
set -euo pipefail
# No `producer | grep -q`: under pipefail, grep quitting early fails the producer with SIGPIPE.
# lib.sh for ok, fail and the registry log's refusals (no namespace of its own: E2E_INSIDE is unset).
source "$E2E_ROOT/tests/e2e/lib.sh"
work=$E2E_WORK
ref=$E2E_REF
image=$ref/team/app
helper=$work/bin/docker-credential-ecr-login

# The clients' configuration: the helper for this registry, and plain HTTP on loopback.
export REGISTRY_AUTH_FILE=$work/auth.json
printf '{"credHelpers":{"%s":"ecr-login"}}\n' "$ref" >"$REGISTRY_AUTH_FILE"
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$ref" >"$CONTAINERS_REGISTRIES_CONF"
podman=(podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs
  --cgroup-manager cgroupfs --events-backend file)
buildah=(buildah --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs)

if [ "$E2E_PHASE" = denied ]; then
  # Each client sends the helper's password and the registry refuses it: a 401 alone would not
  # show that (an anonymous request gets one too), the registry's log line for user AWS does.
  for client in skopeo podman buildah; do
    case $client in
      skopeo) command=(skopeo copy --dest-tls-verify=false "oci:$work/image:latest" "docker://$image:denied") ;;
      podman) command=("${podman[@]}" pull --tls-verify=false "$image:1") ;;
      buildah) command=("${buildah[@]}" pull --policy always --tls-verify=false "$image:1") ;;
    esac
    refusals=$(e2e_aws_refusals)
    if out=$("${command[@]}" 2>&1); then
      fail "$client went on although the registry does not accept the helper's password"
    fi
    e2e_expect_aws_refused "$client" "$refusals" "$out"
    ok "$client refused with 401, and the registry's log shows it refused user AWS"
  done
  exit 0
fi

layer=$(cat "$work/layer-digest")

skopeo copy --quiet --dest-tls-verify=false "oci:$work/image:latest" "docker://$image:1"
ok "skopeo pushed an image it built itself"
skopeo inspect --tls-verify=false "docker://$image:1" >"$work/inspect.json"
grep -q "$layer" "$work/inspect.json" || fail "skopeo inspect does not show the pushed layer"
ok "skopeo inspected it"
skopeo copy --quiet --src-tls-verify=false "docker://$image:1" "oci:$work/pulled:1"
[ -f "$work/pulled/blobs/sha256/${layer#sha256:}" ] || fail "the pulled image lacks the pushed layer"
ok "skopeo pulled it back, same layer"
[ "$(skopeo login --get-login "$ref")" = AWS ] || fail "skopeo login --get-login"
ok "skopeo login --get-login answers AWS"

"${podman[@]}" pull --quiet --tls-verify=false "$image:1" >/dev/null
ok "podman pulled it"
"${podman[@]}" tag "$image:1" "$image:from-podman"
"${podman[@]}" push --quiet --tls-verify=false "$image:from-podman"
grep -q "$layer" <<<"$(skopeo inspect --tls-verify=false "docker://$image:from-podman")" || fail "podman's push is not there"
ok "podman pushed it under a new tag"
[ "$("${podman[@]}" login --get-login "$ref")" = AWS ] || fail "podman login --get-login"
ok "podman login --get-login answers AWS"

"${buildah[@]}" push --quiet --tls-verify=false "$image:1" "docker://$image:from-buildah" >/dev/null
grep -q "$layer" <<<"$(skopeo inspect --tls-verify=false "docker://$image:from-buildah")" || fail "buildah's push is not there"
ok "buildah pushed it"

# A private registry whose token cannot be had (here: the ECR API is unreachable): each client
# shows the helper's one-line cause from stderr and goes on without credentials, to a 401.
unreachable=http://127.0.0.1:9
for client in skopeo podman buildah; do
  case $client in
    skopeo) command=(skopeo inspect --tls-verify=false "docker://$image:1") ;;
    podman) command=("${podman[@]}" pull --tls-verify=false "$image:1") ;;
    buildah) command=("${buildah[@]}" pull --policy always --tls-verify=false "$image:from-buildah") ;;
  esac
  if out=$(AWS_ENDPOINT_URL=$unreachable "${command[@]}" 2>&1); then
    fail "$client went on although the helper had no token"
  fi
  grep -F "ecr-login: cannot reach the ECR API" <<<"$out" >/dev/null || fail "$client does not show the helper's stderr: $out"
  grep -iE '401|unauthorized' <<<"$out" >/dev/null || fail "$client failed without a 401: $out"
  ok "$client shows the helper's cause and goes on without credentials: $(grep -F 'ecr-login:' <<<"$out" | head -n 1 | cut -c1-110)..."
done

# list answers from the cache only: moto's tokens carry a fixed 2015 expiry, so none is kept.
[ "$("$helper" list </dev/null)" = "{}" ] || fail "list"
ok "list answers {} (moto's already-expired tokens are never cached)"

# registries.conf `credential-helpers = ["ecr-login"]` sends every registry to the helper, so podman
# asks it about a registry that is not ECR: the exact not-found answer lets podman go on without
# credentials, and the anonymous pull works.
open_image=$E2E_OPEN/library/open:1
skopeo copy --quiet --dest-tls-verify=false "oci:$work/image:latest" "docker://$open_image"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$ref" "$E2E_OPEN" \
  >"$work/registries-helper.conf"
echo 'credential-helpers = ["ecr-login"]' | cat - "$work/registries-helper.conf" >"$work/registries-every.conf"
mkdir -p "$work/bin-logged" "$work/bin-old"
cat >"$work/bin-logged/docker-credential-ecr-login" <<WRAP
#!/usr/bin/env bash
input=\$(cat)
echo "\$1 \$input" >>"$work/every.log"
printf '%s' "\$input" | exec "$helper" "\$@"
WRAP
# The answer ecr-login gave before it answered every failure with not-found: its cause on stdout.
cat >"$work/bin-old/docker-credential-ecr-login" <<WRAP
#!/usr/bin/env bash
echo "no ECR registry in the host name"
exit 1
WRAP
chmod +x "$work/bin-logged/docker-credential-ecr-login" "$work/bin-old/docker-credential-ecr-login"
every=("${podman[@]}" pull --quiet --tls-verify=false "$open_image")
CONTAINERS_REGISTRIES_CONF=$work/registries-every.conf \
  PATH="$work/bin-logged:$PATH" "${every[@]}" >/dev/null || fail "podman could not pull $open_image with the helper asked for every registry"
grep -x "get $E2E_OPEN" "$work/every.log" >/dev/null || fail "podman never asked the helper about $E2E_OPEN: $(cat "$work/every.log")"
ok "podman with credential-helpers = [\"ecr-login\"] asked the helper about $E2E_OPEN, got not-found, pulled anonymously"
"${podman[@]}" rmi "$open_image" >/dev/null
if out=$(CONTAINERS_REGISTRIES_CONF=$work/registries-every.conf \
  PATH="$work/bin-old:$PATH" "${every[@]}" 2>&1); then
  fail "negative control: podman pulled although the helper answered with an error, so the test proves nothing"
fi
grep -F "no ECR registry in the host name" <<<"$out" >/dev/null || fail "negative control: podman failed for another reason: $out"
ok "negative control: a helper that answers anything but not-found breaks podman's pull of a non-ECR registry"

skopeo logout "$ref" >/dev/null
"${podman[@]}" logout "$ref" >/dev/null
ok "skopeo and podman logout (erase) succeed"
[ "$(skopeo login --get-login "$ref")" = AWS ] || fail "credentials gone after logout"
ok "credentials still come from the helper after logout"
