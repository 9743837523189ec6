"""`dlgen translate --verify`: prove a translated file computes what the PyTorch file computes.

Both files are imported, `CLASS(**kwargs)` is built from each, the Keras model is called once
(Keras builds its weights on the first call), every PyTorch parameter and buffer is moved across
by walking the two module trees by attribute name, and the inference-mode outputs are compared.
The numpy weight rules of `codegen/ops/weights.py` do the per-layer conversion.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from ..errors import DlgenError, Location
from ..ops import weights
from ..translate.names import keras_attr

_SHAPE = re.compile(r"^(\d+(?:x\d+)*)(?::(int|float)(?::(\d+))?)?$")


@dataclass(frozen=True)
class InputSpec:
    """`2x1x28x28` (standard normal floats) or `4x20:int:1000` (integers in [0, 1000))."""

    shape: tuple[int, ...]
    integer: bool = False
    high: int = 2

    @classmethod
    def parse(cls, text: str) -> InputSpec:
        match = _SHAPE.match(text.strip())
        if not match:
            raise DlgenError(
                f"bad input shape {text!r}; write it like 2x1x28x28 or 4x20:int:1000",
                Location("--input"),
            )
        shape = tuple(int(d) for d in match.group(1).split("x"))
        integer = match.group(2) == "int"
        high = int(match.group(3)) if match.group(3) else 2
        if 0 in shape:
            raise DlgenError(
                f"input shape {text!r} has a zero-sized axis: there would be nothing to compare",
                Location("--input"),
            )
        if match.group(3) and not integer:
            raise DlgenError(
                f"bad input shape {text!r}: an upper bound goes with int (4x20:int:1000)",
                Location("--input"),
            )
        if high < 1:
            raise DlgenError(
                f"bad input shape {text!r}: integers are drawn from [0, {high}), which is empty",
                Location("--input"),
            )
        return cls(shape, integer, high)

    def __str__(self) -> str:
        text = "x".join(map(str, self.shape))
        return f"{text}:int:{self.high}" if self.integer else text

    def make(self, seed: int = 0) -> Any:
        import numpy as np

        rng = np.random.default_rng(seed)
        if self.integer:
            return rng.integers(0, self.high, size=self.shape, dtype=np.int64)
        return rng.standard_normal(self.shape).astype(np.float32)


# Two float64 runs of the same computation agree to about 1e-13 on the corpus's deepest
# models (MobileNet in training mode: 1.1e-13); a translation error moves outputs by far more.
FLOAT64_ATOL = 1e-9


@dataclass
class VerifyResult:
    """Outputs of both models and how far apart they are."""

    max_abs_diff: float
    atol: float
    outputs: list[tuple[str, tuple[int, ...], float]] = field(default_factory=list)
    rtol: float = 0.0
    # how far the worst element is past its allowance atol + rtol·|PyTorch's value| (≤ 0: within)
    worst_excess: float = float("-inf")
    moved: int = 0  # PyTorch tensors moved into the Keras model
    loaded: str = ""  # how the files were loaded (definitions only, or the whole module)
    # training mode (dropout off): the rows compared, or why it was not
    training: list[tuple[str, tuple[int, ...], float]] = field(default_factory=list)
    training_note: str = ""
    dropout_off: int = 0  # PyTorch dropout modules turned off for the training-mode check
    # when not ok: max |float32 - float64| of PyTorch's own outputs (the size of rounding here)
    rounding: float | None = None
    # when not ok: both models run again in float64 with the same weights and inputs, max abs
    # diff over the modes compared; or None, with float64_note saying why it could not run
    float64_diff: float | None = None
    float64_note: str = ""

    @property
    def ok(self) -> bool:
        """Equal in float32 within atol (and rtol)."""
        if self.rtol == 0:
            return self.max_abs_diff <= self.atol
        return self.worst_excess <= 0

    @property
    def equal_in_float64(self) -> bool:
        """Both models compute the same in float64 (within FLOAT64_ATOL): a float32 difference
        is then rounding, not a translation error."""
        return self.float64_diff is not None and self.float64_diff <= FLOAT64_ATOL

    @property
    def passed(self) -> bool:
        return self.ok or self.equal_in_float64


class OutputsDiffer(DlgenError):
    """The two models return different numbers or shapes of outputs: a verdict, "not equal"
    (the CLI exits 1, as for values that differ)."""


class CouldNotRun(DlgenError):
    """A stage of --verify raised inside the user's or the translated code: not a verdict on
    equality (the CLI exits 4 for it, 1 for "not equal")."""


@contextmanager
def stage(what: str, path: Path) -> Iterator[None]:
    """Any exception raised while doing `what` (the user's code or the translated code) is one
    CouldNotRun line naming the stage; a DlgenError passes through as it is."""
    try:
        yield
    except DlgenError:
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - someone else's code: one line
        if isinstance(exc, SystemExit):
            why = f"it called sys.exit({exc.code!r})"
        else:
            why = f"{type(exc).__name__}: {_cause(exc)}".rstrip(": ")
        raise CouldNotRun(f"--verify could not run ({what}): {why}", Location(str(path))) from exc


def load_definitions(path: Path, name: str) -> tuple[ModuleType, str]:
    """Import a Python file under a private module name, and say how it was loaded.

    First its definitions alone (imports, functions, classes, and assignments that call
    nothing): a script's module level may parse dlgen's own command line, download data or
    train. Only when the class needs a name that leaves out is the whole module run, with an
    empty command line (its `__main__` block never runs)."""
    text = path.read_text(encoding="utf-8-sig")
    tree = ast.parse(text, str(path))
    kept = [node for node in tree.body if _definition(node)]
    if len(kept) == len(tree.body):
        return _run_module(path, name, tree), "the whole module (it only defines)"
    how = "its definitions only (module-level code not run)"
    return _run_module(path, name, ast.Module(kept, [])), how


def load_module(path: Path, name: str) -> ModuleType:
    """Import a whole Python file under a private module name, run with an empty command line
    (its `__main__` block does not run)."""
    return _run_module(path, name, ast.parse(path.read_text(encoding="utf-8-sig"), str(path)))


def _definition(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    if isinstance(node, ast.ClassDef):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # a docstring
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return not any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    if isinstance(node, ast.Try):  # try: import x / except ImportError: ...
        return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Pass)) for n in node.body)
    return False


def _run_module(path: Path, name: str, tree: ast.Module) -> ModuleType:
    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    argv = sys.argv
    sys.argv = [str(path)]  # argparse at module level reads this, not dlgen's own flags
    try:
        with stage(f"importing {path.name}", path):
            exec(compile(tree, str(path), "exec"), module.__dict__)
    except DlgenError:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.argv = argv
    return module


def _instantiate(module: ModuleType, name: str, args: list, kwargs: dict, path: Path) -> Any:
    made = getattr(module, name, None)
    if made is None:
        raise DlgenError(f"no class or function {name} in this file", Location(str(path)))
    return made(*args, **kwargs)


def _cause(exc: Exception) -> str:
    """The informative line of an exception (Keras wraps the cause in a paragraph of its own)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) > 1 and paragraphs[0].startswith("Exception encountered"):
        paragraphs = paragraphs[1:]
    return paragraphs[0].splitlines()[0][:300] if paragraphs else ""


