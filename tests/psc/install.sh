#!/usr/bin/env bash
# Installs the pinned local Pro Santé Connect provider (npm `oidc-provider`) for the tests.
# Idempotent and quick when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
# oidc-provider 9 needs node 20.19+ (Debian 12's own nodejs is 18: take it from NodeSource).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || { echo "tests/psc: node >= 20.19 is required, found $(node --version)" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
