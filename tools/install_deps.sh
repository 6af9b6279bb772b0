#!/usr/bin/env bash
# Installs every Debian package the project needs (build, tests, data scripts, samples).
# Idempotent; used by the README's commands and by .ci/run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  libopencv-dev libopencv-contrib-dev libeigen3-dev libboost-json1.81-dev zlib1g-dev libgtest-dev
  # compiler cache of the BUILD_SHARED_LIBS=ON copy built by the zsl_install_consumer_shared test
  ccache
  # visual encoder reference models (tools/export_resnet18.py) and the Darknet cfgs
  python3-torch python3-torchvision python3-onnx python3-opencv python3-pil python3-numpy darknet
  # EIGEN_USE_BLAS backend (ZSL_USE_BLAS, on by default)
  libopenblas-dev
  # real images for the zero-shot samples and the Fashion-MNIST backbones (tools/train_fashion_backbone.py)
  dataset-fashion-mnist
  # word vectors and gallery search (tools/make_word_vectors.sh, GalleryIndex's FLANN)
  libopencv-flann-dev fasttext dict-gcide wordnet
  # HNSW approximate search (GalleryIndex::ANN_HNSW, header-only)
  libhnswlib-dev
  # libFuzzer harnesses (tools/run_fuzzers.sh, a brief run in tools/run_tests.sh)
  clang
  # scale-out tools on MPI (samples/mpi/zsl_mpi.cpp, ZSL_WITH_MPI) and their zsl_mpi_* CTest flows (mpirun)
  libopenmpi-dev openmpi-bin
)
# Visual encoder benchmark peer (tools/bench_onnxruntime.js, npm package onnxruntime-node):
# Debian's npm conflicts with a Node.js installed from elsewhere, so only ask for it when absent.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
