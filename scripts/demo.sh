#!/usr/bin/env bash
# Set up, generate both projects from the built-in default spec (the MNIST CNN) into demo/,
# and train each for a short run on the small MNIST files shipped in examples/data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/dlgen new --framework both -o demo --force
data="$(pwd)/examples/data/mnist"
for project in pytorch tensorflow; do
    echo "== $project: 1 epoch, at most 20 batches"
    (cd "demo/$project" && TF_CPP_MIN_LOG_LEVEL=2 ../../.venv/bin/python train.py \
        --epochs 1 --max-steps 20 --data "$data" --out runs)
done
echo "metrics: demo/pytorch/runs/metrics.json demo/tensorflow/runs/metrics.json"
