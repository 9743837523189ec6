"""Benchmark: the generated predict.py on 10,000 real test images, in batches and as one batch.

    .venv/bin/python bench/predict.py [--data DIR] [--max-steps 200]

Generates examples/mnist_cnn.yaml (its exports: state_dict, ONNX, .keras, TFLite) with
`data.dataset: fashion_mnist`, trains each framework's project for --max-steps batches of one
epoch on Fashion-MNIST (default /usr/share/datasets/fashion-mnist/, Debian's
`dataset-fashion-mnist` package; this script downloads nothing), then runs
`predict.py DIR --format F --batch-size B` on the folder's 10,000 test images for every export
and for B = 256 (the default) and B = 10000 (everything at once, as predict.py did before #28).
Prints the accuracy predict.py reports, the process's seconds and its peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import ENV, generate, run_project

FORMATS = {"pytorch": ("state_dict", "onnx"), "tensorflow": ("keras", "tflite")}
MEASURED = """
import runpy, sys
sys.argv = ["predict.py", *sys.argv[1:]]
sys.path.insert(0, "")
runpy.run_path("predict.py", run_name="__main__")
with open("/proc/self/status") as status:
    print("peak", next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:")))
"""


def predict(project: Path, *args: str) -> tuple[str, float, float]:
    """predict.py's accuracy line, the process's seconds and its peak memory in MB."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    seconds = time.perf_counter() - start
    accuracy = re.search(r"^accuracy: .*$", result.stdout, re.M)
    peak = float(re.search(r"^peak ([\d.]+)$", result.stdout, re.M).group(1))
    return accuracy.group(0) if accuracy else "-", seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--max-steps", type=int, default=200, help="training batches")
    args = parser.parse_args()
    if not (Path(args.data) / "t10k-images-idx3-ubyte.gz").exists():
        sys.exit(f"{args.data}: no Fashion-MNIST files (apt-get install dataset-fashion-mnist)")
    project = generate("mnist_cnn", "--set", "data.dataset=fashion_mnist")
    print("| framework | format | batch | predict.py says | seconds | peak memory (MB) |")
    print("|---|---|---:|---|---:|---:|")
    for framework, formats in FORMATS.items():
        folder = project / framework
        runs = Path(tempfile.mkdtemp(prefix="dlgen-predict-"))
        train = ["--epochs", "1", "--max-steps", str(args.max_steps), "--data", args.data]
        run_project(folder, train, runs)  # the runner of `dlgen verify --bench`
        for fmt in formats:
            for batch in (256, 10000):
                said, seconds, peak = predict(
                    folder,
                    args.data,
                    "--runs",
                    str(runs),
                    "--format",
                    fmt,
                    "--batch-size",
                    str(batch),
                )
                print(f"| {framework} | {fmt} | {batch} | {said} | {seconds:.1f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
