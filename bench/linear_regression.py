"""Benchmark: the seeds' linear regression (1000 full-batch steps) against the generated projects.

    .venv/bin/python bench/linear_regression.py [--runs 3] [--seed-tf-runs 1]

Targets: generated TensorFlow, on Keras's own `model.fit` (several epochs per execution, see
its train.py), at least 5x faster than the seed's `model.fit(epochs=1000)` (issue 25);
generated PyTorch no slower than the seed's PyTorch loop. Training time only (each program
times its own training), medians over the runs.
"""

from __future__ import annotations

import argparse

from _util import generate, median, run_generated, run_seed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--seed-tf-runs", type=int, default=1, help="the seed's fit loop takes about a minute"
    )
    args = parser.parse_args()
    project = generate("linear_regression")
    seed_tf = median(
        [run_seed("linear_regression_tf.py")["wall_time_s"] for _ in range(args.seed_tf_runs)]
    )
    seed_torch = median(
        [run_seed("linear_regression_torch.py")["wall_time_s"] for _ in range(args.runs)]
    )
    gen_tf = median(
        [run_generated(project / "tensorflow")["wall_time_s"] for _ in range(args.runs)]
    )
    gen_torch = median(
        [run_generated(project / "pytorch")["wall_time_s"] for _ in range(args.runs)]
    )
    print("| program | 1000 steps (s, median) |")
    print("|---|---|")
    print(f"| seed TensorFlow (`model.fit`, epochs=1000) | {seed_tf:.3f} |")
    print(f"| generated TensorFlow (`model.fit`, steps_per_execution) | {gen_tf:.3f} |")
    print(f"| seed PyTorch loop | {seed_torch:.3f} |")
    print(f"| generated PyTorch | {gen_torch:.3f} |")
    print()
    print(f"TensorFlow speed-up, seed fit / generated: {seed_tf / gen_tf:.1f}x (target >= 5x)")
    print(f"PyTorch, generated / seed: {gen_torch / seed_torch:.2f}x (target <= 1.00x)")


if __name__ == "__main__":
    main()
