"""Numbers: every corpus model and translator case, translated and run, matches PyTorch
(weights moved, inference mode), and every prelude building block matches its PyTorch op."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "examples" / "translate"
CASES = REPO / "tests" / "data" / "translate"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
ATOL = 1e-5

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def translated(tmp_path_factory) -> dict[str, Path]:
    """Every corpus file translated once (in-process, as `dlgen translate` does)."""
    from codegen.translate.api import translate_source

    folder = tmp_path_factory.mktemp("translated")
    out = {}
    for path in sorted(CORPUS.glob("*.py")):
        if path.name == "check_corpus.py":
            continue
        result = translate_source(path.read_text(encoding="utf-8"), path.name)
        target = folder / f"{path.stem}_tf.py"
        target.write_text(result.code, encoding="utf-8")
        out[path.name] = target
        out[path.name + ":left"] = result.report.left  # type: ignore[assignment]
    return out


@pytest.mark.parametrize(
    "entry", MANIFEST, ids=[f"{e['file'][:-3]}:{e['class']}" for e in MANIFEST]
)
def test_corpus_model_matches_pytorch(entry: dict, translated: dict) -> None:
    from codegen.verify.translated import InputSpec, verify_files

    assert translated[entry["file"] + ":left"] == [], "something was left untranslated"
    compare = None if entry["deterministic_outputs"] == "all" else entry["deterministic_outputs"]
    result = verify_files(
        CORPUS / entry["file"],
        translated[entry["file"]],
        entry["class"],
        InputSpec.parse(entry["input"]),
        atol=ATOL,
        kwargs=entry["kwargs"],
        compare=compare,
    )
    print(entry["file"], entry["class"], f"max_abs_diff={result.max_abs_diff:.3g}")
    assert result.moved > 0
    assert result.ok, result.outputs


CASE_MODELS = [
    ("import_styles.py", "Net", "2x4x6x6"),
    ("containers.py", "Tower", "3x8"),
    ("tensor_ops.py", "Ops", "2x4x3x3"),
    ("training_flag.py", "Encoder", "2x6"),
    ("word_lm.py", "RNNModel", "5x3:int:50"),
    ("in_place.py", "Residual", "4x6"),
    ("named_modules.py", "Stack", "3x8"),
    ("volumes.py", "Volumes", "2x2x4x6x6"),
    ("transposed.py", "Decoder", "2x3x4"),
    ("attention.py", "Encoder", "2x5x8"),
    ("seq2seq.py", "Seq2Seq", "2x5x8"),
    ("bags.py", "BagClassifier", "3x4:int:10"),
]


@pytest.mark.parametrize("name,cls,shape", CASE_MODELS, ids=[c[1] for c in CASE_MODELS])
def test_translator_case_matches_pytorch(name: str, cls: str, shape: str) -> None:
    from codegen.verify.translated import InputSpec, verify_files

    source = CASES / name
    result = verify_files(
        source, source.with_name(f"{source.stem}_tf.py"), cls, InputSpec.parse(shape)
    )
    assert result.ok, result.outputs


def test_dump_holds_input_outputs_and_every_weight(translated: dict, tmp_path: Path) -> None:
    import numpy as np
    import torch

    from codegen.verify.translated import InputSpec, load_module, verify_files

    dump = tmp_path / "check.npz"
    result = verify_files(
        CORPUS / "bigru_classifier.py",
        translated["bigru_classifier.py"],
        "BiGRUClassifier",
        InputSpec.parse("2x15:int:500"),
        dump=dump,
    )
    data = np.load(dump)
    assert data["input"].dtype == np.int64 and data["input"].shape == (2, 15)
    assert data["input"].max() < 500
    assert np.abs(data["torch_output"] - data["tf_output"]).max() == pytest.approx(
        result.max_abs_diff
    )
    torch_keys = {k[len("torch/") :] for k in data.files if k.startswith("torch/")}
    model = load_module(CORPUS / "bigru_classifier.py", "_dump_check").BiGRUClassifier()
    assert torch_keys == set(model.state_dict())
    tf_keys = [k for k in data.files if k.startswith("tf/") and "seed_generator" not in k]
    # embedding + 2 layers x 2 directions x (kernel, recurrent, bias) + dense kernel and bias
    assert len(tf_keys) == 1 + 12 + 2
    assert torch.from_numpy(data["torch/embedding.weight"]).shape == (500, 32)


# ---------------------------------------------------------------- prelude pieces vs PyTorch


@pytest.fixture(scope="module")
def lib():
    from codegen.translate import prelude_lib

    return prelude_lib


def _close(a, b, atol: float = 1e-5) -> None:
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    diff = float(np.abs(a - b).max())
    assert (
        diff <= atol
    ), f"max abs diff {diff:.3g} at {np.unravel_index(np.abs(a - b).argmax(), a.shape)}"


def _x(*shape: int, seed: int = 0):
    import numpy as np

    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


POOLS = [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0)),
]


@pytest.mark.parametrize("options", POOLS, ids=str)
def test_max_pool2d(lib, options: dict) -> None:
    import torch
    import torch.nn.functional as F

    x = _x(2, 3, 7, 8)
    _close(lib.max_pool2d(x, **options), F.max_pool2d(torch.from_numpy(-abs(x) * 0 + x), **options))


@pytest.mark.parametrize("include", [True, False])
@pytest.mark.parametrize("options", POOLS, ids=str)
def test_avg_pool2d(lib, options: dict, include: bool) -> None:
    import torch
    import torch.nn.functional as F

    x = _x(2, 3, 7, 8)
    expected = F.avg_pool2d(torch.from_numpy(x), count_include_pad=include, **options)
    _close(lib.avg_pool2d(x, count_include_pad=include, **options), expected)


@pytest.mark.parametrize("size", [1, (3, 2), 5, (None, 3)], ids=str)
def test_adaptive_pools(lib, size) -> None:
    import torch
    import torch.nn.functional as F

    x = _x(2, 3, 7, 9)
    _close(lib.adaptive_avg_pool2d(x, size), F.adaptive_avg_pool2d(torch.from_numpy(x), size))
    _close(lib.adaptive_max_pool2d(x, size), F.adaptive_max_pool2d(torch.from_numpy(x), size))


@pytest.mark.parametrize(
    "options",
    [
        dict(scale_factor=2, mode="nearest"),
        dict(size=(7, 5), mode="nearest"),
        dict(scale_factor=1.5, mode="nearest"),
        dict(size=(9, 11), mode="bilinear", align_corners=False),
        dict(size=(3, 4), mode="bilinear", align_corners=False),
        dict(scale_factor=2, mode="bilinear", align_corners=True),
    ],
    ids=str,
)
def test_interpolate(lib, options: dict) -> None:
    import torch
    import torch.nn.functional as F

    x = _x(2, 3, 5, 6)
    _close(lib.interpolate(x, **options), F.interpolate(torch.from_numpy(x), **options))


def test_pixel_shuffle_and_padding_modes(lib) -> None:
    import torch
    import torch.nn.functional as F

    x = _x(2, 12, 3, 4)
    _close(lib.pixel_shuffle(x, 2), F.pixel_shuffle(torch.from_numpy(x), 2))
    for mode in ("constant", "reflect", "replicate", "circular"):
        pads = (2, 1, 1, 2)
        _close(lib.tensor_pad(x, pads, mode), F.pad(torch.from_numpy(x), pads, mode=mode))


def _move_and_compare(lib, torch_layer, keras_layer, x, *extra, outputs=lambda y: y):
    import tensorflow as tf
    import torch

    from codegen.verify.translated import transfer

    keras_layer(tf.constant(x), *extra)
    transfer(torch_layer, keras_layer)
    torch_extra = [
        tuple(torch.from_numpy(v) for v in e) if isinstance(e, tuple) else torch.from_numpy(e)
        for e in extra
    ]
    with torch.no_grad():
        expected = outputs(torch_layer(torch.from_numpy(x), *torch_extra))
    actual = outputs(keras_layer(tf.constant(x), *extra))
    for a, b in zip(_leaves(actual), _leaves(expected), strict=True):
        _close(a, b.numpy())


def _leaves(value):
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize(("count", "shape"), [(1, (2, 3, 4, 5)), (3, (2, 3, 4, 5)), (3, (4, 3))])
def test_prelu(lib, count: int, shape: tuple) -> None:
    """One slope or one per channel (axis 1), with weights that are not the initial ones."""
    import torch

    torch_layer = torch.nn.PReLU(count, init=0.1)
    with torch.no_grad():
        torch_layer.weight.copy_(torch.linspace(-0.5, 0.7, count))
    _move_and_compare(lib, torch_layer, lib.PReLU(count, init=0.1), _x(*shape))


CONVS = [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=4, padding="same"),
    dict(kernel_size=3, padding=2, dilation=2, padding_mode="reflect"),
    dict(kernel_size=3, padding=1, padding_mode="replicate", groups=2),
    dict(kernel_size=3, padding=1, groups=4, bias=False),
    dict(kernel_size=(3, 1), stride=(2, 1), padding=(1, 0)),
]


@pytest.mark.parametrize("options", CONVS, ids=str)
def test_conv2d(lib, options: dict) -> None:
    import torch

    out = 8 if options.get("groups") == 4 else 6
    _move_and_compare(
        lib, torch.nn.Conv2d(4, out, **options), lib.Conv2d(4, out, **options), _x(2, 4, 9, 8)
    )


def test_conv1d(lib) -> None:
    import torch

    options = dict(kernel_size=5, stride=2, padding=2)
    _move_and_compare(
        lib, torch.nn.Conv1d(3, 5, **options), lib.Conv1d(3, 5, **options), _x(2, 3, 11)
    )


@pytest.mark.parametrize(
    "options",
    [
        dict(kernel_size=4, stride=2, padding=1),
        dict(kernel_size=3, stride=2, padding=1, output_padding=1),
        dict(kernel_size=3, stride=2, padding=0, output_padding=1),
        dict(kernel_size=5, stride=1, padding=2, bias=False),
    ],
    ids=str,
)
def test_conv_transpose2d(lib, options: dict) -> None:
    import torch

    _move_and_compare(
        lib,
        torch.nn.ConvTranspose2d(4, 3, **options),
        lib.ConvTranspose2d(4, 3, **options),
        _x(2, 4, 5, 6),
    )


@pytest.mark.parametrize(
    "kind,options",
    [
        ("LSTM", dict(num_layers=2, bidirectional=True)),
        ("LSTM", dict(batch_first=True)),
        ("GRU", dict(num_layers=2)),
        ("GRU", dict(batch_first=True, bidirectional=True)),
        ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ],
    ids=str,
)
def test_recurrent_layers_with_initial_state(lib, kind: str, options: dict) -> None:
    import torch

    torch_layer = getattr(torch.nn, kind)(5, 4, **options)
    keras_layer = getattr(lib, kind)(5, 4, **options)
    batch_first = options.get("batch_first", False)
    x = _x(3, 6, 5) if batch_first else _x(6, 3, 5)
    rows = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    h0 = _x(rows, 3, 4, seed=1)
    hx = (h0, _x(rows, 3, 4, seed=2)) if kind == "LSTM" else h0
    _move_and_compare(lib, torch_layer, keras_layer, x, hx)


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell"])
def test_cells(lib, kind: str) -> None:
    import torch

    h = _x(3, 4, seed=1)
    hx = (h, _x(3, 4, seed=2)) if kind == "LSTMCell" else h
    _move_and_compare(lib, getattr(torch.nn, kind)(5, 4), getattr(lib, kind)(5, 4), _x(3, 5), hx)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_pytorch(lib, reduction: str) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    logits = _x(6, 5)
    labels = np.random.default_rng(1).integers(0, 5, 6)
    probs = 1 / (1 + np.exp(-_x(6, 3, seed=2)))
    target = (np.random.default_rng(3).random((6, 3)) > 0.5).astype("float32")
    pred, real = _x(6, 3, seed=4), _x(6, 3, seed=5)
    t = torch.from_numpy
    pairs = [
        (
            lib.cross_entropy(logits, labels, reduction=reduction),
            F.cross_entropy(t(logits), t(labels), reduction=reduction),
        ),
        (
            lib.cross_entropy(logits, labels, reduction=reduction, label_smoothing=0.1),
            F.cross_entropy(t(logits), t(labels), reduction=reduction, label_smoothing=0.1),
        ),
        (
            lib.nll_loss(logits, labels, reduction=reduction),
            F.nll_loss(t(logits), t(labels), reduction=reduction),
        ),
        (lib.mse_loss(pred, real, reduction), F.mse_loss(t(pred), t(real), reduction=reduction)),
        (lib.l1_loss(pred, real, reduction), F.l1_loss(t(pred), t(real), reduction=reduction)),
        (
            lib.smooth_l1_loss(pred, real, reduction, beta=0.5),
            F.smooth_l1_loss(t(pred), t(real), reduction=reduction, beta=0.5),
        ),
        (
            lib.binary_cross_entropy(probs, target, reduction),
            F.binary_cross_entropy(t(probs), t(target), reduction=reduction),
        ),
        (
            lib.binary_cross_entropy_with_logits(pred, target, reduction),
            F.binary_cross_entropy_with_logits(t(pred), t(target), reduction=reduction),
        ),
    ]
    # class weights and an ignored label (the mean divides by the kept targets' weights)
    weight = np.array([0.5, 2.0, 1.0, 3.0, 0.25], dtype="float32")
    held = labels.copy()
    held[[1, 4]] = -100
    for smoothing in (0.0, 0.2):
        pairs.append(
            (
                lib.cross_entropy(
                    logits, held, weight, reduction=reduction, label_smoothing=smoothing
                ),
                F.cross_entropy(
                    t(logits), t(held), t(weight), reduction=reduction, label_smoothing=smoothing
                ),
            )
        )
    pairs.append(
        (
            lib.nll_loss(logits, labels, weight, ignore_index=2, reduction=reduction),
            F.nll_loss(t(logits), t(labels), t(weight), ignore_index=2, reduction=reduction),
        )
    )
    for ours, theirs in pairs:
        _close(ours, theirs.numpy())
    module = lib.CrossEntropyLoss(weight=weight, ignore_index=2, reduction=reduction)
    _close(
        module(logits, labels),
        torch.nn.CrossEntropyLoss(weight=t(weight), ignore_index=2, reduction=reduction)(
            t(logits), t(labels)
        ).numpy(),
    )
    module = lib.CrossEntropyLoss(reduction=reduction)
    _close(
        module(logits, labels),
        torch.nn.CrossEntropyLoss(reduction=reduction)(t(logits), t(labels)).numpy(),
    )


@pytest.mark.parametrize(
    "name,options",
    [
        ("StepLR", dict(step_size=2, gamma=0.5)),
        ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
        ("ExponentialLR", dict(gamma=0.9)),
    ],
)
def test_schedulers_follow_pytorch_per_epoch(lib, name: str, options: dict) -> None:
    import keras
    import torch

    weight = torch.nn.Parameter(torch.zeros(1))
    torch_opt = torch.optim.SGD([weight], lr=0.1)
    torch_sched = getattr(torch.optim.lr_scheduler, name)(torch_opt, **options)
    keras_opt = keras.optimizers.SGD(learning_rate=0.1)
    ours = getattr(lib, name)(keras_opt, **options)
    for _ in range(5):
        torch_opt.step()
        torch_sched.step()
        ours.step()
        assert ours.get_last_lr()[0] == pytest.approx(torch_sched.get_last_lr()[0], rel=1e-6)


def test_reserved_attribute_names_cover_keras_model() -> None:
    """names.RESERVED is written out (translation does not import Keras); it must hold every
    public attribute of keras.Model, or a module attribute could shadow one."""
    import keras

    from codegen.translate.names import RESERVED, keras_attr

    public = {name for name in dir(keras.Model) if not name.startswith("_")}
    assert public <= RESERVED, sorted(public - RESERVED)
    assert keras_attr("layers") == "layers_" and keras_attr("conv1") == "conv1"


@pytest.mark.parametrize(
    "entry", MANIFEST, ids=[f"{e['file'][:-3]}:{e['class']}" for e in MANIFEST]
)
def test_translated_model_round_trips_through_a_keras_file(
    entry: dict, translated: dict, tmp_path: Path
) -> None:
    """`model.save("m.keras")` and `keras.models.load_model` work on the translation: each
    module class's `__init__` takes Keras's config keywords (`**kwargs`, passed on to
    `super().__init__`), so Keras rebuilds it from its constructor arguments. (A layer is saved
    inside a Sequential; Keras refuses a constructor argument that is not a plain value, such as
    ResNetTiny's `block=BasicBlock`, until the class defines `get_config`.)"""
    import inspect

    import keras
    import numpy as np
    import tensorflow as tf

    from codegen.verify.translated import InputSpec, load_module

    module = load_module(translated[entry["file"]], f"_round_trip_{entry['class']}")
    cls = getattr(module, entry["class"])
    spec = InputSpec.parse(entry["input"])
    x = tf.constant(spec.make())
    model = cls(**entry["kwargs"])
    if not isinstance(model, keras.Model):
        dtype = "int32" if spec.integer else "float32"
        model = keras.Sequential([keras.Input(spec.shape[1:], dtype=dtype), model])
    before = [np.asarray(t) for t in tf.nest.flatten(model(x, training=False))]
    defaults = inspect.signature(cls).bind_partial(**entry["kwargs"])
    defaults.apply_defaults()
    plain = all(
        isinstance(v, str | int | float | bool | type(None))
        for v in tf.nest.flatten(dict(defaults.arguments))
    )
    if not plain:
        with pytest.raises(NotImplementedError, match="non-serializable argument values"):
            model.save(tmp_path / "m.keras")
        return
    model.save(tmp_path / "m.keras")
    classes = {name: c for name, c in vars(module).items() if inspect.isclass(c)}
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects=classes)
    after = [np.asarray(t) for t in tf.nest.flatten(loaded(x, training=False))]
    deterministic = entry["deterministic_outputs"]
    assert len(after) == len(before)
    for index in range(len(before)) if deterministic == "all" else deterministic:
        np.testing.assert_array_equal(after[index], before[index])


