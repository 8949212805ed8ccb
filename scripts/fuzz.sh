#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [seconds per target, default 30] [target name ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
shift || true
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCOS_FUZZ=ON -DCOS_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! cmake --build build/fuzz -j"${JOBS:-2}" >build/fuzz/build.log 2>&1; then
  grep -E 'error|Error' build/fuzz/build.log | head -40
  echo "fuzz: build failed (build/fuzz/build.log)"; exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
failed=0
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  mkdir -p "$corpus"
  seeds=()
  [ -d "tests/fuzz/seeds/$t" ] && seeds=("tests/fuzz/seeds/$t")
  if build/fuzz/"$t" "$corpus" "${seeds[@]}" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
       -artifact_prefix=build/fuzz/ >build/fuzz/"$t".log 2>&1; then
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' build/fuzz/"$t".log | grep -Eo '[0-9]+$' || echo '?')
    echo "fuzz: $t ok (${SECONDS_EACH}s, $runs runs)"
  else
    echo "fuzz: $t FAILED — see build/fuzz/$t.log"; tail -30 build/fuzz/"$t".log; failed=1
  fi
done
exit $failed
