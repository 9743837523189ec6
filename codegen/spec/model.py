"""The Spec: typed, frozen description of a project (the IR every later stage reads).

Layer, loss, optimizer and schedule parameters belong to the op registry; here they are kept as
raw mappings and validated against the registry by the loader, which knows their YAML lines.
"""

from __future__ import annotations

import keyword
import posixpath
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..ops import REGISTRY
from .names import check_layer_name, check_project_name, suggest

# Capitalised names the generated modules import or define: a model class must not shadow them.
GENERATED_NAMES = frozenset(
    {
        "F",
        "Any",
        "Callable",
        "Iterable",
        "Iterator",
        "Path",
        "BatchSampler",
        "DataLoader",
        "Sampler",
        "SequentialSampler",
        "TensorDataset",
        "Dataset",
        "DistributedSampler",
        "SummaryWriter",
        "StopAtLoss",
        "DEFAULT_DATA",
        "VALIDATION_SPLIT",
        "FILES",
        "BASE_LR",
        "ACCUMULATE",
        "CLIP_GRAD_NORM",
        "STOP_AT_LOSS",
        "AUTOCAST_DTYPE",
        "Preprocess",
        "Augmented",
        "GRADIENT_CHECKPOINTING",
        "CHECKPOINT_PLAN",
        "HORIZONTAL_FLIP",
        "ROTATION",
        "CROP_PADDING",
        "SCALE",
        "FEATURE_AXIS",
        "MEAN",
        "STD",
        "CATEGORIES",
        "EMBEDDED",
        "CategoricalEmbedding",
        "INPUT_SHAPE",
        "PREPROCESSING",
    }
)


