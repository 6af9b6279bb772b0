#!/usr/bin/env bash
# Builds cv::zsl inside an OpenCV source tree, the way opencv_contrib modules are built:
#   cmake -DOPENCV_EXTRA_MODULES_PATH=<repo>/modules <opencv-source>
# then runs opencv_test_zsl (linked against opencv_ts) and a Python end-to-end check through cv2.zsl.
#
# The OpenCV source is Debian 12's own (apt-get source opencv = 4.6.0+dfsg), so nothing is fetched
# from outside the Debian archive. The +dfsg tarball has no 3rdparty/ folder: every bundled library
# (protobuf, libpng, openjpeg, ...) is either taken from the system or switched off below.
#
# Usage: tools/build_in_tree.sh [WORK_DIR]      (default /work/opencv-intree; kept outside git)
#   STEPS="deps source configure build test"    run only some steps (default: all of them)
#   JOBS=2 NICE=15                              parallel jobs and niceness of the compile
#   OPENCV_OPT=-O0 OPENCV_PCH=ON                optimisation / precompiled headers of OpenCV's own modules
#                                               (zsl: always -O3, no PCH); use -O3 for a production build
# The first build compiles core/imgproc/imgcodecs/dnn/... (long); later runs recompile only zsl.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mkdir -p "${1:-/work/opencv-intree}" && cd "${1:-/work/opencv-intree}" && pwd)
BUILD="$WORK/build"
JOBS=${JOBS:-2}
NICE=${NICE:-15}
# OpenCV's own modules are only the platform here: -O0 plus precompiled headers cut their compile
# time about 2.5x on the shared 2-core machine (measured: core/src/check.cpp 2.0 s -> 0.35 s CPU,
# dnn/src/layers/elementwise_layers.cpp 6.2 s at -O1 -> 2.7 s). The zsl module and its test keep
# -O3 and no PCH (CMake hooks, written below), so their figures are those of a release build.
OPENCV_OPT=${OPENCV_OPT:--O0}
OPENCV_PCH=${OPENCV_PCH:-ON}
STEPS=${STEPS:-deps source configure build test}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

has_step() { [[ " $STEPS " == *" $1 "* ]]; }
stamp() { echo "[build_in_tree $(date +%H:%M:%S)] $*"; }

# ---------------------------------------------------------------------------------------------- deps
if has_step deps; then
  # apt-get source needs a deb-src entry; Debian 12 images ship only "Types: deb".
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    if ! grep -q '^Types:.*deb-src' /etc/apt/sources.list.d/debian.sources; then
      stamp "adding deb-src to /etc/apt/sources.list.d/debian.sources"
      $SUDO sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
    fi
  elif ! grep -qs '^deb-src ' /etc/apt/sources.list; then
    stamp "adding deb-src lines to /etc/apt/sources.list"
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee -a /etc/apt/sources.list >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    dpkg-dev xz-utils cmake ninja-build g++ pkg-config \
    python3-dev python3-numpy \
    libeigen3-dev libboost-json1.81-dev zlib1g-dev \
    libprotobuf-dev protobuf-compiler libpng-dev libjpeg-dev
fi

# -------------------------------------------------------------------------------------------- source
SRC=$(ls -d "$WORK"/opencv-4.*/ 2>/dev/null | head -n1 || true)
if has_step source && [ -z "$SRC" ]; then
  stamp "apt-get source opencv into $WORK"
  (cd "$WORK" && apt-get source opencv)
  SRC=$(ls -d "$WORK"/opencv-4.*/ | head -n1)
fi
SRC=${SRC%/}
[ -n "$SRC" ] && [ -f "$SRC/CMakeLists.txt" ] || { echo "no OpenCV source under $WORK (run the 'source' step)" >&2; exit 1; }

# ------------------------------------------------------------------------------------------ configure
if has_step configure; then
  stamp "configuring $SRC -> $BUILD"
  # OpenCV runs $OPENCV_CMAKE_HOOKS_DIR/<hook>.cmake at named points. These two run just before and
  # after add_subdirectory(zsl), so only opencv_zsl and opencv_test_zsl get -O3 and no PCH.
  mkdir -p "$WORK/cmake_hooks"
  cat > "$WORK/cmake_hooks/PRE_MODULES_CREATE_opencv_zsl.cmake" <<'HOOK'
