#!/usr/bin/env bash
# Create .venv and install dlgen with PyTorch (CPU), TensorFlow (CPU) and the dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# torch first, pinned: an unpinned torch would pull a CUDA build of several GB.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[torch,tf,dev]"
