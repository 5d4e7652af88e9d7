#!/usr/bin/env bash
# Installs the pinned local Pro Santé Connect provider (npm `oidc-provider`) for the tests.
# Idempotent and quick when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
