"""Count which PyTorch functions and Tensor methods real code calls (issue #27, point 1).

    .venv/bin/python bench/api_usage.py MIRRORS [--write]

MIRRORS holds one git clone per public repository, as `owner+name/repo` (the layout of the
tool library's `fetch`) or `owner/name`. Every `*.py` file at each clone's HEAD is read with
git (nothing of theirs is copied here) and parsed with `ast`; a file that does not parse
(Python 2, templates) is skipped and counted as skipped. Counted in each file:

* calls of a `torch.*` function, its name resolved through the file's imports
  (`F.relu` after `import torch.nn.functional as F` is `torch.nn.functional.relu`); classes
  (`nn.Linear`, `optim.Adam`) are not functions and are counted apart;
* calls of a method whose name is a public method of `torch.Tensor` (`x.view(...)`), on
  anything but a name bound by an import (`np.sum(...)` is numpy's). Counted by name: a call
  cannot be typed without running the code, so `model.to(device)` counts as `Tensor.to`, and
  a `.sum()` on a numpy array as `Tensor.sum`. Names that Python's str, list, dict, set and
  tuple also have (`split`, `values`, `index`, `sort`, `add`, ...) are left out: there they
  would count mostly strings and containers.

Test code is left out (files under a `test`/`tests` folder or named `test_*.py`): it calls
`torch.allclose` and friends far more than the models and training scripts dlgen translates.

Prints the 150 most called of the two together, and with --write records the repositories
(each with its commit), the file counts and every name called at least 3 times in
`bench/corpus/api_usage.json`, which `bench/translate_coverage.py` reads.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codegen.translate.analysis import dotted  # noqa: E402 - the translator's own spelling

MANIFEST = Path(__file__).resolve().parent / "corpus" / "api_usage.json"
TOP = 150
MIN_COUNT = 3
MAX_BYTES = 1_000_000
BUILTIN_METHODS = frozenset(
    name for kind in (str, list, dict, set, tuple) for name in dir(kind) if not name.startswith("_")
)


def is_test(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("test", "tests") for p in parts[:-1]) or parts[-1].startswith("test_")


def clones(mirrors: Path) -> dict[str, Path]:
    """owner/name → git directory, for every clone under `mirrors`."""
    found = {}
    for folder in sorted(mirrors.iterdir()):
        if (folder / "repo" / "HEAD").exists() and "+" in folder.name:
            found[folder.name.replace("+", "/", 1)] = folder / "repo"
        elif folder.is_dir():
            for clone in sorted(folder.iterdir()):
                if (clone / ".git").exists():
                    found[f"{folder.name}/{clone.name}"] = clone
    return found


def python_files(git_dir: Path) -> tuple[str, dict[str, str]]:
    """The HEAD commit and the text of every `*.py` file at it that is not test code."""
    bare = not (git_dir / ".git").exists()
    git = ["git", "--git-dir" if bare else "-C", str(git_dir)]
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    listing = subprocess.run(
        [*git, "ls-tree", "-r", "-l", "HEAD"], capture_output=True, text=True, check=True
    ).stdout
    wanted = []
    for line in listing.splitlines():
        meta, _, path = line.partition("\t")
        _, kind, sha, size = meta.split()
        if kind != "blob" or not path.endswith(".py") or is_test(path):
            continue
        if size != "-" and int(size) <= MAX_BYTES:
            wanted.append((path, sha))
    batch = subprocess.run(
        [*git, "cat-file", "--batch"],
        input="".join(f"{sha}\n" for _, sha in wanted).encode(),
        capture_output=True,
        check=True,
    ).stdout
    texts, offset = {}, 0
    for path, _ in wanted:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        body = batch[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        texts[path] = body.decode("utf-8", errors="replace")
    return commit, texts


def _imports(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """(local name → torch module or object path, every name bound by any import)."""
    torch_names, bound = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                bound.add(local)
                if alias.name.split(".")[0] == "torch":
                    torch_names[local] = alias.name if alias.asname else "torch"
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                local = alias.asname or alias.name
                bound.add(local)
                if node.module.split(".")[0] == "torch":
                    torch_names[local] = f"{node.module}.{alias.name}"
    return torch_names, bound


def count_file(
    text: str, tensor_methods: frozenset[str], functions: Counter, methods: Counter
) -> bool:
    """Add one file's calls to the counters; False when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    torch_names, bound = _imports(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        if name is not None:
            head, _, rest = name.partition(".")
            if head in torch_names:
                functions[torch_names[head] + ("." + rest if rest else "")] += 1
                continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in tensor_methods:
            receiver = dotted(func.value)
            if receiver is None or receiver.split(".")[0] not in bound:
                methods[func.attr] += 1
    return True


def kind_of(name: str) -> str:
    """ "function", "class" or "other" for a qualified torch name, from the installed torch."""
    import importlib
    import inspect

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # noqa: BLE001 - not a module at this length
            continue
        try:
            for part in parts[cut:]:
                value = getattr(value, part)
        except Exception:  # noqa: BLE001 - torch._classes and others raise their own
            return "other"
        if inspect.isclass(value):
            return "class"
        return "function" if callable(value) and not inspect.ismodule(value) else "other"
    return "other"


def measure(mirrors: Path) -> dict:
    import torch

    tensor_methods = frozenset(
        name
        for name in dir(torch.Tensor)
        if not name.startswith("_")
        and callable(getattr(torch.Tensor, name, None))
        and name not in BUILTIN_METHODS
    )
    functions: Counter = Counter()
    methods: Counter = Counter()
    repos = []
    for repo, git_dir in clones(mirrors).items():
        commit, texts = python_files(git_dir)
        parsed = sum(count_file(t, tensor_methods, functions, methods) for t in texts.values())
        repos.append({"repo": repo, "commit": commit, "python_files": len(texts), "parsed": parsed})
    kinds = {name: kind_of(name) for name in functions}
    return {
        "about": (
            "Calls of torch.* functions and of Tensor methods (by name) in every *.py file of "
            "these public repositories at these commits, counted by bench/api_usage.py; "
            f"names called at least {MIN_COUNT} times. Nothing of theirs is committed here."
        ),
        "torch": torch.__version__,
        "repos": repos,
        "functions": {
            n: c for n, c in functions.most_common() if c >= MIN_COUNT and kinds[n] == "function"
        },
        "classes": {
            n: c for n, c in functions.most_common() if c >= MIN_COUNT and kinds[n] == "class"
        },
        "tensor_methods": {n: c for n, c in methods.most_common() if c >= MIN_COUNT},
    }


def top(usage: dict, count: int = TOP) -> list[tuple[str, int]]:
    """The `count` most called functions and Tensor methods together, most called first."""
    pairs = list(usage["functions"].items()) + [
        (f"Tensor.{name}", calls) for name, calls in usage["tensor_methods"].items()
    ]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("--write", action="store_true", help=f"write {MANIFEST.name}")
    args = parser.parse_args(argv)
    usage = measure(args.mirrors)
    files = sum(r["python_files"] for r in usage["repos"])
    parsed = sum(r["parsed"] for r in usage["repos"])
    print(f"{len(usage['repos'])} repositories, {files} Python files ({parsed} parsed)")
    for rank, (name, calls) in enumerate(top(usage), 1):
        print(f"{rank:4} {calls:7} {name}")
    if args.write:
        MANIFEST.write_text(json.dumps(usage, indent=1) + "\n")
        print(f"wrote {MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