TRAINING_MODE = """import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.norm = nn.BatchNorm1d(3)

    def forward(self, x):
        return F.dropout(self.norm(self.fc(x)), 0.5, training=self.{flag})
"""


def test_training_mode_is_compared_and_a_difference_there_fails(tmp_path: Path) -> None:
    """#26 point 3: outputs that agree in inference mode but not in training mode (here the
    translated BatchNorm keeps its moving statistics when training) fail; a model that stays
    random in training mode is said to be so, not compared."""
    from codegen.translate.api import translate_source
    from codegen.verify.translated import InputSpec, verify_files

    source = tmp_path / "net.py"
    source.write_text(TRAINING_MODE.format(flag="training and False"))  # no dropout at all
    good = tmp_path / "net_tf.py"
    good.write_text(translate_source(source.read_text(), "net.py").code)
    result = verify_files(source, good, "Net", InputSpec.parse("8x4"))
    assert result.ok and [row[0] for row in result.training] == ["output"], result
    assert 0 < result.training[0][2] <= ATOL
    broken = tmp_path / "broken_tf.py"
    code = good.read_text()
    call = "self.norm(self.fc(x), training=training)"
    assert call in code, code
    broken.write_text(code.replace(call, "self.norm(self.fc(x), training=False)"))
    result = verify_files(source, broken, "Net", InputSpec.parse("8x4"))
    assert result.outputs[0][2] <= ATOL  # inference mode agrees
    assert not result.ok and result.training[0][2] > 0.1, result
    # beside it, PyTorch's own float32 rounding here: far smaller, so not the cause
    assert result.rounding is not None and result.rounding < 1e-5, result.rounding
    # and run again in float64 the two still differ: not rounding, a failure
    assert result.float64_diff is not None and result.float64_diff > 0.1, result
    assert not result.equal_in_float64 and not result.passed

    source.write_text(TRAINING_MODE.format(flag="training"))  # functional dropout
    random = tmp_path / "random_tf.py"
    random.write_text(translate_source(source.read_text(), "net.py").code)
    result = verify_files(source, random, "Net", InputSpec.parse("8x4"))
    assert result.ok and not result.training
    assert "random in training mode" in result.training_note


