"""Benchmark: wall time of `dlgen verify` for every example (target: under 5 minutes in all).

.venv/bin/python bench/verify_all.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from _util import ENV, REPO

sys.path.insert(0, str(REPO / "tests"))
from regen_golden import VERIFY_ARGS, example_specs  # noqa: E402


def main() -> None:
    total = 0.0
    print("| example | verify wall time (s) | result |")
    print("|---|---|---|")
    for spec in example_specs():
        start = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "codegen.cli",
                "verify",
                spec.stem,
                *VERIFY_ARGS.get(spec.stem, []),
            ],
            cwd=REPO,
            capture_output=True,
            env=ENV,
        )
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"| {spec.stem} | {elapsed:.1f} | {'pass' if result.returncode == 0 else 'FAIL'} |")
    print(f"| **all** | **{total:.1f}** | target < 300 |")


if __name__ == "__main__":
    main()
