#!/usr/bin/env bash
# Builds the module and its tests under AddressSanitizer+UndefinedBehaviorSanitizer and under
# ThreadSanitizer, and runs them: the whole suite under ASan/UBSan, the concurrency tests under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
JOBS=${JOBS:-$(nproc)}
FILTER_TSAN=${FILTER_TSAN:-'*Reliability*:*Thread*:*oncurrent*'}

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZSL_SANITIZE=address,undefined \
      -DZSL_BUILD_SAMPLES=OFF -DZSL_BUILD_PERF=OFF
cmake --build build-asan -j"$JOBS"
# OpenCV's own allocations are not instrumented; leaks inside libopencv are not ours to fix.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ./build-asan/opencv_test_zsl --gtest_brief=1

cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZSL_SANITIZE=thread \
      -DZSL_BUILD_SAMPLES=OFF -DZSL_BUILD_PERF=OFF
cmake --build build-tsan -j"$JOBS"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ./build-tsan/opencv_test_zsl --gtest_filter="$FILTER_TSAN"
echo "sanitizers: all clean"
