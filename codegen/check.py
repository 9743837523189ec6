"""Shape checker: infer every layer's output shape from the declared input, or fail at the layer
that breaks, naming the shape it got and the one it needed."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DlgenError, ShapeError
from .ops import REGISTRY, Tensor
from .spec import Layer, LoadedSpec


@dataclass(frozen=True)
class Row:
    """One checked layer: its inputs and its output."""

    layer: Layer
    inputs: tuple[Tensor, ...]
    output: Tensor


@dataclass(frozen=True)
class CheckedModel:
    """A spec whose shapes work, with every tensor's shape known."""

    loaded: LoadedSpec
    input: Tensor
    rows: tuple[Row, ...]
    output: Tensor
    task: str  # classification | binary | regression
    warnings: tuple[DlgenError, ...] = ()

    @property
    def params_count(self) -> int:
        return sum(parameter_count(row) for row in self.rows)


def input_tensor(loaded: LoadedSpec) -> Tensor:
    """The model input (without batch) that the spec's data section produces."""
    data = loaded.spec.data
    if data.kind == "text":
        return Tensor((data.max_length,), integer=True)
    shape = tuple(data.input_shape)
    sequence = getattr(data, "sequence", False)
    return Tensor(shape, channels_first=len(shape) >= 2 and not sequence)


def parameter_count(row: Row) -> int:
    """Trainable parameters of one layer, counted as PyTorch counts them."""
    op, p, x = row.layer.op.name, row.layer.params, row.inputs[0]
    if op == "linear":
        return x.shape[-1] * p.out_features + (p.out_features if p.bias else 0)
    if op in ("conv1d", "conv2d"):
        k = p.kernel_size ** (len(x.shape) - 1)
        return x.shape[0] * p.out_channels * k + (p.out_channels if p.bias else 0)
    if op == "conv_transpose2d":
        return x.shape[0] * p.out_channels * p.kernel_size**2 + (p.out_channels if p.bias else 0)
    if op in ("batchnorm1d", "batchnorm2d"):
        return 2 * x.shape[0]
    if op == "layernorm":
        return 2 * x.shape[-1]
    if op == "embedding":
        return p.num_embeddings * p.embedding_dim
    if op == "categorical_embedding":  # one extra row per column: the unknown value's vector
        return sum((size + 1) * dim for size, dim in zip(p.sizes, p.dims, strict=True))
    if op in ("lstm", "gru"):
        gates = 4 if op == "lstm" else 3
        dirs = 2 if p.bidirectional else 1
        biases = 1 if op == "lstm" else 2  # the LSTM's recurrent bias stays frozen at 0
        per_input = dirs * gates * p.hidden_size  # weights per input feature, over directions
        first = per_input * (x.shape[-1] + p.hidden_size + biases)
        later = per_input * (p.hidden_size * dirs + p.hidden_size + biases)  # on the stack below
        return first + (p.num_layers - 1) * later
    return 0


def _task(loaded: LoadedSpec) -> str:
    return REGISTRY.losses[loaded.spec.loss.type].task


def _check_head(loaded: LoadedSpec, output: Tensor, last: Layer) -> str:
    loss = REGISTRY.losses[loaded.spec.loss.type]
    data = loaded.spec.data
    classes = getattr(data, "num_classes", None)
    where = ("loss",)
    if loss.task in ("classification", "binary"):
        if classes is None:
            raise loaded.error(
                where,
                f"loss {loss.name} needs class labels, but data kind {data.kind} is a regression set",
            )
        want = (classes,) if loss.task == "classification" else (1,)
        if loss.task == "binary" and classes != 2:
            raise loaded.error(
                where,
                f"loss {loss.name} is binary, but the data has num_classes {classes}",
            )
    else:
        if classes is not None:
            raise loaded.error(
                where,
                f"loss {loss.name} is for regression, but the data has num_classes {classes}",
            )
        want = (1,) if data.kind in ("synthetic_regression", "csv") else output.shape
    _check_activation(loaded, loss.name, last)
    if output.shape != want:
        raise loaded.error(
            last.path,
            f"model output {output} does not fit loss {loss.name}: it needs {_fmt(want)}, {loss.expects}",
        )
    for index, metric in enumerate(loaded.spec.train.metrics):
        if metric == "accuracy" and loss.task == "regression":
            raise loaded.error(
                ("train", "metrics", index),
                "accuracy needs a classification loss; use mae or mse",
            )
        if metric in ("mae", "mse") and loss.task != "regression":
            raise loaded.error(
                ("train", "metrics", index),
                f"{metric} is a regression metric; use accuracy",
            )
    monitor = loaded.spec.train.early_stopping
    if (
        monitor
        and monitor.monitor == "val_accuracy"
        and "accuracy" not in loaded.spec.train.metrics
    ):
        raise loaded.error(
            ("train", "early_stopping", "monitor"),
            "val_accuracy needs `accuracy` in train.metrics",
        )
    if monitor and monitor.monitor.startswith("val_") and loaded.spec.data.validation_split == 0:
        raise loaded.error(
            ("train", "early_stopping", "monitor"),
            f"{monitor.monitor} needs data.validation_split > 0",
        )
    return loss.task


