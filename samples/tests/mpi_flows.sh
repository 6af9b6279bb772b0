#!/bin/bash
# Scale-out flows (doc/scale_out.md) on small real data (Fashion-MNIST test images, the shipped backbone):
# mpirun -np 3 and -np 1 of zsl_mpi, and zsl_shard one process per shard, against the single-process tools.
#   mpi_flows.sh <build dir> <source dir> <flow> [mpirun]
set -u
B=$1; S=$2; FLOW=$3; MPIRUN=${4:-}
FM=/usr/share/datasets/fashion-mnist
[ -f $FM/t10k-images-idx3-ubyte.gz ] || { echo "SKIP: no $FM"; exit 77; }
if [ "$FLOW" != shard_cli ]; then
  [ -n "$MPIRUN" ] && [ -x "$MPIRUN" ] || MPIRUN=$(command -v mpirun || true)
  [ -n "$MPIRUN" ] || { echo "SKIP: no mpirun (apt-get install openmpi-bin)"; exit 77; }
  [ -x $B/zsl_mpi ] || { echo "SKIP: zsl_mpi not built (ZSL_WITH_MPI=OFF or no MPI found)"; exit 77; }
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; cd "$T"
M=$S/data/fashion_mnist/backbone_split1.onnx; A=$S/data/fashion_mnist/attributes.csv
PY=/usr/bin/python3 # Debian python3 with python3-opencv and numpy (tools/install_deps.sh)
[ -x $PY ] || PY=python3
fail() { echo "FAIL: $*"; exit 1; }
mpi() { local n=$1; shift; "$MPIRUN" --allow-run-as-root --oversubscribe -np $n "$B/zsl_mpi" "$@"; }
$PY $S/samples/tests/fashion_pngs.py $FM img 10 "T-shirt_top,Trouser,Coat,Sneaker,Bag,Ankle boot,Shirt" || fail "pngs"
$PY $S/samples/tests/fashion_pngs.py $FM new 2 "Pullover,Dress,Sandal" || fail "pngs"
printf '%s\n' img/*/*.png > list.txt # one path per line ("Ankle boot" has a space)
LABEL="--list=list.txt --backbone=$M --preset=fashion"
# Feature files with class labels (the zsl_train --features format), cut into 4 uneven pieces for 3 ranks.
features() {
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=f.json img/*/*.png >/dev/null 2>&1 || fail "extract"
  $PY - <<'PY' || fail "feature pieces"
import json
d = json.load(open("f.json")); f = d["features"]; D = f["cols"]
labels = [p.split("/")[-2].replace("_", "/") for p in d["images"]]
d["labels"] = labels; json.dump(d, open("train.json", "w"))
cuts = [0, 9, 30, 31, len(labels)]
for i in range(4):
    a, b = cuts[i], cuts[i + 1]
    piece = {"features": {"type_id": "opencv-matrix", "rows": b - a, "cols": D, "dt": "f", "data": f["data"][a * D:b * D]},
             "images": d["images"][a:b], "labels": labels[a:b]}
    json.dump(piece, open("piece%d.json" % i, "w"))
