"""Validated identifiers: every name from a spec reaches generated code only through here."""

from __future__ import annotations

import difflib
import keyword
import re

_SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PROJECT = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

# Names a layer may not take: Python keywords and builtins used by generated code, the local
# names of the generated forward/call methods, and attributes of nn.Module / keras.Model.
RESERVED = frozenset(
    {
        "self",
        "x",
        "inputs",
        "outputs",
        "training",
        "torch",
        "nn",
        "F",
        "keras",
        "layers",
        "tf",
        "np",
        "math",
        "model",
        "forward",
        "call",
        "build",
        "train",
        "eval",
        "to",
        "cuda",
        "cpu",
        "parameters",
        "modules",
        "children",
        "state_dict",
        "load_state_dict",
        "apply",
        "zero_grad",
        "named_modules",
        "named_parameters",
        "buffers",
        "register_buffer",
        "half",
        "float",
        "double",
        "type",
        "summary",
        "compile",
        "fit",
        "predict",
        "evaluate",
        "save",
        "export",
        "weights",
        "variables",
        "name",
        "input",
        "h_n",
        "_",
        "layer",
        "optimizer",
        "loss",
        "metrics",
        "get_config",
        "from_config",
        "trainable",
        "dtype",
    }
)


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """A " (did you mean 'x'?)" suffix for the closest choice, or "" when none is close."""
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def check_layer_name(name: str) -> str | None:
    """Return why `name` cannot be a layer name, or None when it can."""
    if not _SNAKE.match(name):
        return (
            f"layer name {name!r} must be lower-case snake_case "
            "(a letter, then letters, digits or _; at most 63 characters)"
        )
    if keyword.iskeyword(name) or name in RESERVED or name.startswith("__"):
        return f"layer name {name!r} is reserved in generated code; choose another"
    return None


def check_project_name(name: str) -> str | None:
    """Return why `name` cannot be a project name, or None when it can."""
    if not _PROJECT.match(name):
        return (
            f"project name {name!r} must start with a lower-case letter and hold only "
            "a-z, 0-9, _ and - (at most 63 characters)"
        )
    return None


def class_name(project: str) -> str:
    """`mnist_cnn` → `MnistCnn`: the model class name derived from a project name."""
    parts = re.split(r"[_-]+", project)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return name if name.isidentifier() else "Model"
