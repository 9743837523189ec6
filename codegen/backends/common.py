"""What both backends share: the data section, the layer table and run settings as template context."""

from __future__ import annotations

import math
from typing import Any

from .. import __version__
from ..check import CheckedModel, parameter_count
from ..render import PlannedFile
from ..spec.model import FRAMEWORK_FORMATS


def shape_text(shape: tuple[int, ...]) -> str:
    """`(N, 32, 26, 26)`: a shape with its batch axis, for comments and tables."""
    return "(" + ", ".join(["N", *(str(d) for d in shape)]) + ")"


# The data sets in the MNIST file format: where each is documented to be downloaded from, and
# the MD5 of each file as served there (the same as torchvision's).
IDX_SOURCES = {
    "mnist": {
        "title": "MNIST",
        "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "md5": {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    },
    "fashion_mnist": {
        "title": "Fashion-MNIST",
        "url": "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "md5": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    },
}


def data_in_tutorial(data: dict[str, Any]) -> dict[str, Any]:
    """A tutorial's project (pytorch/, tensorflow/) reads the tutorial's own data folder, one
    level up, so `python train.py` inside it needs no --data."""
    if not data["file_based"]:
        return data
    test = data["default_test"]
    return {
        **data,
        "default_path": f"../{data['default_path']}",
        "default_test": f"../{test}" if test else test,
    }


def data_context(checked: CheckedModel) -> dict[str, Any]:
    """The data section as plain values for the shared numpy loading code."""
    data = checked.loaded.spec.data
    values = data.model_dump()
    values["input_shape"] = list(checked.input.shape)
    if data.kind == "csv":
        values["one_hot"] = [c.model_dump() for c in data.one_hot]
        values["embedded"] = [c.model_dump() for c in data.embedded]
    values["file_based"] = data.kind in ("mnist", "npz", "csv", "text")
    values["default_path"] = getattr(data, "path", "")
    values["default_test"] = getattr(data, "test", None)  # a test file (not MNIST's t10k)
    values["help"] = {  # train.py's --help line for --data
        "npz": ".npz file",
        "csv": "CSV file",
        "text": "CSV file",
    }.get(data.kind, "unused: no data file")
    if data.kind == "mnist":
        values["source"] = IDX_SOURCES[data.dataset]
        values["help"] = f"{values['source']['title']} folder"
    values.update(_test_split(data))
    values["feature_axis"] = checked.input.feature_axis
    values["label_kind"] = {"classification": "int64", "binary": "binary", "regression": "float32"}[
        checked.task
    ]
    return values


def _test_split(data: Any) -> dict[str, str]:
    """How make_test_loader / make_test_dataset read the test split: `test_read` (the
    expression giving x_test, y_test), `test_params` (their parameters after `batch_size`
    moves second) and `test_args` (train.py's arguments for them). MNIST's test split is in
    the data folder; a `data.test` file needs the training file too where the training
    split's numbers (preprocessing statistics, a text vocabulary) transform it."""
    if data.kind == "mnist":
        read, first, extra = 'read_mnist(path, "t10k")', "path", []
    elif data.kind == "text":
        read, first, extra = "load_test_arrays(path, test, seed)", "test", ["path"]
    else:
        read, first, extra = "read_arrays(test)", "test", ["path"] if data.preprocessing else []
    if data.preprocessing or data.kind == "text":
        extra.append("seed")
    names = [first, "batch_size", *extra]
    flags = {"path": "data", "test": "test", "batch_size": "batch_size", "seed": "seed"}
    return {
        "test_read": read,
        "test_params": ", ".join(
            f"{name}: {'int' if name in ('batch_size', 'seed') else 'str'}" for name in names
        ),
        "test_args": ", ".join(f"args.{flags[name]}" for name in names),
    }


def definitions(checked: CheckedModel) -> list[str]:
    """Classes model.py defines for the ops used (templates/<framework>/defines/<name>.py.j2
    defines the class `class_name(name)`: categorical_embedding → CategoricalEmbedding)."""
    return sorted({row.layer.op.defines for row in checked.rows if row.layer.op.defines})


def layer_table(checked: CheckedModel) -> list[dict[str, Any]]:
    """Rows of the model summary: name, op, output shape (PyTorch layout), parameters."""
    return [
        {
            "name": row.layer.name,
            "op": row.layer.op.name,
            "shape": shape_text(row.output.shape),
            "params": parameter_count(row),
        }
        for row in checked.rows
    ]


def common_context(checked: CheckedModel, spec_name: str) -> dict[str, Any]:
    """Context every template of both frameworks may use."""
    spec = checked.loaded.spec
    train = spec.train
    return {
        "version": __version__,
        "spec_name": spec_name,
        "project": spec.project.name,
        "description": spec.project.description,
        "model_class": checked.loaded.model_class,
        "task": checked.task,
        "data": data_context(checked),
        "batch_size": spec.data.batch_size,
        "epochs": train.epochs,
        "seed": train.seed,
        "device": train.device,
        "metrics": list(train.metrics),
        "early_stopping": train.early_stopping.model_dump() if train.early_stopping else None,
        "checkpoint": train.checkpoint.model_dump() if train.checkpoint else None,
        "grad_accumulation": train.grad_accumulation,
        "clip_grad_norm": train.clip_grad_norm,
        "stop_at_loss": train.stop_at_loss,
        "tensorboard": train.tensorboard,
        "mixed_precision": train.mixed_precision,
        "compile": train.compile,
        "inspect": train.inspect.model_dump() if train.inspect else None,
        "formats": list(spec.export.formats),
        "layers_table": layer_table(checked),
        "total_params": checked.params_count,
        "input_shape": list(checked.input.shape),
        "output_shape": list(checked.output.shape),
        "integer_input": checked.input.integer,
        "loss_name": spec.loss.type,
        "optimizer_name": spec.optimizer.type,
        "schedule_name": spec.optimizer.schedule.type if spec.optimizer.schedule else None,
        "monitor_mode": _monitor_mode(checked),
        "distributed": train.distributed,
        "debug": train.debug,
        "has_validation": spec.data.validation_split > 0,
        # A test split: MNIST's t10k files, or a file-based spec's `data.test`.
        "has_test": spec.data.kind == "mnist" or getattr(spec.data, "test", None) is not None,
        "full_batch": full_batch(checked),
        "train_samples": train_samples(checked),
        "print_every": print_every(checked),
        "learned": learned_line(checked),
    }


def learned_line(checked: CheckedModel) -> dict[str, Any] | None:
    """For a linear regression (one linear layer, one input, one output): the layer's name, and
    the line the synthetic data was made from, if it was; train.py prints the line it learned."""
    rows, spec = checked.rows, checked.loaded.spec
    if (
        len(rows) != 1
        or rows[0].layer.op.name != "linear"
        or getattr(rows[0].layer.params, "bias", True) is False
        or tuple(checked.input.shape) != (1,)
        or tuple(checked.output.shape) != (1,)
        or spec.train.distributed  # the model is wrapped (DDP) or trained per worker there
    ):
        return None
    data = spec.data
    made = (
        f"y = {data.weight:g}x + {data.bias:g} + noise"
        if data.kind == "synthetic_regression"
        else None
    )
    return {"name": rows[0].layer.name, "made": made}


def train_samples(checked: CheckedModel) -> int | None:
    """How many samples the training split holds, where the spec says (synthetic data)."""
    data = checked.loaded.spec.data
    samples = getattr(data, "samples", None)
    if data.kind not in ("synthetic_regression", "synthetic_classification") or samples is None:
        return None
    return samples - int(samples * data.validation_split)


def full_batch(checked: CheckedModel) -> bool:
    """The whole training set is one batch (the seeds' linear regression): train.py then
    trains on the tensors themselves, one step per epoch, with no loader."""
    spec = checked.loaded.spec
    data, train = spec.data, spec.train
    samples = train_samples(checked)
    return (
        samples is not None
        and data.batch_size >= samples
        and data.validation_split == 0
        and data.preprocessing is None
        and data.augmentation is None
        and train.grad_accumulation == 1
        and train.mixed_precision == "off"
        and not train.distributed
    )


def print_every(checked: CheckedModel) -> int:
    """Epochs between two printed lines: every epoch, or about 20 lines for long runs of
    one-step epochs (a divisor of the epoch count)."""
    epochs = checked.loaded.spec.train.epochs
    if not full_batch(checked) or epochs <= 50:
        return 1
    return math.gcd(epochs, max(1, epochs // 20))


def _monitor_mode(checked: CheckedModel) -> str:
    stopping = checked.loaded.spec.train.early_stopping
    return "max" if stopping and stopping.monitor.endswith("accuracy") else "min"


BASIC_SAVE = {"torch": "state_dict", "tf": "keras"}
EXPORT_FILES = {
    "state_dict": "model.pt",
    "torchscript": "model.torchscript.pt",
    "torch_export": "model.pt2",
    "onnx": "model.onnx",
    "keras": "model.keras",
    "savedmodel": "saved_model",
    "tflite": "model.tflite",
}


def export_context(checked: CheckedModel, framework: str) -> dict[str, Any]:
    """The spec's export formats that `framework` writes, with their file names; predict.py's
    input layout."""
    own = FRAMEWORK_FORMATS[framework]
    formats = [f for f in checked.loaded.spec.export.formats if f in own]
    integer = checked.input.integer
    keras = framework == "tf"
    return {
        "exports": [{"format": f, "file": EXPORT_FILES[f]} for f in formats],
        # Only the basic save (state_dict / .keras) needs no export.py, predict.py or --no-export.
        "exports_beyond_save": formats != [BASIC_SAVE[framework]],
        "predict_shape": list(checked.input.keras_shape if keras else checked.input.shape),
        "predict_channels_last": keras and checked.input.keras_shape != checked.input.shape,
        "predict_dtype": ("int32" if keras else "int64") if integer else "float32",
    }


def project_files(folder: str, inspect: bool = False, exports: bool = True) -> list[PlannedFile]:
    """The files every generated project has, from templates/<folder>/ (and common/);
    inspection.py when the spec asks for inspection, export.py and predict.py when it asks
    for more than the basic save."""
    return [
        PlannedFile("README.md", f"{folder}/README.md.j2"),
        PlannedFile("pyproject.toml", "common/pyproject.toml.j2"),
        PlannedFile("requirements.txt", f"{folder}/requirements.txt.j2"),
        PlannedFile("data.py", f"{folder}/data.py.j2"),
        PlannedFile("model.py", f"{folder}/model.py.j2"),
        PlannedFile("train.py", f"{folder}/train.py.j2"),
        *(
            [
                PlannedFile("export.py", f"{folder}/export.py.j2"),
                PlannedFile("predict.py", "common/predict.py.j2"),
            ]
            if exports
            else []
        ),
        *([PlannedFile("inspection.py", "common/inspection.py.j2")] if inspect else []),
        PlannedFile("tests/test_smoke.py", f"{folder}/test_smoke.py.j2"),
    ]
