#!/usr/bin/env bash
# The kubelet's own credential-provider code, for real: a small harness built from
# k8s.io/kubernetes v1.37.2 (tests/e2e/go/kubelet) registers the provider from a
# CredentialProviderConfig with RegisterCredentialProviderPlugins (the kubelet's reading and
# validation), turns each image into the repository the kubelet looks up (parsers.ParseImageName)
# and calls the external keyring's Lookup, which execs the provider, decodes its answer strictly
# and caches it. In a private network namespace (only loopback), against the project's ECR
# stand-in, it checks that:
#   both shipped configurations pass the kubelet's validation;
#   our binary, installed as ecr-credential-provider (a symlink), gets the stand-in's password for
#   one image per matchImages pattern (every partition, FIPS, dual-stack, ECR Public), and images
#   elsewhere get nothing without the provider even running;
#   the kubelet keys the answer by registry and keeps it (a second repository on the same registry
#   runs nothing), and the cacheDuration it is given is the token's life less ten minutes;
#   service-account mode (feature gate on) assumes the role of eks.amazonaws.com/ecr-role-arn or
#   of eks.amazonaws.com/role-arn with the pod's token, the ECR call is signed by that role, and
#   with cacheType ServiceAccount a second pod of the same service account is served from the
#   kubelet's cache (with Token it would run the provider again);
#   AWS's own ecr-credential-provider (k8s.io/cloud-provider-aws v1.37.1), run through the same
#   harness, serves no image form that ours does not.
#   `password` prints the stand-in's password alone; `dockerconfig --kubernetes-secret` prints a
#   Secret that the API server's strict decoding and ValidateSecret accept (the second program of
#   the module, secretcheck) and from which the kubelet's imagePullSecret code reads the passwords;
#   docs/export.md's CronJob recipe passes the validation of each of its kinds and its objects fit together.
# Negative controls: the old service-accounts file without cacheType, and tokenAttributes with the
# feature gate off, are refused with the kubelet's own messages; an answer with one extra field is
# refused by the kubelet's strict decoding while the same answer unchanged is accepted; our Secret
# with an invalid name or one unknown field is refused by the API server's code.
source "$(dirname "$0")/lib.sh"

if [ "${E2E_INSIDE:-}" != 1 ]; then
  # Outside the namespace, where the module proxy can be reached.
  (cd "$(dirname "$0")/../.." && cargo build --locked --quiet --bin docker-credential-ecr-login --example ecr-stand-in)
  E2E_KUBELET_BIN=$("$(dirname "$0")/go/build" kubelet)
  E2E_AWS_PROVIDER_BIN=$("$(dirname "$0")/go/build" ecr-credential-provider)
  # The module versions, from the binaries' build information.
  echo "kubelet code: $(go version -m "$E2E_KUBELET_BIN/kubelet" | awk '$1 == "dep" && $2 == "k8s.io/kubernetes" {print $2, $3}');" \
    "AWS's provider: $(go version -m "$E2E_AWS_PROVIDER_BIN/ecr-credential-provider" | awk '$1 == "mod" {print $2, $3}')"
  export E2E_KUBELET_BIN E2E_AWS_PROVIDER_BIN
fi
e2e_enter "$0" "$@"

harness=$E2E_KUBELET_BIN/kubelet
aws_provider=$E2E_AWS_PROVIDER_BIN/ecr-credential-provider
config=$root/packaging/kubelet/credential-provider-config.yaml
sa_config=$root/packaging/kubelet/credential-provider-config.service-accounts.yaml
gate=KubeletServiceAccountTokenForCredentialProviders
host=123456789012.dkr.ecr.us-east-1.amazonaws.com
pull_role=arn:aws:iam::123456789012:role/ecr-pull
irsa_role=arn:aws:iam::123456789012:role/irsa

