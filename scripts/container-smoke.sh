#!/usr/bin/env bash
# Build the image and check it for real: healthy, non-root, token required, state in the volume.
# Needs a Docker engine (the test suite rehearses the Dockerfile on the host where there is none:
# test/e2e/container-rehearsal.test.ts).
#   bash scripts/container-smoke.sh [image-tag]
set -euo pipefail

tag="${1:-codexd:smoke}"
name="codexd-smoke-$$"
volume="codexd-smoke-$$"
token="$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))')"

cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker volume rm "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

docker build -t "$tag" .

# 0.0.0.0 without a token: the daemon refuses to start, saying why.
if refusal="$(docker run --rm -e CODEXD_HOST=0.0.0.0 "$tag" 2>&1)"; then
  echo "FAIL: started on 0.0.0.0 without a token" >&2
  exit 1
fi
grep -qi token <<<"$refusal" || { echo "FAIL: refused for another reason: $refusal" >&2; exit 1; }

docker run -d --name "$name" -p 127.0.0.1::4319 -v "$volume:/var/lib/codexd" \
  -e CODEXD_HOST=0.0.0.0 -e CODEXD_TOKEN="$token" "$tag" >/dev/null
port="$(docker port "$name" 4319/tcp | head -n1 | sed 's/.*://')"

for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ] && break
  sleep 1
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ] || { echo "FAIL: not healthy" >&2; docker logs "$name" >&2; exit 1; }

[ "$(docker exec "$name" id -u)" != 0 ] || { echo "FAIL: runs as root" >&2; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/status")"
[ "$code" = 401 ] || { echo "FAIL: /v1/status without token answered $code" >&2; exit 1; }
curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/status" >/dev/null
docker exec "$name" test -s /var/lib/codexd/daemon-state.json

docker stop -t 15 "$name" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$name")" = 0 ] || { echo "FAIL: exit code on stop" >&2; exit 1; }
echo "container smoke test passed ($tag)"
