#!/usr/bin/env bash
# Runs the demo on the embedded default (in-memory stores and transport): no servers needed.
# user-service and registration-service start in one process on ephemeral ports, and a scripted
# scenario drives them over HTTP; the demo exits 1 if any step's outcome is not the expected one.
# The single-file walk-through of the core API: pnpm --filter @eventfold/example-quickstart start
# Provisions Node 24 and pnpm into a cache folder and installs dependencies on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent --filter @eventfold/example-demo start
