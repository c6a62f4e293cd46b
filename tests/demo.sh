#!/usr/bin/env bash
# The helper end to end, with no AWS account: starts the local ECR stand-in on 127.0.0.1, then runs
# `get` twice for a private registry (the first call fetches a token, the second is served from the
# disk cache without touching the network) and `list`. Everything runs in a temporary HOME with
# the EC2 metadata service switched off; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet --bin docker-credential-ecr-login --example ecr-stand-in
helper="$PWD/target/debug/docker-credential-ecr-login"
stand_in="$PWD/target/debug/examples/ecr-stand-in"

work=$(mktemp -d)
stand_in_pid=
cleanup() {
  [ -n "$stand_in_pid" ] && kill "$stand_in_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$stand_in" >"$work/url" 2>"$work/calls.log" &
stand_in_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
endpoint=$(head -n 1 "$work/url")
[ -n "$endpoint" ] || { echo "demo: the ECR stand-in did not start" >&2; exit 1; }

mkdir -p "$work/home"
# A clean environment: only what the helper needs, pointed at the stand-in.
run_helper() {
  env -i PATH="$PATH" HOME="$work/home" AWS_EC2_METADATA_DISABLED=true \
    AWS_ACCESS_KEY_ID=AKIDDEMO AWS_SECRET_ACCESS_KEY=demo-secret \
    AWS_ENDPOINT_URL="$endpoint" AWS_ECR_CACHE_DIR="$work/cache" \
    "$helper" "$@"
}
calls() { grep -c 'GetAuthorizationToken' "$work/calls.log" || true; }

registry=123456789012.dkr.ecr.us-east-1.amazonaws.com
echo "ECR stand-in listening at $endpoint"
echo
echo "\$ printf $registry | docker-credential-ecr-login get    # cold cache"
start=$(date +%s%N)
printf '%s' "$registry" | run_helper get
echo "  ($(( ($(date +%s%N) - start) / 1000000 )) ms, API calls so far: $(calls))"
echo
echo "\$ printf https://$registry/team/app | docker-credential-ecr-login get    # cache hit"
start=$(date +%s%N)
printf '%s' "https://$registry/team/app" | run_helper get
echo "  ($(( ($(date +%s%N) - start) / 1000000 )) ms, API calls so far: $(calls))"
echo
echo "\$ echo unused | docker-credential-ecr-login list"
echo unused | run_helper list
echo
echo "\$ printf docker.io | docker-credential-ecr-login get    # not an ECR host"
printf 'docker.io' | run_helper get || echo "  (exit code $?: docker goes on without credentials)"
echo
echo "Cache entry: $(cd "$work/cache" && find . -name '*.json')"
[ "$(calls)" -eq 1 ] || { echo "demo: expected exactly one API call, saw $(calls)" >&2; exit 1; }
echo "One API call for two gets: the second was served from the cache."
