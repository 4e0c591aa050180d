#!/usr/bin/env bash
# `pnpm bench [suite …]`: runs the benchmark suites (all by default). Suites that need servers
# read DATABASE_URL / MONGO_URL / KAFKA_BROKERS; start them with `bash scripts/services up` and
# `eval "$(bash scripts/services env)"`. Never part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
exec pnpm --silent --filter @eventfold/benchmarks start "$@"
