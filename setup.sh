#!/usr/bin/env bash
# invgfx set-up: installs the Debian packages the whole project needs, then configures and builds.
# Idempotent and non-interactive; runs as root or through sudo. Quiet unless something fails.
#   ./setup.sh            install packages, configure (Release, -O3, -march=native) and build
#   INVGFX_NATIVE=OFF ./setup.sh   portable build without -march=native (the default when CI=true)
#   INVGFX_BUILD_GUI=OFF ./setup.sh  build without the window (no Qt or ImGui needed)
#   INVGFX_SKIP_APT=1 ./setup.sh   skip the package step (already installed)
# clang, its sanitizer and libFuzzer runtimes and its OpenMP are for the sanitizer build and the fuzz
# targets (tests/fuzz/README.md, .ci/run); the default build uses GCC.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libtinygltf-dev libtinyobjloader-dev libstb-dev
  libraw-dev libjpeg-dev libopencv-dev
  qt6-base-dev libqt6opengl6-dev libimgui-dev libgl-dev libegl-dev mesa-common-dev
  xvfb xauth libgl1-mesa-dri fonts-dejavu-core
  clang libclang-rt-14-dev libomp-14-dev
)

log=$(mktemp -t invgfx-setup.XXXXXX)
trap 'rm -f "$log"' EXIT
run_quiet() {  # run a command, show its output only if it fails
  if ! "$@" >"$log" 2>&1; then
    echo "setup.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

if [ "${INVGFX_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null || { echo "setup.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
      SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    run_quiet $SUDO apt-get update -q
    run_quiet $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

BUILD_DIR=${INVGFX_BUILD_DIR:-build}
# -march=native by default on a developer's machine; CI builds portable code unless told otherwise.
if [ "${CI:-}" = true ]; then native_default=OFF; else native_default=ON; fi
run_quiet cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DINVGFX_NATIVE="${INVGFX_NATIVE:-$native_default}" \
  -DINVGFX_BUILD_GUI="${INVGFX_BUILD_GUI:-ON}"
run_quiet cmake --build "$BUILD_DIR" --parallel "$(nproc)"
