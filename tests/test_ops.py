"""The op registry: complete, consistent, and each shape rule right on known cases."""

from __future__ import annotations

import pytest

from codegen.errors import ShapeError
from codegen.ops import REGISTRY, Tensor
from codegen.ops.layers import keras_axis
from codegen.ops.registry import LayerOp, Registry

REQUIRED_LAYERS = {
    "linear", "conv1d", "conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d",
    "global_avg_pool2d", "adaptive_avg_pool2d", "batchnorm1d", "batchnorm2d", "layernorm",
    "dropout", "flatten", "reshape", "embedding", "lstm", "gru", "relu", "leaky_relu", "gelu",
    "sigmoid", "tanh", "softmax", "log_softmax", "add", "concat",
}  # fmt: skip


def test_required_ops_are_registered() -> None:
    assert REQUIRED_LAYERS <= set(REGISTRY.layers)
    assert {"mse", "l1", "smooth_l1", "cross_entropy", "nll", "bce", "bce_with_logits"} <= set(
        REGISTRY.losses
    )
    assert {"sgd", "adam", "adamw", "rmsprop"} <= set(REGISTRY.optimizers)
    assert {"step", "exponential", "cosine"} <= set(REGISTRY.schedules)


def test_registering_twice_fails() -> None:
    registry = Registry()
    op = REGISTRY.layers["relu"]
    registry.add_layer(op)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add_layer(op)


def test_missing_spelling_fails_at_registration() -> None:
    op = REGISTRY.layers["relu"]
    broken = LayerOp(**{**op.__dict__, "name": "relu_copy", "keras_name": ""})
    with pytest.raises(ValueError, match="has no keras_name"):
        Registry().add_layer(broken)


def infer(
    op_name: str, in_shape: tuple[int, ...], channels_first: bool = False, **params
) -> Tensor:
    entry = REGISTRY.layers[op_name]
    return entry.infer(entry.params(**params), [Tensor(in_shape, channels_first=channels_first)])


