#!/usr/bin/env bash
# The whole test suite, from a fresh clone: provisions Node, the dependencies and the real
# servers (PostgreSQL, Kafka, a MongoDB-wire server), then lints, type-checks, builds, runs
# every vitest project, checks the packed packages on Node 20 and 24, and builds the API docs.
#
#   bash scripts/test.sh            # everything
#   EVENTFOLD_SERVICES=none bash scripts/test.sh   # no servers: only what needs none (integration tests fail loudly)
#
# Servers this script starts are stopped again when it exits; servers that were already
# running (or given by DATABASE_URL / MONGO_URL / KAFKA_BROKERS) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

phase_names=()
phase_seconds=()
phase() {
  local name=$1
  shift
  local started=$SECONDS status=0
  echo
  echo "=== $name"
  "$@" || status=$?
  phase_names+=("$name$([ "$status" = 0 ] || echo " (FAILED)")")
  phase_seconds+=($((SECONDS - started)))
  return "$status"
}
report_phases() {
  echo
  echo "=== phase timings"
  for i in "${!phase_names[@]}"; do printf '  %-40s %5ss\n' "${phase_names[$i]}" "${phase_seconds[$i]}"; done
}

# Each runner leaves "passed failed skipped" in a file here; the closing line sums them.
counts_dir="$root/.eventfold/test-counts"
export EVENTFOLD_COUNTS_DIR=$counts_dir
rm -rf "$counts_dir" && mkdir -p "$counts_dir"
report_counts() {
  local passed=0 failed=0 skipped=0 p f s
  for file in "$counts_dir"/*; do
    [ -f "$file" ] || continue
    read -r p f s <"$file"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done
  echo
  echo "tests: $passed passed, $failed failed, $skipped skipped"
}

started_services=false
cleanup() {
  local status=$?
  if [ "$started_services" = true ]; then
    echo
    echo "=== services down"
    bash "$root/scripts/services" down || true
  fi
  report_phases
  report_counts
  exit "$status"
}
trap cleanup EXIT

# shellcheck source=scripts/toolchain.sh
phase "toolchain" source scripts/toolchain.sh
phase "install" pnpm install --frozen-lockfile

services_up() {
  if [ "${EVENTFOLD_SERVICES:-all}" = none ]; then
    echo "EVENTFOLD_SERVICES=none: starting no servers"
    return
  fi
  if ! bash scripts/services status >/dev/null 2>&1; then started_services=true; fi
  bash scripts/services up
  eval "$(bash scripts/services env)"
  export DATABASE_URL MONGO_URL KAFKA_BROKERS
}
phase "services up" services_up

phase "lint" pnpm exec biome ci .
phase "typecheck" pnpm typecheck
phase "build" pnpm build
# Runs vitest projects and leaves their counts for the closing line. A run that fails to start
# (no JSON report) counts as one failure, so it can never pass for zero tests.
run_vitest() {
  local label=$1 status=0
  shift
  local report="$root/.eventfold/vitest-$label.json"
  rm -f "$report"
  pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
  node -e '
    try {
      const r = require(process.argv[1]);
      console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0), r.numPendingTests + r.numTodoTests);
    } catch { console.log(0, 1, 0); }
  ' "$report" >"$counts_dir/vitest-$label"
  return "$status"
}
phase "unit and type tests" run_vitest unit --project unit --project types
# Integration suites share the real servers and some stop or restart them: one file at a time.
phase "integration tests" run_vitest int --project int --no-file-parallelism
phase "packages (publint, attw, Node 20 + 24)" bash scripts/check-packages.sh
phase "docs" pnpm run docs
