#!/usr/bin/env bash
# Runs the demo on the embedded default (in-memory store and transport): no servers needed.
# Provisions Node 24 and pnpm into a cache folder and installs dependencies on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent demo
