#!/usr/bin/env bash
# Install the npm modules of the tests (oidc-provider, axe-core) when they are missing.
# The versions are pinned in package.json and package-lock.json; .npmrc keeps download
# addresses out of the lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tests/oidc: node and npm are needed for the OpenID provider tests (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ -f "$here/node_modules/oidc-provider/package.json" ] && [ -f "$here/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi
npm ci --prefix "$here" --no-audit --no-fund --omit-lockfile-registry-resolved
