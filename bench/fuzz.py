"""Fuzz report: hundreds of bad inputs and valid specs through the real CLI, in-process.

    .venv/bin/python bench/fuzz.py                # 500 bad inputs, 200 valid specs, models built
    .venv/bin/python bench/fuzz.py --quick        # no model building (generation, compile, ruff)
    .venv/bin/python bench/fuzz.py --bad 2000 --valid 500 --seed 7
    .venv/bin/python bench/fuzz.py --bad 0 --valid 0 --translate 400 --update 100

Bad inputs are mutations of valid specs and broken YAML/bytes (tests/strategies.py); each must
end in one `file:line:col: error:` line, exit 1, no traceback, nothing written. Valid specs are
drawn from the op registry; each must generate both projects, which must compile, be
black-stable and pass ruff, and (without --quick) build models of exactly the shapes
`dlgen check` predicts, agreeing in the forward pass (≤ 1e-5) on every fifth spec.
`dlgen translate` (mutated corpus files, hostile string literals, deep nesting, encodings, odd
file names) and `dlgen new --update` (mutated manifests) are fuzzed too: bench/fuzz_translate.py.
Exit status 1 when anything but 0 crashes, 0 partial writes, 0 writes outside the target,
0 injections and 0 unverified specs is seen.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import strategies as S  # noqa: E402
from fuzz_translate import fuzz_translate, fuzz_update  # noqa: E402
from hypothesis import given, seed, settings  # noqa: E402
from test_properties import build_and_measure  # noqa: E402 - imported before any @given runs

from codegen.backends import FOLDERS  # noqa: E402
from codegen.check import check  # noqa: E402
from codegen.spec.loader import load_spec  # noqa: E402


def _run(strategy, count: int, seed_value: int, body) -> None:
    """Run `body` on `count` draws of `strategy` (hypothesis, seeded, no shrinking)."""
    if count <= 0:
        return

    @seed(seed_value)
    @settings(S.RELIABLE, max_examples=count, derandomize=False)
    @given(strategy)
    def driver(value) -> None:
        body(value)

    driver()


def fuzz_bad(count: int, seed_value: int, root: Path, counts, problems) -> None:
    def one(case: tuple[str, bytes]) -> None:
        kind, raw = case
        counts["bad: tried"] += 1
        folder = root / f"bad{counts['bad: tried']}"
        folder.mkdir()
        spec = folder / "spec.yaml"
        spec.write_bytes(raw)
        outcome = S.run_new(spec, folder)
        counts[f"bad: {outcome.kind}"] += 1
        counts[f"bad kind {kind}: {outcome.kind}"] += 1
        if not outcome.clean:
            problems.append(f"[{kind}] {outcome.kind}: {outcome.detail[-1500:]}\n{raw[:1500]!r}")

    for index, kind in enumerate(S.MUTATIONS):  # every kind of mutation, equally often
        share = count // len(S.MUTATIONS) + (index < count % len(S.MUTATIONS))
        _run(S.mutated_specs(kind), share, seed_value, one)


def fuzz_valid(count: int, seed_value: int, root: Path, quick: bool, counts, problems) -> list:
    generated: list[Path] = []

    def one(spec_data: dict) -> None:
        counts["valid: tried"] += 1
        folder = root / f"valid{counts['valid: tried']}"
        folder.mkdir()
        spec = folder / "spec.yaml"
        spec.write_text(S.dump(spec_data), encoding="utf-8")
        outcome = S.run_new(spec, folder)
        counts[f"valid: {outcome.kind}"] += 1
        if outcome.kind != "generated":
            problems.append(f"valid spec {outcome.kind}: {outcome.detail[-1500:]}\n{spec}")
            return
        try:
            verify(spec, folder / "out", quick, counts["valid: tried"] % 5 == 0)
        except Exception:  # noqa: BLE001 - every failure is reported with its spec
            counts["valid: not verified"] += 1
            problems.append(f"valid spec not verified: {traceback.format_exc()[-2000:]}\n{spec}")
            return
        generated.append(folder / "out")

    _run(S.valid_specs(plain_project=True), count, seed_value, one)
    return generated


def verify(spec: Path, out: Path, quick: bool, forward: bool) -> None:
    import black

    from codegen.render import black_mode

    for path in sorted(out.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        compile(text, str(path), "exec")
        if forward or path.name == "model.py":  # black is the slow part: a sample of files
            assert black.format_str(text, mode=black_mode()) == text, f"{path} not black-stable"
    if quick:
        return
    checked = check(load_spec(spec))
    pair = build_and_measure(checked, out)
    try:
        if forward:
            from codegen.verify.compare import compare_forward, synthetic_batches

            x = synthetic_batches(checked, 1, 4, 1)[0][0]
            result, _ = compare_forward(pair, x, atol=1e-5)
            assert result.ok, result.summary
    finally:
        pair.fw.keras.backend.clear_session()


def ruff(trees: list[Path], counts, problems) -> None:
    """One ruff run over every generated project (each with its own pyproject.toml)."""
    folders = [str(tree / name) for tree in trees for name in FOLDERS.values()]
    for start in range(0, len(folders), 200):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--no-cache",
                "--quiet",
                *folders[start:][:200],
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            counts["valid: ruff failures"] += 1
            problems.append(f"ruff: {result.stdout[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bad", type=int, default=500, help="bad inputs to try")
    parser.add_argument("--valid", type=int, default=200, help="valid specs to try")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="skip building the models")
    parser.add_argument("--translate", type=int, default=200, help="translate inputs to try")
    parser.add_argument("--update", type=int, default=50, help="mutated manifests to try")
    args = parser.parse_args()
    counts: collections.Counter = collections.Counter()
    problems: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlgen-fuzz-") as folder:
        root = Path(folder)
        fuzz_bad(args.bad, args.seed, root, counts, problems)
        trees = fuzz_valid(args.valid, args.seed, root, args.quick, counts, problems)
        ruff(trees, counts, problems)
        fuzz_translate(args.translate, args.seed, root, counts, problems)
        fuzz_update(args.update, args.seed, root, counts, problems)
    elapsed = time.perf_counter() - started
    crashes = sum(counts[f"{k}: crash"] for k in ("bad", "valid", "translate", "update"))
    partial = counts["bad: partial"] + counts["valid: partial"] + counts["translate: partial"]
    unclean = sum(
        counts[k]
        for k in (
            "bad: bad-message",
            "valid: bad-message",
            "translate: unclean error",
            "update: unclean error",
        )
    )
    escaped = counts["update: wrote outside"]
    injections = counts["translate: injection"]
    broken = counts["translate: output does not parse"]
    unverified = (
        counts["valid: rejected"] + counts["valid: not verified"] + counts["valid: ruff failures"]
    )
    print(f"dlgen fuzz (seed {args.seed}{', quick' if args.quick else ''}): {elapsed:.0f} s")
    tried = sum(counts[f"{k}: tried"] for k in ("bad", "valid", "translate", "update"))
    print(f"  tried                      {tried}")
    print(f"    bad inputs               {counts['bad: tried']}")
    print(f"    valid specs              {counts['valid: tried']}")
    print(f"    translate inputs         {counts['translate: tried']}")
    print(f"    --update manifests       {counts['update: tried']}")
    print(f"  rejected cleanly           {counts['bad: rejected']}")
    print(f"  bad inputs still valid     {counts['bad: generated']} (generated completely)")
    verified = counts["valid: generated"] - counts["valid: not verified"]
    how = "compile, black, ruff" + ("" if args.quick else ", shapes, forward")
    print(f"  generated and verified     {verified} ({how})")
    print(f"  crashes                    {crashes}")
    print(f"  partial writes             {partial}")
    print(f"  unclean error messages     {unclean}")
    print(f"  valid specs not verified   {unverified}")
    print(f"  translated (output parses) {counts['translate: translated']}")
    print(f"  translate refused cleanly  {counts['translate: refused cleanly']}")
    print(f"  translate outputs broken   {broken}")
    print(f"  injections                 {injections}")
    print(
        f"  --update updated / refused {counts['update: updated']} / {counts['update: refused cleanly']}"
    )
    print(f"  writes outside the target  {escaped}")
    print("  bad inputs by mutation:")
    for key in sorted(k for k in counts if k.startswith("bad kind ")):
        print(f"    {key[9:]:<32} {counts[key]}")
    print("  translate inputs by kind:")
    for key in sorted(k for k in counts if k.startswith("translate kind ")):
        print(f"    {key[15:]:<32} {counts[key]}")
    for problem in problems[:10]:
        print("\n---- " + problem)
    failed = crashes or partial or unclean or unverified or escaped or injections or broken
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
