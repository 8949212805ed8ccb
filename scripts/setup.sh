#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian 12 machine.
# Idempotent: each step checks first and does nothing when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in build-essential cmake clang libclang-rt-14-dev libsodium-dev libgtest-dev googletest \
         publicsuffix emscripten chromium dpkg-dev openssl xvfb xdotool x11-apps; do
  have_pkg "$p" || need_apt+=("$p")
done
# Node may come from another repository that bundles npm; only ask Debian when it is missing.
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)

# libsodium's Debian source package is compiled into the Wasm core; that needs a deb-src line.
src_list=/etc/apt/sources.list.d/cos-polyfill-src.sources
added_src=0
if [ ! -f "$src_list" ] && ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src_list"
  added_src=1
fi

if ((${#need_apt[@]})) || ((added_src)) || [ ! -d third_party/libsodium-src ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
fi
if ((${#need_apt[@]})); then
  echo "setup: installing ${need_apt[*]}"
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# libsodium 1.0.18 source, unpacked into an ignored folder (never committed).
if [ ! -f third_party/libsodium-src/src/libsodium/include/sodium.h ]; then
  rm -rf third_party/libsodium-dl && mkdir -p third_party/libsodium-dl
  (cd third_party/libsodium-dl && apt-get source -qq --download-only libsodium >/dev/null 2>&1 && dpkg-source -x libsodium_*.dsc src >/dev/null 2>&1)
  rm -rf third_party/libsodium-src
  mv third_party/libsodium-dl/src third_party/libsodium-src
  rm -rf third_party/libsodium-dl
fi

# npm dependencies (lockfile-exact). Transformers.js must not try to download onnxruntime-node binaries.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  fi
fi
echo "setup: ok"