def test_outputs_that_differ_in_kind_are_a_verdict_and_a_missing_layer_could_not_run(
    tmp_path: Path,
) -> None:
    """#26 point 4: a different number or shape of outputs is "not equal" (OutputsDiffer,
    exit 1), a layer the Keras model lacks could not be run (CouldNotRun, exit 4); neither is a
    usage error (exit 2)."""
    from codegen.translate.api import translate_source
    from codegen.verify.translated import CouldNotRun, InputSpec, OutputsDiffer, verify_files

    source = tmp_path / "net.py"
    source.write_text(TRAINING_MODE.format(flag="training and False"))
    code = translate_source(source.read_text(), "net.py").code
    call = "    def call(self, x, training=False):\n        return "
    cases = {
        "two_tf.py": ((call, call + "x, "), OutputsDiffer, "PyTorch returned 1 outputs"),
        "shape_tf.py": (
            ("and False\n        )", "and False\n        )[:, :2]"),
            OutputsDiffer,
            "PyTorch shape",
        ),
        "lacks_tf.py": (("self.norm", "self.other"), CouldNotRun, "moving PyTorch's weights"),
    }
    for name, (edit, error, message) in cases.items():
        assert edit[0] in code, code
        broken = tmp_path / name
        broken.write_text(code.replace(*edit))
        with pytest.raises(error, match=message):
            verify_files(source, broken, "Net", InputSpec.parse("8x4"))