PY
}
# Every row of two label files equal: same images, same labels, features within 1e-5 (relative to the largest value).
same_rows() {
  $PY - "$1" "$2" <<'PY' || fail "$1 and $2 differ"
import sys, cv2, numpy as np
def load(p):
    fs = cv2.FileStorage(p, cv2.FILE_STORAGE_READ)
    names = lambda n: [fs.getNode(n).at(i).string() for i in range(fs.getNode(n).size())]
    return fs.getNode("features").mat(), names("images"), names("labels")
(fa, ia, la), (fb, ib, lb) = load(sys.argv[1]), load(sys.argv[2])
assert ia == ib, "images differ"
assert la == lb, ("labels differ", la, lb)
assert fa.shape == fb.shape, (fa.shape, fb.shape)
err = np.abs(fa - fb).max() / np.abs(fb).max()
assert err <= 1e-5, "features differ by %g" % err
PY
}
# Weights of two models within 1e-5 relative.
same_weights() {
  $PY - "$1" "$2" <<'PY' || fail "weights of $1 and $2 differ"
import sys, cv2, numpy as np
def w(p):
    fs = cv2.FileStorage(p, cv2.FILE_STORAGE_READ); m = fs.getNode("opencv_zsl_classifier").getNode("model")
    return m.getNode("V").mat() if not m.getNode("V").empty() else m.getNode("W").mat()
a, b = w(sys.argv[1]), w(sys.argv[2])
assert a is not None and a.shape == b.shape, (None if a is None else a.shape, b.shape)
err = np.abs(a - b).max() / np.abs(b).max()
print("weights: max relative difference %.3g" % err)
assert err <= 1e-5, err
PY
}
classify() { $B/zsl_classify --model=$1 --json new.yml.gz > $2 || fail "classify with $1"; }
case $FLOW in
shard_cli)      # zsl_shard, one process per shard (the Slurm/Spark contract), against the single-process tools
  usage() { "$@" >/dev/null 2>&1; [ $? -eq 2 ] || fail "not a usage error: $*"; }
  usage $B/zsl_shard label --no-such-option=1; usage $B/zsl_shard no-such-step; usage $B/zsl_shard
  usage $B/zsl_shard merge-labels --shards=zero $LABEL --dir=x --output=o.yml.gz
  for bad in 3/3 -1/3 1/0 1 a/b; do
    msg=$($B/zsl_shard label --shard=$bad $LABEL --dir=x 2>&1) && fail "--shard=$bad accepted"
    echo "$msg" | grep -q "\-\-shard=$bad" || fail "--shard=$bad not named: $msg"
  done
  [ -e x ] && fail "a refused shard created its folder"
  for i in 0 1 2; do $B/zsl_shard label --shard=$i/3 $LABEL --dir=shards 2>/dev/null || fail "label shard $i"; done
  $B/zsl_shard merge-labels --shards=3 $LABEL --dir=shards --output=all.yml.gz 2>/dev/null || fail "merge-labels"
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=ref.yml.gz img/*/*.png >/dev/null 2>&1 || fail "extract"
  $PY -c '
import cv2, numpy as np
fa, fb = cv2.FileStorage("all.yml.gz", 0), cv2.FileStorage("ref.yml.gz", 0)
a, b = fa.getNode("features").mat(), fb.getNode("features").mat()
assert a.shape == b.shape and np.abs(a - b).max() <= 1e-5 * np.abs(b).max(), "zsl_shard features differ from zsl_extract"' || fail "features"
  features
  for i in 0 1 2 3; do $B/zsl_shard stats --prototypes=$A --output=part$i.zslstats piece$i.json 2>/dev/null || fail "stats $i"; done
  $B/zsl_shard solve --prototypes=$A --output=sharded.yml.gz part0.zslstats part1.zslstats part2.zslstats part3.zslstats 2>/dev/null || fail "solve"
  $B/zsl_train --features=train.json --prototypes=$A --out=single.yml.gz >/dev/null 2>&1 || fail "zsl_train"
  same_weights sharded.yml.gz single.yml.gz
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=new.yml.gz new/*/*.png >/dev/null 2>&1 || fail "extract new"
  classify sharded.yml.gz a.json; classify single.yml.gz b.json; cmp a.json b.json || fail "labels differ"
  # A statistics file that is not one (truncated) is refused, naming it.
  head -c 100 part1.zslstats > cut.zslstats
  msg=$($B/zsl_shard solve --prototypes=$A --output=x.yml.gz part0.zslstats cut.zslstats 2>&1) && fail "truncated statistics accepted"
  echo "$msg" | grep -q "cut.zslstats" || fail "file not named: $msg"
  # Search: 3 shards merged == one shard holding everything (the single index).
  cp piece0.json dup.json # exact duplicates of gallery rows: ties across shards, broken by the lower global row
  G="piece0.json piece1.json piece2.json piece3.json dup.json"
  for i in 0 1 2; do $B/zsl_shard search --shard=$i/3 --queries=f.json --k=5 --output=h$i.yml.gz $G 2>/dev/null || fail "search $i"; done
  $B/zsl_shard merge-search --shards=3 --k=5 --output=sharded.json h0.yml.gz h1.yml.gz h2.yml.gz || fail "merge-search"
  $B/zsl_shard search --shard=0/1 --queries=f.json --k=5 --output=h.yml.gz $G 2>/dev/null || fail "search 0/1"
  $B/zsl_shard merge-search --shards=1 --k=5 --output=single.json h.yml.gz || fail "merge-search 1"
  cmp sharded.json single.json || fail "sharded search differs from the single index"
  $PY -c '
