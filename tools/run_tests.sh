#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds (Release), generates test models, runs ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j"$(nproc)"
# Reference models of the visual encoder tests (tools/export_resnet18.py); the tests skip without them.
cmake --build "$BUILD" --target zsl_models
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
