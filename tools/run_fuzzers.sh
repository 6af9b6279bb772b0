#!/usr/bin/env bash
# Builds the libFuzzer harnesses of modules/zsl/fuzz (clang, ASan+UBSan) and runs each for
# $SECONDS_PER_HARNESS seconds (default 600) on its corpus in fuzz/corpus/<harness>.
# Usage: tools/run_fuzzers.sh [harness ...]
#   Exits non-zero when any harness finds a crash, leak, timeout or out-of-memory input (or does not
#   build); the findings are in $OUT/findings-<harness>/ and the log in $OUT/log-<harness>.txt.
#   FUZZ_DIR=<dir> takes the harnesses (fuzz_*.cpp) and corpora from another folder.
#   SECONDS_PER_HARNESS=0 only rebuilds the harnesses and replays the committed corpora (a quick
#   regression check); MERGE=1 afterwards folds the new coverage of build-fuzz/corpus-<harness>
#   into the committed corpus (libFuzzer -merge=1 keeps the smallest inputs that cover it).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_HARNESS=${SECONDS_PER_HARNESS:-600}
OUT=${FUZZ_BUILD_DIR:-build-fuzz}
mkdir -p "$OUT"
FUZZ_DIR=${FUZZ_DIR:-modules/zsl/fuzz}
command -v clang++ >/dev/null || { echo "run_fuzzers: clang++ is missing (tools/install_deps.sh installs clang)" >&2; exit 2; }
CXX="clang++"
command -v ccache >/dev/null && CXX="ccache clang++"
FLAGS="-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
INCS="-Imodules/zsl/include -Imodules/zsl/src -I/usr/include/eigen3 $(pkg-config --cflags opencv4)"
# hnswlib (header-only) when installed, so the checked reader of saved HNSW graphs is fuzzed too.
[ -f /usr/include/hnswlib/hnswlib.h ] && INCS="$INCS -DZSL_HAVE_HNSWLIB=1"
LIBS="$(pkg-config --libs opencv4) -lboost_json -lz -lpthread"
# The module is compiled once into objects with the fuzzer's coverage instrumentation (in parallel).
mapfile -t sources < <(find modules/zsl/src -name "*.cpp" | sort)
objs=()
for src in "${sources[@]}"; do
  objs+=("$OUT/$(echo "${src#modules/zsl/src/}" | tr / _ | sed 's/\.cpp$/.o/')")
done
export CXX FLAGS INCS
# One (source, object) pair per job; the object names are the ones linked below.
for i in "${!sources[@]}"; do printf '%s\n%s\n' "${sources[$i]}" "${objs[$i]}"; done |
  xargs -d '\n' -n 2 -P "$(nproc)" bash -c '
    src=$1; obj=$2
    # Stale when the source or any header of the module changed since the object was built.
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
       [ -n "$(find modules/zsl/include modules/zsl/src -name "*.hpp" -newer "$obj" -print -quit)" ]; then
      extra=""
      # hnswlib 0.6.2 prefetches past the end of a full neighbour list (hnswalg.h:300): pointer
      # arithmetic that overflows on every graph, harmless; its one includer keeps the other checks.
      case "$src" in *hnsw_graph.cpp) extra="-fno-sanitize=pointer-overflow" ;; esac
      $CXX ${FLAGS/fuzzer,/fuzzer-no-link,} $extra -DZSL_STANDALONE=1 $INCS -c "$src" -o "$obj"
    fi' _
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$FUZZ_DIR"/fuzz_*.cpp; do harnesses+=("$(basename "${f%.cpp}")"); done
fi
failed=()
for h in "${harnesses[@]}"; do
  if ! clang++ $FLAGS $INCS -I"$FUZZ_DIR" -Imodules/zsl/fuzz "$FUZZ_DIR/$h.cpp" "${objs[@]}" $LIBS -o "$OUT/$h"; then
    failed+=("$h (does not build)")
    continue
  fi
  corpus="$FUZZ_DIR/corpus/$h"
  rm -rf "$OUT/findings-$h"
  mkdir -p "$corpus" "$OUT/findings-$h" "$OUT/corpus-$h"
  echo "== $h: ${SECONDS_PER_HARNESS}s (log: $OUT/log-$h.txt)"
  # One thread per harness: runs are reproducible and several harnesses can share the machine.
  OPENCV_FOR_THREADS_NUM=1 ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0:malloc_limit_mb=2048 \
    "$OUT/$h" -max_total_time="$SECONDS_PER_HARNESS" -runs=$([ "$SECONDS_PER_HARNESS" = 0 ] && echo 0 || echo -1) \
    -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$OUT/findings-$h/" -print_final_stats=1 "$OUT/corpus-$h" "$corpus" >"$OUT/log-$h.txt" 2>&1 && rc=0 || rc=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY" "$OUT/log-$h.txt" | tail -n 8
  findings=$(ls "$OUT/findings-$h" | wc -l)
  echo "findings: $findings (exit status $rc)"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    failed+=("$h (exit status $rc, $findings findings in $OUT/findings-$h, log $OUT/log-$h.txt)")
  fi
  if [ "${MERGE:-0}" = 1 ]; then
    OPENCV_FOR_THREADS_NUM=1 "$OUT/$h" -merge=1 -rss_limit_mb=2048 -timeout=10 "$corpus" "$OUT/corpus-$h" >"$OUT/merge-$h.txt" 2>&1 || true
    echo "corpus: $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) kB"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "run_fuzzers: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: ${#harnesses[@]} harnesses, no findings"