class StrictModel(BaseModel):
    """Unknown keys are errors, with the closest known key suggested."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.model_config.get("extra") == "forbid":
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint} (allowed: {allowed})",
                        {
                            "key": str(key),
                            "hint": suggest(str(key), known),
                            "allowed": ", ".join(sorted(known)),
                        },
                    )
        return data


class Project(StrictModel):
    """Names and describes the generated project."""

    name: str = Field(description="project name: lower-case letters, digits, _ and -")
    description: str = Field(default="", max_length=500)
    model_class: str | None = Field(
        default=None, description="model class name; derived from name when absent"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        problem = check_project_name(v)
        if problem:
            raise PydanticCustomError("bad_name", problem)
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        if any(c in v for c in '\\"`') or not v.isprintable():
            raise PydanticCustomError(
                "bad_text",
                "description must be one printable line without backslashes, backticks or double quotes",
            )
        return v

    @field_validator("model_class")
    @classmethod
    def _class(cls, v: str | None) -> str | None:
        if v is not None and not (v.isidentifier() and v.isascii() and v[:1].isupper()):
            raise PydanticCustomError(
                "bad_name",
                f"model_class must be a CamelCase Python identifier, got {v!r}",
            )
        if v is not None and (keyword.iskeyword(v) or v in GENERATED_NAMES):
            raise PydanticCustomError(
                "bad_name",
                f"model_class {v!r} is a Python keyword or a name the generated code uses; "
                "choose another",
            )
        return v


Shape = Annotated[list[PositiveInt], Field(min_length=1, max_length=4)]


class Preprocessing(StrictModel):
    """Input transforms, in this order: `scale`, then `standardize` or `mean`/`std`.

    PyTorch applies them as the Dataset's transform; TensorFlow with Keras preprocessing layers
    (Rescaling, Normalization) in the tf.data pipeline and in front of the exported model.
    """

    scale: float | None = Field(
        default=None, gt=0, description="multiply inputs by this first (1/255 for 8-bit images)"
    )
    standardize: bool = Field(
        default=False,
        description=(
            "Z-score per feature (per channel for images) with the training split's mean and "
            "std, saved with the model"
        ),
    )
    mean: list[float] | None = Field(
        default=None, min_length=1, description="fixed mean per channel or feature (Normalize)"
    )
    std: list[Annotated[float, Field(gt=0)]] | None = Field(
        default=None, min_length=1, description="fixed std per channel or feature (Normalize)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Preprocessing:
        if (self.mean is None) != (self.std is None):
            raise ValueError("give mean and std together")
        if self.mean is not None and self.standardize:
            raise ValueError("standardize computes mean and std; give it or mean/std, not both")
        if self.mean is not None and self.std is not None and len(self.mean) != len(self.std):
            raise ValueError(f"mean has {len(self.mean)} values, std {len(self.std)}")
        if self.scale is None and not self.standardize and self.mean is None:
            raise ValueError("preprocessing is empty: give scale, standardize or mean/std")
        return self


class Augmentation(StrictModel):
    """Random image transforms applied to training batches only (never to validation or
    prediction): torchvision-free tensor code in PyTorch, Keras augmentation layers in TF."""

    horizontal_flip: bool = Field(default=False, description="mirror half the images")
    crop_padding: NonNegativeInt = Field(
        default=0, description="pad by N pixels and crop back at a random offset (a shift)"
    )
    rotation: float = Field(default=0.0, ge=0, le=180, description="rotate by up to ± degrees")

    @model_validator(mode="after")
    def _something(self) -> Augmentation:
        if not (self.horizontal_flip or self.crop_padding or self.rotation):
            raise ValueError(
                "augmentation is empty: give horizontal_flip, crop_padding or rotation"
            )
        return self


class DataBase(StrictModel):
    batch_size: PositiveInt = 32
    validation_split: float = Field(default=0.1, ge=0, lt=1)
    shuffle: bool = True
    preprocessing: Preprocessing | None = None
    augmentation: Augmentation | None = None

    @property
    def embedded(self) -> list[Categorical]:
        """Categorical columns looked up in learned tables (only CSV data has them)."""
        return []


class SyntheticRegression(DataBase):
    """y = weight · sum(x) + bias + noise · N(0, 1), made by code (the seeds' y = 2x + 1)."""

    kind: Literal["synthetic_regression"]
    samples: PositiveInt = 100
    input_shape: Shape = [1]
    weight: float = 2.0
    bias: float = 1.0
    noise: float = Field(default=0.1, ge=0)


class SyntheticClassification(DataBase):
    """Gaussian samples around one random prototype per class, made by code."""

    kind: Literal["synthetic_classification"]
    samples: PositiveInt = 512
    input_shape: Shape
    num_classes: int = Field(ge=2)
    noise: float = Field(default=1.0, ge=0)
    sequence: bool = Field(
        default=False,
        description="a rank-2 input is (steps, features), not (channels, length)",
    )


def _inside_project(path: str) -> str:
    """A data path is read by the generated projects and written by their sample-data
    script: relative to the project and inside it, or absolute (the user's own data)."""
    if not path.strip():
        raise PydanticCustomError("data_path", "path is empty")
    normal = posixpath.normpath(path.replace("\\", "/"))
    if not posixpath.isabs(normal) and (normal == ".." or normal.startswith("../")):
        raise PydanticCustomError(
            "data_path",
            "path '{path}' leaves the project folder (the sample-data script would write "
            "there); give a path inside the project, or an absolute one",
            {"path": path},
        )
    return path


DataPath = Annotated[str, AfterValidator(_inside_project)]


class FileData(DataBase):
    """Data read from a file (`path`), with an optional test split in a file of its own."""

    path: DataPath
    test: DataPath | None = Field(
        default=None,
        description="a file in the same format holding the test split: both projects "
        "evaluate on it once after training (--test)",
    )

    @model_validator(mode="after")
    def _separate_test(self) -> FileData:
        if self.test is not None and posixpath.normpath(self.test) == posixpath.normpath(self.path):
            raise ValueError(
                f"test is the training file {self.path!r}: give a file of held-out samples"
            )
        return self


class Mnist(DataBase):
    """The MNIST IDX files (train-images-idx3-ubyte.gz, ...) from a folder."""

    kind: Literal["mnist"]
    dataset: Literal["mnist", "fashion_mnist"] = Field(
        default="mnist",
        description="which data set the files hold: the one downloaded (and checksummed) "
        "when a file is missing",
    )
    path: DataPath = Field(
        default="data/mnist", description="folder holding the four MNIST .gz files"
    )
    input_shape: Shape = [1, 28, 28]
    num_classes: int = 10
    limit: PositiveInt | None = Field(
        default=None, description="use only the first N training samples"
    )

    @model_validator(mode="after")
    def _fixed(self) -> Mnist:
        if list(self.input_shape) != [1, 28, 28] or self.num_classes != 10:
            raise ValueError("mnist images are input_shape [1, 28, 28] with num_classes 10")
        return self


class Npz(FileData):
    """Arrays x (samples, *input_shape) and y from a .npz file."""

    kind: Literal["npz"]
    input_shape: Shape
    num_classes: int | None = Field(
        default=None, ge=2, description="set for classification; absent for regression"
    )
    x_key: str = "x"
    y_key: str = "y"
    sequence: bool = False


class Categorical(StrictModel):
    """A text column with a fixed set of values: one-hot encoded, or looked up in a learned
    embedding table (a value not listed: all zeros, or its own learned "unknown" vector)."""

    column: str
    categories: list[str] = Field(min_length=2)
    encoding: Literal["one_hot", "embedding"] = "one_hot"
    dim: PositiveInt | None = Field(
        default=None, description="embedding width; required with encoding: embedding"
    )

    @field_validator("categories")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        repeated = sorted({c for c in v if v.count(c) > 1})
        if repeated:
            raise PydanticCustomError(
                "categories", "categories repeat {values}", {"values": ", ".join(repeated)}
            )
        return v

    @model_validator(mode="after")
    def _dim(self) -> Categorical:
        if self.encoding == "embedding" and self.dim is None:
            raise ValueError(
                f"column {self.column!r}: encoding embedding needs dim (the vector width, e.g. 4)"
            )
        if self.encoding == "one_hot" and self.dim is not None:
            raise ValueError(
                f"column {self.column!r}: dim is for encoding: embedding; one-hot has "
                f"{len(self.categories)} columns"
            )
        return self


class Csv(FileData):
    """Numeric feature columns, categorical columns and one target column from a CSV file with
    a header. Model inputs are the numeric columns, then the one-hot columns, then one
    category-code column per embedded column (0 = not listed, i + 1 = categories[i])."""

    kind: Literal["csv"]
    target: str
    features: list[str] = Field(default=[], description="numeric columns")
    categorical: list[Categorical] = Field(
        default=[],
        description="text columns: one-hot or embedded, after the numeric ones",
    )
    num_classes: int | None = Field(
        default=None, ge=2, description="set for classification; absent for regression"
    )

    @model_validator(mode="after")
    def _columns(self) -> Csv:
        names = [*self.features, *(c.column for c in self.categorical)]
        if not names:
            raise ValueError("give at least one column in features or categorical")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated or self.target in names:
            raise ValueError(
                f"column {(repeated or [self.target])[0]!r} is used twice (features, "
                "categorical and target must differ)"
            )
        return self

    @property
    def one_hot(self) -> list[Categorical]:
        return [c for c in self.categorical if c.encoding == "one_hot"]

    @property
    def embedded(self) -> list[Categorical]:
        return [c for c in self.categorical if c.encoding == "embedding"]

    @property
    def passthrough(self) -> int:
        """The numeric and one-hot columns: those before the category codes."""
        return len(self.features) + sum(len(c.categories) for c in self.one_hot)

    @property
    def input_shape(self) -> list[int]:
        return [self.passthrough + len(self.embedded)]


class Text(FileData):
    """A CSV of texts and integer labels, tokenized on whitespace into a vocabulary."""

    kind: Literal["text"]
    text_column: str = "text"
    label_column: str = "label"
    vocab_size: int = Field(default=10000, ge=3)
    max_length: PositiveInt = 100
    num_classes: int = Field(default=2, ge=2)

    @property
    def input_shape(self) -> list[int]:
        return [self.max_length]


Data = Annotated[
    SyntheticRegression | SyntheticClassification | Mnist | Npz | Csv | Text,
    Field(discriminator="kind"),
]


class LayerSpec(BaseModel):
    """One layer: `op`, an optional `name` (and `inputs` in a graph); every other key is a parameter."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    op: str = Field(description="an op from `dlgen ops`")
    name: str | None = None
    inputs: list[str] | None = Field(
        default=None, description="graph models only: the nodes this one reads"
    )

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"op": data}
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "bad_layer",
                "a layer is a mapping like {op: conv2d, out_channels: 32} or a bare op name like relu",
            )
        return data

    @field_validator("op", mode="before")
    @classmethod
    def _known_op(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        if v in REGISTRY.layers:
            return v
        for op in REGISTRY.layers.values():
            if v in op.aliases:
                return op.name
        raise PydanticCustomError(
            "unknown_op",
            "unknown op '{op}'{hint} (`dlgen ops` lists them)",
            {"op": v, "hint": suggest(v, set(REGISTRY.layers))},
        )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None:
            problem = check_layer_name(v)
            if problem:
                raise PydanticCustomError("bad_name", problem)
        return v

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Model(StrictModel):
    """A `layers:` list (a stack) or a `graph:` of named nodes with `inputs:`."""

    layers: list[LayerSpec] | None = Field(default=None, min_length=1)
    graph: list[LayerSpec] | None = Field(default=None, min_length=1)
    output: str | None = Field(
        default=None, description="graph models: the output node (default: the last)"
    )

    @model_validator(mode="after")
    def _one_form(self) -> Model:
        if (self.layers is None) == (self.graph is None):
            raise ValueError("give the model either `layers:` or `graph:`, not both or neither")
        return self


class Typed(BaseModel):
    """A `{type: name, param: value, ...}` block (or a bare name) checked against the registry."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
    type: str

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"type": data}
        return data

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Optimizer(Typed):
    schedule: Typed | None = Field(default=None, description="per-epoch learning-rate schedule")


