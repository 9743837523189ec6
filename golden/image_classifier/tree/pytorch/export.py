"""Step 5 — save and deploy, and load each export back.

The state_dict is what training code reloads; TorchScript is a self-contained graph that
serving code runs without this project's Python source; every export keeps the batch dimension dynamic.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from model import ImageClassifier

FILES = {
    "state_dict": "model.pt",
    "torchscript": "model.torchscript.pt",
}


def export_model(
    model: torch.nn.Module, example: torch.Tensor, out: Path
) -> dict[str, str]:
    """Write every export format of the spec; returns format → file name.

    `example` is a batch of two or more inputs: exporters trace with it, and a batch of one
    would fix the batch size.
    """
    model.eval()
    exports = {}
    torch.save(model.state_dict(), out / FILES["state_dict"])
    exports["state_dict"] = FILES["state_dict"]
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(str(out / FILES["torchscript"]))
    exports["torchscript"] = FILES["torchscript"]
    return exports


def load_state_dict(path: str | Path) -> ImageClassifier:
    """Rebuild the model and load trained weights (weights_only: no pickled code runs)."""
    model = ImageClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


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
