"""Benchmark: wall time of `dlgen new examples/mnist_cnn.yaml --framework both` as a whole process.

    .venv/bin/python bench/generate_speed.py [--runs 7]

Prints the median of several runs, the reference (rendering a comparable template with
cookiecutter, run here when cookiecutter is installed; about 0.4 s on the 2-core dev machine
otherwise), and the slowest imports from `python -X importtime`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMAND = [
    sys.executable,
    "-m",
    "codegen.cli",
    "new",
    "examples/mnist_cnn.yaml",
    "--framework",
    "both",
]


def time_generation(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp()) / "out"
        start = time.perf_counter()
        subprocess.run([*COMMAND, "-o", str(out)], cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out.parent)
    return times


def time_cookiecutter(runs: int, executable: str | None) -> list[float] | None:
    """Render a comparable cookiecutter template (14 files of ~100 lines), if installed."""
    executable = executable or shutil.which("cookiecutter")
    if executable is None:
        return None
    template = Path(tempfile.mkdtemp()) / "tpl"
    project = template / "{{cookiecutter.name}}"
    project.mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"name": "demo"}')
    for i in range(14):
        (project / f"file{i}.py").write_text("# {{cookiecutter.name}}\n" + "x = 1\n" * 100)
    times = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        subprocess.run(
            [executable, "--no-input", str(template), "-o", str(out)],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
        shutil.rmtree(out)
    return times


def import_profile(top: int = 8) -> list[tuple[int, str]]:
    """Cumulative import time (µs) of the slowest top-level imports of `dlgen new`."""
    out = Path(tempfile.mkdtemp()) / "out"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *COMMAND[1:], "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if name.startswith(" ") and not name.startswith("  "):  # a top-level import
            rows.append((int(cumulative), name.strip()))
    shutil.rmtree(out.parent)
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cookiecutter", help="path of a cookiecutter executable (any venv)")
    args = parser.parse_args()
    times = time_generation(args.runs)
    print(
        f"dlgen new mnist_cnn --framework both: median {statistics.median(times):.3f} s over {args.runs} runs (min {min(times):.3f}, max {max(times):.3f})"
    )
    reference = time_cookiecutter(args.runs, args.cookiecutter)
    if reference:
        print(f"cookiecutter, comparable template:    median {statistics.median(reference):.3f} s")
    else:
        print("cookiecutter not installed; reference from the brief: about 0.4 s")
    print("slowest top-level imports (cumulative, ms):")
    for micros, name in import_profile():
        print(f"  {micros / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
