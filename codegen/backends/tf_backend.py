"""TensorFlow/Keras backend: a checked Spec → the six-step project's file plan."""

from __future__ import annotations

from typing import Any

from ..check import CheckedModel, checkpoint_segments
from ..errors import DlgenError
from ..ops import REGISTRY
from ..ops.registry import KERAS_REGULARIZERS
from ..render import PlannedFile
from ..spec.names import class_name
from .common import common_context, definitions, export_context, project_files, shape_text


def _l2(checked: CheckedModel) -> float:
    """PyTorch's coupled weight decay as a Keras L2 factor (0 when none, or when the halved
    factor Keras takes underflows to 0 in float64)."""
    loaded = checked.loaded
    l2 = REGISTRY.optimizers[loaded.spec.optimizer.type].keras_l2(loaded.optimizer_params)
    return l2 if l2 / 2 > 0 else 0.0


def _comment(text: str, expr: str, graph: bool, var: str) -> str:
    """A trailing shape comment, only where the line still fits black's 88 columns."""
    width = (4 + len(var) * 2 + 8 if graph else 12 + 1) + len(expr) + 4 + len(text)
    return text if text and width <= 88 else ""


def model_context(checked: CheckedModel) -> dict[str, Any]:
    """Keras layer constructor lines, for a Sequential stack or a functional graph."""
    graph = checked.loaded.is_graph
    l2 = _l2(checked)
    steps: list[dict[str, Any]] = []
    keras_names: dict[str, list[str]] = {}
    for row in checked.rows:
        layer = row.layer
        code = layer.op.keras(layer.params, list(row.inputs))
        sources = ["inputs" if n == "input" else n for n in layer.inputs]
        for index, (cls, args, suffix) in enumerate(code.layers):
            name = f"{layer.name}_{suffix}" if suffix else layer.name
            keras_names.setdefault(layer.name, []).append(name)
            arguments = list(args)
            if l2 and layer.op.has_weights:
                if cls == "layers.Bidirectional":
                    raise checked.loaded.error(
                        layer.path,
                        "PyTorch's coupled weight_decay on a bidirectional RNN has no Keras spelling "
                        "here; use optimizer adamw (decoupled decay)",
                    )
                arguments += [f"{kw}=l2_penalty" for kw in KERAS_REGULARIZERS.get(cls, ())]
            arguments.append(f"name={name!r}")
            first = index == 0
            steps.append(
                {
                    "var": layer.name,
                    "expr": f"{cls}({', '.join(arguments)})",
                    "inputs": (
                        (sources[0] if len(sources) == 1 else "[" + ", ".join(sources) + "]")
                        if first
                        else layer.name
                    ),
                    "comment": _comment(
                        shape_text(row.output.keras_shape) if index == len(code.layers) - 1 else "",
                        f"{cls}({', '.join(arguments)})",
                        graph,
                        layer.name,
                    ),
                }
            )
    plan: list[tuple[str, ...] | str] = []
    if checked.loaded.spec.train.gradient_checkpointing:
        for step in checkpoint_segments(checked):
            if isinstance(step, str):
                plan.extend(keras_names[step])
            else:
                plan.append(tuple(name for layer in step for name in keras_names[layer]))
    defined = definitions(checked)
    return {
        "definitions": defined,
        "definitions_classes": [class_name(name) for name in defined],
        "checkpoint_plan": plan,
        "graph": graph,
        "keras_steps": steps,
        "keras_input_shape": tuple(checked.input.keras_shape),
        "transpose_input": checked.input.keras_shape != checked.input.shape,
        "input_dtype": "int32" if checked.input.integer else "float32",
        "keras_output": checked.loaded.output if graph else None,
        "l2": l2 / 2,
        "dense_gradients": any(row.layer.op.keras_sparse_gradient for row in checked.rows),
    }


def _per_example(expr: str) -> str:
    """The same Keras loss without batch reduction (a loss function is already per example)."""
    if not expr.endswith(")"):
        return expr
    inner = expr[expr.index("(") + 1 : -1]
    return (
        expr[: expr.index("(") + 1]
        + (f"{inner}, reduction=None" if inner else "reduction=None")
        + ")"
    )


