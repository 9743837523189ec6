"""Step 5 — save and deploy, and load each export back.

The state_dict is what training code reloads; TorchScript is a self-contained graph that
serving code runs without this project's Python source; `torch.export` writes the
graph PyTorch 2 compilers and runtimes take (`.pt2`); ONNX runs in onnxruntime and
most inference engines; every export keeps the batch dimension dynamic.
"""

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from model import Net

FILES = {
    "state_dict": "model.pt",
    "torchscript": "model.torchscript.pt",
    "torch_export": "model.pt2",
    "onnx": "model.onnx",
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
    batch = {0: torch.export.Dim("batch")}
    program = torch.export.export(model, (example,), dynamic_shapes=(batch,))
    torch.export.save(program, out / FILES["torch_export"])
    exports["torch_export"] = FILES["torch_export"]
    # The exporter lists the torchvision ops it skips when torchvision is absent: not our concern.
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(
        logging.ERROR
    )
    torch.onnx.export(
        model,
        (example,),
        out / FILES["onnx"],
        input_names=["inputs"],
        output_names=["outputs"],
        dynamic_shapes=(batch,),
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    exports["onnx"] = FILES["onnx"]
    return exports


def load_state_dict(path: str | Path) -> Net:
    """Rebuild the model and load trained weights (weights_only: no pickled code runs)."""
    model = Net()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def load_torchscript(path: str | Path) -> torch.jit.ScriptModule:
    """Load the TorchScript export; needs no model source."""
    return torch.jit.load(str(path), map_location="cpu").eval()


def load_exported(path: str | Path) -> torch.nn.Module:
    """Load the `torch.export` program as a callable module; needs no model source."""
    return torch.export.load(path).module()


def load_onnx(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """An onnxruntime session on the CPU, as a function of a numpy batch."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    return lambda inputs: session.run(["outputs"], {"inputs": inputs})[0]


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
        "torch_export": lambda: as_numpy(load_exported(path)),
        "onnx": lambda: load_onnx(path),
    }
    return loaders[fmt]()
