"""File safety: `dlgen new` never overwrites without --force, replaces a tree only once the new
one is complete, and an interrupted run (SIGINT, SIGKILL, a failing formatter, a full disk)
leaves the previous state as it was.

The kill tests run the real CLI in a subprocess through a small driver that counts the file
operations `write_tree` makes and pauses before the K-th one; the test then kills the process
at that known point, for points spread over the whole write (staging, the swap, the cleanup).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import strategies as S

from conftest import REPO

pytestmark = pytest.mark.slow

OLD_SPEC = """\
project: {name: old}
data: {kind: synthetic_regression, input_shape: [3]}
model:
  layers: [{op: linear, out_features: 1}]
loss: mse
optimizer: sgd
"""
NEW_SPEC = OLD_SPEC.replace("name: old", "name: new").replace("[3]", "[5]")

DRIVER = textwrap.dedent("""
    import builtins, os, shutil, signal, sys, time
    import codegen.render as render
    from codegen.cli import app

    # Ctrl-C as in a terminal, even where this process was started with SIGINT ignored (a
    # background job of a shell without job control passes SIG_IGN on to its children)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    pause_at, marker, swap = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if swap == "renames":  # as on systems without an atomic exchange
        render._exchange = lambda a, b: False
    state = {"inside": False, "ops": 0, "names": []}

    def counted(function, name):
        def wrapper(*args, **kwargs):
            if state["inside"]:
                state["ops"] += 1
                state["names"].append(name)
                if state["ops"] == pause_at:
                    with builtins.open(marker, "w") as handle:
                        handle.write(str(pause_at))
                    time.sleep(120)
            return function(*args, **kwargs)
        return wrapper

    for name in ("replace", "rename", "mkdir", "chmod", "rmdir", "unlink", "remove", "scandir"):
        setattr(os, name, counted(getattr(os, name), name))
    builtins.open = counted(builtins.open, "open")
    shutil.rmtree = counted(shutil.rmtree, "rmtree")
    if hasattr(render, "_exchange"):
        render._exchange = counted(render._exchange, "exchange")
    write_tree = render.write_tree

    def watched(*args, **kwargs):
        state["inside"] = True
        try:
            return write_tree(*args, **kwargs)
        finally:
            state["inside"] = False
            print("OPS", " ".join(state["names"]), flush=True)

    render.write_tree = watched
    app(sys.argv[4:])
    """)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The old tree (with a file the user added) and the tree the new spec makes."""
    root = tmp_path_factory.mktemp("trees")
    (root / "old.yaml").write_text(OLD_SPEC)
    (root / "new.yaml").write_text(NEW_SPEC)
    assert S.invoke(["new", str(root / "old.yaml"), "-o", str(root / "old")]).exit_code == 0
    (root / "old" / "my_notes.txt").write_text("the user's own file\n")
    assert S.invoke(["new", str(root / "new.yaml"), "-o", str(root / "new")]).exit_code == 0
    return {
        "root": root,
        "old": snapshot(root / "old"),
        "new": snapshot(root / "new"),
        "driver": _write(root / "driver.py", DRIVER),
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _workdir(trees: dict, name: str) -> Path:
    work = trees["root"] / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copytree(trees["root"] / "old", work / "out")
    return work


def _driver(trees: dict, work: Path, pause_at: int, swap: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(trees["driver"]), str(pause_at), str(work / "paused"), swap, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _new_args(trees: dict, work: Path) -> list[str]:
    return ["new", str(trees["root"] / "new.yaml"), "-o", str(work / "out"), "--force"]


def _operations(trees: dict, swap: str) -> list[str]:
    work = _workdir(trees, "count")
    process = _driver(trees, work, 0, swap, *_new_args(trees, work))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert snapshot(work / "out") == trees["new"]
    return next(line for line in out.splitlines() if line.startswith("OPS ")).split()[1:]


def _kill_at(trees: dict, pause_at: int, sig: signal.Signals, swap: str) -> tuple[Path, int]:
    work = _workdir(trees, f"{sig.name}-{pause_at}")
    process = _driver(trees, work, pause_at, swap, *_new_args(trees, work))
    deadline = time.monotonic() + 120
    while not (work / "paused").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the driver never reached the pause point"
        time.sleep(0.02)
    process.send_signal(sig)
    _, err = process.communicate(timeout=300)
    assert "Traceback" not in err or sig == signal.SIGINT, err
    (work / "paused").unlink()
    return work, process.returncode


def _points(operations: list[str], wanted: int = 5) -> list[int]:
    """Pause points: spread over the write, the first and last, and around every rename."""
    count = len(operations)
    spread = {1 + i * (count - 1) // (wanted - 1) for i in range(wanted)}
    swaps = {i + 1 for i, name in enumerate(operations) if name in ("replace", "exchange")}
    return sorted(spread | swaps | {i + 1 for i in swaps if i < count})


@pytest.mark.parametrize("swap", ["exchange", "renames"])
def test_interrupted_runs_leave_the_old_tree_or_the_complete_new_one(
    trees: dict, swap: str
) -> None:
    operations = _operations(trees, swap)
    assert "open" in operations and ("exchange" in operations or "replace" in operations)
    outcomes = {}
    for pause_at in _points(operations):
        for sig in (signal.SIGINT, signal.SIGKILL):
            work, code = _kill_at(trees, pause_at, sig, swap)
            state = snapshot(work / "out")
            if swap == "renames" and sig == signal.SIGKILL and not state:
                # killed between moving the old tree aside and the new one in: the next run
                # (even one that then refuses to overwrite) puts the old tree back first
                result = S.invoke(["new", str(trees["root"] / "new.yaml"), "-o", str(work / "out")])
                assert result.exit_code == 1 and "already exists" in result.stderr
                state = snapshot(work / "out")
            assert state in (trees["old"], trees["new"]), f"{sig.name} at op {pause_at}: mixed"
            outcomes[sig.name, pause_at] = "old" if state == trees["old"] else "new"
            stray = S.leftovers(work, {"out"})
            if sig == signal.SIGINT:
                assert code != 0
                assert not stray, f"SIGINT at op {pause_at} left {stray}"
            else:
                assert all(name.startswith(".out.dlgen-") for name in stray), stray
                # the next run removes what the killed one left, and completes
                result = S.invoke(_new_args(trees, work))
                assert result.exit_code == 0, result.output
                assert snapshot(work / "out") == trees["new"]
                assert S.leftovers(work, {"out"}) == []
    # killed before the swap the old tree is intact; the swap is the only point of change
    assert outcomes["SIGKILL", 1] == outcomes["SIGINT", 1] == "old"
    assert list(outcomes.values()).count("old") >= len(outcomes) // 3, outcomes
    print(swap, len(operations), outcomes)


def test_no_overwrite_without_force(tmp_path: Path, trees: dict) -> None:
    work = _workdir(trees, "noforce")
    for target in (work / "out", work / "empty", work / "file"):
        (work / "empty").mkdir(exist_ok=True)
        (work / "file").write_text("x")
        before = snapshot(work)
        result = S.invoke(["new", str(trees["root"] / "new.yaml"), "-o", str(target)])
        assert result.exit_code == 1 and "already exists" in result.stderr, result.output
        assert snapshot(work) == before
    result = S.invoke(["new", str(trees["root"] / "new.yaml"), "-o", str(work / "file"), "--force"])
    assert result.exit_code == 1 and "not a folder" in result.stderr
    assert (work / "file").read_text() == "x"


def test_force_replaces_only_with_the_complete_tree(trees: dict) -> None:
    work = _workdir(trees, "force")
    result = S.invoke(_new_args(trees, work))
    assert result.exit_code == 0, result.output
    assert snapshot(work / "out") == trees["new"]  # the user's extra file went with the old tree
    assert S.leftovers(work, {"out"}) == []


def test_failing_formatter_leaves_the_old_tree(trees: dict, monkeypatch) -> None:
    work = _workdir(trees, "formatter")
    calls = []

    def broken(source: str, name: str) -> str:
        calls.append(name)
        if len(calls) == 3:
            raise RuntimeError(f"black failed on {name}")
        return source

    monkeypatch.setattr("codegen.render.format_python", broken)
    result = S.invoke(_new_args(trees, work))
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert len(calls) == 3
    assert snapshot(work / "out") == trees["old"]
    assert S.leftovers(work, {"out"}) == []


@pytest.mark.parametrize("fail_at", [1, 4, 12])
def test_full_disk_midway_is_one_line_and_leaves_the_old_tree(
    trees: dict, monkeypatch, fail_at: int
) -> None:
    import builtins

    import codegen.render as render

    work = _workdir(trees, f"disk{fail_at}")
    opened = []

    def full_disk(*args, **kwargs):
        opened.append(args[0])
        if len(opened) == fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[0]))
        return builtins.open(*args, **kwargs)

    monkeypatch.setattr(render, "open", full_disk, raising=False)
    result = S.invoke(_new_args(trees, work))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert (
        result.stderr
        == f"{work / 'out'}: error: cannot write the project: No space left on device\n"
    )
    assert snapshot(work / "out") == trees["old"]
    assert S.leftovers(work, {"out"}) == []
