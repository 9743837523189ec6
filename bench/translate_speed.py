"""Benchmark: `dlgen translate` speed, measured as a whole process (import, parse, translate,
format, write), medians of several runs.

    .venv/bin/python bench/translate_speed.py [--runs 3] [--lines 10000]

Prints the wall time per corpus file (examples/translate) and the lines per second on a
generated input of 10,000+ lines (the corpus models repeated with every class and attribute
renamed, so no statement repeats and no formatting result is reused). Target: ≥ 5,000 lines/s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "examples" / "translate"


def run(source: Path, out: Path) -> float:
    """Seconds for one `dlgen translate SOURCE -o OUT --force` process."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "codegen.cli", "translate", str(source), "-o", str(out), "--force"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.py") if p.name != "check_corpus.py")


def large_input(lines: int) -> str:
    """Corpus model code repeated until it has `lines` lines, each copy renamed."""
    header = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    bodies = []
    for path in corpus_files():
        text = path.read_text(encoding="utf-8")
        body = text.split("\n\n\n", 1)[1] if "\n\n\n" in text else text
        bodies.append(body.split('if __name__ == "__main__":')[0])
    parts, total, copy = [header], 0, 0
    while total < lines:
        for body in bodies:
            renamed = re.sub(r"\bself\.(\w+)", rf"self.\1_{copy}", body)
            renamed = re.sub(r"\b(class|def) (\w+)", rf"\1 \2_{copy}", renamed)
            parts.append(renamed)
            total += renamed.count("\n")
        copy += 1
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dlgen-translate-bench-"))
    print(f"{'file':32s} {'lines':>6s} {'median s':>9s}")
    for path in corpus_files():
        times = [run(path, folder / f"{path.stem}_tf.py") for _ in range(args.runs)]
        lines = path.read_text(encoding="utf-8").count("\n")
        print(f"{path.name:32s} {lines:6d} {statistics.median(times):9.2f}")
    big = folder / "large.py"
    big.write_text(large_input(args.lines), encoding="utf-8")
    lines = big.read_text(encoding="utf-8").count("\n")
    times = [run(big, folder / "large_tf.py") for _ in range(args.runs)]
    median = statistics.median(times)
    print(f"\nlarge input: {lines} lines, median {median:.2f} s per process")
    print(f"lines/s (whole process, formatting included): {lines / median:,.0f}")

    sys.path.insert(0, str(REPO))
    from codegen.translate.api import translate_source

    text = big.read_text(encoding="utf-8")
    inner = []
    for _ in range(args.runs):
        start = time.perf_counter()
        translate_source(text, "large.py")
        inner.append(time.perf_counter() - start)
    print(f"lines/s (translate_source alone, in-process): {lines / statistics.median(inner):,.0f}")
    import libcst

    parse = []
    for _ in range(args.runs):
        start = time.perf_counter()
        libcst.parse_module(text)
        parse.append(time.perf_counter() - start)
    print(
        f"lines/s (libcst.parse_module alone, for scale): {lines / statistics.median(parse):,.0f}"
    )


if __name__ == "__main__":
    main()
