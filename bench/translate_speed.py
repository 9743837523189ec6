"""Benchmark: `dlgen translate` speed, measured as a whole process (import, parse, translate,
format, write), medians of several runs, with dlgen's modules compiled to bytecode first
as an installed copy has them.

    .venv/bin/python bench/translate_speed.py [--runs 3] [--lines 10000] [--profile]

Prints the wall time per corpus file (examples/translate), the start-up cost (a one-line file),
and the lines per second on a generated input of 10,000+ lines (the corpus models repeated with
every class and attribute renamed, so no statement repeats and no formatting result is reused),
as one file and as a folder of one file per copy (a folder's files are translated on as many
processes as there are usable cores), beside libcst's own parse of that input for scale. The
targets (issue #26): a typical model file (50-150 lines) in at most 0.5 s as a whole process,
and at least 2,000 lines/s on a 10,000-line folder. `--profile` adds where the in-process time
goes (cProfile).
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


def median_run(source: Path, out: Path, runs: int) -> float:
    return statistics.median(run(source, out) for _ in range(runs))


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.py") if p.name != "check_corpus.py")


HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def large_input(lines: int) -> str:
    """Corpus model code repeated until it has `lines` lines, each copy renamed."""
    return "\n\n".join([HEADER, *_copies(lines)])


def large_folder(lines: int, folder: Path) -> int:
    """The same copies, one file each (with the imports) in `folder`; its line count."""
    folder.mkdir()
    total = 0
    for number, body in enumerate(_copies(lines)):
        text = HEADER + "\n\n" + body
        (folder / f"model_{number:04d}.py").write_text(text, encoding="utf-8")
        total += text.count("\n")
    return total


def _copies(lines: int) -> list[str]:
    bodies = []
    for path in corpus_files():
        text = path.read_text(encoding="utf-8")
        body = text.split("\n\n\n", 1)[1] if "\n\n\n" in text else text
        bodies.append(body.split('if __name__ == "__main__":')[0])
    parts, total, copy = [], 0, 0
    while total < lines:
        for body in bodies:
            renamed = re.sub(r"\bself\.(\w+)", rf"self.\1_{copy}", body)
            renamed = re.sub(r"\b(class|def) (\w+)", rf"\1 \2_{copy}", renamed)
            parts.append(renamed)
            total += renamed.count("\n")
        copy += 1
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="where the in-process time goes")
    args = parser.parse_args()
    # As `pip install` does: the package's modules compiled once. In a checkout run with
    # PYTHONDONTWRITEBYTECODE set, every process would otherwise compile them again
    # (about 0.08 s here), a cost no installed copy pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "codegen"], cwd=REPO, check=True)
    folder = Path(tempfile.mkdtemp(prefix="dlgen-translate-bench-"))
    print(f"{'file':32s} {'lines':>6s} {'median s':>9s}")
    typical = []
    for path in corpus_files():
        median = median_run(path, folder / f"{path.stem}_tf.py", args.runs)
        lines = path.read_text(encoding="utf-8").count("\n")
        print(f"{path.name:32s} {lines:6d} {median:9.2f}")
        if 50 <= lines <= 150:
            typical.append(median)
    print(
        f"{'(median of the 50-150 line files)':32s} {len(typical):6d} "
        f"{statistics.median(typical):9.2f}   (target: at most 0.50)"
    )
    tiny = folder / "tiny.py"
    tiny.write_text("x = 1\n", encoding="utf-8")
    startup = median_run(tiny, folder / "tiny_tf.py", args.runs)
    print(f"{'(start-up: a one-line file)':32s} {1:6d} {startup:9.2f}")
    big = folder / "large.py"
    big.write_text(large_input(args.lines), encoding="utf-8")
    lines = big.read_text(encoding="utf-8").count("\n")
    median = median_run(big, folder / "large_tf.py", args.runs)
    print(f"\nlarge input: {lines} lines, median {median:.2f} s per process")
    print(f"lines/s (whole process, formatting included): {lines / median:,.0f}")
    tree = folder / "large"
    lines_in_tree = large_folder(args.lines, tree)
    files = len(list(tree.glob("*.py")))
    median = median_run(tree, folder / "large_tf", args.runs)
    print(
        f"the same as a folder of {files} files ({lines_in_tree} lines): "
        f"{lines_in_tree / median:,.0f} lines/s   (target: at least 2,000)"
    )

    sys.path.insert(0, str(REPO))
    from codegen.translate.api import translate_source
    from codegen.translate.formatting import format_snippet

    text = big.read_text(encoding="utf-8")
    inner = []
    for _ in range(args.runs):
        format_snippet.cache_clear()  # each run formats from scratch, as a new process does
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
    parsed = lines / statistics.median(parse)
    print(f"lines/s (libcst.parse_module alone, for scale): {parsed:,.0f}")
    print(f"whole process / libcst parse: {lines / median / parsed:.2f}")
    if args.profile:
        profile(text)


def profile(text: str) -> None:
    """Where translate_source's time goes on `text`: cProfile, cumulative time of the parts
    (the profiler's overhead inflates the total; the shares are what matters)."""
    import cProfile
    import pstats

    from codegen.translate.api import translate_source
    from codegen.translate.formatting import format_snippet

    format_snippet.cache_clear()
    profiler = cProfile.Profile()
    profiler.runcall(translate_source, text, "large.py")
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(file: str, *functions: str) -> float:
        return sum(
            row[3]
            for (path, _, name), row in stats.items()
            if path.endswith(file) and name in functions
        )

    total = cumulative("api.py", "translate_source")
    parts = {
        "black (the statements that need formatting)": cumulative(
            "formatting.py", "format_snippet"
        ),
        "libcst parsing (pieces, rule output, black output)": cumulative(
            "entrypoints.py", "parse_module", "parse_expression", "parse_statement"
        ),
        "libcst code generation": cumulative("module.py", "code_for_node"),
        "ast parse and analysis (what needs translating)": cumulative("pieces.py", "__init__")
        - cumulative("pieces.py", "_block")
        + cumulative("pieces.py", "_kind")
        + cumulative("analysis.py", "piece_tables", "header_tables"),
    }
    parts["libcst visit and the translation rules (the rest)"] = total - sum(parts.values())
    print("\nin-process time by part (cProfile, cumulative):")
    for key, seconds in parts.items():
        print(f"  {key:52s} {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
