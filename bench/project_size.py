"""Benchmark: lines of the generated non-test Python files, per example and framework folder.

    .venv/bin/python bench/project_size.py [--only NAME[,NAME]] [--json FILE] [--budget]

Generates every `examples/*.yaml` plus `mnist_plain` (examples/mnist_cnn.yaml with no training
options: epochs, seed and accuracy only, exported as state_dict and keras) with
`dlgen new SPEC --framework both`, then counts the lines of every `*.py` file under `pytorch/`
and `tensorflow/`, leaving out `tests/` folders and `test_*.py` files. Prints a table of files
per project and framework, then a summary table. --budget checks the issue's budgets (mnist_plain
at most 250 PyTorch and 212 TensorFlow lines, linear_regression at most 120 each) and exits 1
when one is broken.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
FRAMEWORKS = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}
BUDGETS = {
    ("mnist_plain", "pytorch"): 250,
    # #25 set 200; #28's per-epoch samples/s (a LambdaCallback and a sample count, the one
    # thing PyTorch's train() did in one line that Keras's fit needs 12 for) made it 212.
    ("mnist_plain", "tensorflow"): 212,
    ("linear_regression", "pytorch"): 120,
    ("linear_regression", "tensorflow"): 120,
}


def dlgen_command() -> list[str]:
    """The `dlgen` console script next to this interpreter, else `python -m codegen.cli`."""
    script = Path(sys.executable).parent / "dlgen"
    if script.exists():
        return [str(script)]
    found = shutil.which("dlgen")
    return [found] if found else [sys.executable, "-m", "codegen.cli"]


def plain_mnist_spec(folder: Path) -> Path:
    """examples/mnist_cnn.yaml without early stopping, checkpoints or the heavier exports."""
    spec = yaml.safe_load((EXAMPLES / "mnist_cnn.yaml").read_text())
    train = spec["train"]
    spec["train"] = {"epochs": train["epochs"], "seed": train["seed"], "metrics": ["accuracy"]}
    spec["export"] = {"formats": ["state_dict", "keras"]}
    path = folder / "mnist_plain.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def specs(folder: Path) -> dict[str, Path]:
    """Every example spec by name, and mnist_plain."""
    found = {path.stem: path for path in sorted(EXAMPLES.glob("*.yaml"))}
    found["mnist_plain"] = plain_mnist_spec(folder)
    return found


def generate(spec: Path, out: Path) -> None:
    result = subprocess.run(
        [*dlgen_command(), "new", str(spec), "-o", str(out), "--framework", "both"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"dlgen new {spec} failed:\n{result.stdout}{result.stderr}")


def is_test(path: Path) -> bool:
    return "tests" in path.parts[:-1] or path.name.startswith("test_")


def count_lines(folder: Path) -> dict[str, int]:
    """Lines of each non-test Python file under a framework folder, by relative path."""
    counts = {}
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder)
        if not is_test(relative):
            counts[relative.as_posix()] = len(path.read_text(encoding="utf-8").splitlines())
    return counts


def measure(names: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per project, per framework folder, the line count of each file."""
    with tempfile.TemporaryDirectory(prefix="dlgen-size-") as tmp:
        folder = Path(tmp)
        available = specs(folder)
        unknown = [name for name in names if name not in available]
        if unknown:
            sys.exit(f"unknown project(s): {', '.join(unknown)}; known: {', '.join(available)}")
        sizes = {}
        for name in names or list(available):
            out = folder / name
            generate(available[name], out)
            sizes[name] = {framework: count_lines(out / framework) for framework in FRAMEWORKS}
        return sizes


def print_files(sizes: dict[str, dict[str, dict[str, int]]]) -> None:
    for name, frameworks in sizes.items():
        for framework, files in frameworks.items():
            print(f"## {name} / {framework}")
            print("| file | lines |")
            print("|---|---:|")
            for file, lines in files.items():
                print(f"| {file} | {lines} |")
            print(f"| **total** | **{sum(files.values())}** |")
            print()


def print_summary(sizes: dict[str, dict[str, dict[str, int]]]) -> None:
    print("| project | PyTorch lines | TensorFlow lines |")
    print("|---|---:|---:|")
    for name, frameworks in sizes.items():
        torch, tf = (sum(frameworks[framework].values()) for framework in FRAMEWORKS)
        print(f"| {name} | {torch} | {tf} |")


def check_budgets(sizes: dict[str, dict[str, dict[str, int]]]) -> bool:
    """Print one line per budget of the measured projects; whether all of them hold."""
    held = True
    for (name, framework), limit in BUDGETS.items():
        if name not in sizes:
            continue
        lines = sum(sizes[name][framework].values())
        if lines <= limit:
            print(f"budget {name} {framework}: {lines} lines ≤ {limit} ok")
        else:
            print(f"budget {name} {framework}: {lines} lines > {limit} FAIL")
            held = False
    return held


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated project names")
    parser.add_argument("--json", type=Path, help="also write the line counts to this file")
    parser.add_argument("--budget", action="store_true", help="exit 1 when a budget is broken")
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    sizes = measure(names)
    print_files(sizes)
    print_summary(sizes)
    if args.json:
        totals = {
            name: {framework: sum(files.values()) for framework, files in frameworks.items()}
            for name, frameworks in sizes.items()
        }
        args.json.write_text(json.dumps({"files": sizes, "totals": totals}, indent=2) + "\n")
    if args.budget:
        print()
        if not check_budgets(sizes):
            sys.exit(1)


if __name__ == "__main__":
    main()