# What the last layer must (or must not) be for each loss, so the seeds' softmax-then-
# cross-entropy bug (softmax applied twice) is caught before any code is written.
_HEAD_RULES = {
    "cross_entropy": ({"softmax", "log_softmax", "sigmoid"}, None, "expects logits"),
    "bce_with_logits": ({"sigmoid", "softmax", "log_softmax"}, None, "expects a logit"),
    "nll": (set(), "log_softmax", "expects log-probabilities"),
    "bce": (set(), "sigmoid", "expects probabilities"),
}


def _check_activation(loaded: LoadedSpec, loss: str, last: Layer) -> None:
    rule = _HEAD_RULES.get(loss)
    if rule is None:
        return
    banned, required, why = rule
    if last.op.name in banned:
        raise loaded.error(
            last.path,
            f"the model ends with {last.op.name}, but loss {loss} {why} and applies it itself; "
            f"remove '{last.name}'",
        )
    if required and last.op.name != required:
        raise loaded.error(
            last.path,
            f"loss {loss} {why}: end the model with {required} (it ends with {last.op.name})",
        )


def _fmt(shape: tuple[int, ...]) -> str:
    return str(shape)


def check(loaded: LoadedSpec) -> CheckedModel:
    """Infer shapes through the model; raise a located DlgenError at the first layer that breaks."""
    first = input_tensor(loaded)
    tensors: dict[str, Tensor] = {"input": first}
    rows = []
    for layer in loaded.layers:
        inputs = tuple(tensors[name] for name in layer.inputs)
        try:
            output = layer.op.infer(layer.params, list(inputs))
        except ShapeError as exc:
            source = ", ".join(f"'{n}'" for n in layer.inputs)
            raise loaded.error(
                layer.path,
                f"layer '{layer.name}': {exc} (input from {source})",
            ) from None
        _check_vocabulary(loaded, layer, inputs)
        tensors[layer.name] = output
        rows.append(Row(layer, inputs, output))
    output = tensors[loaded.output]
    last = next(layer for layer in loaded.layers if layer.name == loaded.output)
    task = _check_head(loaded, output, last)
    _check_data_options(loaded, first)
    _check_training_options(loaded, task)
    return CheckedModel(loaded, first, tuple(rows), output, task, tuple(_warnings(loaded)))


def _check_data_options(loaded: LoadedSpec, first: Tensor) -> None:
    """Preprocessing needs float inputs with one statistic per feature; augmentation images."""
    data = loaded.spec.data
    pre, aug = data.preprocessing, data.augmentation
    if pre is not None and first.integer:
        raise loaded.error(
            ("data", "preprocessing"),
            "preprocessing scales float inputs; these are integer token ids (remove it)",
        )
    if pre is not None and pre.mean is not None:
        want = first.feature_count
        what = "channels" if first.channels_first else "features"
        for key, values in (("mean", pre.mean), ("std", pre.std or [])):
            if len(values) != want:
                raise loaded.error(
                    ("data", "preprocessing", key),
                    f"{key} has {len(values)} values, the input {first} has {want} {what}",
                )
    exact = {"bf16": 256, "fp16": 2048}.get(loaded.spec.train.mixed_precision)
    for column in data.embedded:
        if exact is not None and len(column.categories) > exact:
            raise loaded.error(
                ("data", "categorical"),
                f"column {column.column!r} has {len(column.categories)} categories, but Keras "
                f"casts its codes to {loaded.spec.train.mixed_precision}, which counts exactly "
                f"only to {exact}; use one_hot, fewer categories or mixed_precision off",
            )
    if aug is not None:
        if first.integer or not first.channels_first or len(first.shape) != 3:
            raise loaded.error(
                ("data", "augmentation"),
                f"augmentation transforms images (channels, height, width); the input is {first}",
            )
        if aug.crop_padding >= min(first.shape[1:]):
            raise loaded.error(
                ("data", "augmentation", "crop_padding"),
                f"crop_padding {aug.crop_padding} is not smaller than the image {first.shape[1:]}",
            )


