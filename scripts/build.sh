#!/usr/bin/env bash
# Builds the native core (tests, tools) into build/native and the Wasm core plus the
# JS bundles into dist/. Incremental: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
log() { printf '\033[1mbuild:\033[0m %s\n' "$*"; }
# Quiet on success; on failure show the errors and stop.
run_build() {
  mkdir -p "$1"
  if ! cmake --build "$1" -j"$JOBS" >"$1/build.log" 2>&1; then
    grep -E -A3 'error|Error' "$1/build.log" | head -60
    echo "build: failed, full log in $1/build.log"; exit 1
  fi
}

log "native core, tests and tools (build/native)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
run_build build/native

log "Wasm core (dist/cos-core.mjs + .wasm)"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}  # Emscripten's JS optimizer needs it
[ -f build/wasm/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
run_build build/wasm

if [ -f scripts/bundle.mjs ]; then
  log "JS bundles and the hub folder (dist/)"
  node scripts/bundle.mjs
fi
log "done"
