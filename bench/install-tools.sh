#!/usr/bin/env bash
# Tools for `python -m bench http`: wrk (Debian's package, installed only when missing
# and running as root) and the Express peer's npm modules, exactly as the committed
# package-lock.json records them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else
    echo "wrk is missing: install Debian's package as root (apt-get install -y wrk)" >&2
    exit 1
  fi
fi

if command -v npm >/dev/null 2>&1; then
  cd "$here/peers/express"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    # `npm ci` installs the lock file as committed; the lock file records no download
    # addresses (.npmrc: omit-lockfile-registry-resolved).
    npm ci --no-audit --no-fund --loglevel=error
  fi
else
  echo "npm is missing: the Express peer will be skipped" >&2
fi
