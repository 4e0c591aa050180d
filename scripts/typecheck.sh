#!/usr/bin/env bash
# Type-checks every TypeScript project in the workspace (each package's sources, its test
# helpers and the examples), failing on the first error.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t projects < <(git ls-files --cached --others --exclude-standard '*tsconfig.json' | grep -v '^tsconfig' | sort)
for project in "${projects[@]}"; do
  echo "tsc -p $project"
  pnpm exec tsc -p "$project"
done
