#!/usr/bin/env bash
# Sets up anneal on Debian 12: installs the Debian packages it needs (once; idempotent), then
# configures and builds one CMake preset.
#   scripts/setup.sh [--preset release|debug|asan|ci] [--with-paraview] [--with-bench] [--no-build]
# --with-paraview adds ParaView (its XDMF test then runs); --with-bench adds the benchmark peers
# (PyTorch, numba, and OpenBLAS so that they do not fall back to the reference BLAS).
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
build=1
extra_packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --with-paraview) extra_packages+=(paraview); shift ;;
    --with-bench) extra_packages+=(python3-torch libopenblas0-pthread python3-numba); shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# DESIGN.md §8. Python packages serve the PNGs and the post-processing tests.
packages=(cmake g++ make pkg-config git libeigen3-dev libtbb-dev libhdf5-openmpi-dev hdf5-tools
  libopenmpi-dev openmpi-bin petsc-dev catch2 libcli11-dev libtomlplusplus-dev libfmt-dev
  nlohmann-json3-dev python3 python3-h5py python3-matplotlib python3-numpy "${extra_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$build" -eq 1 ]; then
  cmake --preset "$preset"
  cmake --build --preset "$preset" -j "$(nproc)"
  echo "setup: built build/$preset/bin/anneal"
fi
