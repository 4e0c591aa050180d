#!/usr/bin/env bash
# Runs the demo on the embedded default (in-memory stores and transport): no servers needed.
# user-service and registration-service start in one process on ephemeral ports, and a scripted
# scenario drives them over HTTP; the demo exits 1 if any step's outcome is not the expected one.
#
#   bash scripts/demo.sh                the embedded default
#   bash scripts/demo.sh --real         the same scenario on PostgreSQL and Kafka
#   bash scripts/demo.sh --real=mongo   the same scenario on FerretDB (MongoDB wire) and Kafka
#
# With --real, the servers of scripts/services are started if they are not running (and stopped
# again at the end, as scripts/test.sh does); servers you point at with DATABASE_URL, MONGO_URL or
# KAFKA_BROKERS are used as they are. The single-file walk-through of the core API:
# pnpm --filter @eventfold/example-quickstart start
# Provisions Node 24 and pnpm into a cache folder and installs dependencies on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
pnpm install --frozen-lockfile --reporter=silent

servers=()
case "${1:-}" in
  '') ;;
  --real | --real=postgres) servers=(postgres kafka) ;;
  --real=mongo) servers=(mongo kafka) ;;
  *)
    echo "usage: bash scripts/demo.sh [--real | --real=mongo]" >&2
    exit 2
    ;;
esac

if [ ${#servers[@]} -gt 0 ]; then
  started=()
  for server in "${servers[@]}"; do
    bash scripts/services status "$server" >/dev/null 2>&1 || started+=("$server")
  done
  if [ ${#started[@]} -gt 0 ]; then trap 'bash scripts/services down "${started[@]}" || true' EXIT; fi
  bash scripts/services up "${servers[@]}"
  eval "$(bash scripts/services env)"
fi
pnpm --silent --filter @eventfold/example-demo start "$@"
