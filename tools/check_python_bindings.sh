#!/usr/bin/env bash
# Lint of the public headers for OpenCV's Python binding generator (the in-tree build runs it; CI
# builds standalone only, so this catches the header patterns that break `cv2` early).
# Rule: no default member initialiser on a CV_PROP / CV_PROP_RW field. OpenCV 4.x's hdr_parser reads
# `CV_PROP_RW int x = 1;` as a property named "x = 1" and the generated cv2.cpp does not compile.
# Put defaults in a CV_WRAP constructor instead (see EncoderPreprocessing in visual_encoder.hpp).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rnE --include='*.hpp' 'CV_PROP(_RW)?[[:space:]]' modules/zsl/include \
      | sed -E 's#//.*$##' | grep -E 'CV_PROP(_RW)?[[:space:]][^;]*[={]' || true)
if [ -n "$bad" ]; then
  echo "CV_PROP fields with default member initialisers (breaks OpenCV's Python bindings):"
  echo "$bad"
  echo "move the defaults into a CV_WRAP constructor"
  exit 1
fi
echo "python bindings lint: $(grep -rlE --include='*.hpp' 'CV_EXPORTS_W' modules/zsl/include | wc -l) headers OK"
