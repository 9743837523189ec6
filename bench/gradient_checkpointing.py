"""Benchmark: peak memory saved by gradient checkpointing on a deep stack, per framework.

    .venv/bin/python bench/gradient_checkpointing.py [--depth 16] [--width 256] [--batch 8192]
                                                      [--segments 4] [--steps 3] [--runs 3]

Generates a deep MLP (depth × Linear+ReLU) twice from one spec, with `train.gradient_checkpointing`
off and on, and runs the generated training step (PyTorch `train.train`, TensorFlow the
model's `call_checkpointed` under GradientTape) on one in-memory batch, each configuration in a
fresh process. Prints the growth of the process's peak resident memory during training (what
the activations kept for backward cost) and the median time of a step; medians over --runs.
glibc's malloc is told to map large blocks directly (MALLOC_MMAP_THRESHOLD_), so freed
activations leave the resident set instead of staying cached in the heap and hiding the peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from _util import ENV, REPO, median

PYTORCH = """
import json, resource, sys, time, torch, train
from model import Deep
torch.manual_seed(0)
model = Deep().train()
model.gradient_checkpointing = sys.argv[1] == "on"
x, y = torch.randn({batch}, {width}), torch.randint(0, 10, ({batch},))
loss, optimizer = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for _ in range({steps}):
    start = time.perf_counter()
    train.train(model, [(x, y)], loss, optimizer, torch.device("cpu"))  # the project's step
    times.append(time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"extra_mb": after - before, "step_s": sorted(times)[len(times) // 2]}}))
"""
TENSORFLOW = """
import json, resource, sys, time
import numpy as np, tensorflow as tf, keras
import model as project
keras.utils.set_random_seed(0)
net = project.build_model()
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.SGD(0.01)
on = sys.argv[1] == "on"
x = tf.constant(np.random.default_rng(0).standard_normal(({batch}, {width})), tf.float32)
y = tf.constant(np.random.default_rng(1).integers(0, 10, {batch}))

@tf.function
def step():
    with tf.GradientTape() as tape:
        out = project.call_checkpointed(net, x, training=True) if on else net(x, training=True)
        loss = tf.reduce_mean(loss_fn(y, out))
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply_gradients(zip(grads, net.trainable_variables))
    return loss

step.get_concrete_function()  # trace before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for _ in range({steps}):
    start = time.perf_counter()
    float(step())
    times.append(time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"extra_mb": after - before, "step_s": sorted(times)[len(times) // 2]}}))
"""


def spec(depth: int, width: int, segments: int) -> dict:
    layers = []
    for index in range(depth):
        layers += [{"op": "linear", "name": f"fc{index + 1}", "out_features": width}, "relu"]
    layers.append({"op": "linear", "name": "head", "out_features": 10})
    return {
        "project": {"name": "deep", "model_class": "Deep"},
        "data": {
            "kind": "synthetic_classification",
            "samples": 64,
            "input_shape": [width],
            "num_classes": 10,
        },
        "model": {"layers": layers},
        "loss": "cross_entropy",
        "optimizer": {"type": "sgd", "lr": 0.01},
        "train": {"gradient_checkpointing": segments},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=16)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dlgen-gc-"))
    spec_file = folder / "deep.yaml"
    spec_file.write_text(yaml.safe_dump(spec(args.depth, args.width, args.segments)))
    project = folder / "deep"
    subprocess.run(
        [sys.executable, "-m", "codegen.cli", "new", str(spec_file), "-o", str(project)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    fill = {"batch": args.batch, "width": args.width, "steps": args.steps}
    print(
        f"deep MLP: {args.depth} x Linear({args.width})+ReLU, batch {args.batch}, "
        f"{args.segments} segments; medians of {args.runs} runs"
    )
    print(f"{'framework':<11} {'checkpointing':<14} {'peak growth MB':>15} {'step s':>8}")
    for framework, script in (("pytorch", PYTORCH), ("tensorflow", TENSORFLOW)):
        figures = {}
        for mode in ("off", "on"):
            rows = []
            for _ in range(args.runs):
                result = subprocess.run(
                    [sys.executable, "-c", script.format(**fill), mode],
                    cwd=project / framework,
                    env={**ENV, "MALLOC_MMAP_THRESHOLD_": "65536"},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
            figures[mode] = {k: median([r[k] for r in rows]) for k in rows[0]}
            row = figures[mode]
            print(f"{framework:<11} {mode:<14} {row['extra_mb']:>15.1f} {row['step_s']:>8.3f}")
        saved = figures["off"]["extra_mb"] - figures["on"]["extra_mb"]
        slower = figures["on"]["step_s"] / figures["off"]["step_s"]
        print(f"{framework:<11} saved {saved:.1f} MB of peak memory; steps {slower:.2f}x the time")


if __name__ == "__main__":
    main()
