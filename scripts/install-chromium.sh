#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests, when it is missing and we may.
#
# The browser tests drive /usr/bin/chromium through Playwright; they never download a
# browser build of their own. Without Chromium they skip with the reason, unless
# GATEPASS_REQUIRE_SERVICES=1 (CI), where they fail.
set -euo pipefail

CHROMIUM="${GATEPASS_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: $CHROMIUM is missing and this is not root on Debian;" \
    "the browser tests will skip (install the 'chromium' package to run them)." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends chromium; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
fi
"$CHROMIUM" --version
