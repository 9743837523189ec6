"""PyTorch backend: a checked Spec → the five-step project's file plan."""

from __future__ import annotations

from typing import Any

from ..check import CheckedModel, checkpoint_segments
from ..ops import REGISTRY
from ..render import PlannedFile
from .common import common_context, definitions, export_context, project_files, shape_text

_IMPORTS = {
    "torch": "import torch",
    "F": "import torch.nn.functional as F",
    "nn": "from torch import nn",
}


def model_context(checked: CheckedModel) -> dict[str, Any]:
    """`__init__` module lines and `forward` statements for the nn.Module."""
    graph = checked.loaded.is_graph
    modules: list[dict[str, str]] = []
    forward: list[str] = []
    needed = {"torch", "nn"}
    by_layer: dict[str, list[str]] = {}
    for row in checked.rows:
        layer = row.layer
        code = layer.op.torch(layer.params, list(row.inputs))
        needed.update(code.imports)
        if code.module:
            setup = [line.format(self=f"self.{layer.name}") for line in code.setup]
            modules.append({"attr": layer.name, "expr": code.module, "setup": setup})
        names = ["x" if (n == "input") else n for n in layer.inputs]
        out = layer.name if graph else "x"
        if not graph:
            names = ["x"]
        fill = {
            "out": out,
            "x": names[0],
            "inputs": ", ".join(names),
            "plus": " + ".join(names),
            "self": f"self.{layer.name}",
        }
        statements = [line.format(**fill) for line in code.forward]
        comment = f"  # {shape_text(row.output.shape)}"
        if 8 + len(statements[-1]) + len(comment) <= 88:
            statements[-1] += comment
        by_layer[layer.name] = statements
        forward.extend(statements)
    result = checked.loaded.output if graph else "x"
    segments: list[dict[str, Any]] = []
    if checked.loaded.spec.train.gradient_checkpointing:
        forward = []
        for step in checkpoint_segments(checked):
            if isinstance(step, str):
                forward.extend(by_layer[step])
                continue
            method = f"_segment{len(segments) + 1}"
            body = [line for name in step for line in by_layer[name]]
            segments.append({"method": method, "layers": step, "forward": body})
            forward.append(f"x = self.run_segment(self.{method}, x)")
    imports = [_IMPORTS[k] for k in ("torch", "F", "nn") if k in needed]
    if segments:
        imports.append("from torch.utils.checkpoint import checkpoint")
    return {
        "definitions": definitions(checked),
        "imports": imports,
        "modules": modules,
        "forward": forward,
        "result": result,
        "segments": segments,
    }


def training_context(checked: CheckedModel) -> dict[str, Any]:
    """Loss, optimizer and scheduler constructor expressions."""
    loaded = checked.loaded
    loss = REGISTRY.losses[loaded.spec.loss.type]
    optimizer = REGISTRY.optimizers[loaded.spec.optimizer.type]
    schedule = loaded.spec.optimizer.schedule
    return {
        "loss_expr": loss.torch(loaded.loss_params),
        "optimizer_expr": optimizer.torch(loaded.optimizer_params),
        "scheduler_expr": (
            REGISTRY.schedules[schedule.type].torch(loaded.schedule_params) if schedule else None
        ),
    }


def metric_sums(checked: CheckedModel) -> dict[str, str]:
    """Each spec metric as a tensor expression: its sum over the batch's samples."""
    loaded = checked.loaded
    threshold = "0.0" if loaded.spec.loss.type == "bce_with_logits" else "0.5"
    sums = {}
    for metric in loaded.spec.train.metrics:
        if metric == "accuracy" and checked.task == "classification":
            sums[metric] = "(outputs.argmax(dim=1) == targets).sum()"
        elif metric == "accuracy":
            sums[metric] = f"((outputs > {threshold}).float() == targets).float().mean(dim=1).sum()"
        elif metric == "mae":
            sums[metric] = "(outputs - targets).abs().mean(dim=1).sum()"
        else:
            sums[metric] = "(outputs - targets).pow(2).mean(dim=1).sum()"
    return sums


def loop_context(checked: CheckedModel) -> dict[str, Any]:
    """The running sums of the training and evaluation loops."""
    sums = metric_sums(checked)
    names = ["loss", *sums]
    return {
        "totals_init": "{" + ", ".join(f'"{name}": 0.0' for name in names) + "}",
        "metric_updates": [
            'totals["loss"] += loss.item() * len(inputs)',
            *(f"totals[{name!r}] += {expr}.item()" for name, expr in sums.items()),
        ],
        "full_batch_metrics": [
            (name, f"{expr}.item() / len(inputs)") for name, expr in sums.items()
        ],
    }


def plan(checked: CheckedModel, spec_name: str) -> tuple[list[PlannedFile], dict[str, Any]]:
    """The PyTorch project's files and their shared context."""
    context = {
        **common_context(checked, spec_name),
        **export_context(checked, "torch"),
        **model_context(checked),
        **training_context(checked),
        **loop_context(checked),
        "framework": "pytorch",
    }
    files = project_files(
        "torch", inspect=bool(context["inspect"]), exports=context["exports_beyond_save"]
    )
    return files, context
