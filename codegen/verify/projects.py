"""Import a generated project's modules (data, model, train, export) in isolation.

Both projects use the same module names, so each is imported under a clean `sys.modules`
and `sys.path`, and the loaded modules are returned in a namespace.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace

PROJECT_MODULES = ("data", "model", "export", "inspection", "train")


def frameworks() -> SimpleNamespace:
    """Import torch and TensorFlow with the settings comparisons need (oneDNN and TF32 off)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import numpy
    import tensorflow
    import torch

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    tensorflow.config.experimental.enable_tensor_float_32_execution(False)
    return SimpleNamespace(torch=torch, tf=tensorflow, keras=keras, np=numpy)


@contextmanager
def _isolated(folder: Path, keep: bool):
    for name in PROJECT_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        if not keep:
            for name in PROJECT_MODULES:
                sys.modules.pop(name, None)


def load_project(folder: Path, keep: bool = False) -> SimpleNamespace:
    """The project's modules as attributes: `.data`, `.model`, `.train`, `.export`.

    `keep` leaves them in `sys.modules` until the next project is loaded: TensorFlow's
    AutoGraph looks functions' modules up there when it converts them.
    """
    with _isolated(folder, keep):
        modules = {
            name: importlib.import_module(name)
            for name in PROJECT_MODULES
            if (folder / f"{name}.py").exists()  # inspection.py only when the spec asks
        }
    return SimpleNamespace(**modules, folder=folder)


def statement_value(
    module: ModuleType, name: str, optional: bool = False, **bound: object
) -> object:
    """The value `main()` of a generated module assigns to `name` (`criterion = nn.MSELoss()`),
    evaluated in the module's namespace with `bound` names (`model=...`) defined: the very
    expression the user's script runs. None where `main` assigns no `name` and `optional`."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    main = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"
    )
    for node in ast.walk(main):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            code = compile(ast.Expression(node.value), module.__file__, "eval")
            return eval(code, {**vars(module), **bound})  # noqa: S307 - dlgen's own output
    if optional:
        return None
    raise RuntimeError(f"{module.__file__}: main() assigns no {name!r}")


def call_keywords(
    module: ModuleType, method: str, skip: tuple[str, ...] = (), **bound: object
) -> dict[str, object]:
    """The keyword arguments of the `<object>.<method>(...)` call in `main()` of a generated
    module (`model.compile(optimizer=..., loss=...)`) but those named in `skip`, each
    evaluated as `statement_value` evaluates an assignment."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    main = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"
    )
    for node in ast.walk(main):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
        ):
            namespace = {**vars(module), **bound}
            return {
                keyword.arg: eval(  # noqa: S307 - dlgen's own output
                    compile(ast.Expression(keyword.value), module.__file__, "eval"), namespace
                )
                for keyword in node.keywords
                if keyword.arg is not None and keyword.arg not in skip
            }
    raise RuntimeError(f"{module.__file__}: main() calls no .{method}(...)")