class EarlyStopping(StrictModel):
    monitor: Literal["val_loss", "val_accuracy", "loss"] = "val_loss"
    patience: PositiveInt = 3
    min_delta: float = Field(default=0.0, ge=0)


class Checkpoint(StrictModel):
    save_best_only: bool = Field(
        default=False, description="keep only the epoch with the best val_loss"
    )


class Inspection(StrictModel):
    """What train.py writes under <out>/inspection after training (matplotlib PNGs, JSON)."""

    histograms: bool = Field(default=True, description="weight distribution per layer")
    loss_curves: bool = Field(default=True, description="loss and metrics per epoch")
    intervals: Literal["none", "residuals", "bayesian"] = Field(
        default="none",
        description=(
            "regression: prediction intervals from the validation residuals (split conformal) "
            "or a small Bayesian linear regression"
        ),
    )
    confidence: float = Field(default=0.9, gt=0, lt=1, description="interval coverage")
    shap: bool = Field(
        default=False, description="SHAP feature importances, when the shap package is installed"
    )


class Train(StrictModel):
    epochs: PositiveInt = 10
    seed: int = Field(default=0, ge=0, lt=2**31)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    metrics: list[Literal["accuracy", "mae", "mse"]] = []
    early_stopping: EarlyStopping | None = None
    checkpoint: Checkpoint | None = Field(
        default=None,
        description=(
            "a checkpoint every epoch: PyTorch's train.py --resume continues from it; Keras's "
            "BackupAndRestore resumes an interrupted run when it is started again"
        ),
    )
    grad_accumulation: PositiveInt = Field(
        default=1, description="one optimizer step every N batches, on the averaged gradients"
    )
    clip_grad_norm: float | None = Field(
        default=None, gt=0, description="clip the global gradient norm to this before each step"
    )
    stop_at_loss: float | None = Field(
        default=None, gt=0, description="stop once an epoch's training loss falls below this"
    )
    tensorboard: bool = Field(default=False, description="log losses and metrics for TensorBoard")
    mixed_precision: Literal["off", "bf16", "fp16"] = Field(
        default="off",
        description="autocast: bf16 (CPUs, recent GPUs) or fp16 with loss scaling (GPUs)",
    )
    compile: bool = Field(
        default=False, description="torch.compile the model / XLA-compile (jit_compile) the step"
    )
    gradient_checkpointing: NonNegativeInt = Field(
        default=0,
        description=(
            "split the layer stack into N segments whose activations are recomputed in the "
            "backward pass (torch.utils.checkpoint / tf.recompute_grad): less memory, more time"
        ),
    )
    inspect: Inspection | None = Field(
        default=None, description="weight histograms, loss curves, intervals, SHAP"
    )
    distributed: bool = Field(
        default=False,
        description=(
            "data-parallel training: PyTorch DDP under torchrun; TensorFlow MirroredStrategy "
            "(--strategy mirrored, model.fit) and MultiWorkerMirroredStrategy (train_multiworker.py)"
        ),
    )
    debug: bool = Field(
        default=False,
        description="train.py --debug: autograd anomaly detection / eager tf.function and tf.data",
    )

    @field_validator("mixed_precision", mode="before")
    @classmethod
    def _off(cls, v: Any) -> Any:
        return "off" if v is False else v  # YAML reads a bare `off` as false


