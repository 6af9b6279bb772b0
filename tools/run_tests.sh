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
# Every libFuzzer harness briefly on its corpus (ASan+UBSan; non-zero exit on any finding), after a
# self-check that a crashing harness does fail the stage. ZSL_FUZZ_SECONDS=0 replays the corpora only.
if [ "${ZSL_SKIP_FUZZ:-0}" != 1 ]; then
  if FUZZ_DIR=tools/fuzz_selfcheck SECONDS_PER_HARNESS=2 tools/run_fuzzers.sh >/dev/null 2>&1; then
    echo "run_fuzzers.sh did not report the self-check's crash" >&2
    exit 1
  fi
  SECONDS_PER_HARNESS=${ZSL_FUZZ_SECONDS:-20} tools/run_fuzzers.sh
fi