set(__zsl_saved_cxx_flags_release "${CMAKE_CXX_FLAGS_RELEASE}")
string(REGEX REPLACE "-O[0-3s]" "-O3" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
set(ENABLE_PRECOMPILED_HEADERS OFF)
HOOK
  cat > "$WORK/cmake_hooks/POST_MODULES_CREATE_opencv_zsl.cmake" <<'HOOK'
set(CMAKE_CXX_FLAGS_RELEASE "${__zsl_saved_cxx_flags_release}")
unset(ENABLE_PRECOMPILED_HEADERS)
HOOK
  # Modules: the ones zsl needs (flann: its optional ANN gallery index) plus ts (tests) and python3
  # (bindings); BUILD_LIST pulls in their required dependencies (ts needs videoio and highgui, built
  # here without any backend).
  # No 3rdparty/ in the +dfsg source: protobuf comes from the system (and its .pb.cc are regenerated
  # with the system protoc), other bundled codecs/libraries are switched off. No downloads (IPP, ADE).
  # CPU_DISPATCH is left empty: one baseline (SSE3) build of each kernel is enough to prove the
  # module and saves the AVX/AVX2/AVX512 copies of OpenCV's dispatched kernels.
  # OpenCV 4.6's GCC precompiled-header helper targets miss the Eigen include path (core's
  # private.hpp includes <Eigen/Core> when WITH_EIGEN=ON): hand it to every compile.
  EXTRA_CXX_FLAGS=""
  if [ "$OPENCV_PCH" = "ON" ]; then EXTRA_CXX_FLAGS="-isystem /usr/include/eigen3"; fi
  cmake -S "$SRC" -B "$BUILD" -G Ninja \
    -DCMAKE_CXX_FLAGS="$EXTRA_CXX_FLAGS" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="$OPENCV_OPT -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="$OPENCV_OPT -DNDEBUG" \
    -DOPENCV_CMAKE_HOOKS_DIR="$WORK/cmake_hooks" \
    -DBUILD_LIST=core,imgproc,imgcodecs,dnn,flann,ts,python3,zsl \
    -DOPENCV_EXTRA_MODULES_PATH="$REPO/modules" \
    -DBUILD_TESTS=ON -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOCS=OFF \
    -DBUILD_opencv_apps=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python2=OFF -DBUILD_opencv_python3=ON \
    -DPYTHON3_EXECUTABLE=/usr/bin/python3 \
    -DENABLE_PRECOMPILED_HEADERS="$OPENCV_PCH" -DCPU_DISPATCH= \
    -DOPENCV_DOWNLOAD_TRIES_LIST= \
    -DWITH_IPP=OFF -DWITH_ADE=OFF -DWITH_ITT=OFF -DWITH_CAROTENE=OFF \
    -DWITH_PROTOBUF=ON -DBUILD_PROTOBUF=OFF -DPROTOBUF_UPDATE_FILES=ON \
    -DWITH_EIGEN=ON -DWITH_LAPACK=OFF -DWITH_OPENCL=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF \
    -DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_PTHREADS_PF=ON \
    -DWITH_JASPER=OFF -DWITH_OPENJPEG=OFF -DWITH_QUIRC=OFF -DWITH_OPENEXR=OFF \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_PNG=ON -DWITH_JPEG=ON \
    -DBUILD_ZLIB=OFF -DBUILD_PNG=OFF -DBUILD_JPEG=OFF -DBUILD_TIFF=OFF -DBUILD_WEBP=OFF \
    -DBUILD_OPENJPEG=OFF -DBUILD_JASPER=OFF -DBUILD_OPENEXR=OFF \
    -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_OPENGL=OFF -DWITH_VTK=OFF \
    -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_GPHOTO2=OFF \
    -DWITH_IMGCODEC_HDR=ON -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=ON -DWITH_IMGCODEC_PFM=OFF \
    2>&1 | tee "$WORK/configure.log" | grep -E 'zsl|Error|error|WARNING|Python 3|numpy|To be built|Disabled' || true
  grep -q 'Configuring done' "$WORK/configure.log" || { echo "configure failed, see $WORK/configure.log" >&2; exit 1; }
fi

# ---------------------------------------------------------------------------------------------- build
if has_step build; then
  stamp "building opencv_test_zsl and opencv_python3 (-j$JOBS, nice $NICE)"
  t0=$(date +%s)
  nice -n "$NICE" ninja -C "$BUILD" -j"$JOBS" opencv_test_zsl opencv_python3
  stamp "build took $(( $(date +%s) - t0 )) s"
fi

# ----------------------------------------------------------------------------------------------- test
if has_step test; then
  # The tests must not need opencv_extra: point the data path at an empty folder.
  EMPTY="$WORK/empty_testdata"
  mkdir -p "$EMPTY"
  stamp "running opencv_test_zsl"
  OPENCV_TEST_DATA_PATH="$EMPTY" "$BUILD/bin/opencv_test_zsl" ${GTEST_ARGS:-}
  PYDIR=$(dirname "$(ls "$BUILD"/lib/python3/cv2*.so | head -n1)")
  stamp "python check with $PYDIR"
  # A short end-to-end run first (create, train on random features, predict), then the unit tests.
  PYTHONPATH="$PYDIR" /usr/bin/python3 - <<'PY'
import numpy as np
import cv2 as cv
print("cv2", cv.__version__, "from", cv.__file__)
rng = np.random.default_rng(0)
A = rng.uniform(0, 1, (30, 16)).astype(np.float32)               # 30 classes x 16 attributes
W = (rng.standard_normal((16, 32)) / 4).astype(np.float32)        # attributes -> 32-d "features"
def sample(first, count, per_class):
    y = np.repeat(np.arange(count, dtype=np.int32), per_class)
    return (A[first + y] @ W + 0.1 * rng.standard_normal((y.size, 32))).astype(np.float32), y
names = ["class_%02d" % i for i in range(30)]
X, y = sample(0, 20, 40)                                          # 20 seen classes
Xt, yt = sample(20, 10, 20)                                       # 10 unseen classes
z = cv.zsl.ZeroShotClassifier_create()
z.train(X, y, cv.zsl.ClassPrototypes(names[:20], A[:20]))
z.setUnseenClasses(cv.zsl.ClassPrototypes(names[20:], A[20:]))
labels, scores = z.predict(Xt, topK=3)
acc = cv.zsl.perClassAccuracy(labels[:, 0] - z.getNumSeenClasses(), yt)[0]
print("ZeroShotClassifier(%s): trained=%s classes=%d labels %s %s, unseen per-class top-1 %.3f (chance 0.100)"
      % (cv.zsl.methodName(z.getParams().method), z.isTrained(), z.getClasses().size(),
         labels.shape, labels.dtype, acc))
assert acc > 0.5
PY
  PYTHONPATH="$PYDIR" /usr/bin/python3 "$REPO/modules/zsl/misc/python/test/test_zsl.py" -v
fi