import json; r = json.load(open("single.json"))["results"]
assert all(q["hits"][0]["id"] == i for i, q in enumerate(r)), "a query is not its own nearest row"
assert r[0]["hits"][1]["id"] == 70 and r[0]["hits"][1]["similarity"] == r[0]["hits"][0]["similarity"], "tie with the duplicate"' || fail "hits" ;;
label)          # mpirun -np 3 and -np 1 give the rows of zsl_extract, and the labels of zsl_classify
  features
  $B/zsl_train --features=train.json --prototypes=$A --out=model.yml.gz >/dev/null 2>&1 || fail "zsl_train"
  printf '%s\n' new/*/*.png >> list.txt
  mpi 3 label $LABEL --classifier=model.yml.gz --dir=s3 --output=out3.yml.gz 2>log3 || { cat log3; fail "np 3"; }
  mpi 1 label $LABEL --classifier=model.yml.gz --dir=s1 --output=out1.yml.gz 2>log1 || { cat log1; fail "np 1"; }
  [ $(ls s3 | wc -l) = 3 ] || fail "3 shard files"
  same_rows out3.yml.gz out1.yml.gz
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=ref.yml.gz img/*/*.png new/*/*.png >/dev/null 2>&1 || fail "extract"
  $B/zsl_classify --model=model.yml.gz --json ref.yml.gz > ref.json || fail "classify"
  $PY -c '
import json, cv2
fs = cv2.FileStorage("out3.yml.gz", 0); n = fs.getNode("labels"); got = [n.at(i).string() for i in range(n.size())]
ref = [r["labels"][0]["class"] if isinstance(r["labels"][0], dict) else r["labels"][0] for r in json.load(open("ref.json"))]
assert got == ref, (got, ref)' || fail "labels differ from zsl_classify" ;;
resume)         # a rerun skips complete shards, recomputes a truncated (partial) one and a missing one
  mpi 3 label $LABEL --dir=s --output=out.yml.gz 2>log || { cat log; fail "first run"; }
  cp out.yml.gz first.yml.gz; t0=$(stat -c %Y.%s s/shard-0-of-3.yml.gz)
  size=$(stat -c %s s/shard-1-of-3.yml.gz); head -c $((size / 2)) s/shard-1-of-3.yml.gz > cut; mv cut s/shard-1-of-3.yml.gz
  rm s/shard-2-of-3.yml.gz
  sleep 1; mpi 3 label $LABEL --dir=s --output=out.yml.gz 2>log2 || { cat log2; fail "rerun"; }
  grep -q "rank 0: shard 0 of 3 skipped" log2 || fail "complete shard 0 not skipped: $(cat log2)"
  grep -q "rank 1: shard 1 of 3 recomputed" log2 || fail "partial shard 1 not recomputed: $(cat log2)"
  grep -q "rank 2: shard 2 of 3 computed" log2 || fail "missing shard 2 not computed: $(cat log2)"
  [ "$(stat -c %Y.%s s/shard-0-of-3.yml.gz)" = "$t0" ] || fail "shard 0 rewritten"
  same_rows out.yml.gz first.yml.gz
  # A job killed mid-run (SIGTERM to mpirun while rank 2 blocks on a FIFO in place of its last image): the finished
  # shards are kept, nothing is merged, and the rerun computes only the killed shard.
  last=$(tail -1 list.txt); cp "$last" keep.png; rm "$last"; mkfifo "$last"
  "$MPIRUN" --allow-run-as-root --oversubscribe -np 3 $B/zsl_mpi label $LABEL --dir=k --output=killed.yml.gz 2>klog & pid=$!
  for i in $(seq 240); do [ -f k/shard-0-of-3.yml.gz ] && [ -f k/shard-1-of-3.yml.gz ] && break; sleep 0.5; done
  [ -f k/shard-1-of-3.yml.gz ] || { kill -TERM $pid; fail "shards 0 and 1 not written: $(cat klog)"; }
  sleep 1; kill -TERM $pid; wait $pid && fail "the killed job exited 0"
  rm "$last"; cp keep.png "$last"
  [ -e killed.yml.gz ] && fail "merged output written by a killed job"
  [ -e k/shard-2-of-3.yml.gz ] && fail "the killed shard left a file"
  mpi 3 label $LABEL --dir=k --output=killed.yml.gz 2>klog2 || { cat klog2; fail "rerun after the kill"; }
  [ $(grep -o "skipped" klog2 | wc -l) = 2 ] && grep -q "rank 2: shard 2 of 3 computed" klog2 || fail "resume after kill: $(cat klog2)"
  same_rows killed.yml.gz first.yml.gz
  # Another job (another backbone option) in the same folder: every shard is stale and recomputed.
  mpi 3 label $LABEL --batch=7 --dir=s --output=out.yml.gz 2>log3 || { cat log3; fail "same job, other batch"; }
  [ $(grep -o "skipped" log3 | wc -l) = 3 ] || fail "the batch size is not part of the job: $(cat log3)"
  mpi 3 label $LABEL --preset=caffe --dir=s --output=other.yml.gz 2>log4 || { cat log4; fail "other job"; }
  [ $(grep -o "recomputed" log4 | wc -l) = 3 ] || fail "stale shards not recomputed: $(cat log4)" ;;
failing_rank)   # an unreadable image in shard 2: exit non-zero naming rank and shard; no merged output; then resume
  last=$(tail -1 list.txt); cp "$last" keep.png; echo "not a png" > "$last"
  mpi 3 label $LABEL --dir=s --output=out.yml.gz > log 2>&1 && fail "a failing rank exited 0"
  grep -q "rank 2 (shard 2 of 3) failed" log || fail "rank/shard not named: $(cat log)"
  grep -qF "$last" log || fail "the bad image is not named: $(cat log)"
  [ -e out.yml.gz ] && fail "merged output written although a rank failed"
  ls -a . s | grep -q "^\.zsl" && fail "temporary file left"
  [ -f s/shard-0-of-3.yml.gz ] && [ -f s/shard-1-of-3.yml.gz ] && [ ! -e s/shard-2-of-3.yml.gz ] || fail "shard files: $(ls s)"
  cp keep.png "$last"
  mpi 3 label $LABEL --dir=s --output=out.yml.gz 2>log2 || { cat log2; fail "rerun after the fix"; }
  [ $(grep -o "skipped" log2 | wc -l) = 2 ] && grep -q "rank 2: shard 2 of 3 computed" log2 || fail "resume: $(cat log2)"
  # A merge that finds a shard incomplete refuses (and keeps the previous output).
  cp out.yml.gz good.yml.gz; echo garbage > s/shard-1-of-3.yml.gz
  $B/zsl_shard merge-labels --shards=3 $LABEL --dir=s --output=out.yml.gz > m.log 2>&1 && fail "merge of a corrupt shard"
  grep -q "shard 1 of 3" m.log || fail "corrupt shard not named: $(cat m.log)"
  cmp out.yml.gz good.yml.gz || fail "previous output changed" ;;
train)          # distributed closed-form training == zsl_train on the concatenated features (ESZSL and SAE)
  features
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=new.yml.gz new/*/*.png >/dev/null 2>&1 || fail "extract new"
  for method in ESZSL SAE; do
    P="--prototypes=$A --method=$method --lambda=0.5"
    $B/zsl_train --features=train.json $P --out=single.yml.gz >/dev/null 2>&1 || fail "zsl_train $method"
    mpi 3 train $P --output=m3.yml.gz piece0.json piece1.json piece2.json piece3.json 2>log3 || { cat log3; fail "np 3 $method"; }
    mpi 1 train $P --output=m1.yml.gz piece0.json piece1.json piece2.json piece3.json 2>log1 || { cat log1; fail "np 1 $method"; }
    mpi 3 train $P --output=again.yml.gz piece0.json piece1.json piece2.json piece3.json 2>/dev/null || fail "np 3 again"
    cmp m3.yml.gz again.yml.gz || fail "$method: np 3 twice gives different model files"
    same_weights m3.yml.gz single.yml.gz; same_weights m1.yml.gz single.yml.gz
    classify single.yml.gz s.json; classify m3.yml.gz a.json; classify m1.yml.gz b.json
    cmp a.json s.json && cmp b.json s.json || fail "$method: labels differ from the single-process model"
  done
  # A shard of another dimension fails the job, naming the file; no model is written.
  $PY -c '
