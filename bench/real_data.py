"""Benchmark: the generated MNIST CNN projects on a real data set, against reference scripts.

    .venv/bin/python bench/real_data.py [--data DIR] [--epochs 2] [--runs 3] [--threads N]
                                        [--only pytorch|tensorflow]

Data: Fashion-MNIST (60,000 training and 10,000 test images in the MNIST file format), by
default from /usr/share/datasets/fashion-mnist/ (Debian's `dataset-fashion-mnist` package).
This script installs and downloads nothing: without the files it says how to get them.

Programs, all with the same network (conv 32 3x3, max pool, dense 128, dense 10), Adam 1e-3,
batch 64, trained on all training images and evaluated on all test images:
- the generated PyTorch and TensorFlow projects of `mnist_plain` (examples/mnist_cnn.yaml
  without training options, as bench/project_size.py makes it), with `data.dataset:
  fashion_mnist` and no validation split;
- bench/reference/pytorch_examples/train.py (written as pytorch/examples' mnist/main.py) and
  bench/reference/keras_io/train.py (written as keras-io's mnist_convnet.py).
Every program runs with the same thread count (OMP_NUM_THREADS, TF_NUM_INTRAOP_THREADS and
TF_NUM_INTEROP_THREADS = --threads), through the runner `dlgen verify --bench` uses (peak
memory is the process's VmHWM). Round r uses seed r + 1 for every program, and the rounds are
interleaved (in reverse order every other round) so that load changes fall on all alike.

Prints the medians of --runs runs: test accuracy, samples/s (training images x epochs / the
training loop's wall time) and peak memory; then, per framework, generated against reference
with #28's targets (accuracy within 0.5 points, samples/s >= 0.95x, peak memory <= 1.05x).
"""

from __future__ import annotations

import argparse
import gzip
import os
import struct
import sys
import tempfile
from pathlib import Path

from _util import REPO, generate, median, run_generated
from project_size import plain_mnist_spec

from codegen.backends.common import IDX_SOURCES

DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")
FILES = list(IDX_SOURCES["fashion_mnist"]["md5"])  # the four files of the MNIST format
REFERENCES = {
    "pytorch": ("pytorch/examples style", REPO / "bench" / "reference" / "pytorch_examples"),
    "tensorflow": ("keras-io style", REPO / "bench" / "reference" / "keras_io"),
}
NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}


def check_data(folder: Path) -> None:
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        sys.exit(
            f"{folder}: no {', '.join(missing)}. Install Debian's Fashion-MNIST package "
            "(`apt-get install dataset-fashion-mnist`, files under "
            f"{DEFAULT_DATA}/) or pass --data FOLDER holding the four files."
        )


def training_images(folder: Path) -> int:
    """The count in the training labels file's header (IDX: magic, then the count)."""
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "rb") as handle:
        return struct.unpack(">II", handle.read(8))[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--only", choices=tuple(NAMES))
    args = parser.parse_args()
    check_data(args.data)
    train_images = training_images(args.data)
    for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[variable] = str(args.threads)  # the runner passes os.environ on

    spec = plain_mnist_spec(Path(tempfile.mkdtemp(prefix="dlgen-real-")))
    flags = ("--set", "data.dataset=fashion_mnist", "--set", "data.validation_split=0.0")
    project = generate(str(spec), *flags)
    frameworks = [args.only] if args.only else list(NAMES)
    programs = {}
    for framework in frameworks:
        programs[f"generated {NAMES[framework]}"] = project / framework
        style, folder = REFERENCES[framework]
        programs[f"{NAMES[framework]}, {style}"] = folder

    runs: dict[str, list[dict]] = {name: [] for name in programs}
    for round_ in range(args.runs):
        for name in list(programs)[:: -1 if round_ % 2 else 1]:
            metrics = run_generated(
                programs[name],
                *("--epochs", str(args.epochs), "--seed", str(round_ + 1)),
                *("--data", str(args.data)),
            )
            runs[name].append(
                {
                    "accuracy": metrics["test"]["accuracy"],
                    "samples_per_s": train_images * args.epochs / metrics["wall_time_s"],
                    "peak_memory_mb": metrics["peak_memory_mb"],
                }
            )
            print(f"round {round_ + 1}: {name}: {runs[name][-1]}", flush=True)

    rows = {
        name: {key: median([r[key] for r in results]) for key in results[0]}
        for name, results in runs.items()
    }
    print(
        f"\n{args.data}: {train_images:,} training images x {args.epochs} epochs, batch 64, "
        f"{args.threads} threads, medians of {args.runs} runs"
    )
    print("| program | test accuracy | samples/s | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for name, row in rows.items():
        print(
            f"| {name} | {row['accuracy']:.4f} | {row['samples_per_s']:,.0f} "
            f"| {row['peak_memory_mb']:,.0f} |"
        )
    failed = False
    for framework in frameworks:
        generated = rows[f"generated {NAMES[framework]}"]
        reference = rows[f"{NAMES[framework]}, {REFERENCES[framework][0]}"]
        points = 100 * (generated["accuracy"] - reference["accuracy"])
        speed = generated["samples_per_s"] / reference["samples_per_s"]
        memory = generated["peak_memory_mb"] / reference["peak_memory_mb"]
        checks = [abs(points) <= 0.5, speed >= 0.95, memory <= 1.05]
        failed |= not all(checks)
        marks = ["ok" if check else "MISSED" for check in checks]
        print(
            f"{NAMES[framework]}: generated - reference accuracy {points:+.2f} points "
            f"({marks[0]}), samples/s {speed:.2f}x ({marks[1]}), peak memory {memory:.2f}x "
            f"({marks[2]})"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
