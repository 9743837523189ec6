"""Compare the generated PyTorch and Keras projects: forward pass and a few training steps.

Both models start from the same weights (PyTorch's initialization, moved into Keras with the
registry's weight rules) and see the same batches. Results are plain values (`Check`), printed
by the CLI and recorded as golden numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..check import CheckedModel
from ..errors import DlgenError, Location
from .projects import call_keywords, frameworks, load_project, statement_value
from .transfer import keras_name, torch_state_in_keras_layout, torch_to_keras

DEFAULT_STEPS = 10


@dataclass
class Check:
    """One comparison: a table, a verdict and what to tell the user."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    ok: bool = True
    summary: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    """Everything `dlgen verify` found, plus the numbers recorded in golden/."""

    checks: list[Check]
    numbers: dict[str, Any]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass
class Pair:
    """The two generated projects, their models (same weights) and the frameworks."""

    checked: CheckedModel
    fw: Any
    torch_project: Any
    tf_project: Any
    torch_model: Any = None
    keras_model: Any = None
    device: str = "cpu"


def _model_class(checked: CheckedModel, project: Any) -> Any:
    return getattr(project.model, checked.loaded.model_class)


def build_pair(
    checked: CheckedModel, torch_dir: Any, tf_dir: Any, seed: int, device: str = "cpu"
) -> Pair:
    """Import both projects, build both models, and move PyTorch's initial weights into Keras."""
    fw = frameworks()
    if device == "cuda" and not (
        fw.torch.cuda.is_available() and fw.tf.config.list_physical_devices("GPU")
    ):
        raise DlgenError(
            "no CUDA device is visible to both PyTorch and TensorFlow; run without --device cuda",
            Location("--device"),
        )
    pair = Pair(
        checked, fw, load_project(torch_dir), load_project(tf_dir, keep=True), device=device
    )
    fw.torch.manual_seed(seed)
    pair.torch_model = _model_class(checked, pair.torch_project)()
    fw.keras.utils.set_random_seed(seed)
    pair.keras_model = pair.tf_project.model.build_model()
    torch_to_keras(checked, pair.torch_model, pair.keras_model)
    pair.torch_model.to(device)
    return pair


def _to_keras_layout(array: Any, channels_first: bool) -> Any:
    np = __import__("numpy")
    return np.moveaxis(array, 1, -1) if channels_first and array.ndim >= 3 else array


def keras_input(checked: CheckedModel, x: Any) -> Any:
    """A model input batch moved to the Keras layout (feature maps channels-last)."""
    np = __import__("numpy")
    channels_first = checked.input.channels_first and not checked.input.integer
    return np.ascontiguousarray(_to_keras_layout(x, channels_first))


# ---------------------------------------------------------------- inputs


def synthetic_batches(
    checked: CheckedModel, count: int, batch: int, seed: int
) -> list[tuple[Any, Any]]:
    """Random batches of the right kind, for specs whose data files are not at hand."""
    np = __import__("numpy")
    rng = np.random.default_rng(seed)
    data = checked.loaded.spec.data
    out = []
    for _ in range(count):
        shape = (batch, *checked.input.shape)
        if checked.input.integer:
            x = rng.integers(0, getattr(data, "vocab_size", 100), size=shape).astype(np.int64)
        else:
            x = rng.standard_normal(shape).astype(np.float32)
            for offset, column in enumerate(reversed(data.embedded), 1):  # codes 0 (unlisted)..K
                x[:, -offset] = rng.integers(0, len(column.categories) + 1, size=batch)
        if checked.task == "classification":
            y = rng.integers(0, data.num_classes, size=batch).astype(np.int64)
        elif checked.task == "binary":
            y = rng.integers(0, 2, size=(batch, 1)).astype(np.float32)
        else:
            y = rng.standard_normal((batch, *checked.output.shape)).astype(np.float32)
        out.append((x, y))
    return out


