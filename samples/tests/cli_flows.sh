#!/bin/bash
# Tests of the sample programs on small real data (Fashion-MNIST test images from Debian's
# dataset-fashion-mnist, the shipped Fashion-MNIST backbone): cli_flows.sh <build dir> <source dir> <flow>
set -u
B=$1; S=$2; FLOW=$3
FM=/usr/share/datasets/fashion-mnist
[ -f $FM/t10k-images-idx3-ubyte.gz ] || { echo "SKIP: no $FM"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; cd "$T"
M=$S/data/fashion_mnist/backbone_split1.onnx; A=$S/data/fashion_mnist/attributes.csv
fail() { echo "FAIL: $*"; exit 1; }
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' || fail "stdout is not JSON"; }
python3 $S/samples/tests/fashion_pngs.py $FM img 10 "T-shirt_top,Trouser,Coat,Sneaker,Bag,Ankle boot,Shirt" || fail "pngs"
python3 $S/samples/tests/fashion_pngs.py $FM new 1 "Pullover,Dress,Sandal" || fail "pngs"
mkdir new_photos; cp new/*/*.png new_photos/
# Features of the seen-class images with their class names (tutorial §2: --features file).
features() {
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=f.json img/*/*.png >/dev/null 2>&1 || fail "extract"
  python3 - <<'PY' || fail "labels"
import json
d = json.load(open("f.json"))
d["labels"] = [p.split("/")[-2].replace("_", "/") for p in d["images"]]
json.dump(d, open("train.json", "w"))
PY
}
case $FLOW in
train_features)   # doc/tutorial.md §2: zsl_train --features=... ; zsl_classify on features
  features
  $B/zsl_train --features=train.json --prototypes=$A --out=model.yml.gz || fail "train --features"
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=new.yml.gz new/*/*.png 2>/dev/null || fail "extract new"
  $B/zsl_classify --model=model.yml.gz --json new.yml.gz > out.json || fail "classify features"
  json_ok < out.json
  python3 -c 'import json; d=json.load(open("out.json")); assert len(d)==3, d' || fail "3 results" ;;
train_images)     # tutorial §2 step 3/4 with the shipped backbone
  $B/zsl_train --backbone=$M --preset=fashion --prototypes=$A --images=img --method=ESZSL --select --out=my_classifier.yml.gz || fail "train images --select"
  # §2 step 3: features of a folder (zsl_extract on new_photos/), classified by the image model too
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=new.yml.gz new_photos/ 2>/dev/null || fail "extract folder"
  $B/zsl_classify --model=my_classifier.yml.gz --json new.yml.gz > fj.json || fail "classify feature file"; json_ok < fj.json
  # §3: --prototypes=more_classes.csv replaces the unseen classes (same attribute columns)
  { head -1 $A; grep -E "^(Dress|Sandal)," $A; } > more_classes.csv
  out=$($B/zsl_classify --model=my_classifier.yml.gz --prototypes=more_classes.csv --json new_photos/) || fail "--prototypes"
  echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=json.dumps(d); assert "Pullover" not in s and "Dress" in s, s' || fail "unseen classes not replaced" 
  $B/zsl_classify --model=my_classifier.yml.gz --attributes=$A --out-dir=annotated new_photos/ || fail "classify out-dir"
  [ $(ls annotated | wc -l) = 3 ] || fail "3 annotated images"
  $B/zsl_classify --model=my_classifier.yml.gz --json new_photos/ > labels.json || fail "classify json"; json_ok < labels.json
  $B/zsl_classify --model=my_classifier.yml.gz --gzsl new/Dress/*.png || fail "gzsl"
  # --backbone overrides the stored path: a model whose backbone is gone still classifies feature files
  # (loaded without encoder), and images with --backbone=
  cp $M bb.onnx; $B/zsl_train --backbone=bb.onnx --preset=fashion --prototypes=$A --images=img --out=moved.yml.gz >/dev/null 2>&1 || fail "train bb"
  rm bb.onnx
  $B/zsl_classify --model=moved.yml.gz --json new.yml.gz > m1.json || fail "feature file without the backbone"; json_ok < m1.json
  out=$($B/zsl_classify --model=moved.yml.gz --json new/Dress/*.png 2>/dev/null) && fail "images classified without a backbone"
  echo "$out" | json_ok
  $B/zsl_classify --model=moved.yml.gz --backbone=$M --json new_photos/ > m2.json || fail "--backbone"
  python3 -c 'import json; a=json.load(open("m1.json")); b=json.load(open("m2.json")); assert [x["labels"] for x in a]==[x["labels"] for x in b], (a,b)' || fail "--backbone results differ from the feature file" ;;
extract_keeps_input)  # output forgotten: input byte-identical, non-zero exit
  cp new/Dress/*.png photo.png; cp photo.png ref.png; ln -s photo.png link.yml
  $B/zsl_extract --model=$M photo.png ref.png && fail "accepted a missing --output"
  $B/zsl_extract --model=$M --output=./photo.png photo.png && fail "wrote a .png"
  $B/zsl_extract --model=$M --output=link.yml photo.png && fail "wrote over its input via a symlink"
  cmp photo.png ref.png || fail "input changed" ;;
bad_options)   # usage errors exit 2 before touching any file (not a default silently used)
  usage() { "$@" >/dev/null 2>&1; [ $? -eq 2 ] || fail "not a usage error: $*"; }
  usage $B/zsl_classify --model=m --top=abc x.png
  usage $B/zsl_classify --model=m -k 2 x.png
  usage $B/zsl_classify --model=m --bogus=1 x.png
  usage $B/zsl_train --features=x --prototypes=$A --epochs=ten
  usage $B/zsl_extract --model=$M --batch=0 --output=o.yml x.png
  usage $B/zsl_retrieve --k=abc
  usage $B/zsl_demo --show=x
  for p in train extract classify retrieve evaluate benchmark gbu_export demo; do usage $B/zsl_$p --no-such-option=1; done ;;
json_errors)
  out=$($B/zsl_classify --model=missing.yml.gz --json x.png); [ $? -ne 0 ] || fail "rc"; echo "$out" | json_ok
  echo "$out" | python3 -c 'import json,sys; assert "error" in json.load(sys.stdin)' || fail "no error key"
  out=$($B/zsl_classify --top=abc --json x.png); [ $? -ne 0 ] || fail "rc"; echo "$out" | json_ok
  echo "$out" | python3 -c 'import json,sys; assert "error" in json.load(sys.stdin)' || fail "no error key" ;;
nan_rows)
  features
  python3 -c '
import json; d=json.load(open("train.json")); f=d["features"]; v=[repr(float(x)) for x in f["data"]]; v[2*f["cols"]+1]=".nan"
o=open("nan.yml","w"); o.write("%%YAML:1.0\n---\nfeatures: !!opencv-matrix\n   rows: %d\n   cols: %d\n   dt: f\n   data: [ %s ]\nlabels: [ %s ]\n" % (f["rows"], f["cols"], ", ".join(v), ", ".join(json.dumps(l) for l in d["labels"])))' || fail "nan.yml"
  msg=$($B/zsl_train --features=nan.yml --prototypes=$A --out=m.yml.gz 2>&1) && fail "NaN accepted"
  echo "$msg" | grep -q "row 2" || fail "row number missing: $msg" ;;
unmatched_folders)
  mkdir -p img/Tshirt; cp new/Dress/*.png img/Tshirt/
  msg=$($B/zsl_train --backbone=$M --preset=fashion --prototypes=$A --images=img --out=m.yml.gz 2>&1) && fail "accepted"
  echo "$msg" | grep -q "'Tshirt'" || fail "folder not listed: $msg" ;;
empty_folder)
  mkdir empty; $B/zsl_train --backbone=$M --preset=fashion --prototypes=$A --images=img --out=m.yml.gz >/dev/null 2>&1 || fail "train"
  $B/zsl_classify --model=m.yml.gz empty && fail "empty folder accepted"; true ;;
outdir_collision)
  $B/zsl_train --backbone=$M --preset=fashion --prototypes=$A --images=img --out=m.yml.gz >/dev/null 2>&1 || fail "train"
  mkdir -p a b; cp new/Dress/*.png a/x.png; cp new/Sandal/*.png b/x.png
  $B/zsl_classify --model=m.yml.gz --out-dir=o a/x.png b/x.png && fail "collision accepted"; true ;;
fashion_split)    # doc/tutorial.md §3: a Fashion-MNIST split, selected on seen classes only, then one 28x28 image
  $B/zsl_train --fashion-split=split1 --select --out=fashion_split1.yml.gz >/dev/null 2>&1 || fail "train --fashion-split"
  some=$(ls new/Dress/*.png | head -1); cp "$some" some_28x28.png
  out=$($B/zsl_classify --model=fashion_split1.yml.gz --attributes=$A some_28x28.png) || fail "classify 28x28"
  echo "$out" | grep -q "some_28x28.png" || fail "no label printed: $out" ;;
demo)             # README / tutorial §1: zsl_demo writes its montage (and never over an existing file non-atomically)
  $B/zsl_demo >demo.log 2>&1 || { tail -5 demo.log; fail "zsl_demo"; }
  python3 -c 'import sys; d=open("zsl_demo.png","rb").read(8); sys.exit(d!=b"\x89PNG\r\n\x1a\n")' || fail "zsl_demo.png is no PNG"
  grep -q "Wrote zsl_demo.png" demo.log || fail "no montage reported"
  ls -a | grep -q "^\.zsl" && fail "temporary file left"; true ;;
gbu_benchmark)    # doc/tutorial.md §5 as written, on a small GBU folder of real Fashion-MNIST features
  python3 $S/samples/tests/fashion_pngs.py $FM un 10 "Pullover,Dress,Sandal" || fail "pngs"
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=gbu.yml.gz img/*/*.png un/*/*.png 2>/dev/null || fail "extract"
  mkdir -p xlsa17/data/AWA2; $B/zsl_test_make_gbu gbu.yml.gz $A xlsa17/data/AWA2 || fail "make GBU folder"
  $B/zsl_benchmark --gbu=xlsa17/data/AWA2 > all.log 2>&1 || { tail -5 all.log; fail "benchmark every method"; }
  $B/zsl_benchmark --gbu=xlsa17/data/AWA2 --methods=ESZSL,SAE --json=awa2.json > two.log 2>&1 || { tail -5 two.log; fail "benchmark --json"; }
  json_ok < awa2.json
  grep -q "^| ESZSL |" all.log && grep -q "^| SAE |" all.log || fail "no results table: $(tail -3 all.log)"
  python3 -c '
import json; r = {m["method"]: m for m in json.load(open("awa2.json"))["results"]}
assert sorted(r) == ["ESZSL", "SAE"], r
assert r["SAE"]["zsl"] > 0.5, r   # 3 unseen classes: chance 0.333' || fail "awa2.json: not ESZSL and SAE above chance" ;;
retrieve)         # zsl_retrieve on features (no encoder): word-words, image-images from a zsl_extract file, saved index
  $B/zsl_retrieve --mode=word-words --vectors=$S/data/wordvec/dict_fasttext_100d_subset.vec --query=zebra,sneaker --k=3 --json > ww.json || fail "word-words"
  python3 -c 'import json; d=json.load(open("ww.json")); assert [r["hits"][0]["name"] for r in d["results"]] == ["zebra", "sneaker"], d' || fail "word-words hits"
  features; q=$(python3 -c 'import json; print(json.load(open("f.json"))["images"][25])')
  $B/zsl_retrieve --mode=image-images --gallery=f.json --query-features=f.json --query-row=25 --k=3 --save-index=g.zslidx --json > ii.json || fail "image-images"
  python3 -c 'import json,sys; d=json.load(open("ii.json")); assert d["results"][0]["hits"][0]["name"] == sys.argv[1], d' "$q" || fail "query is not its own nearest image"
  $B/zsl_retrieve --mode=image-images --index=g.zslidx --query-features=f.json --query-row=25 --k=1 | grep -qF "$q" || fail "saved index"
  cp f.json keep.json; out=$($B/zsl_retrieve --mode=image-images --gallery=f.json --query-features=f.json --save-index=./f.json --json) && fail "index over its input"
  echo "$out" | json_ok; cmp f.json keep.json || fail "input changed"
  python3 -c '
import json; d=json.load(open("f.json")); f=d["features"]; v=[repr(float(x)) for x in f["data"]]; v[4*f["cols"]+2]=".nan"
open("nan.yml","w").write("%%YAML:1.0\n---\nfeatures: !!opencv-matrix\n   rows: %d\n   cols: %d\n   dt: f\n   data: [ %s ]\n" % (f["rows"], f["cols"], ", ".join(v)))' || fail "nan.yml"
  for opt in "--gallery=nan.yml --query-features=f.json" "--gallery=f.json --query-features=nan.yml --query-row=4"; do
    out=$($B/zsl_retrieve --mode=image-images $opt --json 2>/dev/null) && fail "NaN accepted: $opt"
    echo "$out" | json_ok; echo "$out" | grep -q "row 4" || fail "row number missing ($opt): $out"
  done ;;
extract_preset)   # zsl_extract --preset=fashion-mnist (and its explicit form) computes the features the samples use:
                  # classifying the extracted features equals classifying the images (28x28 padded to 32, not resized)
  $B/zsl_train --backbone=$M --preset=fashion --prototypes=$A --images=img --out=m.yml.gz >/dev/null 2>&1 || fail "train"
  $B/zsl_classify --model=m.yml.gz --json new_photos/ > from_images.json || fail "classify images"
  $B/zsl_extract --model=$M --preset=fashion-mnist --output=p.yml.gz new_photos/ 2>/dev/null || fail "extract preset"
  $B/zsl_extract --model=$M --size=32x32 --mean=0.2860 --std=0.3530 --pad=32 --output=e.yml.gz new_photos/ 2>/dev/null || fail "extract explicit"
  for f in p e; do
    $B/zsl_classify --model=m.yml.gz --json $f.yml.gz > from_$f.json || fail "classify $f features"
    cmp from_images.json from_$f.json || fail "--preset/explicit ($f) features differ from the images' own: $(diff from_images.json from_$f.json | head -4)"
  done ;;
train_torchvision)  # doc/tutorial.md §2 step 3 as written (--preset=torchvision --select), the build's ResNet18 standing in
                    # for resnet18_imagenet.onnx (its export needs the network), then the feature flow with the default preset
  R=$B/models/resnet18.onnx; [ -f $R ] || { echo "SKIP: no $R (ninja -C $B zsl_models)"; exit 77; }
  cp $A classes.csv; ln -s img photos; ln -s $R resnet18_imagenet.onnx; ln -s $R backbone.onnx
  $B/zsl_train --backbone=resnet18_imagenet.onnx --preset=torchvision \
      --prototypes=classes.csv --images=photos --method=ESZSL --select --out=my_classifier.yml.gz > t.log 2>&1 || { tail -3 t.log; fail "train torchvision"; }
  $B/zsl_extract --model=backbone.onnx --output=new.yml.gz new_photos/ 2>/dev/null || fail "extract"
  $B/zsl_classify --model=my_classifier.yml.gz --json new.yml.gz > out.json || fail "classify features"; json_ok < out.json
  python3 -c 'import json; assert len(json.load(open("out.json"))) == 3' || fail "3 results" ;;
imagenet)  # doc/imagenet.md: zsl_imagenet labelling and the ImageNet zero-shot table, the build's random-weight
           # ResNet18 standing in for torchvision's IMAGENET1K_V1 export (numbers at chance: pipeline and format tested)
  R=$B/models/resnet18.onnx; [ -f $R ] || { echo "SKIP: no $R (ninja -C $B zsl_models)"; exit 77; }
  DK=/usr/share/darknet/data; WN=/usr/share/wordnet/data.noun
  [ -f $DK/imagenet.labels.list ] && [ -f $WN ] || { echo "SKIP: no darknet/wordnet-base (tools/install_deps.sh)"; exit 77; }
  V=$S/data/wordvec/dict_fasttext_100d_subset.vec
  mkdir -p test/n02084071 test/n01613294 test/n02439033 test/n02374451
  cp $DK/dog.jpg test/n02084071/; cp $DK/eagle.jpg test/n01613294/; cp $DK/giraffe.jpg test/n02439033/; cp $DK/horses.jpg test/n02374451/
  $B/zsl_imagenet --model=$R --vectors=$V --gloss-weight=0.5 --evaluate=test --json > eval.json 2> e.log || { tail -3 e.log; fail "evaluate"; }
  python3 - <<'PY' || fail "evaluation table"
import json
d = json.load(open("eval.json"))
assert d["images"] == 4, d["images"]
s = d["label_sets"]
assert 0 < s["2-hop"]["size"] < s["3-hop"]["size"] < s["21K"]["size"] == 21842 - 1000, s
assert 0 < d["covered_synsets"] <= d["synsets"] == 21842
res = d["results"]
assert len(res) == 18, len(res)  # ConSE T = 1, 10, 1000 x {2-hop, 3-hop, 21K} x {without, with +1K}
seen = set()
for r in res:
    seen.add((r["T"], r["label_set"], r["plus_1k"]))
    assert 0 < r["images"] <= 4 and r["candidates"] >= 20, r
    for k in ("1", "2", "5", "10", "20"):
        for m in ("flat_hit", "hierarchical_precision"):
            assert 0.0 <= r[m][k] <= 1.0, r
    # hp@1 is flat hit@1 (the radius-0 set is the true label, a candidate); hierarchical >= flat at every k
    assert r["hierarchical_precision"]["1"] == r["flat_hit"]["1"], r
    assert all(r["hierarchical_precision"][k] * int(k) >= r["flat_hit"][k] - 1e-9 for k in ("2", "5", "10", "20")), r
    if r["plus_1k"]:
        assert r["candidates"] > [x for x in res if x["T"] == r["T"] and x["label_set"] == r["label_set"] and not x["plus_1k"]][0]["candidates"]
assert len(seen) == 18
PY
  $B/zsl_imagenet --model=$R --vectors=$V --gloss-weight=0.5 --evaluate=test --max-per-class=1 > table.txt 2>/dev/null || fail "text table"
  [ $(grep -cE '^ConSE(1|10|1000) +(2-hop|3-hop|21K)( \+1K)? +[0-9]+ \|( +[0-9.]+){5} \|( +[0-9.]+){4}$' table.txt) = 18 ] || { cat table.txt; fail "18 table rows"; }
  grep -q "hit@1" table.txt && grep -q "hp@20" table.txt || fail "table header"
  # DeViSE: a map trained by zsl_train on two "training" classes against word-vector prototypes of their
  # synsets, evaluated on the same table (6 more rows, one per label set with and without +1K).
  mkdir -p train/n02085620 train/n02106030; cp $DK/dog.jpg train/n02085620/a.jpg; cp $DK/person.jpg train/n02085620/b.jpg
  cp $DK/horses.jpg train/n02106030/a.jpg; cp $DK/kite.jpg train/n02106030/b.jpg
  python3 - $V <<'PY' || fail "prototype csv"
import sys
vec = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]).readlines()[1:]}
with open("protos.csv", "w") as o:
    o.write("class," + ",".join("d%d" % i for i in range(100)) + "\n")
    o.write("n02085620," + ",".join(vec["chihuahua"]) + "\n")
    o.write("n02106030," + ",".join(vec["collie"]) + "\n")
PY
  $B/zsl_train --backbone=$R --preset=torchvision --prototypes=protos.csv --images=train --method=DEVISE --epochs=3 --out=devise.yml.gz > t.log 2>&1 || { tail -3 t.log; fail "train DeViSE"; }
  $B/zsl_imagenet --model=$R --devise=devise.yml.gz --vectors=$V --gloss-weight=0.5 --evaluate=test --json > both.json 2>/dev/null || fail "evaluate DeViSE"
  python3 -c 'import json; r=json.load(open("both.json"))["results"]; d=[x for x in r if x["method"]=="DeViSE"]; assert len(r)==24 and len(d)==6 and all(x["T"] is None for x in d), r' || fail "DeViSE rows"
  $B/zsl_imagenet --devise=devise.yml.gz --vectors=$V --top=3 --json $DK/dog.jpg > dl.json 2>/dev/null || fail "label DeViSE"
  python3 -c 'import json; d=json.load(open("dl.json")); assert d["method"]=="DeViSE" and len(d["images"][0]["labels"])==3, d' || fail "DeViSE labels"
  # Labelling: top-5 of the 21K synsets with names and the hypernym path to entity.
  $B/zsl_imagenet --model=$R --vectors=$V --top=5 --json $DK/dog.jpg test/n02439033 > lab.json 2>/dev/null || fail "label"
  python3 - <<'PY' || fail "labelling output"
import json
d = json.load(open("lab.json"))
assert len(d["images"]) == 2
for im in d["images"]:
    assert len(im["labels"]) == 5
    for l in im["labels"]:
        assert l["wnid"][0] == "n" and len(l["wnid"]) == 9 and l["name"] and l["path"].endswith("< entity"), l
PY
  $B/zsl_imagenet --model=$R --vectors=$V --candidates=2hop --top=3 $DK/eagle.jpg > lab.txt 2>/dev/null || fail "label 2hop"
  [ $(grep -c '^  *[1-3]\. n[0-9]\{8\} ' lab.txt) = 3 ] || { cat lab.txt; fail "3 text labels"; }
  # Bad input: a folder that is no wnid, a duplicate label, a corrupt WordNet, a bad option.
  mkdir test/not_a_wnid; cp $DK/dog.jpg test/not_a_wnid/
  out=$($B/zsl_imagenet --model=$R --vectors=$V --evaluate=test --json 2>/dev/null) && fail "unknown wnid accepted"
  echo "$out" | json_ok; echo "$out" | grep -q "not_a_wnid" || fail "unknown wnid not named: $out"
  rm -r test/not_a_wnid
  { cat $DK/imagenet.labels.list; echo n02084071; } > dup.list
  out=$($B/zsl_imagenet --model=$R --vectors=$V --labels=dup.list --evaluate=test --json 2>/dev/null) && fail "duplicate label accepted"
  echo "$out" | grep -q "dup.list:21843: duplicate id 'n02084071'" || fail "duplicate not named: $out"
  head -c 5000000 $WN > wn_trunc.noun
  out=$($B/zsl_imagenet --model=$R --vectors=$V --wordnet=wn_trunc.noun $DK/dog.jpg --json 2>/dev/null) && fail "truncated WordNet accepted"
  echo "$out" | grep -q "wn_trunc.noun:[0-9]*:" || fail "truncated WordNet not named with a line: $out"
  $B/zsl_imagenet --model=$R --vectors=$V --top=0 $DK/dog.jpg >/dev/null 2>&1; [ $? = 2 ] || fail "--top=0 not a usage error"
  $B/zsl_imagenet --model=$R --vectors=$V --head-order=weird $DK/dog.jpg >/dev/null 2>&1 && fail "bad --head-order accepted" ;;
*) fail "unknown flow $FLOW" ;;
esac
echo PASS