# One image per matchImages pattern of the shipped files, written in the forms pods use (a tag, a
# digest, neither); the check below fails when a pattern has no image here or an image no pattern.
images=(
  '*.dkr.ecr.*.amazonaws.com                     123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1'
  '*.dkr.ecr-fips.*.amazonaws.com                123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
  '*.dkr-ecr.*.on.aws                            123456789012.dkr-ecr.eu-west-1.on.aws/team/app'
  '*.dkr-ecr-fips.*.on.aws                       123456789012.dkr-ecr-fips.us-west-2.on.aws/team/app:1'
  '*.dkr.ecr.*.amazonaws.com.cn                  123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app:1'
  '*.dkr.ecr-fips.*.amazonaws.com.cn             123456789012.dkr.ecr-fips.cn-northwest-1.amazonaws.com.cn/team/app:1'
  '*.dkr-ecr.*.on.amazonwebservices.com.cn       123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/team/app:1'
  '*.dkr-ecr-fips.*.on.amazonwebservices.com.cn  123456789012.dkr-ecr-fips.cn-northwest-1.on.amazonwebservices.com.cn/team/app:1'
  '*.dkr.ecr.*.c2s.ic.gov                        123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/team/app:1'
  '*.dkr.ecr-fips.*.c2s.ic.gov                   123456789012.dkr.ecr-fips.us-iso-east-1.c2s.ic.gov/team/app:1'
  '*.dkr.ecr.*.sc2s.sgov.gov                     123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/team/app:1'
  '*.dkr.ecr-fips.*.sc2s.sgov.gov                123456789012.dkr.ecr-fips.us-isob-east-1.sc2s.sgov.gov/team/app:1'
  '*.dkr.ecr.*.cloud.adc-e.uk                    123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/team/app:1'
  '*.dkr.ecr-fips.*.cloud.adc-e.uk               123456789012.dkr.ecr-fips.eu-isoe-west-1.cloud.adc-e.uk/team/app:1'
  '*.dkr.ecr.*.csp.hci.ic.gov                    123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/team/app:1'
  '*.dkr.ecr-fips.*.csp.hci.ic.gov               123456789012.dkr.ecr-fips.us-isof-south-1.csp.hci.ic.gov/team/app:1'
  '*.dkr.ecr.*.amazonaws.eu                      123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/team/app:1'
  '*.dkr.ecr-fips.*.amazonaws.eu                 123456789012.dkr.ecr-fips.eusc-de-east-1.amazonaws.eu/team/app:1'
  'public.ecr.aws                                public.ecr.aws/nginx/nginx:1.27'
  'ecr-public.aws.com                            ecr-public.aws.com/nginx/nginx:1.27'
)
# Images no pattern matches: the kubelet must not even run the provider. The last one names the
# port: the kubelet's matching wants equal ports, so no pattern without one matches HOST:443.
elsewhere=(nginx:1.27 ghcr.io/team/app:1 registry.k8s.io/pause:3.10 localhost:5000/team/app
  "$host.evil.example/team/app:1" "$host:443/team/app:1")

for file in "$config" "$sa_config"; do
  patterns=$(sed -n 's/^ *- "\(.*\)"$/\1/p' "$file" | sort)
  [ "$patterns" = "$(printf '%s\n' "${images[@]}" | awk '{print $1}' | sort)" ] ||
    fail "the image table does not have exactly one image per matchImages pattern of $file"
done
ecr_images=()
for entry in "${images[@]}"; do ecr_images+=("$(awk '{print $2}' <<<"$entry")"); done

ip link set lo up
# --same-password: every token of an account is <account>-token-0 (ECR Public: public-token-0),
# so the password the kubelet got can be checked against the stand-in's without printing it.
e2e_stand_in --same-password
e2e_helper_env
sha() { printf '%s' "$1" | sha256sum | awk '{print "sha256:" $1}'; }
private_password=$(sha 123456789012-token-0)
public_password=$(sha public-token-0)

