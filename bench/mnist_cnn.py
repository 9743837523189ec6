"""Benchmark: the seeds' MNIST CNN recipes against the generated projects, same data and model.

    .venv/bin/python bench/mnist_cnn.py [--samples 4096] [--epochs 2] [--runs 3] [--baseline REV]
                                        [--only pytorch|tensorflow]

Data: random 28x28 digits written once as MNIST IDX files (for the generated projects) and as
an .npz (for the seed programs). Prints samples/s and peak memory (medians), and the ratios.
`--baseline REV` also generates the projects with dlgen as it was at git revision REV (c0040ff
is the last with the hand-written TensorFlow loop that `model.fit` replaced) and runs them in
the same session, so that the two are compared on the same machine under the same load.
"""

from __future__ import annotations

import argparse
import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
from _util import generate, median, run_generated, run_seed


def write_data(folder: Path, samples: int) -> Path:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=samples, dtype=np.uint8)
    for part, count in (("train", samples), ("t10k", max(1, samples // 6))):  # MNIST's ratio
        with gzip.open(folder / f"{part}-images-idx3-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">IIII", 0x803, count, 28, 28) + images[:count].tobytes())
        with gzip.open(folder / f"{part}-labels-idx1-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">II", 0x801, count) + labels[:count].tobytes())
    x = ((images.astype(np.float32) / 255 - 0.5) / 0.5).reshape(-1, 1, 28, 28)
    np.savez(folder / "mnist.npz", x=x, y=labels.astype(np.int64))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV", help="also run dlgen's projects at REV")
    parser.add_argument(
        "--only", choices=("pytorch", "tensorflow"), help="one framework's programs"
    )
    args = parser.parse_args()
    data = write_data(Path(tempfile.mkdtemp()), args.samples)
    flags = ("--set", "data.validation_split=0.0", "--set", "train.early_stopping=null")
    project = generate("mnist_cnn", *flags)
    baseline = generate("mnist_cnn", *flags, revision=args.baseline) if args.baseline else None
    runners = {
        "seed PyTorch": lambda: run_seed(
            "mnist_cnn_torch.py", str(data / "mnist.npz"), str(args.epochs)
        ),
        "generated PyTorch": lambda: _generated(
            project / "pytorch", data, args.epochs, args.samples
        ),
        "seed TensorFlow": lambda: run_seed(
            "mnist_cnn_tf.py", str(data / "mnist.npz"), str(args.epochs)
        ),
        "generated TensorFlow": lambda: _generated(
            project / "tensorflow", data, args.epochs, args.samples
        ),
    }
    if baseline:
        runners[f"TensorFlow at {args.baseline}"] = lambda: _generated(
            baseline / "tensorflow", data, args.epochs, args.samples
        )
    if args.only:
        framework = "PyTorch" if args.only == "pytorch" else "TensorFlow"
        runners = {name: run for name, run in runners.items() if framework in name}
    # Interleaved (one run of each program, then the next round, in reverse order every other
    # round): a change in the machine's load during the benchmark falls on every program alike.
    runs: dict[str, list[dict]] = {name: [] for name in runners}
    for round_ in range(args.runs):
        for name in list(runners)[:: -1 if round_ % 2 else 1]:
            runs[name].append(runners[name]())
    rows = {
        name: (
            median([r["samples"] / r["wall_time_s"] for r in results]),
            median([r["peak_memory_mb"] for r in results]),
        )
        for name, results in runs.items()
    }
    print(
        f"MNIST CNN, {args.samples} samples x {args.epochs} epochs, batch 64, medians of {args.runs} runs"
    )
    print("| program | samples/s | peak memory (MB) |")
    print("|---|---|---|")
    for name, (rate, memory) in rows.items():
        print(f"| {name} | {rate:,.0f} | {memory:,.0f} |")
    for framework in ("PyTorch", "TensorFlow"):
        if f"seed {framework}" not in rows:
            continue
        ratio = rows[f"generated {framework}"][0] / rows[f"seed {framework}"][0]
        print(f"{framework}: generated / seed samples/s = {ratio:.2f}x")
    if baseline:
        ratio = rows["generated TensorFlow"][0] / rows[f"TensorFlow at {args.baseline}"][0]
        print(f"TensorFlow: generated / generated at {args.baseline} samples/s = {ratio:.2f}x")


def _generated(project: Path, data: Path, epochs: int, samples: int) -> dict[str, float]:
    metrics = run_generated(project, "--epochs", str(epochs), "--data", str(data))
    return {
        "wall_time_s": metrics["wall_time_s"],
        "samples": samples * epochs,
        "peak_memory_mb": metrics["peak_memory_mb"],
    }


if __name__ == "__main__":
    main()
