#!/usr/bin/env bash
# Every test: GoogleTest (ctest), node:test over tests/js, bounded fuzzing, and the
# end-to-end suite in real Chromium. Builds first. Exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

echo "== GoogleTest (ctest)"
ctest --test-dir build/native --output-on-failure -j"${JOBS:-2}"

echo "== node:test (tests/js)"
node --test --test-force-exit --test-timeout=120000 tests/js/

echo "== fuzzing (bounded)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

if compgen -G "tests/e2e/*.test.js" >/dev/null; then
  echo "== end-to-end in Chromium (tests/e2e)"
  node --test --test-force-exit --test-concurrency=1 --test-timeout=600000 tests/e2e/
fi
