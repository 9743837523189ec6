"""Determinism: the same spec gives byte-identical projects across runs, PYTHONHASHSEED values,
working directories, output paths, time zones, locales, users and the formatting cache; and
generated files hold no absolute paths, timestamps, user or host names.

One `dlgen` process per environment generates every sample spec (the examples plus specs drawn
from the op registry), so the suite stays fast while each environment is a real process.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import strategies as S
from hypothesis import given, settings

from conftest import EXAMPLES, REPO

pytestmark = pytest.mark.slow

DRIVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from codegen.cli import app

    specs, out = Path(sys.argv[1]), Path(sys.argv[2])
    for spec in sorted(specs.glob("*.yaml")):
        try:
            app(["new", str(spec), "-o", str(out / spec.stem)])
        except SystemExit as exit:
            if exit.code:
                raise
    """)

ENVIRONMENTS = {
    "plain": {"PYTHONHASHSEED": "0"},
    "hash-seed": {"PYTHONHASHSEED": "4242", "TZ": "Asia/Kathmandu", "LC_ALL": "C"},
    "random-hash-no-cache": {
        "PYTHONHASHSEED": "random",
        "DLGEN_NO_CACHE": "1",
        "TZ": "America/St_Johns",
        "USER": "somebody-else",
        "HOME": "/nonexistent-home",
        "LANG": "en_US.UTF-8",
    },
}


def _drawn_specs(count: int) -> list[str]:
    texts: list[str] = []

    @settings(S.RELIABLE, max_examples=count)
    @given(S.valid_specs())
    def collect(spec: dict) -> None:
        texts.append(S.dump(spec))

    collect()
    return texts


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("determinism")
    specs = root / "specs"
    specs.mkdir()
    for example in ("mnist_cnn", "resnet_block", "text_lstm"):
        (specs / f"{example}.yaml").write_bytes((EXAMPLES / f"{example}.yaml").read_bytes())
    for index, text in enumerate(_drawn_specs(6)):
        (specs / f"drawn{index}.yaml").write_text(text, encoding="utf-8")
    driver = root / "driver.py"
    driver.write_text(DRIVER)
    trees = {}
    for index, (name, env) in enumerate(ENVIRONMENTS.items()):
        cwd = REPO if index % 2 == 0 else root
        out = root / f"out-{name}"
        out_arg = os.path.relpath(out, cwd) if index == 0 else str(out)
        result = subprocess.run(
            [sys.executable, str(driver), str(specs), out_arg],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        trees[name] = _tree(out)
    return {"root": root, **trees}


def test_byte_identical_across_environments(runs: dict) -> None:
    reference = runs["plain"]
    assert len({path.split("/")[0] for path in reference}) == 9
    for name in ENVIRONMENTS:
        tree = runs[name]
        assert sorted(tree) == sorted(reference), name
        different = [path for path in reference if tree[path] != reference[path]]
        assert not different, f"{name}: {different[:5]}"


def test_no_paths_timestamps_or_machine_names(runs: dict) -> None:
    now = datetime.datetime.now()
    forbidden = {
        str(runs["root"]),
        str(REPO),
        str(Path.home()),
        os.environ.get("USER", "") or "\0",
        socket.gethostname(),
        "/tmp/",
        now.strftime("%Y-%m-%d"),
        now.strftime("%d/%m/%Y"),
        now.strftime("%b %d %Y"),
        now.strftime("%H:%M:"),
    }
    forbidden = {f for f in forbidden if len(f) >= 4}
    for path, data in runs["plain"].items():
        text = data.decode("utf-8")
        for word in forbidden:
            assert word not in text, f"{path} contains {word!r}"


def test_same_output_in_process_twice_and_from_another_spec_path(tmp_path: Path) -> None:
    """Generation keeps no state between runs in one process (caches, registries, Jinja)."""
    spec = EXAMPLES / "resnet_block.yaml"
    elsewhere = tmp_path / "deep" / "folder"
    elsewhere.mkdir(parents=True)
    (elsewhere / "resnet_block.yaml").write_bytes(spec.read_bytes())
    trees = []
    for source, out in ((spec, "a"), (elsewhere / "resnet_block.yaml", "b"), (spec, "c")):
        result = S.invoke(["new", str(source), "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        trees.append(_tree(tmp_path / out))
    assert trees[0] == trees[2]
    # only files naming the spec may differ (the built-in `resnet_block` vs the file name
    # `resnet_block.yaml`, and the manifest that hashes them)
    differ = [p for p in trees[0] if trees[0][p] != trees[1][p]]
    assert differ and all(
        b"`resnet_block`" in trees[0][p] or p.endswith("manifest.json") for p in differ
    ), differ
