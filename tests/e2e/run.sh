#!/usr/bin/env bash
# Run the end-to-end tests in the system Chromium (see docs/testing.md).
#   tests/e2e/run.sh                      all e2e test files, one file at a time
#   tests/e2e/run.sh tests/e2e/x.test.js  chosen files
# Extra node --test flags can be passed in NODE_TEST_FLAGS (e.g. --test-name-pattern=control).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x "${COS_E2E_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "e2e: no Chromium at ${COS_E2E_CHROMIUM:-/usr/bin/chromium}" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "e2e: openssl is required" >&2; exit 1; }

if [ "$#" -eq 0 ]; then
  set -- tests/e2e/*.test.js
fi
# One file at a time: each file runs one Chromium at a time, and the machine may have 2 cores.
# shellcheck disable=SC2086
exec node --test --test-concurrency=1 ${NODE_TEST_FLAGS:-} "$@"