# ---------------------------------------------------------------- weight transfer


def _np(tensor: Any) -> Any:
    return tensor.detach().cpu().numpy().copy()


def _state(module: Any) -> dict[str, Any]:
    return {k: _np(v) for k, v in module.state_dict().items()}


def _bias(module: Any) -> SimpleNamespace:
    return SimpleNamespace(bias=getattr(module, "bias", None) is not None)


def _linear(tm: Any, ko: Any) -> None:
    p = SimpleNamespace(bias=tm.bias is not None, out_features=tm.out_features)
    ko.set_weights(weights.LINEAR.to_keras(p, [SimpleNamespace(flat_from=None)], _state(tm))[""])


def _conv(rank: int):
    def move(tm: Any, ko: Any) -> None:
        state = _state(tm)
        inner = ko.conv
        if type(inner).__name__ == "DepthwiseConv2D":
            w = state["weight"]
            channels = tm.in_channels
            kernel = w.reshape(channels, w.shape[0] // channels, *w.shape[2:]).transpose(2, 3, 0, 1)
            inner.set_weights([kernel, state["bias"]] if tm.bias is not None else [kernel])
            return
        inner.set_weights(weights.conv_rule(rank).to_keras(_bias(tm), [], state)[""])

    return move


def _conv_transpose(tm: Any, ko: Any) -> None:
    ko.conv.set_weights(weights.CONV_TRANSPOSE.to_keras(_bias(tm), [], _state(tm))[""])


def _batchnorm(tm: Any, ko: Any) -> None:
    state = _state(tm)
    if tm.affine:
        ko.set_weights(weights.BATCHNORM.to_keras(None, [], state)[""])
    else:
        ko.set_weights([state["running_mean"], state["running_var"]])


def _affine_norm(tm: Any, ko: Any) -> None:
    state = _state(tm)
    if "weight" in state:
        ko.set_weights([state["weight"], state["bias"]])


def _embedding(tm: Any, ko: Any) -> None:
    ko.set_weights(weights.EMBEDDING.to_keras(None, [], _state(tm))[""])


def _recurrent(tm: Any, ko: Any) -> None:
    kind = type(tm).__name__
    state = _state(tm)
    p = SimpleNamespace(
        num_layers=tm.num_layers, bidirectional=tm.bidirectional, hidden_size=tm.hidden_size
    )
    if kind in ("LSTM", "GRU"):
        converted = weights.rnn_rule(kind.lower()).to_keras(p, [], state)
    else:  # plain RNN: one kernel, one recurrent kernel, the two biases summed
        converted = {}
        for layer in range(tm.num_layers):
            arrays: list = []
            for direction in ("", "_reverse") if tm.bidirectional else ("",):
                key = f"l{layer}{direction}"
                arrays += [
                    state[f"weight_ih_{key}"].T,
                    state[f"weight_hh_{key}"].T,
                    state[f"bias_ih_{key}"] + state[f"bias_hh_{key}"],
                ]
            converted["" if layer == tm.num_layers - 1 else f"l{layer}"] = arrays
    for suffix, arrays in converted.items():
        index = len(ko.rnns) - 1 if suffix == "" else int(suffix[1:])
        ko.rnns[index].set_weights(arrays)


def _cell(tm: Any, ko: Any) -> None:
    kind = "lstm" if type(tm).__name__ == "LSTMCell" else "gru"
    state = {f"{k}_l0": v for k, v in _state(tm).items()}
    p = SimpleNamespace(num_layers=1, bidirectional=False, hidden_size=tm.hidden_size)
    ko.cell.set_weights(weights.rnn_rule(kind).to_keras(p, [], state)[""])


CONVERTERS = {
    "Linear": _linear,
    "NonDynamicallyQuantizableLinear": _linear,  # nn.MultiheadAttention's out_proj
    "Conv1d": _conv(1),
    "Conv2d": _conv(2),
    "Conv3d": _conv(3),
    "ConvTranspose2d": _conv_transpose,
    "BatchNorm1d": _batchnorm,
    "BatchNorm2d": _batchnorm,
    "BatchNorm3d": _batchnorm,
    "InstanceNorm1d": _affine_norm,
    "InstanceNorm2d": _affine_norm,
    "InstanceNorm3d": _affine_norm,
    "GroupNorm": _affine_norm,
    "LayerNorm": _affine_norm,
    "Embedding": _embedding,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "RNN": _recurrent,
    "LSTMCell": _cell,
    "GRUCell": _cell,
}


def _child(tm: Any, ko: Any, name: str) -> Any:
    import torch

    if isinstance(tm, torch.nn.Sequential):  # by position (OrderedDict names are dropped)
        return ko.layers[[n for n, _ in tm.named_children()].index(name)]
    if isinstance(tm, torch.nn.ModuleList):
        return ko[int(name)]
    if isinstance(tm, torch.nn.ModuleDict):
        return ko[name]
    attr = keras_attr(name)
    if not hasattr(ko, attr):
        raise DlgenError(f"the Keras model has no attribute {attr} to receive {name}")
    return getattr(ko, attr)


def transfer(torch_module: Any, keras_object: Any, path: str = "") -> int:
    """Copy every parameter and buffer of `torch_module` into the built `keras_object`;
    returns how many PyTorch modules with weights were moved. A Keras layer the model
    never called (a PyTorch module that `forward` leaves unused, such as efficientnet's
    conv1 when expand_ratio is 1) is not built and has no variables: nothing moves into it,
    and it cannot change an output."""
    if getattr(keras_object, "built", True) is False:
        return 0
    kind = type(torch_module).__name__
    if kind == "Linear" and hasattr(keras_object, "tied_to"):  # the prelude's TiedLinear:
        if torch_module.bias is not None:  # the weight is the layer it is tied to, moved there
            keras_object.bias.assign(_np(torch_module.bias))
        return 1
    if kind in CONVERTERS:
        if any(True for _ in torch_module.parameters()) or any(
            True for _ in torch_module.buffers()
        ):
            CONVERTERS[kind](torch_module, keras_object)
            return 1
        return 0
    moved = 0
    for name, tensor in [
        *torch_module.named_parameters(recurse=False),
        *torch_module.named_buffers(recurse=False),
    ]:
        target = getattr(keras_object, keras_attr(name), None)
        if target is None or not hasattr(target, "assign"):
            raise DlgenError(f"no Keras variable for {path}{name}")
        target.assign(_np(tensor))
        moved += 1
    for name, child in torch_module.named_children():
        if not any(True for _ in child.parameters()) and not any(True for _ in child.buffers()):
            continue
        moved += transfer(child, _child(torch_module, keras_object, name), f"{path}{name}.")
    return moved


# ---------------------------------------------------------------- comparison


def _flatten(value: Any) -> list:
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _to_numpy(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _torch_dropout_off(torch_model: Any) -> int:
    """PyTorch's dropout modules to eval mode (the rest stays as it is); how many there were."""
    import torch

    dropouts = [
        module
        for module in torch_model.modules()
        if isinstance(module, torch.nn.modules.dropout._DropoutNd)
    ]
    for module in dropouts:
        module.eval()
    return len(dropouts)


def _random_layers_off(torch_model: Any, keras_model: Any) -> int:
    """Dropout off in both models for the training-mode check: PyTorch's dropout modules go to
    eval mode, Keras's Dropout layers get rate 0 (and the prelude's alpha dropouts p 0).
    Returns how many PyTorch modules were off."""
    import keras
    import torch

    for layer in keras_model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
        elif type(layer).__name__ in ("AlphaDropout", "FeatureAlphaDropout"):
            layer.p = 0.0
        elif type(layer).__name__ == "MultiheadAttention":
            layer.dropout = 0.0
        elif type(layer).__name__ in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
            layer.dropout_rate = 0.0
    for module in torch_model.modules():  # attention dropout is a rate, not a module
        if isinstance(module, torch.nn.MultiheadAttention):
            module.dropout = 0.0
    return _torch_dropout_off(torch_model)


def _compare(
    result: VerifyResult,
    torch_out: list,
    tf_out: list,
    compare: list[int] | None,
    tf_file: Path,
    mode: str = "",
) -> dict[str, Any]:
    """Add one row per output to `result` (the training-mode rows when `mode` is set); the
    outputs as arrays, for --dump."""
    import numpy as np

    if len(torch_out) != len(tf_out):
        raise OutputsDiffer(
            f"PyTorch returned {len(torch_out)} outputs, TensorFlow {len(tf_out)}{mode}",
            Location(str(tf_file)),
        )
    arrays: dict[str, Any] = {}
    rows = result.training if mode else result.outputs
    for index, (a, b) in enumerate(zip(torch_out, tf_out, strict=True)):
        with stage("reading the outputs as arrays", tf_file):
            ta, tb = _to_numpy(a), _to_numpy(b)
        label = "output" if len(torch_out) == 1 else f"output/{index}"
        if ta.shape != tb.shape:
            raise OutputsDiffer(
                f"{label}{mode}: PyTorch shape {ta.shape}, TensorFlow shape {tb.shape}",
                Location(str(tf_file)),
            )
        # A NaN in either output is no match: counted as an infinite gap (max() would skip it).
        gap = np.nan_to_num(np.abs(ta.astype(np.float64) - tb.astype(np.float64)), nan=np.inf)
        diff = float(np.max(gap)) if ta.size else 0.0
        excess = float(np.max(gap - result.atol - result.rtol * np.abs(ta))) if ta.size else -np.inf
        shown = label
        if compare is not None and index not in compare:
            shown, diff, excess = f"{label} (random, not compared)", 0.0, float("-inf")
        result.worst_excess = max(result.worst_excess, excess)
        rows.append((shown, tuple(ta.shape), diff))
        result.max_abs_diff = max(result.max_abs_diff, diff)
        arrays[f"torch_{label}"] = ta
        arrays[f"tf_{label}"] = tb
    return arrays


def verify_files(
    torch_file: Path,
    tf_file: Path,
    class_name: str,
    input_spec: InputSpec | list[InputSpec],
    atol: float = 1e-5,
    rtol: float = 0.0,
    dump: Path | None = None,
    kwargs: dict | None = None,
    compare: list[int] | None = None,
    args: list | None = None,
    training: bool = True,
) -> VerifyResult:
    """Build `class_name(*args, **kwargs)` (a class or a factory function) from both files,
    move the weights, and compare the outputs on inputs drawn by `input_spec` (one per
    argument of forward): in inference mode, then (`training`) in training mode with dropout
    off. `compare`: the indices of the outputs to compare, for models whose other outputs are
    random even in inference mode."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's kernels round differently, and on CPUs with AVX-512 TensorFlow announces them
    # on stderr whatever the log level: the comparison runs without them (as `dlgen verify`).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import numpy as np
    import tensorflow as tf
    import torch

    kwargs, args = kwargs or {}, args or []
    specs = input_spec if isinstance(input_spec, list) else [input_spec]
    torch_file, tf_file = Path(torch_file), Path(tf_file)
    stem = re.sub(r"\W", "_", torch_file.stem)
    names = (f"_dlgen_torch_{stem}_{id(torch_file)}", f"_dlgen_tf_{stem}_{id(tf_file)}")

    def build(torch_module: ModuleType, tf_module: ModuleType) -> tuple[Any, Any]:
        torch.manual_seed(0)
        with stage(f"building PyTorch's {class_name}", torch_file):
            torch_model = _instantiate(torch_module, class_name, args, kwargs, torch_file)
        with stage(f"building the translated {class_name}", tf_file):
            return torch_model, _instantiate(tf_module, class_name, args, kwargs, tf_file)

    torch_module, how = load_definitions(torch_file, names[0])
    tf_module, _ = load_definitions(tf_file, names[1])
    try:
        torch_model, keras_model = build(torch_module, tf_module)
    except CouldNotRun as error:
        if "NameError" not in error.message or how.startswith("the whole"):
            raise
        # the class needs a name the module level makes: run the whole modules after all
        how = "the whole module, run with no arguments (the class needs what it makes)"
        tf_module = load_module(tf_file, names[1])
        torch_model, keras_model = build(load_module(torch_file, names[0]), tf_module)
    for kind, model in (("PyTorch", torch_model), ("translated", keras_model)):
        if not callable(model):
            raise DlgenError(
                f"{class_name}(...) in the {kind} file made a {type(model).__name__}, not a model",
                Location(str(torch_file if kind == "PyTorch" else tf_file)),
            )
    torch_model.eval()
    xs = [spec.make(seed) for seed, spec in enumerate(specs)]
    shapes = ", ".join(str(spec.shape) for spec in specs)
    what = f"on input{'s' if len(xs) > 1 else ''} {shapes}"

    def keras_inputs() -> list:
        return [tf.constant(x) for x in xs]

    with stage(f"running the translated {class_name} {what}", tf_file):
        keras_model(*keras_inputs(), training=False)  # builds the weights
    what_moves = "moving PyTorch's weights into the Keras model"
    with stage(what_moves, tf_file):
        try:
            moved = transfer(torch_model, keras_model)
        except DlgenError as error:  # a layer with no Keras counterpart to receive its weights
            raise CouldNotRun(
                f"--verify could not run ({what_moves}): {error.message}", Location(str(tf_file))
            ) from None
    with stage(f"running PyTorch's {class_name} {what}", torch_file):
        with torch.no_grad():
            torch_out = _flatten(torch_model(*(torch.from_numpy(x) for x in xs)))
    with stage(f"running the translated {class_name} with PyTorch's weights", tf_file):
        tf_out = _flatten(keras_model(*keras_inputs(), training=False))
    result = VerifyResult(0.0, atol, moved=moved, loaded=how, rtol=rtol)
    arrays = {"input": xs[0]} if len(xs) == 1 else {f"input/{i}": x for i, x in enumerate(xs)}
    arrays.update(_compare(result, torch_out, tf_out, compare, tf_file))
    if dump is not None:  # the weights as moved, before training mode updates any statistics
        for key, value in torch_model.state_dict().items():
            arrays[f"torch/{key}"] = _np(value)
        for variable in keras_model.variables:
            arrays[f"tf/{variable.path}"] = np.asarray(variable.numpy())
    # training mode moves normalization statistics: keep the buffers as they are now (small),
    # for the float64 reference that only a failing comparison needs
    buffers = {name: value.clone() for name, value in torch_model.named_buffers()}
    training_out = None
    if training:
        training_out = _training_check(
            result, torch_model, keras_model, xs, compare, class_name, files=(torch_file, tf_file)
        )
    if dump is not None:
        np.savez(dump, **arrays)
    if not result.ok:

        def as_moved() -> Any:  # PyTorch's model as its weights were moved, in float64
            reference = copy.deepcopy(torch_model)
            with torch.no_grad():
                for name, value in reference.named_buffers():
                    value.copy_(buffers[name])
            return reference.double()

        # how far float32 rounding alone moves PyTorch's own outputs here
        with stage(f"running PyTorch's {class_name} in float64", torch_file):
            result.rounding = _rounding(as_moved(), xs, torch_out, training_out)
        # and whether both compute the same when rounding is (almost) out of the way
        try:
            result.float64_diff = _float64_diff(
                as_moved(),
                lambda: _instantiate(tf_module, class_name, args, kwargs, tf_file),
                xs,
                compare,
                training_out is not None,
                (torch_file, tf_file),
            )
        except DlgenError as error:  # e.g. the translated code casts to float32 itself
            result.float64_note = error.message.replace("--verify could not run", "could not run")
    return result


def _float64_diff(
    reference: Any,
    make_keras: Any,
    xs: list,
    compare: list[int] | None,
    training: bool,
    files: tuple[Path, Path],
) -> float:
    """Max abs diff between PyTorch's model (`reference`, float64, its weights as moved) and
    the translated model built anew with Keras's float type set to float64 and given the same
    weights, on the same inputs in float64: inference mode, then training mode (dropout off)
    where the float32 check compared it."""
    import keras
    import numpy as np
    import tensorflow as tf
    import torch

    torch_file, tf_file = files
    wide = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in xs]
    # floatx alone is not enough: layers take the global dtype policy, made from floatx when
    # the first model (the float32 one) was built
    previous = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        with stage("building the translated model in float64", tf_file):
            keras_model = make_keras()
            keras_model(*(tf.constant(x) for x in wide), training=False)
            transfer(reference, keras_model)
        gap = 0.0
        for mode in ("inference", "training")[: 1 + training]:
            reference.train(mode == "training")
            if mode == "training":
                _random_layers_off(reference, keras_model)
            with stage(f"running PyTorch's model in float64 ({mode} mode)", torch_file):
                with torch.no_grad():
                    torch.manual_seed(1)
                    torch_out = _flatten(reference(*(torch.from_numpy(x) for x in wide)))
            with stage(f"running the translated model in float64 ({mode} mode)", tf_file):
                tf_out = _flatten(
                    keras_model(*(tf.constant(x) for x in wide), training=mode == "training")
                )
            for index, (a, b) in enumerate(zip(torch_out, tf_out, strict=False)):
                if compare is not None and index not in compare:
                    continue
                with stage("reading the float64 outputs as arrays", tf_file):
                    ta, tb = _to_numpy(a), _to_numpy(b)
                if ta.shape != tb.shape:
                    return float("inf")
                if ta.size:
                    gap = max(gap, float(np.nan_to_num(np.abs(ta - tb), nan=np.inf).max()))
        return gap
    finally:
        keras.config.set_floatx(previous[0])
        keras.config.set_dtype_policy(previous[1])


def _rounding(model: Any, xs: list, inference: list, training: list | None) -> float:
    """Max |float32 output - float64 output| of PyTorch's model, in each mode compared: the
    size of float32 rounding on this input, beside which a difference can be judged."""
    import torch

    model = model.double()
    inputs = [
        torch.from_numpy(x).double() if x.dtype.kind == "f" else torch.from_numpy(x) for x in xs
    ]
    gap = 0.0
    for mode, outputs in (("eval", inference), ("train", training)):
        if outputs is None:
            continue
        model.train(mode == "train")
        if mode == "train":
            _torch_dropout_off(model)
        with torch.no_grad():
            wide = _flatten(model(*inputs))
        for a, b in zip(outputs, wide, strict=False):
            if isinstance(a, torch.Tensor) and a.is_floating_point() and a.shape == b.shape:
                gap = max(gap, float((a.double() - b).abs().max()))
    return gap


def _training_check(
    result: VerifyResult,
    torch_model: Any,
    keras_model: Any,
    xs: list,
    compare: list[int] | None,
    class_name: str,
    files: tuple[Path, Path],
) -> list | None:
    """One forward pass in training mode (batch statistics in normalization layers), dropout
    off in both. A model still random in training mode (functional dropout, noise) is said to
    be so and not compared."""
    import tensorflow as tf
    import torch

    torch_file, tf_file = files
    torch_model.train()
    result.dropout_off = _random_layers_off(torch_model, keras_model)
    with stage(f"running PyTorch's {class_name} in training mode", torch_file):
        with torch.no_grad():
            runs = []
            for seed in (1, 2):
                torch.manual_seed(seed)
                runs.append(_flatten(torch_model(*(torch.from_numpy(x) for x in xs))))
    if any(
        not torch.equal(a, b)
        for a, b in zip(runs[0], runs[1], strict=True)
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
    ):
        result.training_note = "random in training mode even with dropout modules off: not compared"
        return None
    with stage(f"running the translated {class_name} in training mode", tf_file):
        tf_out = _flatten(keras_model(*(tf.constant(x) for x in xs), training=True))
    _compare(result, runs[0], tf_out, compare, tf_file, mode=" (training mode)")
    return runs[0]
