#!/usr/bin/env bash
# Builds the module and its tests under AddressSanitizer+UndefinedBehaviorSanitizer and under
# ThreadSanitizer, and runs them: the whole suite under ASan/UBSan, the concurrency tests under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
JOBS=${JOBS:-$(nproc)}
FILTER_TSAN=${FILTER_TSAN:-'*Reliability*:*Thread*:*oncurrent*'}

# Samples are built too: the GBU protocol tests run zsl_benchmark as a child process.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZSL_SANITIZE=address,undefined \
      -DZSL_BUILD_SAMPLES=ON -DZSL_BUILD_PERF=OFF
cmake --build build-asan -j"$JOBS"
# Reference models of the encoder tests (same script as tools/run_tests.sh), so that no test skips for them.
cmake --build build-asan --target zsl_models
# LeakSanitizer on; any ASan/UBSan report stops the run.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ZSL_BUILD_DIR="$PWD/build-asan" ./build-asan/opencv_test_zsl --gtest_brief=1

cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZSL_SANITIZE=thread \
      -DZSL_BUILD_SAMPLES=OFF -DZSL_BUILD_PERF=OFF
cmake --build build-tsan -j"$JOBS"
cmake --build build-tsan --target zsl_models
# ZSL_TEST_THREADS=1: cv::parallel_for_ bodies run in their calling threads (the tests' own 8
# std::threads stay). Debian's OpenCV dispatches parallel_for_ to TBB, which is not instrumented:
# with TBB on, every hand-off to a worker is reported as a race (232 reports in one run, all with
# libtbb frames, none without them; doc/reliability.md).
ZSL_TEST_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions="$PWD/tools/tsan.supp" \
  ZSL_BUILD_DIR="$PWD/build-tsan" ./build-tsan/opencv_test_zsl --gtest_filter="$FILTER_TSAN"
echo "sanitizers: all clean"
