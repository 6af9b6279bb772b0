#!/usr/bin/env bash
# Runs every benchmark with its peer interleaved, on an idle machine, and writes one Markdown report.
#
#   tools/bench_all.sh [build-dir] [report.md]          (default: build, build/bench_all.md)
#   ZSL_BENCH_SKIP="ann encoder" tools/bench_all.sh      skip some sections (closed_form network_scoring ann encoder trainable
#                                                        ranking scale_out scale_out_ranks imagenet imagenet_1t generator mat_file)
#   ZSL_BENCH_ANN_ROWS=200000 ZSL_BENCH_ANN_ROUNDS=1     size and rounds of the approximate-search section
#   ZSL_BENCH_FAISS_BUILD_THREADS=2                      FAISS's build threads (1: the same work as the module's)
#   ZSL_BENCH_GENERATOR_EPOCHS=2                         epochs per round of the generator section
#
# 1. Installs the peers: Debian python3-faiss and python3-hnswlib (apt), npm onnxruntime-node (in tools/).
# 2. Waits until the 1-minute load average is <= ZSL_BENCH_MAX_LOAD (0.5): figures taken under load are not
#    figures. Each section records the load when it started and when it ended.
# 3. Runs each benchmark program (their peers run in the same program, interleaved) and appends its output.
# Copy the tables into doc/benchmarks.md with the date and machine the report starts with.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-build}
build=$(cd "$build" && pwd)
report=${2:-$build/bench_all.md}
max_load=${ZSL_BENCH_MAX_LOAD:-0.5}
skip=" ${ZSL_BENCH_SKIP:-} "
py=/usr/bin/python3
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# 1. Peers.
missing=()
for p in python3-faiss python3-hnswlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v npm >/dev/null 2>&1 && [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund >/dev/null 2>&1) ||
    echo "bench_all: npm install onnxruntime-node failed: the encoder section runs without ONNX Runtime" >&2
fi

load() { cut -d' ' -f1 /proc/loadavg; }
wait_idle() {
  local waited=0
  while awk -v l="$(load)" -v m="$max_load" 'BEGIN { exit !(l > m) }'; do
    if [ $waited -ge 1800 ]; then
      echo "bench_all: load average still $(load) after 30 min; running anyway (figures marked)" >&2
      return 1
    fi
    sleep 10
    waited=$((waited + 10))
  done
  return 0
}
want() { [[ "$skip" != *" $1 "* ]]; }

{
  echo "# bench_all report"
  echo
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(. /etc/os-release; echo "$PRETTY_NAME"); commit $(git -C "$root" rev-parse --short HEAD)."
  echo "Each section: 1-minute load average when it started / ended (target <= $max_load at start)."
} > "$report"

section() { # name, title, command...
  local name=$1 title=$2
  shift 2
  want "$name" || return 0
  local note=""
  wait_idle || note=" (NOT IDLE: waited 30 min)"
  local start
  start=$(load)
  echo "bench_all: $title (load $start)" >&2
  local out
  out=$("$@" 2>&1)
  local rc=$?
  {
    echo
    echo "## $title"
    echo
    echo "Command: \`$*\`; load average $start at start, $(load) at end$note; exit status $rc."
    echo
    echo '```'
    echo "$out"
    echo '```'
  } >> "$report"
}

cd "$root"
section closed_form "Closed-form methods vs numpy (training and scoring)" \
  $py tools/bench_closed_form_numpy.py --build "$build" --rounds 5 --max-load 100
section network_scoring "Network methods' computeScores vs the bare products of their layers" \
  "$build/bench_linear" --networks 2 --reps 3
section ann "Approximate search vs hnswlib and FAISS HNSW" \
  $py tools/bench_ann.py --build "$build" --rows "${ZSL_BENCH_ANN_ROWS:-200000}" --rounds "${ZSL_BENCH_ANN_ROUNDS:-1}" --max-load 100 \
  --faiss-build-threads "${ZSL_BENCH_FAISS_BUILD_THREADS:-1}"
if [ -f "$build/models/resnet18.onnx" ]; then
  section encoder "Visual encoder: module vs raw cv::dnn vs ONNX Runtime" \
    "$build/bench_encoder" --model="$build/models/resnet18.onnx" --rounds=5 --seconds=3
else
  echo "bench_all: $build/models/resnet18.onnx missing (ninja -C $build zsl_models): encoder section skipped" >&2
fi
section trainable "MLP training vs PyTorch" "$build/bench_trainable" --rows 8000 --epochs 2 --threads 2
[ -x "$build/bench_ranking" ] && section ranking "ALE training epoch vs PyTorch" "$build/bench_ranking"
# Benchmarks of the scale-out, ImageNet and generator work, when built.
[ -x "$build/bench_scale_out" ] && section scale_out "Scale-out: statistics, merge, solve and shard search vs one process" \
  "$build/bench_scale_out" --rows 20000 --dims 2048 --classes 40 --attributes 85 --shards 3 --rounds 5 --gallery 200000 --queries 64 --k 10
[ -x "$build/zsl_mpi" ] && section scale_out_ranks "Scale-out: zsl_mpi -np 1 vs -np 3 (2 cores: oversubscribed)" \
  "$here/bench_scale_out.sh" "$build" --rows 6000 --dims 512 --classes 40 --ranks 3 --rounds 5
[ -x "$build/bench_imagenet" ] && section imagenet "ImageNet-21K labelling beyond the forward pass, 2 threads" "$build/bench_imagenet"
[ -x "$build/bench_imagenet" ] && section imagenet_1t "ImageNet-21K labelling beyond the forward pass, 1 thread" \
  "$build/bench_imagenet" --threads=1 --rounds=51
# The paper's 100 epochs take hours per round on 2 cores: the per-epoch ratio is measured (time is linear in epochs).
[ -x "$build/bench_cada_vae" ] && section generator "CADA_VAE training vs PyTorch (AwA2 scale)" \
  env OPENBLAS_NUM_THREADS=2 "$build/bench_cada_vae" --threads 2 --epochs "${ZSL_BENCH_GENERATOR_EPOCHS:-2}" --rounds 3
[ -x "$build/perf_mat_file" ] && section mat_file "MAT-file I/O vs cv::FileStorage" "$build/perf_mat_file" \
  $([ -d "$root/../shared/data/gbu" ] && echo "--gbu=$root/../shared/data/gbu")
echo "bench_all: report written to $report" >&2
