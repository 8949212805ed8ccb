#!/usr/bin/env bash
# Builds the native core (tests, tools) into build/native and the Wasm core plus the
# JS bundles into dist/. Incremental: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
log() { printf '\033[1mbuild:\033[0m %s\n' "$*"; }

log "native core, tests and tools (build/native)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$JOBS" | grep -E 'error|warning|Error' || true
test "${PIPESTATUS[0]}" -eq 0

log "Wasm core (dist/cos-core.mjs + .wasm)"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}  # Emscripten's JS optimizer needs it
[ -f build/wasm/CMakeCache.txt ] || emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j"$JOBS" | grep -E 'error|warning:|Error' || true
test "${PIPESTATUS[0]}" -eq 0

if [ -f scripts/bundle.mjs ]; then
  log "JS bundles and the hub folder (dist/)"
  node scripts/bundle.mjs
fi
log "done"