@pytest.mark.parametrize(
    ("op", "shape", "params", "expected"),
    [
        ("conv2d", (1, 28, 28), {"out_channels": 32, "kernel_size": 3}, (32, 26, 26)),
        ("conv2d", (3, 32, 32), {"out_channels": 8, "kernel_size": 3, "padding": 1, "stride": 2}, (8, 16, 16)),
        ("conv1d", (4, 50), {"out_channels": 6, "kernel_size": 5}, (6, 46)),
        ("conv_transpose2d", (8, 7, 7), {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, (4, 14, 14)),
        ("conv_transpose2d", (8, 7, 7), {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, (4, 14, 14)),
        ("maxpool2d", (32, 26, 26), {"kernel_size": 2}, (32, 13, 13)),
        ("avgpool2d", (4, 9, 9), {"kernel_size": 3, "stride": 2, "padding": 1}, (4, 5, 5)),
        ("global_avg_pool2d", (16, 8, 8), {}, (16,)),
        ("adaptive_avg_pool2d", (16, 8, 8), {}, (16, 1, 1)),
        ("flatten", (32, 13, 13), {}, (5408,)),
        ("reshape", (784,), {"shape": [1, 28, 28], "image": True}, (1, 28, 28)),
        ("reshape", (12,), {"shape": [3, -1]}, (3, 4)),
        ("lstm", (40, 128), {"hidden_size": 64, "return_sequences": True}, (40, 64)),
        ("lstm", (40, 64), {"hidden_size": 32}, (32,)),
        ("gru", (10, 8), {"hidden_size": 16, "bidirectional": True}, (32,)),
        ("linear", (5408,), {"out_features": 128}, (128,)),
    ],
)  # fmt: skip
def test_shape_rules(
    op: str, shape: tuple[int, ...], params: dict, expected: tuple[int, ...]
) -> None:
    assert (
        infer(
            op,
            shape,
            channels_first=len(shape) >= 2 and op not in ("lstm", "gru", "reshape", "linear"),
            **params,
        ).shape
        == expected
    )


@pytest.mark.parametrize(
    ("op", "shape", "params", "message"),
    [
        ("linear", (21632,), {"out_features": 128, "in_features": 5408}, "linear expects 5408 input features (in_features), got shape (21632,)"),
        ("conv2d", (1, 2, 2), {"out_channels": 4, "kernel_size": 3}, "conv2d kernel 3 with padding 0 does not fit input (1, 2, 2); it needs spatial size ≥ 3"),
        ("conv2d", (28, 28), {"out_channels": 4, "kernel_size": 3}, "conv2d needs input (channels, height, width), got shape (28, 28)"),
        ("reshape", (10,), {"shape": [3, 3]}, "reshape cannot turn (10,) (10 values) into (3, 3) (9 values)"),
        ("maxpool2d", (3, 1, 1), {"kernel_size": 2}, "maxpool2d kernel 2 does not fit input (3, 1, 1); it needs spatial size ≥ 2"),
    ],
)  # fmt: skip
def test_shape_errors(op: str, shape: tuple[int, ...], params: dict, message: str) -> None:
    with pytest.raises(ShapeError) as error:
        infer(op, shape, channels_first=len(shape) >= 2, **params)
    assert str(error.value) == message


def test_keras_padding_is_explicit_where_same_differs() -> None:
    conv = REGISTRY.layers["conv2d"]
    same = conv.keras(
        conv.params(out_channels=4, kernel_size=3, padding=1), [Tensor((3, 8, 8), True)]
    )
    assert [layer[0] for layer in same.layers] == ["layers.Conv2D"]
    assert "padding='same'" in same.layers[0][1]
    strided = conv.keras(
        conv.params(out_channels=4, kernel_size=3, padding=1, stride=2), [Tensor((3, 8, 8), True)]
    )
    assert [layer[0] for layer in strided.layers] == ["layers.ZeroPadding2D", "layers.Conv2D"]


def test_norm_and_slope_defaults_follow_pytorch() -> None:
    bn = REGISTRY.layers["batchnorm2d"]
    args = bn.keras(bn.params(), [Tensor((4, 8, 8), True)]).layers[0][1]
    assert args == ("epsilon=1e-05", "momentum=0.9")
    leaky = REGISTRY.layers["leaky_relu"]
    assert leaky.keras(leaky.params(), [Tensor((4,))]).layers[0][1] == ("negative_slope=0.01",)


def test_keras_axis_moves_channels_last() -> None:
    assert keras_axis(Tensor((16, 8, 8), channels_first=True), 1) == -1
    assert keras_axis(Tensor((16, 8, 8), channels_first=True), 2) == 1
    assert keras_axis(Tensor((10,)), 1) == -1
    assert keras_axis(Tensor((5, 10)), 1) == 1


def test_optimizer_spellings_are_explicit() -> None:
    adam = REGISTRY.optimizers["adam"]
    keras = adam.keras(adam.params())
    assert "epsilon=1e-08" in keras and "beta_2=0.999" in keras
    rms = REGISTRY.optimizers["rmsprop"]
    assert "rho=0.99" in rms.keras(rms.params())
    sgd = REGISTRY.optimizers["sgd"]
    assert sgd.keras_l2(sgd.params(momentum=0.9, weight_decay=1e-4)) == 1e-4
    assert sgd.keras_l2(sgd.params(weight_decay=1e-4)) == 0.0


@pytest.mark.parametrize("op", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_parameter_count_matches_pytorch(op: str, bidirectional: bool, tmp_path) -> None:
    """The closed form for stacked recurrent layers (it replaced a loop over num_layers that
    never ended for a fuzzed num_layers of 2e13) counts what PyTorch's module holds, less the
    LSTM's recurrent biases, which dlgen keeps frozen at 0."""
    import torch

    from codegen.check import check, parameter_count
    from codegen.spec.loader import load_spec

    spec = tmp_path / "rnn.yaml"
    spec.write_text(
        "project: {name: rnn}\n"
        "data: {kind: synthetic_classification, input_shape: [5, 4], sequence: true, num_classes: 3}\n"
        f"model:\n  layers:\n    - {{op: {op}, hidden_size: 6, num_layers: 3, "
        f"bidirectional: {str(bidirectional).lower()}, return_sequences: false}}\n"
        "    - {op: linear, out_features: 3}\n"
        "loss: cross_entropy\noptimizer: {type: sgd}\n"
    )
    row = check(load_spec(spec)).rows[0]
    module = getattr(torch.nn, op.upper())(4, 6, num_layers=3, bidirectional=bidirectional)
    frozen = "bias_hh" if op == "lstm" else "nothing"
    expected = sum(p.numel() for n, p in module.named_parameters() if frozen not in n)
    assert parameter_count(row) == expected
