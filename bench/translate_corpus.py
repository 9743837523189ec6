"""Measure `dlgen translate` on public PyTorch files (bench/corpus/manifest.json).

    .venv/bin/python bench/translate_corpus.py MIRRORS [--verbose]

MIRRORS holds one git clone per repository, as `owner+name/repo` (the layout of the tool
library's `fetch`) or `owner/name`; each file is read at the manifest's commit with
`git show`, so nothing of theirs is copied into this repository. For every file it prints the
conversion rate the rules' log alone would report, the rate after the output check, whether
the output compiles, and what the output check found. The totals line is what the closing
notes quote.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegen.errors import DlgenError  # noqa: E402
from codegen.translate.api import translate_source  # noqa: E402


def clone_of(mirrors: Path, repo: str) -> Path:
    for candidate in (mirrors / repo.replace("/", "+") / "repo", mirrors / repo):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"{mirrors}: no clone of {repo} (as owner+name/repo or owner/name)")


def read(clone: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(clone), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("--verbose", action="store_true", help="list every output-check find")
    args = parser.parse_args()
    manifest = json.loads((REPO / "bench" / "corpus" / "manifest.json").read_text())
    rows = []
    found: Counter[str] = Counter()
    for entry in manifest["files"]:
        name = f"{entry['repo']}:{entry['path']}"
        text = read(clone_of(args.mirrors, entry["repo"]), entry["commit"], entry["path"])
        try:
            report = translate_source(text, name).report
            code = translate_source(text, name).code
        except DlgenError as error:
            rows.append((name, None, None, False, f"error: {error.message}"))
            continue
        checked = [c for c in report.constructs if c.in_output]
        rules = [c for c in report.constructs if not c.in_output]
        rules_rate = 1 - sum(not c.translated for c in rules) / max(len(rules), 1)
        try:
            compile(code, name, "exec")
            compiles = True
        except SyntaxError:
            compiles = False
        found.update(c.name for c in checked)
        rows.append((name, rules_rate, report.rate, compiles, ", ".join(c.name for c in checked)))
    print("| file | rules' rate | after output check | compiles | output check found |")
    print("|---|---|---|---|---|")
    for name, before, after, compiles, what in rows:
        rates = ("-", "-") if before is None else (f"{before:.0%}", f"{after:.0%}")
        print(f"| {name} | {rates[0]} | {rates[1]} | {'yes' if compiles else 'NO'} | {what} |")
    done = [r for r in rows if r[1] is not None]
    claimed = sum(r[1] == 1 for r in done)
    full = sum(r[2] == 1 for r in done)
    overclaims = sum(r[1] == 1 and r[2] < 1 for r in done)
    print(
        f"{len(rows)} files: {len(rows) - len(done)} refused with one error line; "
        f"{claimed} fully translated by the rules' log, {full} after the output check "
        f"({overclaims} overclaims caught); {sum(not r[3] for r in done)} outputs do not compile"
    )
    if args.verbose:
        print("output check finds:", ", ".join(f"{k} {v}" for k, v in found.most_common()))


if __name__ == "__main__":
    main()
