#!/usr/bin/env bash
# Build llama.cpp's llama-quantize and llama-bench (CPU only, Release) from the llama.cpp source
# that node-llama-cpp ships as a git bundle, so the native tools match the library the
# benchmark loads.  Output: tools/model/work/llama.cpp/{src,build}; binaries in build/bin/.
# Usage: tools/model/build_llama_cpp.sh [jobs]   (takes minutes on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
info="$root/node_modules/node-llama-cpp/llama/llama.cpp.info.json"
work="$root/tools/model/work/llama.cpp"
jobs="${1:-2}"
[ -f "$bundle" ] || { echo "missing $bundle (run npm ci first)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -d "$work/src/.git" ]; then
  git clone --quiet "$bundle" "$work/src"
fi
echo "llama.cpp $(node -p "require('$info').tag") commit $(git -C "$work/src" rev-parse HEAD)"
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF
cmake --build "$work/build" --target llama-quantize llama-bench -j "$jobs"
ls -l "$work/build/bin/llama-quantize" "$work/build/bin/llama-bench"
