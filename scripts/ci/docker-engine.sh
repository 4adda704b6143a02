#!/usr/bin/env bash
# Make a Docker engine answer on this machine: an engine that already runs is used as it is;
# otherwise Debian's docker.io is installed when missing and dockerd started in the background
# (its log: /var/log/codexd-ci-dockerd.log). Needs root where it has to install or start.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  echo "docker engine: running ($(docker info --format '{{.ServerVersion}}'))"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker engine: installing Debian's docker.io" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
# An engine starting up already (its pid file names a live process): wait for it, start none.
pidfile=/var/run/docker.pid
if ! { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
  nohup dockerd >>/var/log/codexd-ci-dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "docker engine: started ($(docker info --format '{{.ServerVersion}}'))"
    exit 0
  fi
  sleep 1
done
echo "docker engine: dockerd did not answer within 120 s; its log:" >&2
tail -n 40 /var/log/codexd-ci-dockerd.log >&2 || true
exit 1
