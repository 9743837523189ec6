"""Benchmark: each speed option of the generated projects on and off, per framework.

    .venv/bin/python bench/speed_options.py [--samples 2048] [--epochs 2] [--runs 1]

For the MNIST CNN example: samples/s and peak memory of `train.py` with mixed precision (bf16)
and compilation (torch.compile / XLA), each on its own; beside them the time of one training
step on a batch already in memory, so data loading can be told apart from compute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import ENV, generate, median, run_generated
from mnist_cnn import write_data

OPTIONS = {
    "baseline": [],
    "mixed precision (bf16)": ["--set", "train.mixed_precision=bf16"],
    "compile (torch.compile / XLA)": ["--set", "train.compile=true"],
}
SPEC = ["--set", "data.validation_split=0.0", "--set", "train.early_stopping=null"]
SPEC += ["--set", "export.formats=[state_dict,keras]", "--set", "train.mixed_precision=off"]

# One step on one in-memory batch, repeated: the compute alone, without the input pipeline.
PRELOADED = {
    "pytorch": """
import sys, time, torch, train, data
from model import {cls}
x, y, _, _ = data.load_arrays(sys.argv[1], 0)
x, y = torch.from_numpy(x[:64]), torch.from_numpy(y[:64])
model = {cls}(); loss = torch.nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=0.001)
device = torch.device("cpu")
train.train(model, [(x, y)] * 5, loss, opt, device)
start = time.perf_counter()
train.train(model, [(x, y)] * 50, loss, opt, device)
print((time.perf_counter() - start) / 50 * 1e3)
""",
    "tensorflow": """
import sys, time, keras, numpy as np, tensorflow as tf, data, train
from codegen.verify.projects import call_keywords
from model import build_model
if "mixed_bfloat16" in open("train.py").read():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
x, y, _, _ = data.load_arrays(sys.argv[1], 0)
batch = (np.moveaxis(x[:64], 1, -1), y[:64])
model = build_model()
model.compile(**call_keywords(train, "compile"))  # train.py's own compile arguments
batches = tf.data.Dataset.from_tensors(batch).repeat()
model.fit(batches, steps_per_epoch=5, epochs=1, verbose=0)
start = time.perf_counter()
model.fit(batches, steps_per_epoch=50, epochs=1, verbose=0)
print((time.perf_counter() - start) / 50 * 1e3)
""",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    data = write_data(Path(tempfile.mkdtemp()), args.samples)
    print(f"mnist_cnn: {args.samples} samples x {args.epochs} epochs, batch 64")
    print("| framework | option | samples/s | peak memory (MB) | step on a pre-loaded batch (ms) |")
    print("|---|---|---|---|---|")
    for option, flags in OPTIONS.items():
        project = generate("mnist_cnn", *SPEC, *flags)
        for framework in ("pytorch", "tensorflow"):
            rows = [_run(project / framework, data, args) for _ in range(args.runs)]
            step = _preloaded(project / framework, framework, data)
            print(
                f"| {framework} | {option} | {median([r[0] for r in rows]):,.0f} | "
                f"{median([r[1] for r in rows]):,.0f} | {step:.2f} |"
            )


def _run(project: Path, data: Path, args: argparse.Namespace, *flags: str) -> tuple[float, float]:
    metrics = run_generated(project, "--epochs", str(args.epochs), "--data", str(data), *flags)
    return args.samples * args.epochs / metrics["wall_time_s"], metrics["peak_memory_mb"]


def _preloaded(project: Path, framework: str, data: Path) -> float:
    script = PRELOADED[framework]
    if framework == "pytorch":
        cls = (project / "model.py").read_text().split("class ")[1].split("(")[0]
        script = script.format(cls=cls)
    result = subprocess.run(
        [sys.executable, "-c", script, str(data)],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
