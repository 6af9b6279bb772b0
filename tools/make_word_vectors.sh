#!/usr/bin/env bash
# Trains offline word vectors for opencv_zsl from the dictionary corpora shipped by Debian
# (GCIDE, the Webster 1913-based dictionary, and the WordNet 3.0 glosses) with fastText skipgram,
# then cuts the small subset committed under data/wordvec/ (class and attribute words).
#
# Usage: tools/make_word_vectors.sh [WORK_DIR] [DIM] [EPOCHS]
#   WORK_DIR  where the corpus and the full model go (default build/wordvec; not committed)
#   DIM       vector dimension (default 100)
#   EPOCHS    fastText epochs (default 5)
# Needs: fasttext dict-gcide wordnet (tools/install_deps.sh), /usr/bin/python3.
# Deterministic corpus; fastText with -thread > 1 is not bit-reproducible, so the committed subset is
# regenerated (not byte-compared) by:  nice -n 10 tools/make_word_vectors.sh build/wordvec 100 5
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$ROOT/build/wordvec}
DIM=${2:-100}
EPOCHS=${3:-5}
THREADS=${ZSL_THREADS:-2}
GCIDE=${GCIDE_DICT:-/usr/share/dictd/gcide.dict.dz}
WORDNET=${WORDNET_DIR:-/usr/share/wordnet}
WORDS=$ROOT/data/wordvec/subset_words.txt
OUT=$ROOT/data/wordvec/dict_fasttext_${DIM}d_subset.vec

for f in "$GCIDE" "$WORDNET/data.noun" "$WORDS"; do
  [ -e "$f" ] || { echo "make_word_vectors.sh: missing $f (run tools/install_deps.sh)" >&2; exit 1; }
done
command -v fasttext >/dev/null || { echo "make_word_vectors.sh: fasttext not installed" >&2; exit 1; }
mkdir -p "$WORK"

echo "[1/4] corpus -> $WORK/corpus.txt"
/usr/bin/python3 - "$GCIDE" "$WORDNET" "$WORK/corpus.txt" <<'PY'
import gzip, re, sys
gcide, wn, out = sys.argv[1], sys.argv[2], sys.argv[3]
tok = re.compile(r"[a-z]+")
def words(s):
    return " ".join(tok.findall(s.lower()))
n = 0
with open(out + ".tmp", "w") as o:
    # GCIDE: dictzip is gzip-compatible; one line of text per dictionary line, words only.
    with gzip.open(gcide, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            w = words(line)
            if w.count(" ") >= 2:
                o.write(w + "\n"); n += 1
    # WordNet: "synonyms + hypernym synonyms + hyponym synonyms + gloss" per synset, so that a word
    # shares context with its category and its siblings (equine: horse, zebra, ass, ...) and its
    # definition. Hyponyms also give rare names a few more occurrences (bobcat: 2 without them,
    # under -minCount 3). At most 40 hyponym synsets per line keep huge categories from dominating.
    for pos in ("noun", "verb", "adj", "adv"):
        syn = {}
        rows = []
        with open(f"{wn}/data.{pos}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue  # licence header
                head, _, gloss = line.partition(" | ")
                p = head.split()
                wc = int(p[3], 16)
                lemmas = [p[4 + 2 * i].replace("_", " ") for i in range(wc)]
                k = 4 + 2 * wc
                pc = int(p[k]); k += 1
                hyp, kids = [], []
                for i in range(pc):
                    sym, off = p[k + 4 * i], p[k + 4 * i + 1]
                    if sym in ("@", "@i"):
                        hyp.append(off)
                    elif sym in ("~", "~i"):
                        kids.append(off)
                syn[p[0]] = lemmas
                rows.append((lemmas, hyp, kids[:40], gloss))
        for lemmas, hyp, kids, gloss in rows:
            hw = [w for h in hyp for w in syn.get(h, [])]
            kw = [w for h in kids for w in syn.get(h, [])]
            o.write(words(" ".join(lemmas + hw + kw) + " " + gloss) + "\n"); n += 1
import os
os.replace(out + ".tmp", out)
print(f"  {n} lines")
PY
wc -w "$WORK/corpus.txt"

echo "[2/4] fasttext skipgram dim=$DIM epochs=$EPOCHS threads=$THREADS"
# No subwords (-maxn 0): on a corpus this small, character n-grams dominate and make neighbours
# orthographic (zebra ~ zebrawood, sneaker ~ squeaker); whole-word vectors give semantic ones.
fasttext skipgram -input "$WORK/corpus.txt" -output "$WORK/dict_fasttext_${DIM}d" \
  -dim "$DIM" -epoch "$EPOCHS" -minCount 3 -ws 5 -neg 5 -minn 0 -maxn 0 -bucket 0 \
  -thread "$THREADS" -verbose 1
ls -l "$WORK/dict_fasttext_${DIM}d.vec"

echo "[3/4] subset -> $OUT"
# Every word of the class/attribute names (split on + _ space, lower case) that the model knows;
# words it lacks (fastText prints zeros for them) are listed in subset_missing.txt.
grep -v '^#' "$WORDS" | tr '+_ ' '\n\n\n' | tr 'A-Z' 'a-z' | grep -v '^$' | sort -u > "$WORK/subset_vocab.txt"
fasttext print-word-vectors "$WORK/dict_fasttext_${DIM}d.bin" < "$WORK/subset_vocab.txt" > "$WORK/subset_all.txt"
awk '{z=1; for (i=2;i<=NF;i++) if ($i+0 != 0) z=0; if (z) print $1 > "/dev/stderr"; else print}' \
  "$WORK/subset_all.txt" > "$WORK/subset_body.txt" 2> "$ROOT/data/wordvec/subset_missing.txt"
{ echo "$(wc -l < "$WORK/subset_body.txt") $DIM"; cat "$WORK/subset_body.txt"; } > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
ls -l "$OUT"

echo "[4/4] nearest neighbours (full vocabulary)"
printf 'zebra\nsneaker\nhorse\nwhale\nstripes\ndress\ndolphin\ntiger\n' | fasttext nn "$WORK/dict_fasttext_${DIM}d.bin" 8 2>/dev/null \
  | sed 's/Query word? /\n/g' | tee "$WORK/neighbours.txt"
