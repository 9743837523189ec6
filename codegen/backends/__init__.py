"""Backends (floor 3): a checked Spec → rendered project files per framework."""

from __future__ import annotations

from .. import __version__
from ..check import CheckedModel
from ..render import render_plan
from . import tf_backend, torch_backend
from .common import data_in_tutorial
from .manifest import MANIFEST, manifest_text
from .tutorial import tutorial_files

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


def generate_all(
    checked: CheckedModel,
    framework: str,
    spec_name: str,
    lang: str = "en",
    kept: dict[str, str] | None = None,
) -> dict[str, str]:
    """`torch`, `tf` (one project at the root) or `both`: pytorch/ and tensorflow/ side by side
    with the tutorial layer (README, compare.py, notebooks, tests, CI) in `lang`.

    `kept`: the user's own versions of project files that `dlgen new --update` keeps; the
    tutorial's excerpts are cut from them (falling back to dlgen's versions where an edited
    file no longer has what a step shows). Every tree ends with `.dlgen-manifest.json`, the
    digests `dlgen new --update` reads.
    """
    if framework != "both":
        out = generate(checked, framework, spec_name)
    else:
        out = {SPEC_COPY: spec_copy(checked)}
        contexts = {}
        for name in ("torch", "tf"):
            plan, contexts[name] = FRAMEWORKS[name].plan(checked, spec_name)
            project = {**contexts[name], "data": data_in_tutorial(contexts[name]["data"])}
            for path, text in render_plan(plan, project).items():
                out[f"{FOLDERS[name]}/{path}"] = text
        view = {**out, **{path: text for path, text in (kept or {}).items() if path in out}}
        try:
            layer = tutorial_files(view, checked, contexts["torch"], contexts["tf"], lang)
        except (SyntaxError, RuntimeError):  # an edited file lacks a step's code, or is broken
            layer = tutorial_files(out, checked, contexts["torch"], contexts["tf"], lang)
        out.update(layer)
    out[MANIFEST] = manifest_text(out, __version__, framework, lang, spec_name)
    return out
