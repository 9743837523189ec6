"""#17: a generated project's data loading meets a missing, damaged or malformed file with one
line that names the file and says what is wrong (exit 1), never a traceback. The loading code
is the same in both frameworks (templates/common/arrays.py.j2); each case runs in both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import data_for, run_dlgen

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}

# Loads each path given and prints the one line its SystemExit carries (or "loaded").
LOAD_EACH = """
import sys
import data
for path in sys.argv[1:]:
    try:
        data.load_arrays(path, 0)
        print("loaded")
    except SystemExit as stop:
        print("exit", type(stop.code).__name__, repr(stop.code))
"""


def _bad_npz(folder: Path) -> dict[str, tuple[Path, str]]:
    good = Path(data_for("augmented_cnn"))
    with np.load(good) as arrays:
        x, y = arrays["x"], arrays["y"]
    cases = {
        "missing": (folder / "absent.npz", "No such file"),
        "garbage": (folder / "garbage.npz", "cannot read the arrays"),
        "truncated": (folder / "truncated.npz", "cannot read the arrays"),
        "no key": (folder / "nokey.npz", "cannot read the arrays"),
        "wrong shape": (folder / "shape.npz", "cannot reshape"),
        "fewer labels": (folder / "labels.npz", f"{len(x)} inputs but {len(y) - 1} labels"),
    }
    cases["garbage"][0].write_bytes(b"not an npz file\n")
    cases["truncated"][0].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    np.savez(cases["no key"][0], images=x, y=y)
    np.savez(cases["wrong shape"][0], x=x[:, :, :8], y=y)
    np.savez(cases["fewer labels"][0], x=x, y=y[:-1])
    return cases


def _bad_csv(folder: Path) -> dict[str, tuple[Path, str]]:
    good = Path(data_for("tabular_regression")).read_text().splitlines()
    header, first = good[0], good[1]
    cases = {
        "missing": (folder / "absent.csv", "No such file"),
        "a folder": (folder / "folder.csv", "Is a directory"),
        "not UTF-8": (folder / "latin1.csv", "codec can't decode"),
        "no column": (folder / "nocolumn.csv", "the header has no column 'price'"),
        "text in a number": (folder / "text.csv", "a value that is not a number"),
        "short row": (folder / "short.csv", "a value that is not a number"),
        "header only": (folder / "empty.csv", "no rows after the header"),
    }
    cases["a folder"][0].mkdir()
    cases["not UTF-8"][0].write_bytes(f"{header}\n{first}\n".encode() + b"\xe9\xff,1\n")
    cases["no column"][0].write_text(header.replace("price", "cost") + "\n" + first + "\n")
    cells = first.split(",")
    cells[0] = "many"
    cases["text in a number"][0].write_text(f"{header}\n{first}\n{','.join(cells)}\n")
    cases["short row"][0].write_text(f"{header}\n{first}\n{cells[1]}\n")
    cases["header only"][0].write_text(header + "\n")
    return cases


def _bad_text(folder: Path) -> dict[str, tuple[Path, str]]:
    good = Path(data_for("text_lstm")).read_text().splitlines()
    header = good[0]
    label = header.split(",")[-1]
    cases = {
        "no column": (folder / "nolabel.csv", f"the header has no column {label!r}"),
        "label not a number": (folder / "label.csv", "a label that is not a number"),
    }
    cases["no column"][0].write_text(header.replace(label, "other") + "\n" + good[1] + "\n")
    cases["label not a number"][0].write_text(f"{header}\n{good[1]}\nfine words,yes\n")
    return cases


MAKERS = {"augmented_cnn": _bad_npz, "tabular_regression": _bad_csv, "text_lstm": _bad_text}


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("example", sorted(MAKERS))
def test_bad_data_files_are_one_line(example: str, framework: str, tmp_path: Path) -> None:
    out = tmp_path / "project"
    made = run_dlgen("new", example, "-o", str(out), "--framework", framework)
    assert made.returncode == 0, made.stderr
    cases = MAKERS[example](tmp_path)
    paths = [str(path) for path, _ in cases.values()]
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EACH, *paths],
        cwd=out,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(cases), result.stdout
    for (name, (path, expected)), line in zip(cases.items(), lines, strict=True):
        assert line.startswith("exit str "), (name, line)
        message = eval(line.removeprefix("exit str "))  # the repr printed above
        assert "\n" not in message and message.startswith(f"{path}: "), (name, message)
        assert expected in message, (name, message)