def _prepared_arrays(pair: Pair, data_path: str, seed: int) -> tuple[list, list]:
    """Each project's (x_train, y_train, x_val, y_val) as its model sees them: loaded by its
    own data.py, then through its own preprocessing (PyTorch `Preprocess`, Keras layers), the
    Keras inputs channels-last."""
    np = pair.fw.np
    spec = pair.checked.loaded.spec
    tdata, kdata = pair.torch_project.data, pair.tf_project.data
    torch_arrays = list(tdata.load_arrays(data_path, seed))
    keras_arrays = list(kdata.load_arrays(data_path, seed))
    layers = None
    if spec.data.preprocessing is not None:  # statistics from the arrays as load_arrays gives them
        statistics = tdata.preprocessing_statistics(torch_arrays[0])
        with pair.fw.torch.no_grad():
            preprocess = tdata.Preprocess(statistics)
            torch_arrays[0::2] = [
                preprocess(pair.fw.torch.from_numpy(x)).numpy() for x in torch_arrays[0::2]
            ]
        layers = kdata.preprocessing_layers(kdata.preprocessing_statistics(keras_arrays[0]))
    keras_arrays[0::2] = [keras_input(pair.checked, x) for x in keras_arrays[0::2]]
    if layers is not None:
        keras_arrays[0::2] = [
            np.asarray(layers(x)) if len(x) else x.astype(np.float32) for x in keras_arrays[0::2]
        ]
    return torch_arrays, keras_arrays


def data_batches(
    pair: Pair, data_path: str, count: int, seed: int
) -> tuple[list, list, int, Check]:
    """The first `count` training batches for each model, the batches per epoch, and a check
    that the two projects load and preprocess the same data.

    Each framework shuffles with its own generator (DataLoader, tf.data), so verify draws the
    order itself (a seeded permutation per epoch, where the spec shuffles) and feeds both
    models the same samples: each project's own arrays, in its own layout.
    """
    np = pair.fw.np
    spec = pair.checked.loaded.spec
    torch_arrays, keras_arrays = _prepared_arrays(pair, data_path, seed)
    check = Check("identical data", ["split", "samples", "inputs equal", "targets equal"])
    # Preprocessing is computed by each framework (a torch module, Keras Normalization): the
    # inputs then agree to float32 rounding rather than bit for bit.
    preprocessed = spec.data.preprocessing is not None
    for split, offset in (("train", 0), ("validation", 2)):
        tx, ty = torch_arrays[offset : offset + 2]
        kx, ky = keras_arrays[offset : offset + 2]
        tx_keras = keras_input(pair.checked, tx)
        same_x = tx_keras.shape == kx.shape and (
            np.allclose(tx_keras, kx, rtol=1e-6, atol=1e-6)
            if preprocessed
            else np.array_equal(tx_keras, kx)
        )
        same_y = np.array_equal(ty, ky)
        check.rows.append([split, len(tx), same_x, same_y])
        check.ok &= bool(same_x and same_y)
    check.summary = (
        f"both projects load the same data; both models train on the same {count} batches"
        if check.ok
        else "the PyTorch and TensorFlow projects load different data"
    )
    batch = spec.data.batch_size
    samples = len(torch_arrays[0])
    per_epoch = -(-samples // batch)
    rng = np.random.default_rng(seed)
    torch_batches: list[tuple[Any, Any]] = []
    tf_batches: list[tuple[Any, Any]] = []
    while len(torch_batches) < count:
        order = rng.permutation(samples) if spec.data.shuffle else np.arange(samples)
        for first in range(0, samples, batch):
            if len(torch_batches) == count:
                break
            index = order[first : first + batch]
            torch_batches.append(tuple(np.ascontiguousarray(a[index]) for a in torch_arrays[:2]))
            tf_batches.append(tuple(np.ascontiguousarray(a[index]) for a in keras_arrays[:2]))
    return torch_batches, tf_batches, per_epoch, check


# ---------------------------------------------------------------- forward


def compare_forward(pair: Pair, x: Any, atol: float) -> tuple[Check, dict[str, Any]]:
    """Inference-mode outputs of both models on `x`, layer by layer where a layer is a module."""
    fw, checked = pair.fw, pair.checked
    torch, keras, np = fw.torch, fw.keras, fw.np
    tmodel, kmodel = pair.torch_model.eval(), pair.keras_model
    captured: dict[str, Any] = {}
    hooks = []
    names = []
    modules = dict(tmodel.named_children())
    for row in checked.rows:
        name = row.layer.name
        if name in modules:
            names.append(name)
            hooks.append(
                modules[name].register_forward_hook(
                    lambda _m, _i, out, name=name: captured.__setitem__(name, out)
                )
            )
    with torch.no_grad():
        torch_out = tmodel(torch.from_numpy(x).to(pair.device)).cpu().numpy()
    for hook in hooks:
        hook.remove()
    names = [n for n in names if isinstance(captured.get(n), torch.Tensor)]
    last_keras = {}
    for row in checked.rows:
        suffix = row.layer.op.keras(row.layer.params, list(row.inputs)).layers[-1][2]
        last_keras[row.layer.name] = keras_name(row.layer.name, suffix)
    outputs = [kmodel.get_layer(last_keras[n]).output for n in names]
    probe = keras.Model(kmodel.inputs, outputs + [kmodel.outputs[0]])
    keras_outs = probe([keras_input(checked, x)], training=False)
    keras_outs = [
        np.asarray(o) for o in (keras_outs if isinstance(keras_outs, list) else [keras_outs])
    ]
    check = Check("forward pass (inference mode)", ["layer", "op", "shape", "max abs diff", "ok"])
    rows = {row.layer.name: row for row in checked.rows}
    first_bad = None
    for name, keras_value in zip(names, keras_outs, strict=False):
        row = rows[name]
        torch_value = _to_keras_layout(captured[name].cpu().numpy(), row.output.channels_first)
        if row.output.flat_from and len(row.output.flat_from) >= 2:
            # after a flatten of feature maps, Keras holds the values in (*S, C) order
            unflat = torch_value.reshape(len(torch_value), *row.output.flat_from)
            torch_value = np.moveaxis(unflat, 1, -1).reshape(len(torch_value), -1)
        diff = (
            float(np.max(np.abs(torch_value - keras_value)))
            if torch_value.shape == keras_value.shape
            else math.inf
        )
        good = diff <= atol
        check.rows.append([name, row.layer.op.name, str(tuple(keras_value.shape)), diff, good])
        if not good and first_bad is None:
            first_bad = name
    final_torch = _to_keras_layout(torch_out, checked.output.channels_first)
    final_keras = keras_outs[-1]
    diff = (
        float(np.max(np.abs(final_torch - final_keras)))
        if final_torch.shape == final_keras.shape
        else math.inf
    )
    check.rows.append(["(output)", "", str(tuple(final_keras.shape)), diff, diff <= atol])
    check.ok = diff <= atol and first_bad is None
    if check.ok:
        check.summary = f"outputs agree: max abs diff {diff:.3g} ≤ {atol:g}"
    else:
        where = first_bad or checked.loaded.output
        check.summary = f"outputs differ (max abs diff {diff:.3g} > {atol:g}); first divergence at layer '{where}'"
    numbers = {
        "input_shape": list(x.shape),
        "pytorch": final_torch.tolist(),
        "tensorflow": final_keras.tolist(),
    }
    return check, numbers


# ---------------------------------------------------------------- training


def _disable_dropout(pair: Pair) -> bool:
    torch, keras = pair.fw.torch, pair.fw.keras
    found = False
    for module in pair.torch_model.modules():
        if isinstance(module, torch.nn.Dropout) and module.p:
            module.p, found = 0.0, True
        if isinstance(module, torch.nn.LSTM | torch.nn.GRU) and module.dropout:
            module.dropout, found = 0.0, True
    for layer in pair.keras_model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout) and layer.rate:
            layer.rate, found = 0.0, True
    return found