# Layers that change state or draw random numbers in training: recomputing them in the backward
# pass would update batch-norm statistics twice or draw a second dropout mask (TensorFlow does
# not replay random state), so they stay outside checkpointed segments.
STATEFUL_OPS = frozenset({"batchnorm1d", "batchnorm2d", "dropout", "dropout2d"})


def checkpoint_segments(checked: CheckedModel) -> list[list[str] | str]:
    """The layer stack as N checkpointed segments of consecutive layers (lists of names),
    with stateful layers (STATEFUL_OPS) between them as plain names."""
    count = checked.loaded.spec.train.gradient_checkpointing
    names = [row.layer.name for row in checked.rows]
    stateful = {row.layer.name for row in checked.rows if row.layer.op.name in STATEFUL_OPS}
    plan: list[list[str] | str] = []
    size = -(-len(names) // count)
    weighted = {row.layer.name for row in checked.rows if row.layer.op.has_weights}

    def close(run: list[str]) -> None:
        if len(run) == 1 and run[0] not in weighted:
            plan.append(run[0])  # recomputing one weightless op (a flatten) saves nothing
        elif run:
            plan.append(run)

    for start in range(0, len(names), size):
        run: list[str] = []
        for name in names[start : start + size]:
            if name in stateful:
                close(run)
                run = []
                plan.append(name)
            else:
                run.append(name)
        close(run)
    return plan


def _check_training_options(loaded: LoadedSpec, task: str) -> None:
    train = loaded.spec.train
    segments = train.gradient_checkpointing
    if segments:
        where = ("train", "gradient_checkpointing")
        if loaded.is_graph:
            raise loaded.error(
                where, "gradient checkpointing splits a `layers:` stack; this model is a graph"
            )
        if segments > len(loaded.layers):
            raise loaded.error(
                where, f"{segments} segments for {len(loaded.layers)} layers; use at most that"
            )
        if all(layer.op.name in STATEFUL_OPS for layer in loaded.layers):
            raise loaded.error(where, "no layer can be recomputed (only batch norm and dropout)")
    if train.mixed_precision == "bf16" and "tflite" in loaded.spec.export.formats:
        raise loaded.error(
            ("export", "formats"),
            "tflite has no bfloat16 kernels, so a mixed_precision: bf16 model does not convert; "
            "drop tflite or set mixed_precision off",
        )
    inspect = train.inspect
    if inspect is not None and inspect.intervals != "none" and task != "regression":
        raise loaded.error(
            ("train", "inspect", "intervals"),
            f"prediction intervals are for regression; this is {task} (set intervals: none)",
        )


def _check_vocabulary(loaded: LoadedSpec, layer: Layer, inputs: tuple[Tensor, ...]) -> None:
    """A lookup table reading the data's token ids needs a row for every id the data makes."""
    rows = getattr(layer.params, "num_embeddings", None)
    vocab = getattr(loaded.spec.data, "vocab_size", None)
    if rows is None or vocab is None or not any(t.integer for t in inputs):
        return
    if rows < vocab:
        raise loaded.error(
            (*layer.path, "num_embeddings"),
            f"layer '{layer.name}': num_embeddings {rows} is smaller than data.vocab_size "
            f"{vocab}; the token ids go up to {vocab - 1}",
        )


def _warnings(loaded: LoadedSpec) -> list[DlgenError]:
    """Legal specs that are probably not what the user wants."""
    by_name = {layer.name: layer for layer in loaded.layers}
    out = []
    for layer in loaded.layers:
        if not layer.op.name.startswith("batchnorm"):
            continue
        sources = [by_name.get(name) for name in layer.inputs]
        expanded = []
        for source in sources:
            if source is not None and source.op.name == "concat":
                expanded += [by_name.get(name) for name in source.inputs]
            else:
                expanded.append(source)
        for source in expanded:
            if source is not None and getattr(source.params, "bias", False):
                out.append(
                    loaded.error(
                        (*source.path, "op"),
                        f"'{source.name}' has a bias that batch norm '{layer.name}' cancels: it "
                        "only adds noise (which Adam and RMSprop amplify); set bias: false",
                    )
                )
    return out


__all__ = ["CheckedModel", "DlgenError", "Row", "check", "input_tensor"]
