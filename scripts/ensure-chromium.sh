#!/usr/bin/env bash
# The docs-UI test renders /docs in headless Chromium (Debian's package). Install it when it is
# missing and this machine can (root with apt-get); otherwise say what to do.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the docs UI test..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "chromium is not installed: install Debian's 'chromium' package or set CHROMIUM_PATH" >&2
exit 1
