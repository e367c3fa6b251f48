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
# -march=native turns on ggml's AMX kernels where the CPU reports AMX; on this kind of machine
# (a VM) they crash (SIGSEGV in ggml_backend_amx_mul_mat), so such CPUs get a non-native build
# with every other x86 feature the CPU reports.
cpu_flags() {
  local flags; flags="$(grep -m1 '^flags' /proc/cpuinfo || true)"
  if [[ " $flags " != *" amx_tile "* ]]; then echo "-DGGML_NATIVE=ON"; return; fi
  local out="-DGGML_NATIVE=OFF" f opt
  for f in avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2 avx_vnni:AVX_VNNI avx512f:AVX512 \
           avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    opt="OFF"; [[ " $flags " == *" ${f%%:*} "* ]] && opt="ON"
    out+=" -DGGML_${f##*:}=$opt"
  done
  echo "$out"
}
# shellcheck disable=SC2046
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release $(cpu_flags) \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF
cmake --build "$work/build" --target llama-quantize llama-bench -j "$jobs"
ls -l "$work/build/bin/llama-quantize" "$work/build/bin/llama-bench"
