"""Backends (floor 3): a checked Spec → rendered project files per framework."""

from __future__ import annotations

from ..check import CheckedModel
from ..render import PlannedFile, render_plan
from . import tf_backend, torch_backend

FRAMEWORKS = {"torch": torch_backend, "tf": tf_backend}
FOLDERS = {"torch": "pytorch", "tf": "tensorflow"}
SPEC_COPY = "dlgen-spec.yaml"


def generate(checked: CheckedModel, framework: str, spec_name: str) -> dict[str, str]:
    """Render one framework's project: relative path → file text."""
    files, context = FRAMEWORKS[framework].plan(checked, spec_name)
    return render_plan(files, context)


def spec_copy(checked: CheckedModel) -> str:
    """The spec a pair of projects came from, so `dlgen verify --project DIR` can read it."""
    import yaml

    header = "# The spec these projects were generated from; `dlgen verify --project .` reads it.\n"
    return header + yaml.safe_dump(checked.loaded.raw, sort_keys=False, allow_unicode=True)


def generate_all(checked: CheckedModel, framework: str, spec_name: str) -> dict[str, str]:
    """`torch`, `tf` (one project at the root) or `both` (pytorch/ and tensorflow/ side by side)."""
    if framework != "both":
        return generate(checked, framework, spec_name)
    out: dict[str, str] = {SPEC_COPY: spec_copy(checked)}
    _, context = tf_backend.plan(checked, spec_name)
    out.update(render_plan([PlannedFile("README.md", "tutorial/README.md.j2")], context))
    for name in ("torch", "tf"):
        for path, text in generate(checked, name, spec_name).items():
            out[f"{FOLDERS[name]}/{path}"] = text
    return out
