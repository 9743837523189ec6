"""Regenerate golden/ (trees and numbers) and examples/dlgen.schema.json through the real CLI.

    .venv/bin/python tests/regen_golden.py

Review the result with `git diff golden/ examples/dlgen.schema.json`; never edit golden files by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "golden"
EXAMPLES = REPO / "examples"
DLGEN = [sys.executable, "-m", "codegen.cli"]
DATA = EXAMPLES / "data"

# How each example is verified (and its numbers recorded): the shipped data for file-based
# specs, and the image classifier at 32x32 to keep CI fast.
VERIFY_ARGS = {
    "mnist_cnn": ["--data", "examples/data/mnist"],
    "mlp": ["--data", "examples/data/mnist"],
    "text_lstm": ["--data", "examples/data/text/reviews.csv"],
    "image_classifier": ["--set", "data.input_shape=[3,32,32]"],
    "augmented_cnn": ["--data", "examples/data/npz/shapes.npz"],
    "tabular_regression": ["--data", "examples/data/tabular/houses.csv"],
}


def example_specs() -> list[Path]:
    """Every built-in example spec (the broken/ ones are error cases, not examples)."""
    return sorted(EXAMPLES.glob("*.yaml"))


def main() -> None:
    schema = subprocess.run(
        [*DLGEN, "schema"], check=True, capture_output=True, text=True, cwd=REPO
    )
    (EXAMPLES / "dlgen.schema.json").write_text(schema.stdout, encoding="utf-8")
    for spec in example_specs():
        target = GOLDEN / spec.stem / "tree"
        if target.exists():
            shutil.rmtree(target)
        subprocess.run(
            [*DLGEN, "new", str(spec.relative_to(REPO)), "--framework", "both", "-o", str(target)],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        numbers = GOLDEN / spec.stem / "numbers.json"
        subprocess.run(
            [
                *DLGEN,
                "verify",
                spec.stem,
                *VERIFY_ARGS.get(spec.stem, []),
                "--record",
                str(numbers),
            ],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        print(f"regenerated {target.relative_to(REPO)} and {numbers.relative_to(REPO)}")


if __name__ == "__main__":
    main()