def training_context(checked: CheckedModel) -> dict[str, Any]:
    """compile() arguments and the per-epoch learning-rate function."""
    loaded = checked.loaded
    loss = REGISTRY.losses[loaded.spec.loss.type]
    optimizer = REGISTRY.optimizers[loaded.spec.optimizer.type]
    schedule = loaded.spec.optimizer.schedule
    metrics = []
    for metric in loaded.spec.train.metrics:
        if metric == "accuracy":
            if checked.task == "binary":
                threshold = 0.0 if loss.name == "bce_with_logits" else 0.5
                metrics.append(
                    f"keras.metrics.BinaryAccuracy(threshold={threshold!r}, name='accuracy')"
                )
            else:
                metrics.append("keras.metrics.SparseCategoricalAccuracy(name='accuracy')")
        elif metric == "mae":
            metrics.append("keras.metrics.MeanAbsoluteError(name='mae')")
        elif metric == "mse":
            metrics.append("keras.metrics.MeanSquaredError(name='mse')")
        else:  # pragma: no cover - the Spec's Literal forbids it
            raise DlgenError(f"unknown metric {metric}")
    optimizer_expr = _with_training_options(
        optimizer.keras(loaded.optimizer_params), loaded.spec.train
    )
    dense = None
    if any(row.layer.op.keras_sparse_gradient for row in checked.rows):
        # Keras squares an embedding's sparse gradient per occurrence of a token (PyTorch:
        # per row of the summed gradient): train.py's optimizer takes dense gradients.
        dense = optimizer_expr[len("keras.optimizers.") : optimizer_expr.index("(")]
    return {
        "dense_optimizer": dense,
        "keras_fit_optimizer_expr": (
            f"DenseGradient{dense}{optimizer_expr[optimizer_expr.index('('):]}"
            if dense
            else optimizer_expr
        ),
        "keras_loss_expr": loss.keras(loaded.loss_params),
        "keras_per_example_loss": _per_example(loss.keras(loaded.loss_params)),
        "keras_loss_helper": loss.keras_helper(loaded.loss_params),
        "keras_optimizer_expr": optimizer_expr,
        "keras_metrics": metrics,
        "lr_expr": (
            REGISTRY.schedules[schedule.type].keras_lr(loaded.schedule_params) if schedule else None
        ),
        "base_lr": loaded.optimizer_params.lr,
    }


def _with_training_options(expr: str, train: Any) -> str:
    """Keras 3 optimizers clip and accumulate gradients themselves: add those keywords to the
    registry's constructor call (which always ends with its closing parenthesis)."""
    extra = []
    if train.clip_grad_norm:
        extra.append(f"global_clipnorm={train.clip_grad_norm!r}")
    if train.grad_accumulation > 1:
        extra.append(f"gradient_accumulation_steps={train.grad_accumulation}")
    return expr[:-1] + "".join(f", {keyword}" for keyword in extra) + ")"


def plan(checked: CheckedModel, spec_name: str) -> tuple[list[PlannedFile], dict[str, Any]]:
    """The TensorFlow project's files and their shared context."""
    context = {
        **common_context(checked, spec_name),
        **export_context(checked, "tf"),
        **model_context(checked),
        **training_context(checked),
        "framework": "tensorflow",
    }
    context["has_callbacks"] = bool(
        context["lr_expr"]
        or context["early_stopping"]
        or context["stop_at_loss"]
        or context["checkpoint"]
        or context["tensorboard"]
    )
    # One-step epochs (the whole training set one batch) with nothing to do between epochs:
    # train.py's fit counts `group` epochs as one (steps_per_execution).
    context["grouped"] = (
        context["full_batch"] and not context["has_callbacks"] and not context["distributed"]
    )
    if context["dense_optimizer"]:  # model.py defines it: model.keras saves the optimizer
        context["definitions_classes"] = [
            *context["definitions_classes"],
            f"DenseGradient{context['dense_optimizer']}",
        ]
    files = project_files(
        "tf", inspect=bool(context["inspect"]), exports=context["exports_beyond_save"]
    )
    if context["distributed"]:  # Keras 3's fit cannot run under MultiWorkerMirroredStrategy
        files.insert(-1, PlannedFile("train_multiworker.py", "tf/train_multiworker.py.j2"))
    return files, context
