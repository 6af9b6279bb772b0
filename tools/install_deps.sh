#!/usr/bin/env bash
# Installs every Debian package the project needs (build, tests, data scripts, samples).
# Idempotent; used by the README's commands and by .ci/run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  libopencv-dev libopencv-contrib-dev libeigen3-dev libboost-json1.81-dev zlib1g-dev libgtest-dev
  # benchmarks: PyTorch peer of perf/bench_trainable (tools/bench_torch_mlp.py)
  python3-torch
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
