"""Step 5 — save and deploy.

The state_dict is what training code reloads; TorchScript is a self-contained graph that
serving code runs without this project's Python source.
"""

from pathlib import Path

import torch

from model import ImageClassifier


def export_model(
    model: torch.nn.Module, example: torch.Tensor, out: Path
) -> dict[str, str]:
    """Write every export format of the spec; returns format → file name."""
    model.eval()
    exports = {}
    torch.save(model.state_dict(), out / "model.pt")
    exports["state_dict"] = "model.pt"
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(str(out / "model.torchscript.pt"))
    exports["torchscript"] = "model.torchscript.pt"
    return exports


def load_state_dict(path: str | Path) -> ImageClassifier:
    """Rebuild the model and load trained weights (weights_only: no pickled code runs)."""
    model = ImageClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def load_torchscript(path: str | Path) -> torch.jit.ScriptModule:
    """Load the TorchScript export; needs no model source."""
    return torch.jit.load(str(path), map_location="cpu").eval()
