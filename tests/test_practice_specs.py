"""Spec errors of issue #8's options: each names the YAML line and says what to do."""

from __future__ import annotations

import pytest

from codegen.check import check, checkpoint_segments
from codegen.errors import DlgenError
from codegen.spec.loader import load_spec_text
from conftest import EXAMPLES

BASE = """\
project: {{name: p}}
data:
  kind: {kind}
{data}
model:
  {model}
loss: {loss}
optimizer: adam
train:
{train}
"""
IMAGES = "  samples: 8\n  input_shape: [3, 8, 8]\n  num_classes: 2"
TABLE = "  samples: 8\n  input_shape: [4]"
STACK = "layers: [{op: conv2d, out_channels: 2, kernel_size: 3}, flatten, {op: linear, out_features: 2}]"
DENSE = "layers: [{op: linear, out_features: 1}]"


def _load(kind: str, data: str, model: str, loss: str, train: str = "  epochs: 1"):
    return check(
        load_spec_text(
            BASE.format(kind=kind, data=data, model=model, loss=loss, train=train), "s.yaml"
        )
    )


@pytest.mark.parametrize(
    ("kind", "data", "model", "loss", "train", "key", "words"),
    [
        (
            "synthetic_regression",
            TABLE + "\n  augmentation: {horizontal_flip: true}",
            DENSE,
            "mse",
            "  epochs: 1",
            "augmentation",
            "augmentation transforms images",
        ),
        (
            "synthetic_classification",
            IMAGES + "\n  preprocessing: {mean: [0.5], std: [0.2]}",
            STACK,
            "cross_entropy",
            "  epochs: 1",
            "mean",
            "mean has 1 values, the input (3, 8, 8) has 3 channels",
        ),
        (
            "synthetic_classification",
            IMAGES + "\n  augmentation: {crop_padding: 8}",
            STACK,
            "cross_entropy",
            "  epochs: 1",
            "crop_padding",
            "crop_padding 8 is not smaller",
        ),
        (
            "synthetic_regression",
            TABLE,
            DENSE,
            "mse",
            "  gradient_checkpointing: 2",
            "gradient_checkpointing",
            "2 segments for 1 layers",
        ),
        (
            "synthetic_classification",
            IMAGES,
            STACK,
            "cross_entropy",
            "  inspect: {intervals: residuals}",
            "intervals",
            "prediction intervals are for regression",
        ),
        (
            "synthetic_regression",
            TABLE + "\n  preprocessing: {standardize: true, mean: [0], std: [1]}",
            DENSE,
            "mse",
            "  epochs: 1",
            "preprocessing",
            "give it or mean/std, not both",
        ),
        (
            "synthetic_regression",
            TABLE + "\n  augmentation: {}",
            DENSE,
            "mse",
            "  epochs: 1",
            "augmentation",
            "augmentation is empty",
        ),
    ],
)
def test_bad_practice_options_are_located(kind, data, model, loss, train, key, words) -> None:
    with pytest.raises(DlgenError) as error:
        _load(kind, data, model, loss, train)
    text = str(error.value)
    assert words in text, text
    spec = BASE.format(kind=kind, data=data, model=model, loss=loss, train=train)
    line = next(n for n, row in enumerate(spec.splitlines(), 1) if f"{key}:" in row)
    assert text.startswith(f"s.yaml:{line}:"), text  # the line of the offending key


def test_gradient_checkpointing_needs_a_stack() -> None:
    graph = "graph: [{op: linear, name: a, out_features: 1, inputs: [input]}]"
    with pytest.raises(DlgenError, match="splits a `layers:` stack"):
        _load("synthetic_regression", TABLE, graph, "mse", "  gradient_checkpointing: 1")


def test_checkpoint_segments_keep_batch_norm_and_dropout_outside() -> None:
    from codegen.spec import load_spec

    checked = check(load_spec(EXAMPLES / "augmented_cnn.yaml"))
    plan = checkpoint_segments(checked)
    assert "bn1" in plan and "dropout1" in plan  # run once per step, never recomputed
    segments = [step for step in plan if isinstance(step, list)]
    assert segments and all("bn1" not in s and "dropout1" not in s for s in segments)
    flat = [name for step in plan for name in ([step] if isinstance(step, str) else step)]
    assert flat == [row.layer.name for row in checked.rows]  # every layer, in order, once


CSV = """\
project: {{name: p}}
data:
  kind: csv
  path: t.csv
  target: price
  features: [rooms]
  categorical:
    - {{column: district, categories: [a, b, c]{column}}}
model:
  layers: [{{op: linear, out_features: 1{layer}}}]
loss: mse
optimizer: adam
"""


@pytest.mark.parametrize(
    ("column", "layer", "line", "words"),
    [
        (", encoding: embedding", "", 8, "encoding embedding needs dim"),
        (", dim: 2", "", 8, "dim is for encoding: embedding; one-hot has 3 columns"),
        (", encoding: embed, dim: 2", "", 8, "'one_hot' or 'embedding'"),
        (
            ", encoding: embedding, dim: 2",
            ", name: categorical_embedding",
            10,
            "is taken by the layer dlgen inserts",
        ),
    ],
)
def test_bad_embedding_options_are_located(column, layer, line, words) -> None:
    with pytest.raises(DlgenError) as error:
        check(load_spec_text(CSV.format(column=column, layer=layer), "s.yaml"))
    text = str(error.value)
    assert words in text and text.startswith(f"s.yaml:{line}:"), text


def test_embedded_columns_get_a_first_layer_that_every_input_reader_reads() -> None:
    text = CSV.format(column=", encoding: embedding, dim: 2", layer="")
    checked = check(load_spec_text(text, "s.yaml"))
    first, dense = checked.rows
    assert first.layer.op.name == "categorical_embedding"
    assert checked.input.shape == (2,)  # rooms, then district's category code
    assert first.output.shape == (1 + 2,) and dense.layer.inputs == ("categorical_embedding",)
    assert checked.params_count == (3 + 1) * 2 + (3 * 1 + 1)  # the unknown value has a row
    graph = text.replace(
        "layers: [{op: linear, out_features: 1}]",
        "graph:\n    - {op: linear, name: a, out_features: 2, inputs: [input]}\n"
        "    - {op: linear, name: b, out_features: 2, inputs: [input]}\n"
        "    - {op: add, name: c, inputs: [a, b]}\n"
        "    - {op: linear, name: d, out_features: 1}",
    )
    rows = check(load_spec_text(graph, "s.yaml")).rows
    assert [row.layer.inputs for row in rows[:3]] == [
        ("input",),
        ("categorical_embedding",),
        ("categorical_embedding",),
    ]


def test_mixed_precision_must_count_the_category_codes_exactly() -> None:
    many = ", ".join(f"v{i}" for i in range(300))
    text = CSV.format(column=", encoding: embedding, dim: 2", layer="").replace("a, b, c", many)
    check(load_spec_text(text + "train: {mixed_precision: fp16}\n", "s.yaml"))  # 2048 is exact
    with pytest.raises(DlgenError, match="counts exactly only to 256") as error:
        check(load_spec_text(text + "train: {mixed_precision: bf16}\n", "s.yaml"))
    assert str(error.value).startswith("s.yaml:7:")