# Between the providers and the stand-in, a recorder logs one line per AWS call ($work/aws.log):
# the action, the access key that signed it (the stand-in's STS names its keys after the role, so
# this shows which role made the ECR call), the region, the registry ids, and for STS the role and
# whose token assumed it (the harness's tokens end with the pod's name; only that is logged).
# AWS's provider names no registry (registryIds is optional and deprecated), and ECR, like the
# stand-in, then answers with the caller's own registry: those calls are logged registryIds=default.
cat >"$work/recorder.py" <<'PY'
import http.client, http.server, json, re, sys, urllib.parse
upstream, log = sys.argv[1], sys.argv[2]
class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        scope = re.search(r"Credential=([^/]*)/[^/]*/([^/]*)/", self.headers.get("Authorization", ""))
        signer, region = scope.groups() if scope else ("-", "-")
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".GetAuthorizationToken"):
            service = "ecr-public" if target.startswith("SpencerFrontendService") else "ecr"
            ids = ",".join(json.loads(body or b"{}").get("registryIds") or ["default"])
            line = f"{service} signer={signer} region={region} registryIds={ids}"
        else:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            pod = form.get("WebIdentityToken", "-").rsplit(".", 1)[-1]
            line = f"sts:{form.get('Action', '?')} signer={signer} role={form.get('RoleArn', '-')} token-of={pod}"
        with open(log, "a") as f:
            f.write(line + "\n")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        conn = http.client.HTTPConnection(upstream, timeout=30)
        conn.request("POST", self.path, body, headers)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("content-length", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
PY
python3 "$work/recorder.py" "${endpoint#http://}" "$work/aws.log" >"$work/recorder.url" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/recorder.url" ] && break; sleep 0.05; done
recorder=$(head -n 1 "$work/recorder.url")
[ -n "$recorder" ] || fail "the recorder did not start"
export AWS_ENDPOINT_URL=$recorder
: >"$work/aws.log"

# A bin dir as on a node: our binary under the drop-in name, a symlink.
mkdir -p "$work/bin-ours"
ln -s "$helper" "$work/bin-ours/ecr-credential-provider"

# A bin dir whose ecr-credential-provider hands the kubelet's request to COMMAND... and keeps both
# sides in $work/tap.log (password and service-account token elided), then passes COMMAND's answer
# through FILTER (a sed expression; an empty one passes it as it is). This is how the answer the
# kubelet received (its cacheKeyType and cacheDuration) and the request it sent are seen.
tap_dir() { # $1: folder, $2: sed filter, $3...: the command
  local dir=$1 filter=$2
  shift 2
  mkdir -p "$dir"
  {
    echo '#!/usr/bin/env bash'
    echo 'set -o pipefail'
    echo "redact() { sed -E 's/\"(password|serviceAccountToken)\":\"[^\"]*\"/\"\\1\":\"…\"/g'; }"
    echo 'request=$(cat)'
    echo "printf 'stdin:  %s\n' \"\$request\" | redact >>'$work/tap.log'"
    printf 'response=$(printf %%s "$request" | %s) || exit $?\n' "$(printf '%q ' "$@")"
    echo "printf 'stdout: %s\n' \"\$response\" | redact >>'$work/tap.log'"
    printf 'printf %%s "$response" | sed -e %q\n' "${filter:-s/^//}"
  } >"$dir/ecr-credential-provider"
  chmod +x "$dir/ecr-credential-provider"
}

# kubelet ARGS...: the harness, its stderr (the kubelet's log) kept in $work/kubelet.log.
kubelet() { "$harness" "$@" 2>"$work/kubelet.log"; }
# field NAME LINE: one NAME=value of a harness line.
field() { grep -oE "(^| )$1=[^ ]*" <<<"$2" | head -n 1 | sed "s/^ *$1=//"; }
expect_line() { # $1: the harness line; $2...: NAME=value pairs it must have
  local line=$1 pair
  shift
  for pair; do
    [ "$(field "${pair%%=*}" "$line")" = "${pair#*=}" ] || fail "want $pair in: $line"
  done
}
want_password() { # $1: an image; prints the SHA-256 of the stand-in's password for its registry
  case $1 in public.ecr.aws/* | ecr-public.aws.com/*) echo "$public_password" ;; *) echo "$private_password" ;; esac
}

# --- The shipped configurations pass the kubelet's validation (the gate on, as by default).
for file in "$config" "$sa_config"; do
  kubelet -config "$file" -bin-dir "$work/bin-ours" -feature-gates "$gate=true" nginx >/dev/null ||
    fail "the kubelet refuses $(basename "$file"): $(cat "$work/kubelet.log")"
done
ok "the kubelet v1.37.2 accepts both shipped configurations"

# --- Negative controls on the configuration, each with the kubelet's own message.
sed '/^ *cacheType:/d' "$sa_config" >"$work/no-cache-type.yaml"
if kubelet -config "$work/no-cache-type.yaml" -bin-dir "$work/bin-ours" -feature-gates "$gate=true" nginx >/dev/null; then
  fail "the kubelet accepted tokenAttributes without cacheType"
fi
grep -F 'cacheType is required to be set when tokenAttributes is specified' "$work/kubelet.log" >/dev/null ||
  fail "refused for another reason: $(cat "$work/kubelet.log")"
ok "without cacheType the kubelet refuses: $(grep -oE 'providers.tokenAttributes.cacheType: Required value[^.]*' "$work/kubelet.log")"
if kubelet -config "$sa_config" -bin-dir "$work/bin-ours" -feature-gates "$gate=false" nginx >/dev/null; then
  fail "the kubelet accepted tokenAttributes with the feature gate off"
fi
grep -F "tokenAttributes is not supported when $gate feature gate is disabled" "$work/kubelet.log" >/dev/null ||
  fail "refused for another reason: $(cat "$work/kubelet.log")"
ok "with the feature gate off the kubelet refuses tokenAttributes"

# --- Every ECR image form gets the stand-in's password; nothing else runs the provider.
export AWS_ECR_CACHE_DIR=$work/cache-plain
: >"$work/aws.log"
out=$(kubelet -config "$config" -bin-dir "$work/bin-ours" "${ecr_images[@]}" "$host/other/repo:2" "${elsewhere[@]}") ||
  fail "the harness failed: $(cat "$work/kubelet.log")"
for image in "${ecr_images[@]}"; do
  line=$(grep -F " image=$image " <<<"$out")
  expect_line "$line" execs=1 errors=0 username=AWS "password=$(want_password "$image")" \
    "repo=$(sed -E 's/@sha256:[0-9a-f]+$//; s/:[^:/]+$//' <<<"$image")"
done
# Each private host's token came from its own region's endpoint, signed with the node's keys.
for image in "${ecr_images[@]}"; do
  case $image in public.ecr.aws/* | ecr-public.aws.com/*) continue ;; esac
  region=$(sed -nE 's/^[0-9]{12}\.dkr[.-]ecr(-fips)?\.([^.]+)\..*/\2/p' <<<"$image")
  [ -n "$region" ] || fail "this test reads no region from the private image $image: extend its pattern"
  grep -F "ecr signer=AKIDE2E region=$region registryIds=123456789012" "$work/aws.log" >/dev/null ||
    fail "no ECR call in $region for $image: $(cat "$work/aws.log")"
done
grep -F "ecr-public signer=AKIDE2E region=us-east-1" "$work/aws.log" >/dev/null || fail "no ECR Public call: $(cat "$work/aws.log")"
ok "all ${#ecr_images[@]} image forms get the stand-in's password through the kubelet, each from its region's ECR endpoint"
# A second repository on the first registry: served from the kubelet's cache, keyed by registry.
expect_line "$(grep -F " image=$host/other/repo:2 " <<<"$out")" execs=0 username=AWS "password=$private_password"
ok "a second repository on $host is answered from the kubelet's cache (cacheKeyType Registry)"
for image in "${elsewhere[@]}"; do
  expect_line "$(grep -F " image=$image " <<<"$out")" execs=0 username=- password=-
done
ok "images elsewhere (${elsewhere[*]}) get nothing, and the provider never runs for them"

# --- What the kubelet sends and receives, through a tap in front of our binary.
tap_dir "$work/bin-tap" "" "$helper" kubelet-provider
: >"$work/tap.log"
export AWS_ECR_CACHE_DIR=$work/cache-tap
out=$(kubelet -config "$config" -bin-dir "$work/bin-tap" "$host/team/app:1" "public.ecr.aws/nginx/nginx:1.27") ||
  fail "the harness failed: $(cat "$work/kubelet.log")"
request=$(sed -n 's/^stdin:  //p' "$work/tap.log" | head -n 1)
response=$(sed -n 's/^stdout: //p' "$work/tap.log" | head -n 1)
[ "$request" = "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"$host/team/app\"}" ] ||
  fail "the kubelet's request is not the repository without its tag: $request"
grep -F "stdin:  $request" "$root/docs/kubernetes.md" >/dev/null || fail "docs/kubernetes.md's example request is not the kubelet's: $request"
# We intend cacheKeyType Registry (an ECR token serves every repository of its registry) and a
# cacheDuration of the token's life less ten minutes (the kubelet must not hand containerd a token
# that dies during the pull; our disk cache refreshes it at half-life for the next exec anyway).
duration=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["cacheKeyType"], r["cacheDuration"])' "$response")
[[ $duration =~ ^Registry\ 11h(50m0s|49m5[0-9]s)$ ]] || fail "our answer says cacheKeyType/cacheDuration $duration: $response"
ok "the kubelet sends the repository without tag or digest and gets cacheKeyType/cacheDuration $duration"
echo "  stdin:  $request"
echo "  stdout: $response"

# --- The kubelet's strict decoding: one extra field, and the answer is refused.
tap_dir "$work/bin-extra" 's/^{/{"extra":true,/' "$helper" kubelet-provider
tap_dir "$work/bin-same" 's/^{/{/' "$helper" kubelet-provider
out=$(kubelet -config "$config" -bin-dir "$work/bin-extra" "$host/team/app:1") || fail "the harness failed"
expect_line "$out" execs=1 username=- password=-
grep -F 'error decoding credential provider plugin response from stdout' "$work/kubelet.log" >/dev/null ||
  fail "the extra field was not what the kubelet refused: $(cat "$work/kubelet.log")"
out=$(kubelet -config "$config" -bin-dir "$work/bin-same" "$host/team/app:1") || fail "the harness failed"
expect_line "$out" execs=1 errors=0 username=AWS "password=$private_password"
ok "an answer with one extra field is refused by the kubelet's strict decoding; the same answer unchanged is taken"
# The errors=0 checked above can move: a run that exits non-zero (here, the ECR API unreachable on
# a cold cache) counts in the kubelet's plugin error metric. An answer it cannot decode does not.
out=$(AWS_ECR_CACHE_DIR=$work/cache-unreachable AWS_ENDPOINT_URL=http://127.0.0.1:9 \
  kubelet -config "$config" -bin-dir "$work/bin-ours" "$host/team/app:1") || fail "the harness failed"
expect_line "$out" execs=1 errors=1 username=- password=-
ok "control: a provider run that fails counts: execs=1 errors=1, no credentials"

# --- Service-account mode, feature gate on: the pod's token assumes the annotated role.
sa_run() { # $1: bin dir, $2: config, $3: annotation KEY=VALUE or "", $4...: images
  local bin=$1 file=$2 annotation=$3
  shift 3
  kubelet -config "$file" -bin-dir "$bin" -feature-gates "$gate=true" -pods pod-a,pod-b \
    -service-account puller ${annotation:+-annotation "$annotation"} "$@" || fail "the harness failed: $(cat "$work/kubelet.log")"
}
role_key() { echo "ASIA$(tr '[:lower:]' '[:upper:]' <<<"${1##*/}")"; } # the stand-in's key for a role
for annotation in "eks.amazonaws.com/ecr-role-arn=$pull_role" "eks.amazonaws.com/role-arn=$irsa_role"; do
  role=${annotation#*=}
  : >"$work/aws.log"
  export AWS_ECR_CACHE_DIR=$work/cache-sa-${role##*/}
  out=$(sa_run "$work/bin-ours" "$sa_config" "$annotation" "$host/team/app:1" "$host/other/repo:2" public.ecr.aws/nginx/nginx:1.27)
  first=$(grep -F "pod=pod-a image=$host/team/app:1 " <<<"$out")
  expect_line "$first" execs=1 username=AWS "password=$private_password" source=e2e/puller audience=sts.amazonaws.com
  expect_line "$(grep -F "pod=pod-a image=public.ecr.aws/" <<<"$out")" execs=1 username=AWS "password=$public_password"
  # cacheType ServiceAccount: the kubelet's key is the service account and its annotations, not
  # the pod's token, so pod-b (another token) and the second repository run nothing.
  [ "$(grep -c ' execs=0 errors=0 username=AWS ' <<<"$out")" = 4 ] || fail "pod-b or the second repository ran the provider again: $out"
  grep -Fx "sts:AssumeRoleWithWebIdentity signer=- role=$role token-of=pod-a" "$work/aws.log" >/dev/null ||
    fail "the role was not assumed with pod-a's token: $(cat "$work/aws.log")"
  grep -F "ecr signer=$(role_key "$role") region=us-east-1 registryIds=123456789012" "$work/aws.log" >/dev/null ||
    fail "the ECR call was not signed by $role: $(cat "$work/aws.log")"
  grep -F "ecr-public signer=$(role_key "$role") region=us-east-1" "$work/aws.log" >/dev/null ||
    fail "the ECR Public call was not signed by $role: $(cat "$work/aws.log")"
  ok "service-account mode, ${annotation%%=*}: pod-a's token assumed $role, which signed the ECR and ECR Public calls; pod-b and a second repository came from the kubelet's cache"
done
# No role annotation: the node's own credentials, still keyed by service account.
: >"$work/aws.log"
export AWS_ECR_CACHE_DIR=$work/cache-sa-node
out=$(sa_run "$work/bin-ours" "$sa_config" "" "$host/team/app:1")
expect_line "$(grep -F 'pod=pod-a' <<<"$out")" execs=1 username=AWS "password=$private_password"
grep -F "ecr signer=AKIDE2E " "$work/aws.log" >/dev/null || fail "not the node's keys: $(cat "$work/aws.log")"
! grep -F 'sts:' "$work/aws.log" >/dev/null || fail "a role was assumed without an annotation: $(cat "$work/aws.log")"
ok "service-account mode without a role annotation: the node's own credentials"
# What cacheType changes: with Token, each pod's own token is part of the key, so pod-b runs the
# provider again for the same password.
sed 's/cacheType: ServiceAccount/cacheType: Token/' "$sa_config" >"$work/token-cache-type.yaml"
out=$(sa_run "$work/bin-ours" "$work/token-cache-type.yaml" "eks.amazonaws.com/ecr-role-arn=$pull_role" "$host/team/app:1")
expect_line "$(grep -F 'pod=pod-b' <<<"$out")" execs=1 username=AWS "password=$private_password"
ok "control: with cacheType Token pod-b runs the provider again"

# --- AWS's ecr-credential-provider through the same harness, as the anchor we compare with. Its
# configuration is ours (the same patterns, so the kubelet runs it for every form) with the AWS
# endpoints in the provider entry's env, the way a node would set them; the inherited
# AWS_ENDPOINT_URL is removed, so the entry's env is what sends it to the recorder.
mkdir -p "$work/bin-aws"
ln -s "$aws_provider" "$work/bin-aws/ecr-credential-provider"
aws_config() { # $1: our configuration file; writes AWS's to stdout
  sed "/^    apiVersion:/a\\
    env:\\
      - {name: AWS_ENDPOINT_URL_ECR, value: \"$recorder\"}\\
      - {name: AWS_ENDPOINT_URL_ECR_PUBLIC, value: \"$recorder\"}\\
      - {name: AWS_ENDPOINT_URL_STS, value: \"$recorder\"}" "$1"
}
aws_config "$config" >"$work/aws.yaml"
aws_config "$sa_config" >"$work/aws-sa.yaml"
: >"$work/aws.log"
calls_before=$(e2e_stand_in_calls)
out=$(env -u AWS_ENDPOINT_URL "$harness" -config "$work/aws.yaml" -bin-dir "$work/bin-aws" "${ecr_images[@]}" 2>"$work/kubelet.log") ||
  fail "the harness failed with AWS's provider: $(cat "$work/kubelet.log")"
served=() missed=()
for image in "${ecr_images[@]}"; do
  line=$(grep -F " image=$image " <<<"$out")
  if [ "$(field username "$line")" = AWS ] && [ "$(field password "$line")" = "$(want_password "$image")" ]; then
    served+=("$(cut -d/ -f1 <<<"$image")")
  else
    missed+=("$(cut -d/ -f1 <<<"$image")")
  fi
done
[ "$(($(e2e_stand_in_calls) - calls_before))" -gt 0 ] && grep -F 'signer=AKIDE2E' "$work/aws.log" >/dev/null ||
  fail "AWS's provider did not call the stand-in: $(cat "$work/kubelet.log")"
[ ${#served[@]} -gt 0 ] || fail "AWS's provider served nothing: $(cat "$work/kubelet.log")"
echo "  AWS's provider serves ${#served[@]} of ${#ecr_images[@]} forms: ${served[*]}"
[ ${#missed[@]} = 0 ] || echo "  AWS's provider misses: ${missed[*]}"
# Every one of these forms got our binary's password above, so ours serves whatever AWS's does.
: >"$work/tap.log"
tap_dir "$work/bin-aws-tap" "" "$aws_provider"
env -u AWS_ENDPOINT_URL "$harness" -config "$work/aws.yaml" -bin-dir "$work/bin-aws-tap" "$host/team/app:1" >/dev/null 2>"$work/kubelet.log" ||
  fail "the harness failed with AWS's provider: $(cat "$work/kubelet.log")"
aws_response=$(sed -n 's/^stdout: //p' "$work/tap.log" | head -n 1)
aws_duration=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["cacheKeyType"], r["cacheDuration"])' "$aws_response")
# The stand-in's tokens live 12 hours, as ECR's do: half of that, less the seconds the call took.
[[ $aws_duration =~ ^Registry\ (6h0m0s|5h59m5[0-9]s)$ ]] || fail "AWS's provider answers $aws_duration, not half the token's 12 hours: $aws_response"
ok "AWS's provider answers cacheKeyType/cacheDuration $aws_duration (half the token's life)"
echo "  stdout: $aws_response"
# Its service-account mode, for comparison: it reads eks.amazonaws.com/ecr-role-arn (or
# AWS_ECR_ROLE_ARN) only; with the standard eks.amazonaws.com/role-arn it pulls as the node.
for annotation in "eks.amazonaws.com/ecr-role-arn=$pull_role" "eks.amazonaws.com/role-arn=$irsa_role"; do
  : >"$work/aws.log"
  out=$(env -u AWS_ENDPOINT_URL "$harness" -config "$work/aws-sa.yaml" -bin-dir "$work/bin-aws" -feature-gates "$gate=true" \
    -service-account puller -annotation "$annotation" "$host/team/app:1" 2>"$work/kubelet.log") ||
    fail "the harness failed with AWS's provider: $(cat "$work/kubelet.log")"
  expect_line "$out" execs=1 username=AWS "password=$private_password"
  case $annotation in
    *ecr-role-arn=*) signer=$(role_key "$pull_role") ;;
    *) signer=AKIDE2E ;;
  esac
  grep -F "ecr signer=$signer " "$work/aws.log" >/dev/null || fail "AWS's provider, $annotation: $(cat "$work/aws.log")"
  ok "AWS's provider, ${annotation%%=*}: the ECR call signed by $signer ($(paste -sd';' "$work/aws.log"))"
done

# --- dockerconfig --kubernetes-secret, judged by Kubernetes' own code (tests/e2e/go/kubelet/secretcheck):
# the API server's strict decoding, defaulting, conversion and ValidateSecret, then the kubelet's
# reading of an imagePullSecret (credentialprovider's DockerConfigJSON and a keyring Lookup).
checker=$E2E_KUBELET_BIN/secretcheck
export AWS_ECR_CACHE_DIR=$work/cache-export
docker-credential-ecr-login password 123456789012.dkr.ecr.us-east-1.amazonaws.com >"$work/password" ||
  fail "password failed"
[ "$(wc -l <"$work/password")" = 1 ] && [ "$(sha "$(cat "$work/password")")" = "$private_password" ] ||
  fail "password did not print the stand-in's password alone on one line"
docker-credential-ecr-login dockerconfig 123456789012.dkr.ecr.us-east-1.amazonaws.com public.ecr.aws >"$work/config.json" ||
  fail "dockerconfig failed"
docker-credential-ecr-login dockerconfig --kubernetes-secret ecr-pull --namespace ci 123456789012.dkr.ecr.us-east-1.amazonaws.com public.ecr.aws >"$work/secret.json" ||
  fail "dockerconfig --kubernetes-secret failed"
out=$("$checker" "$host/team/app:1" public.ecr.aws/nginx/nginx:1.27 ghcr.io/team/app:1 <"$work/secret.json" 2>"$work/checker.log") ||
  fail "Kubernetes refuses our Secret: $(cat "$work/checker.log")"
expect_line "$(sed -n 1p <<<"$out")" name=ecr-pull namespace=ci type=kubernetes.io/dockerconfigjson "hosts=$host,public.ecr.aws"
expect_line "$(grep -F "image=$host/" <<<"$out")" username=AWS "password=$private_password"
expect_line "$(grep -F 'image=public.ecr.aws/' <<<"$out")" username=AWS "password=$public_password"
expect_line "$(grep -F 'image=ghcr.io/' <<<"$out")" username=- password=-
python3 -c 'import base64,json,sys; s=json.load(open(sys.argv[1])); c=open(sys.argv[2]).read(); sys.exit(base64.b64decode(s["data"][".dockerconfigjson"]).decode() + "\n" != c)' \
  "$work/secret.json" "$work/config.json" || fail "the Secret does not hold what dockerconfig prints"
ok "the API server's validation (k8s.io/kubernetes v1.37.2) accepts our Secret, and the kubelet reads the stand-in's passwords from it for $host and public.ecr.aws and nothing for ghcr.io"
# Without --namespace, kubectl gives the manifest its context's namespace (the checker's -namespace).
docker-credential-ecr-login dockerconfig --kubernetes-secret ecr-pull "$host" >"$work/secret-plain.json" || fail "dockerconfig failed"
out=$("$checker" -namespace team-a <"$work/secret-plain.json" 2>"$work/checker.log") || fail "Kubernetes refuses: $(cat "$work/checker.log")"
expect_line "$out" name=ecr-pull namespace=team-a "hosts=$host"
ok "without --namespace the Secret takes kubectl's namespace and still validates"
# Negative controls: the same manifest with a name Kubernetes refuses, or with one unknown field, is
# refused by the checker with the API server's own message; our binary refuses to print that name.
sed 's/"name":"ecr-pull"/"name":"ecr_pull"/' "$work/secret.json" >"$work/bad-name.json"
if "$checker" <"$work/bad-name.json" 2>"$work/bad-name.log"; then fail "the validator accepted the name ecr_pull"; fi
grep -F 'metadata.name: Invalid value: "ecr_pull": a lowercase RFC 1123 subdomain' "$work/bad-name.log" >/dev/null ||
  fail "refused for another reason: $(cat "$work/bad-name.log")"
sed 's/^{/{"extra":true,/' "$work/secret.json" >"$work/extra.json"
if "$checker" <"$work/extra.json" 2>"$work/checker.log"; then fail "the strict decoding accepted an unknown field"; fi
grep -F 'unknown field "extra"' "$work/checker.log" >/dev/null || fail "refused for another reason: $(cat "$work/checker.log")"
if docker-credential-ecr-login dockerconfig --kubernetes-secret ecr_pull "$host" >"$work/refused.json" 2>"$work/refused.log"; then
  fail "dockerconfig printed a Secret named ecr_pull"
fi
[ ! -s "$work/refused.json" ] || fail "dockerconfig refused ecr_pull but printed: $(cat "$work/refused.json")"
ok "controls: the validator refuses the name ecr_pull ($(grep -oE 'metadata.name: Invalid value: "ecr_pull"' "$work/bad-name.log" | head -n 1)) and an unknown field; ours refuses that name too: $(cat "$work/refused.log")"
# A host without a token: nothing on stdout, so `| kubectl apply -f -` has nothing to apply.
if docker-credential-ecr-login dockerconfig --kubernetes-secret ecr-pull "$host" ghcr.io >"$work/partial.json" 2>"$work/partial.log"; then
  fail "dockerconfig succeeded with a host that is not ECR"
fi
[ ! -s "$work/partial.json" ] || fail "dockerconfig printed part of a Secret: $(cat "$work/partial.json")"
ok "one host without a token: nothing printed, exit 1 ($(cat "$work/partial.log"))"
# docs/export.md's CronJob recipe: every object passes its kind's own validation, the Role lets the job's
# ServiceAccount write the Secret its command names, and that command, run here against the
# stand-in up to its `| kubectl apply -f -`, prints a Secret the API server accepts.
awk '/^### Keep a pull Secret fresh/ {f = 1} f && /^```yaml/ {y = 1; next} y && /^```/ {exit} y' "$root/docs/export.md" >"$work/recipe.yaml"
out=$("$checker" -recipe <"$work/recipe.yaml" 2>"$work/checker.log") || fail "Kubernetes refuses docs/export.md's recipe: $(cat "$work/checker.log")"
command=$(sed -n 's/^command //p' <<<"$out")
producer=${command%" | kubectl apply -f -"}
[ "$producer" != "$command" ] || fail "the recipe's command does not end in | kubectl apply -f -: $command"
bash -c "$producer" >"$work/recipe-secret.json" || fail "the recipe's command failed: $producer"
secret_line=$("$checker" <"$work/recipe-secret.json" 2>"$work/checker.log") || fail "Kubernetes refuses the recipe's Secret: $(cat "$work/checker.log")"
fits=$(grep '^fits ' <<<"$out")
expect_line "$secret_line" "name=$(field secret "$fits")" "namespace=$(field namespace "$fits")" "hosts=$host"
sed 's/schedule: "17 \*\/6 \* \* \*"/schedule: "every 6h"/' "$work/recipe.yaml" >"$work/bad-recipe.yaml"
if "$checker" -recipe <"$work/bad-recipe.yaml" >/dev/null 2>"$work/checker.log"; then fail "the validator accepted the schedule 'every 6h'"; fi
grep -F 'spec.schedule: Invalid value: "every 6h"' "$work/checker.log" >/dev/null || fail "refused for another reason: $(cat "$work/checker.log")"
ok "docs/export.md's recipe ($(grep -c '^valid ' <<<"$out") objects) passes the API server's validation and fits together ($fits); its command prints a valid Secret; control: a schedule of 'every 6h' is refused"