ExportFormat = Literal[
    "state_dict", "torchscript", "torch_export", "onnx", "keras", "savedmodel", "tflite"
]
FRAMEWORK_FORMATS = {
    "torch": ("state_dict", "torchscript", "torch_export", "onnx"),
    "tf": ("keras", "savedmodel", "tflite"),
}


class Export(StrictModel):
    formats: list[ExportFormat] = Field(
        default=["state_dict", "keras"],
        description=(
            "PyTorch: state_dict, torchscript, torch_export (.pt2), onnx; "
            "TensorFlow: keras, savedmodel, tflite. At least one of each framework."
        ),
    )

    @field_validator("formats")
    @classmethod
    def _one_per_framework(cls, v: list[str]) -> list[str]:
        for framework, own in FRAMEWORK_FORMATS.items():
            if not any(f in own for f in v):
                raise PydanticCustomError(
                    "export_formats",
                    "formats has none for {framework}: add one of {own}",
                    {
                        "framework": "PyTorch" if framework == "torch" else "TensorFlow",
                        "own": ", ".join(own),
                    },
                )
        return list(dict.fromkeys(v))


class Spec(StrictModel):
    """A whole dlgen spec."""

    project: Project
    data: Data
    model: Model
    loss: Typed
    optimizer: Optimizer
    train: Train = Train()
    export: Export = Export()
