#!/usr/bin/env bash
# Installs everything the tests need on a Debian machine with Node 20, then runs every test
# (typecheck, lint, unit/Node tests, browser e2e). This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# onnxruntime-node's install script would download CUDA files from a blocked host; its CPU binaries are in the package.
export ONNXRUNTIME_NODE_INSTALL=skip

# System packages: Debian Chromium (driven by playwright-core; never `playwright install`) and ffmpeg (fake webcam).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=''
  if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi
  echo "[test-all] installing ${missing[*]} with apt-get"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

# npm dependencies (postinstall fetches the BlazeFace detector into public/models/blazeface/).
npm install --no-audit --no-fund

if [ ! -d ../shared/faces ]; then
  echo "[test-all] ../shared/faces is missing: the tests need the shared data folder beside this checkout" >&2
  exit 1
fi

npm test
