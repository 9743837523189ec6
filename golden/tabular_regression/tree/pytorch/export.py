"""Step 5 — save and deploy, and load each export back.

The state_dict is what training code reloads; TorchScript is a self-contained graph that
serving code runs without this project's Python source; every export keeps the batch dimension dynamic.
"""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from data import Preprocess
from model import TabularRegression

FILES = {
    "state_dict": "model.pt",
    "torchscript": "model.torchscript.pt",
}
PREPROCESSING = (
    "preprocessing.json"  # the input transform's numbers, beside the state_dict
)


def export_model(
    model: torch.nn.Module, example: torch.Tensor, out: Path, statistics: dict
) -> dict[str, str]:
    """Write every export format of the spec; returns format → file name.

    `example` is a batch of two or more inputs: exporters trace with it, and a batch of one
    would fix the batch size. The traced exports include the input transform (`statistics`),
    so they take raw inputs; the state_dict keeps the model's own keys, with the transform's
    numbers written beside it.
    """
    model.eval()
    (out / PREPROCESSING).write_text(json.dumps(statistics) + "\n")
    exports = {}
    deployed = torch.nn.Sequential(Preprocess(statistics), model).eval()
    torch.save(model.state_dict(), out / FILES["state_dict"])
    exports["state_dict"] = FILES["state_dict"]
    with torch.no_grad():
        traced = torch.jit.trace(deployed, example)
    traced.save(str(out / FILES["torchscript"]))
    exports["torchscript"] = FILES["torchscript"]
    return exports


def load_state_dict(path: str | Path) -> torch.nn.Module:
    """Rebuild the model, load trained weights (weights_only: no pickled code runs) and put
    the input transform saved beside them in front."""
    model = TabularRegression()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    statistics = json.loads((Path(path).parent / PREPROCESSING).read_text())
    return torch.nn.Sequential(Preprocess(statistics), model).eval()


def load_torchscript(path: str | Path) -> torch.jit.ScriptModule:
    """Load the TorchScript export; needs no model source."""
    return torch.jit.load(str(path), map_location="cpu").eval()


def as_numpy(
    module: Callable[[torch.Tensor], torch.Tensor],
) -> Callable[[np.ndarray], np.ndarray]:
    """A PyTorch module as a function numpy batch → numpy outputs, without autograd."""

    def predict(inputs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(inputs)).numpy()

    return predict


def load_predictor(fmt: str, folder: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """Load the export `fmt` (a key of FILES) from `folder` as numpy batch → numpy outputs."""
    path = Path(folder) / FILES[fmt]
    loaders = {
        "state_dict": lambda: as_numpy(load_state_dict(path)),
        "torchscript": lambda: as_numpy(load_torchscript(path)),
    }
    return loaders[fmt]()
