#!/usr/bin/env bash
# Benchmarks only (no pass/fail on timing): every tools/bench/*.mjs, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; node $(node --version)"
for b in tools/bench/*.mjs; do
  [ -n "${BENCH:-}" ] && [[ "$b" != *"$BENCH"* ]] && continue
  echo; echo "== $b"
  node "$b"
done