LARGE_OUTPUTS = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 64)

    def forward(self, x):
        return self.fc(x) * 1000.0
"""


def test_a_float32_difference_that_float64_removes_is_rounding(tmp_path: Path, capsys) -> None:
    """Outputs near 1000 computed in another order (times 3000, then / 3) differ in float32 by
    more than --atol; run again in float64 with the same weights and inputs they agree to
    1e-12, so the verdict is "equal" (exit 0) and says why. The same edit by 1000.5 / 1000 (a
    real difference of 5e-4 relative) still fails, in float64 too."""
    import typer

    from codegen.cli import _verify_translation
    from codegen.translate.api import translate_source
    from codegen.verify.translated import FLOAT64_ATOL, InputSpec, verify_files

    source = tmp_path / "net.py"
    source.write_text(LARGE_OUTPUTS)
    code = translate_source(LARGE_OUTPUTS, "net.py").code
    assert "self.fc(x) * 1000.0" in code, code
    reordered = tmp_path / "reordered_tf.py"
    reordered.write_text(code.replace("self.fc(x) * 1000.0", "self.fc(x) * 3000.0 / 3.0"))
    result = verify_files(source, reordered, "Net", InputSpec.parse("16x4"))
    assert not result.ok and result.max_abs_diff > ATOL, result  # float32 alone: "differ"
    assert result.float64_diff is not None and result.float64_diff <= FLOAT64_ATOL, result
    assert result.passed
    _verify_translation(
        source, reordered, "Net", [InputSpec.parse("16x4")], ATOL, None, 0.0, ([], {})
    )
    out = capsys.readouterr().out
    assert "the float32 difference is rounding" in " ".join(out.split()), out

    wrong = tmp_path / "wrong_tf.py"
    wrong.write_text(code.replace("self.fc(x) * 1000.0", "self.fc(x) * 1000.5"))
    result = verify_files(source, wrong, "Net", InputSpec.parse("16x4"))
    assert result.float64_diff is not None and result.float64_diff > 1e-3 and not result.passed
    with pytest.raises(typer.Exit) as exit_info:
        _verify_translation(
            source, wrong, "Net", [InputSpec.parse("16x4")], ATOL, None, 0.0, ([], {})
        )
    assert exit_info.value.exit_code == 1
    printed = capsys.readouterr()
    assert "not rounding" in " ".join(printed.out.split())
    assert "error: max_abs_diff" in printed.err and "is above --atol 1e-05" in printed.err
    with pytest.raises(typer.Exit):  # with a relative tolerance, the message names both
        _verify_translation(
            source, wrong, "Net", [InputSpec.parse("16x4")], ATOL, None, 1e-15, ([], {})
        )
    assert "is above --atol 1e-05 + --rtol 1e-15" in capsys.readouterr().err


UNUSED_LAYER = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self, expand=1):
        super().__init__()
        self.expand = expand
        self.expansion = nn.Linear(4, 4)  # used only when expand != 1
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        out = x if self.expand == 1 else self.expansion(x)
        return self.fc(out)
"""


def test_a_module_forward_leaves_unused_is_not_a_reason_verify_cannot_run(tmp_path: Path) -> None:
    """kuangliu's efficientnet builds conv1/bn1 in every block but calls them only when
    expand_ratio != 1: Keras never builds those layers, so there is nothing to move into them
    (and they cannot change an output). --verify moved its weights into them and failed."""
    from codegen.translate.api import translate_source
    from codegen.verify.translated import InputSpec, verify_files

    source = tmp_path / "net.py"
    source.write_text(UNUSED_LAYER)
    translated = tmp_path / "net_tf.py"
    translated.write_text(translate_source(UNUSED_LAYER, "net.py").code)
    result = verify_files(source, translated, "Net", InputSpec.parse("8x4"))
    assert result.ok and result.moved == 1, result
    result = verify_files(source, translated, "Net", InputSpec.parse("8x4"), kwargs={"expand": 2})
    assert result.ok and result.moved == 2, result
