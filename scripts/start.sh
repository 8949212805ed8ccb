#!/usr/bin/env bash
# The main job: build everything, then run the demo (the core's self-check until the
# cross-site demo exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ -f web/demo/serve.mjs ]; then
  exec node web/demo/serve.mjs "$@"
fi
exec node tools/self-check.mjs
