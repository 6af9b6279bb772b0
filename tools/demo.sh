#!/usr/bin/env bash
# The main job: install what is needed, build, and run zsl_demo on the embedded default
# (Fashion-MNIST images of classes the backbone and the classifier never saw).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target zsl_demo
exec ./build/zsl_demo "$@"
