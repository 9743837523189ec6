"""Run the corpus's translated training scripts on small data made here; does the loss fall?

    .venv/bin/python bench/corpus_scripts.py MIRRORS [--only TEXT] [--no-source]

For every entry of bench/corpus/manifest.json with a `run` section (the training scripts; an
entry this harness does not run says why in `run.not_run`: it downloads, needs an environment
or files the corpus does not hold), this reads the script from its clone (as
bench/translate_corpus.py does), with the repository's files it imports (`run.with`),
translates each with `translate_source`, lays both trees out as the repository does, makes
the data the script reads (`run.data`: "mnist" writes MNIST-format files under
data/MNIST/raw, Fashion-MNIST's first images when `apt-get install dataset-fashion-mnist`
put them in /usr/share/datasets/fashion-mnist, else a synthetic set whose class is drawn in
the image; "cora" writes a small Cora-format graph, at `run.data_at` or ./cora; "sine"
writes generate_sine_wave.py's traindata.pt, shorter), runs the
translation from `run.cwd` (default: the script's folder) with `run.args` (a short run),
reads the losses it prints (`run.loss`, a regular expression with one group) and checks
that the last is below the first (or below `run.stops_below` for a script that trains to a
target). The PyTorch source runs the same way beside it (bench/reference/offline_torchvision
stands in for torchvision, which does not import beside this machine's torch), so its losses
are printed for comparison; --no-source skips it. An entry whose `run.needs` lists a module
that is not installed (scipy for pygcn) is listed as not run. Exit status 1 when a
translated script fails or its loss does not fall.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from translate_corpus import clone_of, read  # noqa: E402

from codegen.translate.api import translate_source  # noqa: E402

FASHION = Path("/usr/share/datasets/fashion-mnist")
STAND_IN = REPO / "bench" / "reference" / "offline_torchvision"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
TIMEOUT = 900


def mnist(root: Path, train: int = 1280, test: int = 256) -> str:
    """MNIST-format files under root/MNIST/raw; what they hold."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    if (FASHION / "train-images-idx3-ubyte.gz").exists():
        parts = {}
        for part, count in (("train", train), ("t10k", test)):
            images = _read_idx(FASHION / f"{part}-images-idx3-ubyte.gz")[:count]
            labels = _read_idx(FASHION / f"{part}-labels-idx1-ubyte.gz")[:count]
            parts[part] = images, labels
        what = f"Fashion-MNIST's first {train} training and {test} test images"
    else:
        rng = np.random.default_rng(0)
        parts = {}
        for part, count in (("train", train), ("t10k", test)):
            labels = rng.integers(0, 10, count).astype(np.uint8)
            images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
            for i, label in enumerate(labels):  # the class is a bright bar at its own place
                images[i, 2 + 2 * label : 5 + 2 * label, 4:24] = 250
            parts[part] = images, labels
        what = f"{train} + {test} synthetic images (the class drawn as a bar)"
    for part, (images, labels) in parts.items():
        with gzip.open(raw / f"{part}-images-idx3-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">IIII", 0x803, len(images), 28, 28) + images.tobytes())
        with gzip.open(raw / f"{part}-labels-idx1-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">II", 0x801, len(labels)) + labels.tobytes())
    return what


def cora(folder: Path, nodes: int = 1800, features: int = 64, classes: int = 4) -> str:
    """A Cora-format graph (cora.content: id, 0/1 features, label; cora.cites: edges) whose
    features and edges follow the class; what it holds."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, classes, nodes)
    ids = rng.permutation(100_000)[:nodes] + 1
    bits = rng.random((nodes, features)) < 0.05
    for node, label in enumerate(labels):  # each class's own block of likely features
        block = slice(label * (features // classes), (label + 1) * (features // classes))
        bits[node, block] |= rng.random(features // classes) < 0.3
    lines = [
        " ".join([str(ids[n]), *map(str, bits[n].astype(int)), f"class_{labels[n]}"])
        for n in range(nodes)
    ]
    (folder / "cora.content").write_text("\n".join(lines) + "\n")
    edges = []
    for node in range(nodes):
        same = np.flatnonzero(labels == labels[node])
        for other in rng.choice(same, 3):
            if other != node:
                edges.append(f"{ids[other]} {ids[node]}")
    (folder / "cora.cites").write_text("\n".join(edges) + "\n")
    return f"{nodes} nodes, {features} features, {classes} classes, {len(edges)} edges"


def sine(folder: Path, waves: int = 100, length: int = 200) -> str:
    """traindata.pt as pytorch/examples' generate_sine_wave.py writes it (torch.save of a
    numpy array: shifted sine waves), shorter."""
    import torch

    rng = np.random.RandomState(2)
    period = 20
    x = np.arange(length) + rng.randint(-4 * period, 4 * period, waves).reshape(waves, 1)
    torch.save(np.sin(x / 1.0 / period).astype("float64"), folder / "traindata.pt")
    return f"{waves} sine waves of {length} steps (generate_sine_wave.py's, shorter)"


def _read_idx(path: Path) -> np.ndarray:
    raw = gzip.open(path).read()
    dims = raw[3]
    shape = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def run(script: Path, args: list[str], cwd: Path, pattern: str, env: dict) -> tuple:
    """(losses printed, return code, the output's last lines)."""
    try:
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return [], "timeout", ""
    losses = [float(m.group(1)) for m in re.finditer(pattern, done.stdout, re.MULTILINE)]
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-6:])
    return losses, done.returncode, tail


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("--only", help="entries whose repo:path contains this")
    parser.add_argument("--no-source", action="store_true", help="do not run the sources")
    options = parser.parse_args()
    manifest = json.loads((REPO / "bench" / "corpus" / "manifest.json").read_text())
    scratch = Path(tempfile.mkdtemp(prefix="dlgen-scripts-"))
    failed = 0
    rows = []
    for number, entry in enumerate(e for e in manifest["files"] if "run" in e):
        name = f"{entry['repo']}:{entry['path']}"
        if options.only and options.only not in name:
            continue
        spec = entry["run"]
        if "not_run" in spec:
            rows.append((name, "-", f"not run: {spec['not_run']}", ""))
            continue
        missing = [m for m in spec.get("needs", []) if importlib.util.find_spec(m) is None]
        if missing:
            rows.append((name, "-", f"not run: needs {', '.join(missing)} (pip install)", ""))
            continue
        clone = clone_of(options.mirrors, entry["repo"])
        files = {entry["path"]: read(clone, entry["commit"], entry["path"])}
        for path in _listed(clone, entry["commit"], spec.get("with", [])):
            files[path] = read(clone, entry["commit"], path)
        translated, left = {}, set()
        for path, text in files.items():
            if path.endswith(".py"):
                translation = translate_source(text, f"{entry['repo']}:{path}")
                translated[path] = translation.code
                left |= {c.name for c in translation.report.left}
        if left:
            rows.append((name, "-", f"not fully translated ({', '.join(sorted(left))})", ""))
            continue
        root = scratch / str(number)
        trees = {"translation": {**files, **translated}, "source": files}
        data = ""
        outcome = {}
        for kind, tree in trees.items():
            if kind == "source" and options.no_source:
                continue
            base = root / kind  # the repository's layout, the script's folder the cwd
            for path, text in tree.items():
                (base / path).parent.mkdir(parents=True, exist_ok=True)
                (base / path).write_text(text, encoding="utf-8")
            work = base / spec.get("cwd", str(Path(entry["path"]).parent))
            work.mkdir(parents=True, exist_ok=True)
            if spec.get("data") == "mnist":  # read as ../data or ./data
                data = mnist(base / "data")
                if not (work / "data").exists():
                    (work / "data").symlink_to(base / "data")
            elif spec.get("data") == "cora":  # ./cora, or where `data_at` says
                data = cora((work / spec.get("data_at", "cora")).resolve())
            elif spec.get("data") == "sine":
                data = sine(work)
            for folder in spec.get("folders", []):
                (work / folder).mkdir()
            path = [str(base)] + ([str(STAND_IN)] if kind == "source" else [])
            env = {**ENV, "PYTHONPATH": os.pathsep.join(path)}
            outcome[kind] = run(base / entry["path"], spec["args"], work, spec["loss"], env)
        losses, code, tail = outcome["translation"]
        falls = code == 0 and len(losses) >= 2 and losses[-1] < losses[0]
        if spec.get("stops_below") is not None:  # a script that trains until a target loss
            falls = code == 0 and len(losses) >= 1 and losses[-1] < spec["stops_below"]
        verdict = "loss falls" if falls else f"FAILED (exit {code})"
        if not falls:
            failed += 1
            print(f"--- {name}: translation's output ends\n{tail}\n")
        source = ""
        if "source" in outcome:
            source_losses, source_code, source_tail = outcome["source"]
            source = _trace(source_losses) if source_code == 0 else f"exit {source_code}"
            if source_code != 0:
                print(f"--- {name}: source's output ends\n{source_tail}\n")
        rows.append((name, data, f"{verdict}: {_trace(losses)}", source))
    print("| script | data | translation: losses printed | PyTorch source: losses printed |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    ran = [r for r in rows if r[1] != "-"]
    print(
        f"{len(rows)} training scripts: {len(ran)} fully translated and run here, "
        f"{len(ran) - failed} of them ran and their loss fell; {failed} failed"
    )
    raise SystemExit(1 if failed else 0)


def _listed(clone: Path, commit: str, paths: list[str]) -> list[str]:
    """The files at `commit` under each of `paths` (a file or a folder)."""
    if not paths:
        return []
    listing = subprocess.run(
        ["git", "-C", str(clone), "ls-tree", "-r", "--name-only", commit, "--", *paths],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return listing.split()


def _trace(losses: list[float]) -> str:
    if not losses:
        return "no loss printed"
    if len(losses) == 1:
        return f"{losses[0]:.4g} ({len(losses)} printed)"
    return f"{losses[0]:.4g} → {losses[-1]:.4g} ({len(losses)} printed)"


if __name__ == "__main__":
    main()