def _comparable_steps(pair: Pair, steps: int, per_epoch: int) -> tuple[int, str | None]:
    """Steps that can be compared exactly, and why fewer when they cannot."""
    spec = pair.checked.loaded.spec
    params = pair.checked.loaded.optimizer_params
    momentum = getattr(params, "momentum", 0.0)
    if spec.optimizer.schedule is not None and momentum and steps > per_epoch:
        return per_epoch, (
            "Keras folds the learning rate into the momentum buffer, PyTorch does not: with a "
            "schedule the two drift once the rate changes, so only the first epoch "
            f"({per_epoch} steps) is compared"
        )
    accumulate = spec.train.grad_accumulation
    if accumulate > 1 and per_epoch % accumulate and steps > per_epoch:
        return per_epoch, (
            f"train.py accumulates gradients over {accumulate} batches within an epoch, Keras "
            f"over {accumulate} optimizer iterations across epochs; with {per_epoch} batches "
            "per epoch the groups differ after the first epoch, so only it is compared"
        )
    return steps, None


def compare_training(
    pair: Pair, torch_batches: list, tf_batches: list, per_epoch: int, rtol: float, wtol: float
) -> tuple[list[Check], list[float], list[float]]:
    """Train both models on the same batches; compare the loss at every step and final weights."""
    torch = pair.fw.torch
    notes = []
    if _disable_dropout(pair):
        notes.append(
            "dropout is off while comparing: the two frameworks draw different random masks"
        )
    train = pair.checked.loaded.spec.train
    if pair.checked.loaded.spec.data.augmentation is not None:
        notes.append(
            "augmentation is off while comparing (as in validation): the two frameworks draw "
            "different random flips, rotations and shifts"
        )
    if train.mixed_precision != "off":
        notes.append(
            f"mixed precision ({train.mixed_precision}) is off while comparing: both frameworks "
            "round the same math to 8 (bf16) or 11 (fp16) bits differently, so the float32 "
            "computation they share is what is compared"
        )
    if train.compile:
        notes.append(
            "compilation (torch.compile / XLA) is off while comparing: compiled kernels may "
            "reorder float math; the compiled runs are exercised by the tests of the projects"
        )
    steps, why = _comparable_steps(pair, len(torch_batches), per_epoch)
    if why:
        notes.append(why)
    tp, kp = pair.torch_project.train, pair.tf_project.train
    tmodel = pair.torch_model.train()
    initial = torch_state_in_keras_layout(pair.checked, pair.torch_model)
    criterion = statement_value(tp, "criterion", model=tmodel)
    optimizer = statement_value(tp, "optimizer", model=tmodel)
    scheduler = statement_value(tp, "scheduler", optional=True, optimizer=optimizer)
    kmodel = pair.keras_model
    # The project's own model.compile(...) arguments; XLA and multi-step execution are speed
    # settings (compile has a note), mixed precision is off (no policy is set here).
    options = call_keywords(kp, "compile", skip=("steps_per_execution", "jit_compile"))
    kmodel.compile(**options, jit_compile=False)
    keras_optimizer = kmodel.optimizer
    note, eps_schedule = _epsilon(pair, optimizer, keras_optimizer)
    if note:
        notes.append(note)
    if eps_schedule is not None:
        updates = itertools.count(1)

        def set_eps(opt: Any, *_: Any) -> None:
            eps = eps_schedule(next(updates))
            for group in opt.param_groups:
                group["eps"] = eps

        optimizer.register_step_pre_hook(set_eps)
    device = torch.device(pair.device)
    torch_losses: list[float] = []
    with _float32(torch):
        for first in range(0, steps, per_epoch):  # PyTorch: one call of train() per epoch
            if first and scheduler is not None:
                scheduler.step()
            batches = [
                (torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
                for x, y in torch_batches[first : min(first + per_epoch, steps)]
            ]
            torch_losses += _torch_epoch(pair, tmodel, batches, criterion, optimizer, device)
    losses = Check("training loss per step", ["step", "pytorch", "tensorflow", "rel diff", "ok"])
    tf_losses = []
    for step in range(steps):
        if step and step % per_epoch == 0 and hasattr(kp, "learning_rate"):
            keras_optimizer.learning_rate = kp.learning_rate(
                step // per_epoch, float(keras_optimizer.learning_rate)
            )
        # fit's loss adds the L2 terms (PyTorch's weight decay), the criterion's does not.
        penalty = float(sum(float(loss) for loss in kmodel.losses))
        inputs, targets = tf_batches[step]
        logs = kmodel.train_on_batch(inputs, targets, return_dict=True)
        k_loss = float(logs["loss"]) - penalty
        t_loss = torch_losses[step]
        rel = abs(t_loss - k_loss) / max(abs(t_loss), abs(k_loss), 1e-12)
        good = rel <= rtol or abs(t_loss - k_loss) <= 1e-7
        losses.rows.append([step + 1, t_loss, k_loss, rel, good])
        tf_losses.append(k_loss)
        if not good and losses.ok:
            losses.ok = False
            losses.summary = f"losses diverge at step {step + 1}: {t_loss:.7g} vs {k_loss:.7g} (rel {rel:.2g} > {rtol:g})"
    if losses.ok:
        worst = max((r[3] for r in losses.rows), default=0.0)
        losses.summary = f"{steps} steps agree: worst rel diff {worst:.3g} ≤ {rtol:g}"
    losses.notes = notes
    weights = _compare_weights(pair, initial, wtol)
    return [losses, weights], torch_losses, tf_losses


@contextlib.contextmanager
def _float32(torch: Any) -> Iterator[None]:
    """Mixed precision off while comparing: train.py's `torch.autocast(...)` does nothing."""
    autocast = torch.autocast
    torch.autocast = lambda *args, **kwargs: contextlib.nullcontext()
    try:
        yield
    finally:
        torch.autocast = autocast


def _torch_epoch(
    pair: Pair, model: Any, batches: list, criterion: Any, optimizer: Any, device: Any
) -> list[float]:
    """Train the PyTorch model on `batches` with the project's own `train()` (one epoch);
    the loss of every batch, read from a criterion that records them."""
    torch = pair.fw.torch
    losses: list[float] = []

    def recording(outputs: Any, targets: Any) -> Any:
        loss = criterion(outputs, targets)
        losses.append(float(loss))
        return loss

    train = getattr(pair.torch_project.train, "train", None)
    if train is not None:
        extra: dict[str, Any] = {}
        parameters = inspect.signature(train).parameters
        if "args" in parameters:  # train.py's settings: every batch, no progress lines
            extra["args"] = argparse.Namespace(max_steps=None, log_interval=len(batches) + 1)
        if "scaler" in parameters:
            extra["scaler"] = torch.amp.GradScaler(device.type, enabled=False)
        train(model, batches, recording, optimizer, device, **extra)
        return losses
    # Full-batch projects train in main(): the same step, one per batch.
    clip = pair.checked.loaded.spec.train.clip_grad_norm
    for inputs, targets in batches:
        model.train()
        optimizer.zero_grad()
        recording(model(inputs), targets).backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
        optimizer.step()
    return losses


def _epsilon(pair: Pair, optimizer: Any, keras_optimizer: Any) -> tuple[str | None, Any]:
    """Cancel the one optimizer difference that no Keras setting can: where epsilon enters.

    Adam/AdamW: Keras adds epsilon before the bias correction, so PyTorch with
    eps_t = eps / sqrt(1 - beta2^t) takes exactly Keras's step; verify sets that on the PyTorch
    side. RMSprop (sqrt(v) + eps vs sqrt(v + eps)): both get a vanishing epsilon.
    """
    from ..ops import REGISTRY

    loaded = pair.checked.loaded
    op = REGISTRY.optimizers[loaded.spec.optimizer.type]
    params = loaded.optimizer_params
    if op.torch_eps_matching_keras is not None:
        return (
            f"{op.name}: Keras adds epsilon ({params.eps:g}) before the bias correction, PyTorch "
            "after it; PyTorch is stepped with eps / sqrt(1 - beta2^t) here, which is Keras's "
            "update exactly. With the same eps the two differ where gradients are tiny",
            lambda step: op.torch_eps_matching_keras(params, step),
        )
    if op.negligible_eps is not None:
        for group in optimizer.param_groups:
            group["eps"] = op.negligible_eps[0]
        keras_optimizer.epsilon = op.negligible_eps[1]
        return (
            f"{op.name}: epsilon enters inside the square root in Keras and outside in PyTorch; "
            f"compared with a vanishing epsilon in both instead of {params.eps:g}",
            None,
        )
    return None, None


# A layer passes when its weights agree to `wtol`, or when the difference is tiny next to how
# far training moved them: adaptive optimizers (Adam, RMSprop) turn float noise in near-zero
# gradients into steps of about lr, so a few such weights may differ while the layer agrees.
RELATIVE_UPDATE_TOLERANCE = 1e-2


def _compare_weights(pair: Pair, initial: dict[str, list], wtol: float) -> Check:
    """Final weights, compared in Keras layout (the PyTorch ones converted by the rules)."""
    np = pair.fw.np
    check = Check(
        "weights after training",
        ["layer", "max abs diff", "‖diff‖ / ‖update‖", "ok"],
    )
    final = torch_state_in_keras_layout(pair.checked, pair.torch_model)
    worst_layer, worst = None, 0.0
    for layer_name, expected in final.items():
        layer = pair.keras_model.get_layer(layer_name)
        actual = layer.get_weights()
        triples = list(zip(expected, actual, initial[layer_name], strict=True))
        if isinstance(layer, pair.fw.keras.layers.BatchNormalization):
            triples = triples[:3]  # moving variance: PyTorch stores the unbiased estimate
            check.notes = [
                "BatchNorm moving variance is not compared: PyTorch keeps the unbiased batch "
                "variance, Keras the biased one (a factor n/(n-1))"
            ]
        # np.max, not max(): a NaN anywhere must fail the layer (max() skips a NaN after a number)
        diff = float(np.max([np.max(np.abs(a - b)) for a, b, _ in triples]))
        moved = math.sqrt(sum(float(np.sum((a - w0) ** 2)) for a, _, w0 in triples))
        apart = math.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b, _ in triples))
        relative = apart / moved if moved else (0.0 if apart == 0 else math.inf)
        good = diff <= wtol or relative <= RELATIVE_UPDATE_TOLERANCE
        check.rows.append([layer_name, diff, relative, good])
        if not good and (worst_layer is None or relative > worst):
            worst_layer, worst = layer_name, relative
        check.ok &= good
    check.summary = (
        f"weights agree (max abs diff ≤ {wtol:g} or ≤ {RELATIVE_UPDATE_TOLERANCE:g} of the update)"
        if check.ok
        else f"weights differ most in layer '{worst_layer}': {worst:.3g} of the update"
    )
    return check
