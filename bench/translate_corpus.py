"""Measure `dlgen translate` on public PyTorch files (bench/corpus/manifest.json).

    .venv/bin/python bench/translate_corpus.py MIRRORS [--verbose] [--verify]

MIRRORS holds one git clone per repository, as `owner+name/repo` (the layout of the tool
library's `fetch`) or `owner/name`; each file is read at the manifest's commit with
`git show`, so nothing of theirs is copied into this repository. For every file it prints the
conversion rate the rules' log alone would report, the rate after the output check, whether
the output compiles, and what the output check found. With `--verify`, every file fully
translated after the output check whose entry names a model (`verify`) is also run through
`dlgen translate --verify --rtol 1e-4` (inference and training mode): the table gains its
verdict. The relative tolerance: in training mode, float32 rounding through dozens of
batch-normalized layers reaches 1e-5 on its own (PyTorch's MobileNet against itself run in
float64: 1.0e-5 at outputs of 0.5), past the absolute 1e-5. Where float32 still differs,
--verify runs both models again in float64 (same weights, same inputs): equal there, the
float32 difference is rounding and the verdict says so. The totals lines are what the
closing notes quote.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
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
    parser.add_argument("--verify", action="store_true", help="run --verify where listed")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dlgen-corpus-"))
    verdicts: dict[str, str] = {}
    manifest = json.loads((REPO / "bench" / "corpus" / "manifest.json").read_text())
    rows = []
    found: Counter[str] = Counter()
    for entry in manifest["files"]:
        name = f"{entry['repo']}:{entry['path']}"
        text = read(clone_of(args.mirrors, entry["repo"]), entry["commit"], entry["path"])
        try:
            translation = translate_source(text, name)
            report, code = translation.report, translation.code
        except DlgenError as error:
            rows.append((name, None, None, False, f"error: {error.message}", False, []))
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
        undefined = _ruff_names(code, text, "F821")
        redefined = _ruff_names(code, text, "F811")
        what = ", ".join(
            [c.name for c in checked]
            + [f"undefined {n}" for n in undefined]
            + [f"REDEFINED {n}" for n in redefined]
        )
        unmarked = [n for n in undefined if n not in {c.name for c in checked}]
        rows.append((name, rules_rate, report.rate, compiles, what, bool(unmarked), redefined))
        if args.verify and "verify" in entry and report.rate == 1:
            verdicts[name] = _verify(entry["verify"], text, code, scratch / str(len(rows)))
    verified = " verify |" if args.verify else ""
    print(f"| file | rules' rate | after output check | compiles | output check found |{verified}")
    print("|---|---|---|---|---|" + ("---|" if args.verify else ""))
    for name, before, after, compiles, what, *_ in rows:
        rates = ("-", "-") if before is None else (f"{before:.0%}", f"{after:.0%}")
        verdict = f" {verdicts.get(name, '')} |" if args.verify else ""
        print(
            f"| {name} | {rates[0]} | {rates[1]} | {'yes' if compiles else 'NO'} | {what} |"
            + verdict
        )
    done = [r for r in rows if r[1] is not None]
    claimed = sum(r[1] == 1 for r in done)
    full = sum(r[2] == 1 for r in done)
    overclaims = sum(r[1] == 1 and r[2] < 1 for r in done)
    print(
        f"{len(rows)} files: {len(rows) - len(done)} refused with one error line; "
        f"{claimed} fully translated by the rules' log, {full} after the output check "
        f"({overclaims} overclaims caught); {sum(not r[3] for r in done)} outputs do not compile; "
        f"{sum(r[5] for r in done)} use a name dlgen left undefined (ruff F821) unmarked; "
        f"{sum(bool(r[6]) for r in done)} redefine a name the source did not (ruff F811)"
    )
    if args.verify:
        equal = sum(v.startswith("equal") for v in verdicts.values())
        listed = sum("verify" in e for e in manifest["files"])
        print(
            f"--verify: {len(verdicts)} of the {full} fully translated files name a model "
            f"({listed} entries do): {equal} equal in both modes "
            f"({sum('is rounding' in v for v in verdicts.values())} of them by the float64 "
            "check), "
            f"{len(verdicts) - equal} not: "
            + "; ".join(f"{k}: {v}" for k, v in verdicts.items() if not v.startswith("equal"))
        )
    if args.verbose:
        print("output check finds:", ", ".join(f"{k} {v}" for k, v in found.most_common()))


RTOL = 1e-4  # beside --verify's default atol 1e-5; see the module docstring


def _verify(what: dict, source: str, code: str, folder: Path) -> str:
    """Verify one translated file as `dlgen translate --verify` does; a short verdict."""
    from codegen.verify.translated import CouldNotRun, InputSpec, OutputsDiffer, verify_files

    folder.mkdir(parents=True)
    (folder / "model.py").write_text(source, encoding="utf-8")
    (folder / "model_tf.py").write_text(code, encoding="utf-8")
    arguments = what.get("args", {})
    args, kwargs = (arguments, {}) if isinstance(arguments, list) else ([], arguments)
    specs = [InputSpec.parse(shape) for shape in what["inputs"]]
    try:
        result = verify_files(
            folder / "model.py",
            folder / "model_tf.py",
            what["name"],
            specs,
            rtol=RTOL,
            args=args,
            kwargs=kwargs,
        )
    except (CouldNotRun, OutputsDiffer) as error:
        kind = "could not run" if isinstance(error, CouldNotRun) else "differ"
        return f"{kind}: {error.message[:160]}"
    modes = "both modes" if result.training else f"inference ({result.training_note})"
    if result.ok:
        return f"equal in {modes}: max abs diff {result.max_abs_diff:.2g}"
    if result.equal_in_float64:
        return (
            f"equal in {modes}: float32 max abs diff {result.max_abs_diff:.2g} is rounding "
            f"(float64: {result.float64_diff:.2g}; PyTorch's own float32 vs float64: "
            f"{result.rounding:.2g})"
        )
    worst = {
        mode: max((row[2] for row in rows), default=0.0)
        for mode, rows in (("inference", result.outputs), ("training", result.training))
        if rows
    }
    each = ", ".join(f"{mode} {diff:.2g}" for mode, diff in worst.items())
    wide = (
        f"float64: {result.float64_diff:.2g}"
        if result.float64_diff is not None
        else result.float64_note
    )
    return (
        f"DIFFER (max abs diff: {each}); PyTorch float32 vs float64: {result.rounding:.2g}; "
        f"{wide}"
    )


def _ruff_names(code: str, source: str, rule: str) -> list[str]:
    """Names ruff flags with `rule` (F821 undefined, F811 redefined) in the output but not in
    the source: dlgen's doing."""

    def flagged(text: str) -> set[str]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--select",
                rule,
                "--output-format",
                "json",
                "--no-cache",
                "--stdin-filename",
                "file.py",
                "-",
            ],
            input=text,
            capture_output=True,
            text=True,
        )
        return {item["message"].split("`")[1] for item in json.loads(result.stdout or "[]")}

    return sorted(flagged(code) - flagged(source))


if __name__ == "__main__":
    main()
