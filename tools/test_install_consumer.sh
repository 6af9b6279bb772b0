#!/usr/bin/env bash
# CTest zsl_install_consumer / zsl_install_consumer_shared: the installed package works downstream.
#   tools/test_install_consumer.sh static <build dir>          installs that (static) build
#   tools/test_install_consumer.sh shared <build dir>          builds the library and the tools again with
#                                                              BUILD_SHARED_LIBS=ON (same compiler and options,
#                                                              into a temp dir)
# Installs into a temporary prefix (cmake --install --prefix), checks the installed headers name neither Eigen nor
# Boost, then configures, builds and runs tools/install_consumer (find_package(opencv_zsl) only) and builds and
# runs the same main.cpp with `pkg-config --cflags --libs opencv_zsl`. Where the tools (samples/) are built, also
# installs them and checks they run from the prefix (RUNPATH $ORIGIN/../lib, no build-tree path). Removes its temp dirs on any exit.
set -euo pipefail
mode=$1
build=$(cd "$2" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
consumer=$src/tools/install_consumer
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zsl_install_${mode}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
gen=$(cache CMAKE_GENERATOR)
cxx=$(cache CMAKE_CXX_COMPILER)
step() { echo "== $* ($(date +%s.%N | cut -c1-14))"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

tools=()
for f in "$src"/samples/*.cpp; do tools+=("$(basename "$f" .cpp)"); done
# The MPI tools (samples/mpi/, built and installed when the build found an MPI) are tools too.
if [ "$(cache ZSL_WITH_MPI)" = ON ]; then
  for f in "$src"/samples/mpi/*.cpp; do tools+=("$(basename "$f" .cpp)"); done
fi

if [ "$mode" = shared ]; then
  step "configure + build a BUILD_SHARED_LIBS=ON copy of the library and the tools"
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$src" -B "$tmp/build" -G "$gen" -DCMAKE_BUILD_TYPE="$(cache CMAKE_BUILD_TYPE)" \
    -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" -DBUILD_SHARED_LIBS=ON \
    -DZSL_USE_BLAS="$(cache ZSL_USE_BLAS)" -DZSL_WITH_MPI="$(cache ZSL_WITH_MPI)" -DZSL_BUILD_TESTS=OFF -DZSL_BUILD_PERF=OFF -DZSL_BUILD_SAMPLES=ON >/dev/null
  cmake --build "$tmp/build" --target opencv_zsl "${tools[@]}" -j"${ZSL_INSTALL_TEST_JOBS:-2}"
  build=$tmp/build
fi

step "install $build into $prefix"
for component in libs dev; do
  cmake --install "$build" --prefix "$prefix" --component $component >/dev/null
done
libdir=$(find "$prefix" -name 'libopencv_zsl.*' -printf '%h\n' | head -1)
[ -n "$libdir" ] || fail "no libopencv_zsl installed under $prefix"

tools_built=1
for t in "${tools[@]}"; do [ -x "$build/$t" ] || tools_built=0; done
if [ "$(cache ZSL_BUILD_SAMPLES)" = ON ] && [ $tools_built = 1 ]; then
  step "installed tools: RUNPATH \$ORIGIN/../lib, they run from the prefix"
  cmake --install "$build" --prefix "$prefix" --component samples >/dev/null
  for t in "${tools[@]}"; do
    [ -x "$prefix/bin/$t" ] || fail "$t not installed in $prefix/bin"
    readelf -d "$prefix/bin/$t" | grep -qE '(RUNPATH|RPATH).*\[\$ORIGIN/\.\./[^]]*lib[^]]*\]' \
      || fail "$t: no RUNPATH \$ORIGIN/../lib"
    if readelf -d "$prefix/bin/$t" | grep -E '(RUNPATH|RPATH)' | grep -q -e "$build" -e "$src"; then
      fail "$t: RUNPATH names the build or source tree"
    fi
  done
  env -u LD_LIBRARY_PATH "$prefix/bin/zsl_train" --help >/dev/null || fail "installed zsl_train --help failed"
  if [ "$mode" = shared ]; then
    resolved=$(env -u LD_LIBRARY_PATH ldd "$prefix/bin/zsl_train" | sed -n 's/.*libopencv_zsl[^ ]* => \([^ ]*\).*/\1/p')
    echo "installed zsl_train loads $resolved"
    case "$resolved" in "$prefix"/*) ;; *) fail "installed zsl_train does not load libopencv_zsl from $prefix";; esac
  fi
else
  echo "(tools not built in $build: installed tools not checked)"
fi

step "installed headers: no Eigen, no Boost"
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](Eigen|eigen3|boost)' "$prefix/include"; then
  fail "a public header includes Eigen or Boost"
fi
[ -f "$prefix/include/opencv4/opencv2/zsl.hpp" ] || fail "opencv2/zsl.hpp not installed"
if grep -rn -e "$src" -e "$build" "$libdir/cmake/opencv_zsl" "$libdir/pkgconfig"; then
  fail "the installed package names the source or build tree"
fi
if grep -n 'Eigen' "$libdir"/cmake/opencv_zsl/opencv_zslTargets.cmake; then
  fail "the exported target names Eigen"
fi

if [ "$mode" = shared ]; then
  step "shared library: SONAME, exported symbols"
  so=$(ls "$libdir"/libopencv_zsl.so.*.*.* | head -1)
  soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
  echo "SONAME $soname"
  [ -e "$libdir/$soname" ] || fail "SONAME $soname has no link in $libdir"
  nexported=$(nm -DC --defined-only "$so" | wc -l)
  neigen=$(nm -DC --defined-only "$so" | grep -c 'Eigen::' || true)
  echo "exported dynamic symbols: $nexported, of them Eigen: $neigen"
  [ "$neigen" -eq 0 ] || fail "the shared library exports Eigen symbols"
fi

step "consumer with find_package(opencv_zsl)"
cmake -S "$consumer" -B "$tmp/consumer" -G "$gen" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/consumer"
"$tmp/consumer/app" "$tmp/model_cmake.yml.gz"

step "consumer with pkg-config --cflags --libs opencv_zsl"
export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
flags=$(pkg-config --cflags --libs opencv_zsl)
echo "pkg-config: $flags"
# shellcheck disable=SC2086
"$cxx" -std=c++17 -O1 "$consumer/main.cpp" -o "$tmp/app_pc" $flags -Wl,-rpath,"$(pkg-config --variable=libdir opencv_zsl)"
"$tmp/app_pc" "$tmp/model_pc.yml.gz"
if [ "$mode" = shared ]; then
  readelf -d "$tmp/app_pc" | grep -q "NEEDED.*$soname" || fail "the pkg-config consumer does not load $soname"
fi
step "done"
