"""Check the translation corpus: every manifest entry builds, runs and is deterministic.

For each entry of manifest.json: import the file, build ``CLASS(**kwargs)``, call ``.eval()``,
build a random input from the ``input`` string (``2x1x28x28`` for floats, ``4x20:int:1000`` for
integers in ``[0, 1000)``), run the forward pass twice and print the output shapes. The outputs
named in ``deterministic_outputs`` must be equal between the two runs.

    python examples/translate/check_corpus.py
"""

import importlib.util
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def make_input(spec: str, seed: int = 0) -> torch.Tensor:
    shape_part, _, rest = spec.partition(":")
    shape = tuple(int(d) for d in shape_part.split("x"))
    g = torch.Generator().manual_seed(seed)
    if rest:
        kind, _, high = rest.partition(":")
        if kind != "int":
            raise ValueError(f"unknown input kind {kind!r} in {spec!r}")
        return torch.randint(0, int(high), shape, generator=g)
    return torch.randn(shape, generator=g)


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"corpus_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def main() -> int:
    entries = json.loads((HERE / "manifest.json").read_text())
    failures = 0
    for entry in entries:
        name = f"{entry['file']}:{entry['class']}"
        try:
            module = load_module(HERE / entry["file"])
            model = getattr(module, entry["class"])(**entry.get("kwargs", {}))
            model.eval()
            x = make_input(entry["input"])
            with torch.no_grad():
                first = as_tuple(model(x))
                second = as_tuple(model(x))
            wanted = entry["deterministic_outputs"]
            indices = range(len(first)) if wanted == "all" else wanted
            for i in indices:
                if not torch.equal(first[i], second[i]):
                    raise AssertionError(f"output {i} differs between two eval-mode runs")
            shapes = ", ".join(str(tuple(t.shape)) for t in first)
            params = sum(p.numel() for p in model.parameters())
            print(f"ok   {name:45s} in {entry['input']:16s} out {shapes}  ({params} params)")
        except Exception as exc:  # report every entry, not just the first failure
            failures += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
    print(f"{len(entries) - failures}/{len(entries)} entries passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
