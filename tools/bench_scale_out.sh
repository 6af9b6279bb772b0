#!/bin/bash
# Benchmark: the MPI overhead of the scale-out tools, zsl_mpi train and retrieve with mpirun -np 1 (the peer:
# one process, the same code path) against -np N, interleaved rounds, medians (doc/scale_out.md).
# With more ranks than cores the figures are labelled OVERSUBSCRIBED: they then measure the cost of the
# reduction and of the extra processes, not a speed-up.
#   tools/bench_scale_out.sh <build dir> [--rows 6000] [--dims 512] [--classes 40] [--ranks 3] [--rounds 5]
# The per-rank compute figures (accumulate, merge, solve, shard search) come from <build dir>/bench_scale_out.
set -eu
B=$(cd "$1" && pwd); shift
ROWS=6000; DIMS=512; CLASSES=40; RANKS=3; ROUNDS=5
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2;; --dims) DIMS=$2;; --classes) CLASSES=$2;; --ranks) RANKS=$2;; --rounds) ROUNDS=$2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac; shift 2
done
MPIRUN=$(command -v mpirun) || { echo "no mpirun (apt-get install openmpi-bin)" >&2; exit 2; }
[ -x "$B/zsl_mpi" ] || { echo "$B/zsl_mpi not built (ZSL_WITH_MPI)" >&2; exit 2; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; cd "$T"
/usr/bin/python3 - "$ROWS" "$DIMS" "$CLASSES" "$RANKS" <<'PY'
import sys, numpy as np
rows, dims, classes, ranks = map(int, sys.argv[1:])
rng = np.random.default_rng(1)
with open("classes.csv", "w") as f:
    f.write("class," + ",".join("a%d" % j for j in range(85)) + "\n")
    for c in range(classes):
        f.write("c%d," % c + ",".join("%.4f" % v for v in rng.random(85)) + "\n")
bounds = np.linspace(0, rows, ranks + 1).astype(int)
for s in range(ranks):
    n = bounds[s + 1] - bounds[s]
    X = rng.random((n, dims), dtype=np.float32)
    with open("part%d.yml" % s, "w") as f:
        f.write("%%YAML:1.0\n---\nfeatures: !!opencv-matrix\n   rows: %d\n   cols: %d\n   dt: f\n   data: [ " % (n, dims))
        f.write(", ".join("%.8g" % v for v in X.ravel()))
        f.write(" ]\nlabels: [ " + ", ".join(str((bounds[s] + i) % classes) for i in range(n)) + " ]\nimages: [ "
                + ", ".join('"r%d"' % (bounds[s] + i) for i in range(n)) + " ]\n")
PY
FILES=$(ls part*.yml)
CORES=$(nproc)
LABEL=""; [ "$RANKS" -gt "$CORES" ] && LABEL=" OVERSUBSCRIBED ($RANKS ranks on $CORES cores)"
run() { local n=$1; shift; local t0=$(date +%s.%N); "$MPIRUN" --allow-run-as-root --oversubscribe -np $n "$B/zsl_mpi" "$@" >/dev/null 2>&1 || { echo "zsl_mpi $* failed" >&2; exit 1; }; echo "$(date +%s.%N) - $t0" | bc; }
declare -a t1 tn r1 rn
for r in $(seq $ROUNDS); do
  t1+=($(run 1 train --prototypes=classes.csv --output=m1.yml.gz $FILES)); tn+=($(run $RANKS train --prototypes=classes.csv --output=mn.yml.gz $FILES))
  r1+=($(run 1 retrieve --queries=part0.yml --k=10 --output=r1.json $FILES)); rn+=($(run $RANKS retrieve --queries=part0.yml --k=10 --output=rn.json $FILES))
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cmp r1.json rn.json >/dev/null && same=identical || same=DIFFERENT
echo "# bench_scale_out.sh: N=$ROWS D=$DIMS C=$CLASSES in $RANKS files, $ROUNDS rounds (medians, wall clock incl. mpirun start)$LABEL"
echo "statistics per rank: $(( DIMS * DIMS + CLASSES * DIMS + CLASSES )) doubles = $(( (DIMS * DIMS + CLASSES * DIMS + CLASSES) * 8 / 1024 )) KiB"
a=$(med "${t1[@]}"); b=$(med "${tn[@]}")
echo "train:    -np 1 (peer) $a s, -np $RANKS $b s, ratio $(echo "scale=2; $b / $a" | bc)$LABEL"
a=$(med "${r1[@]}"); b=$(med "${rn[@]}")
echo "retrieve: -np 1 (peer) $a s, -np $RANKS $b s, ratio $(echo "scale=2; $b / $a" | bc)$LABEL; results $same"