import json; d = json.load(open("piece1.json")); f = d["features"]; D = f["cols"]
f["data"] = [x for i, x in enumerate(f["data"]) if i % D != 0]; f["cols"] = D - 1; json.dump(d, open("narrow.json", "w"))'
  out=$(mpi 3 train --prototypes=$A --output=bad.yml.gz piece0.json narrow.json piece2.json 2>&1) && fail "mixed dimensions accepted"
  [ -e bad.yml.gz ] && fail "model written"; echo "$out" | grep -q "rank" || fail "no rank named: $out" ;;
retrieve)       # sharded exact search over 3 ranks == the single index (one rank), ties across shards included
  features; cp piece0.json dup.json
  G="piece0.json piece1.json piece2.json piece3.json dup.json"
  mpi 3 retrieve --queries=f.json --k=5 --output=r3.json $G 2>log3 || { cat log3; fail "np 3"; }
  mpi 1 retrieve --queries=f.json --k=5 --output=r1.json $G 2>log1 || { cat log1; fail "np 1"; }
  cmp r3.json r1.json || fail "np 3 differs from np 1: $(diff r3.json r1.json | head -4)"
  for i in 0 1 2; do $B/zsl_shard search --shard=$i/3 --queries=f.json --k=5 --output=h$i.yml.gz $G 2>/dev/null || fail "search $i"; done
  $B/zsl_shard merge-search --shards=3 --k=5 --output=rs.json h0.yml.gz h1.yml.gz h2.yml.gz || fail "merge-search"
  cmp r3.json rs.json || fail "zsl_mpi differs from zsl_shard"
  $PY -c '
import json; r = json.load(open("r1.json"))["results"]
assert len(r) == 70 and all(len(q["hits"]) == 5 for q in r)
assert all(q["hits"][0]["id"] == i for i, q in enumerate(r)), "a query is not its own nearest row"
assert r[3]["hits"][1]["id"] == 73, "the duplicate of row 3 (global row 73) is not second"' || fail "hits" ;;
*) fail "unknown flow $FLOW" ;;
esac
echo PASS
