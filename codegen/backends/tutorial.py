"""The tutorial layer of `dlgen new --framework both`: README, compare.py, notebooks, tests, CI.

Everything here is computed from the two rendered projects: each step's code is cut out of the
generated files (`excerpts`), the weight moves in compare.py come from the registry's rules
(`weight_code`), and the prose comes from one table per language (`tutorial_text`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..check import CheckedModel
from ..ops import REGISTRY
from ..render import PlannedFile, environment, format_python, render_plan
from .excerpts import Excerpt, find, imports_for
from .tutorial_text import LANGUAGES, TEXT, compare_labels
from .weight_code import transfer_statements

TORCH, TF = "pytorch", "tensorflow"
PROJECT_MODULES = ("data", "model", "train", "export")
NOTEBOOK = "tutorial.ipynb"
COMPARE_BEGIN = "<!-- dlgen:compare:begin"
COMPARE_END = "<!-- dlgen:compare:end -->"
_BLOCK = re.compile(re.escape(COMPARE_BEGIN) + r"[^\n]*-->\n.*?" + re.escape(COMPARE_END), re.S)

# What each step shows, by name (`?`: only where the spec generates it; `{model_class}` is the
# PyTorch class). README: the heart of the step. Notebook: what the step runs, with `%name`
# naming a cell of glue code from templates/tutorial/notebook_<framework>.py.j2; a function or
# class is imported from the project's file (and named in the step's text), a statement is code.
README_STEPS: dict[str, dict[int, list[str]]] = {
    TORCH: {
        1: ["make_loaders?", "Step 1"],
        2: ["{model_class}"],
        3: ["Step 3"],
        4: ["train?", "evaluate?", "Step 4"],
        5: ["export_model?", "Step 5"],
    },
    TF: {
        1: ["make_datasets?", "Step 1"],
        2: ["build_model"],
        3: ["learning_rate?", "Step 3"],
        4: ["StopAtLoss?", "Step 4"],
        5: ["export_model?", "Step 5"],
        6: ["make_strategy?", "Step 6?"],
    },
}
NOTEBOOK_STEPS: dict[str, dict[int, list[str]]] = {
    TORCH: {
        1: ["make_loaders?", "%step1"],
        2: ["{model_class}", "%step2"],
        3: ["criterion", "optimizer", "scheduler?", "%step3"],
        4: ["train?", "evaluate?", "%step4", "%curves", "%fitted", "%predict"],
        5: ["export_model?", "%step5"],
    },
    TF: {
        1: ["%args", "make_datasets?", "Step 1", "%step1"],
        2: ["build_model", "Step 2", "%step2"],
        3: ["learning_rate?", "Step 3"],
        4: ["StopAtLoss?", "Step 4", "%curves", "%fitted", "%predict"],
        5: ["export_model?", "Step 5"],
        6: ["make_strategy?", "%step6"],
    },
}
# The same functions in both data.py files, shown once: the file reader, where the kind has
# one of its own, and load_arrays.
SHARED_STEP_1 = ("read_arrays?", "read_texts?", "load_arrays")
# Data read from a file the reader brings: the tutorial can write a random one of its format.
SAMPLE_KINDS = ("npz", "csv", "text")
SAMPLE_SCRIPT = "make_sample_data.py"


@dataclass
class Side:
    """One framework's part of a step: its excerpts."""

    label: str
    excerpts: list[Excerpt]


@dataclass
class Step:
    number: int
    title: str
    intro: str
    sides: list[Side]
    shared: list[Excerpt] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    note: str = ""


def _locate(files: dict[str, str], folder: str, name: str) -> Excerpt | None:
    for module in PROJECT_MODULES:
        path = f"{folder}/{module}.py"
        if path in files:
            excerpt = find(files[path], path, name)
            if excerpt is not None:
                return excerpt
    return None


def _excerpts(
    files: dict[str, str], folder: str, names: list[str], model_class: str
) -> list[Excerpt]:
    out = []
    for raw in names:
        if raw.startswith("%"):
            continue
        name = raw.rstrip("?").format(model_class=model_class)
        excerpt = _locate(files, folder, name)
        if excerpt is None and not raw.endswith("?"):
            raise RuntimeError(
                f"generated {folder}/ defines no {name!r}: update the step tables in "
                "codegen/backends/tutorial.py"
            )
        if excerpt is not None:
            out.append(excerpt)
    return out


# ---------------------------------------------------------------- facts the prose depends on


def _facts(checked: CheckedModel, tf_ctx: dict) -> dict:
    spec = checked.loaded.spec
    ops = {row.layer.op.name for row in checked.rows}
    data = tf_ctx["data"]
    schedule = spec.optimizer.schedule
    loss = REGISTRY.losses[spec.loss.type]
    conv = any(op.startswith("conv") for op in ops)
    return {
        "project": spec.project.name,
        "description": spec.project.description,
        "model_class": checked.loaded.model_class,
        "version": tf_ctx["version"],
        "spec_name": tf_ctx["spec_name"],
        "kind": data["kind"],
        "data_path": data["default_path"],
        "test_path": data["default_test"] or "",
        "data_title": data.get("source", {}).get("title", ""),
        "loader": "`load_arrays` in `data.py`",
        "layers": len(checked.rows),
        "params": f"{checked.params_count:,}",
        "input_shape": _shape(checked.input.shape),
        "output_shape": _shape(checked.output.shape),
        "loss": spec.loss.type,
        "torch_loss": loss.torch_name,
        "squash": "sigmoid" if spec.loss.type == "bce_with_logits" else "softmax",
        "optimizer": spec.optimizer.type,
        "schedule": f" + `{schedule.type}` schedule" if schedule else "",
        "metrics": ", ".join(f"`{m}`" for m in spec.train.metrics) or "—",
        "formats": ", ".join(f"`{f}`" for f in spec.export.formats),
        # which differences apply
        "channels": tf_ctx["transpose_input"],
        "graph": tf_ctx["graph"],
        "torch_init": any(row.layer.op.has_weights for row in checked.rows),
        "weights": any(row.layer.op.weights is not None for row in checked.rows),
        "flatten": any(
            row.output.flat_from and len(row.output.flat_from) >= 2 for row in checked.rows
        ),
        "bn": any(op.startswith("batchnorm") for op in ops),
        "rnn": bool(ops & {"lstm", "gru"}),
        "dropout": "dropout" in ops,
        "logits": spec.loss.type in ("cross_entropy", "bce_with_logits"),
        "l2": bool(tf_ctx["l2"]),
        "has_schedule": schedule is not None,
        "early": spec.train.early_stopping is not None,
        "validation": spec.data.validation_split > 0,
        "full_batch": tf_ctx["full_batch"],
        "distributed": tf_ctx["distributed"],
        "conv": conv,
        "adaptive": spec.optimizer.type in ("adam", "adamw", "rmsprop"),
        # The layers PyTorch starts at U(±1/√fan_in), by their PyTorch class family.
        "init_layers": "/".join(
            name for name, present in (("Linear", "linear" in ops), ("Conv", conv)) if present
        ),
    }


def _data_format(data: dict[str, Any], text: dict[str, str]) -> str:
    """What the data file holds, in words ("" where the data is not read from a file)."""
    if data["kind"] not in SAMPLE_KINDS:
        return ""
    names = [*data.get("features", []), *(c["column"] for c in data.get("categorical", []))]
    return text[f"format_{data['kind']}"].format(columns=", ".join(f"`{n}`" for n in names), **data)


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["N", *(str(d) for d in shape)]) + ")"


def _intro(step: int, facts: dict, text: dict[str, str]) -> str:
    """A step's opening sentence; step 1's names the validation split only where there is one,
    step 6's describes a strategy only where the spec trains distributed."""
    key = f"s{step}_intro"
    if step == 1 and not facts["validation"]:
        key = "s1_intro_all"
    elif step == 6 and not facts["distributed"]:
        key = "s6_intro_single"
    return text[key].format(**facts)


def _differences(step: int, facts: dict, text: dict[str, str]) -> list[str]:
    rules = {
        1: [
            ("diff_pipeline", not facts["full_batch"]),
            ("diff_order", not facts["full_batch"]),
            ("diff_whole_batch", facts["full_batch"]),
            ("diff_channels", facts["channels"]),
        ],
        2: [
            ("diff_dynamic", True),
            ("diff_functional", facts["graph"]),
            ("diff_init", facts["torch_init"] and bool(facts["init_layers"])),
            ("diff_layout", facts["weights"] and facts["conv"]),
            ("diff_layout_dense", facts["weights"] and not facts["conv"]),
            ("diff_flatten", facts["flatten"]),
            ("diff_bn", facts["bn"]),
            ("diff_rnn", facts["rnn"]),
            ("diff_dropout", facts["dropout"]),
        ],
        3: [
            ("diff_objects", True),
            ("diff_defaults", facts["adaptive"]),
            ("diff_defaults_plain", not facts["adaptive"]),
            ("diff_logits", facts["logits"]),
            ("diff_l2", facts["l2"]),
            ("diff_schedule", facts["has_schedule"]),
        ],
        4: [("diff_loop", True), ("diff_fit", True), ("diff_early", facts["early"])],
        5: [("diff_export", True)],
        6: [],
    }
    # The articles' bug was a softmax applied twice; a sigmoid twice is only a warning.
    seed_bug = text["seed_bug"] if facts["squash"] == "softmax" else ""
    ddp = text["order_ddp"] if facts["distributed"] else ""
    return [
        text[key].format(**facts, seed_bug=seed_bug, ddp=ddp)
        for key, applies in rules[step]
        if applies
    ]


def steps(
    files: dict[str, str], checked: CheckedModel, facts: dict, text: dict[str, str]
) -> list[Step]:
    """The six steps with their README excerpts and prose."""
    model_class = checked.loaded.model_class
    out = []
    for number in range(1, 7):
        sides = []
        for folder in (TORCH, TF):
            names = README_STEPS[folder].get(number)
            excerpts = _excerpts(files, folder, names, model_class) if names else []
            if excerpts:
                sides.append(Side(folder, excerpts))
        step = Step(
            number,
            text[f"s{number}_title"],
            _intro(number, facts, text),
            sides,
            differences=_differences(number, facts, text),
        )
        if number == 1:
            for name in SHARED_STEP_1:
                bare = name.rstrip("?")  # "?": only where the data kind has one
                mine = find(files[f"{TORCH}/data.py"], f"{TORCH}/data.py", bare)
                other = find(files[f"{TF}/data.py"], f"{TF}/data.py", bare)
                if mine is None and other is None and name.endswith("?"):
                    continue
                if mine is None or other is None:  # a dlgen bug: the step table is stale
                    raise RuntimeError(f"a generated data.py defines no {bare}")
                if other.code != mine.code:
                    raise RuntimeError(f"{bare} differs between the two data.py files")
                step.shared.append(mine)
        if number == 6:
            step.note = text["s6_torch" if facts["distributed"] else "s6_torch_single"]
        out.append(step)
    return out


# ---------------------------------------------------------------- notebooks


def _glue(folder: str, context: dict[str, Any]) -> dict[str, str]:
    """Named cells of glue code: `# %% name` sections of the framework's notebook template."""
    source = environment().get_template(f"tutorial/notebook_{folder}.py.j2").render(**context)
    sections: dict[str, str] = {}
    name = None
    for line in source.splitlines():
        if line.startswith("# %% "):
            name = line[5:].strip()
            sections[name] = ""
        elif name is not None:
            sections[name] += line + "\n"
    return {key: value.strip("\n") + "\n" for key, value in sections.items()}


def _code(source: str, name: str) -> str:
    return format_python(source, name).rstrip("\n")


def _cell(kind: str, index: int, source: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": f"cell-{index:02d}",
        "metadata": {"tags": list(tags)} if tags else {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def is_definition(code: str) -> bool:
    """Whether an excerpt is a function or class definition (which a notebook imports)."""
    return isinstance(ast.parse(code).body[0], ast.FunctionDef | ast.ClassDef)


def _linked(excerpts: list[Excerpt]) -> str:
    """`name` ([file](file)), ...: each definition with a link to its file beside the notebook."""
    return ", ".join(
        f"`{x.name}` ([{x.path.split('/')[-1]}]({x.path.split('/')[-1]}))" for x in excerpts
    )


def notebook(
    folder: str,
    files: dict[str, str],
    checked: CheckedModel,
    facts: dict,
    text: dict[str, str],
    context: dict[str, Any],
) -> str:
    """An nbformat 4.5 notebook (JSON) walking one framework's steps cell by cell."""
    glue = _glue(folder, context)
    model_class = checked.loaded.model_class
    cells: list[tuple[str, str, tuple[str, ...]]] = []
    title = text["nb_title_torch" if folder == TORCH else "nb_title_tf"].format(**facts)
    cells.append(("markdown", f"# {title}\n\n{text['nb_intro']}", ()))
    cells.append(("code", _code(glue["settings"], "settings"), ("parameters",)))
    body: list[tuple[str, str, tuple[str, ...]]] = []
    for number, names in NOTEBOOK_STEPS[folder].items():
        heading = text["step_heading"].format(n=number, title=text[f"s{number}_title"])
        prose = [f"## {heading}", _intro(number, facts, text)]
        differences = _differences(number, facts, text)
        if differences:
            prose.append("\n".join(f"- {line}" for line in differences))
        heading_at = len(body)
        pending: list[str] = []
        uses: list[Excerpt] = []  # functions and classes the step imports from the project
        for raw in names:
            if raw.startswith("%"):
                if pending:
                    body.append(("code", _code("\n".join(pending), folder), ()))
                    pending = []
                if glue[raw[1:]].strip():  # a glue cell may be empty for this spec
                    body.append(("code", _code(glue[raw[1:]], raw), ()))
                continue
            for excerpt in _excerpts(files, folder, [raw], model_class):
                if is_definition(excerpt.code):
                    uses.append(excerpt)
                else:
                    pending.append(excerpt.code)
        if pending:
            body.append(("code", _code("\n".join(pending), folder), ()))
        if uses:
            prose.append(text["nb_uses"].format(names=_linked(uses)))
        body.insert(heading_at, ("markdown", "\n\n".join(prose), ()))
    body.append(("markdown", text["nb_done"], ()))
    everything = "\n\n".join(source for kind, source, _ in body if kind == "code")
    modules = {m: files[f"{folder}/{m}.py"] for m in PROJECT_MODULES if f"{folder}/{m}.py" in files}
    imports = imports_for(glue["settings"] + "\n" + everything, modules)
    cells.append(("markdown", text["nb_setup"], ()))
    if glue.get("quiet", "").strip():  # before the imports: TensorFlow reads it as it loads
        cells.append(("code", _code(glue["quiet"], "quiet"), ()))
    cells.append(("code", _code(imports, "imports"), ()))
    cells += body
    document = {
        "cells": [_cell(kind, i, source, tags) for i, (kind, source, tags) in enumerate(cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- the tutorial's files


def _torch_pin(files: dict[str, str]) -> str:
    for line in files[f"{TORCH}/requirements.txt"].splitlines():
        if line.startswith("torch=="):
            return line.strip()
    return "torch"


def _chance(checked: CheckedModel) -> dict[str, str] | None:
    """compare.py's chance line: the loss of a uniform guess (ln C over C classes, ln 2 for a
    binary label), or None for a regression or a loss without one."""
    loss = checked.loaded.spec.loss.type
    if checked.task == "classification" and loss in ("cross_entropy", "nll"):
        classes = checked.output.shape[-1]
        what = f"the loss of a uniform guess over the {classes} classes"
        return {"expr": f"float(np.log({classes}))", "what": what}
    if checked.task == "binary" and loss in ("bce", "bce_with_logits"):
        return {"expr": "float(np.log(2))", "what": "the loss of a 0.5 guess for every label"}
    return None


def tutorial_files(
    files: dict[str, str],
    checked: CheckedModel,
    torch_ctx: dict[str, Any],
    tf_ctx: dict[str, Any],
    lang: str = "en",
) -> dict[str, str]:
    """The tutorial layer over the rendered projects `files` (pytorch/..., tensorflow/...)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    text = TEXT[lang]
    facts = _facts(checked, tf_ctx)
    data = tf_ctx["data"]
    facts["data_format"] = _data_format(data, text)
    default_data = data["default_path"] if data["file_based"] else ""
    context = {
        **tf_ctx,
        "text": text,
        "facts": facts,
        "lang": lang,
        "steps": steps(files, checked, facts, text),
        "moves": transfer_statements(checked),
        "chance": _chance(checked),
        "labels": compare_labels(),
        "default_data": default_data,
        "notebook_data": f"../{default_data}" if default_data else "",
        "default_test": data["default_test"] or "",  # a spec's test file, else ""
        "keras_channels_last": checked.input.channels_first and not checked.input.integer,
        "output_channels_first": checked.output.channels_first,
        "has_scheduler": torch_ctx["scheduler_expr"] is not None,
        "torch": torch_ctx,
        "torch_pin": _torch_pin(files),
        "sample_script": SAMPLE_SCRIPT if data["kind"] in SAMPLE_KINDS else "",
        "compare_begin": f"{COMPARE_BEGIN} lang={lang} -->",
        "compare_end": COMPARE_END,
    }
    plan = [
        PlannedFile("README.md", "tutorial/README.md.j2"),
        PlannedFile("compare.py", "tutorial/compare.py.j2"),
        PlannedFile("requirements.txt", "tutorial/requirements.txt.j2"),
        PlannedFile("pyproject.toml", "tutorial/pyproject.toml.j2"),
        PlannedFile(".gitignore", "tutorial/gitignore.j2"),
        PlannedFile(".github/workflows/ci.yml", "tutorial/ci.yml.j2"),
        PlannedFile("tests/conftest.py", "tutorial/conftest.py.j2"),
        PlannedFile("tests/test_tutorial.py", "tutorial/test_tutorial.py.j2"),
    ]
    if data["kind"] in SAMPLE_KINDS:
        plan.append(PlannedFile(SAMPLE_SCRIPT, "tutorial/make_sample_data.py.j2"))
    out = render_plan(plan, context)
    for folder in (TORCH, TF):
        out[f"{folder}/{NOTEBOOK}"] = notebook(folder, files, checked, facts, text, context)
    return out


def compare_block(text: str) -> str | None:
    """The comparison block of a tutorial README (markers included), or None."""
    match = _BLOCK.search(text)
    return match.group(0) if match else None


def without_compare_block(text: str) -> str:
    """The README with its comparison block emptied: what `compare.py` rewrites is not an edit."""
    return _BLOCK.sub(COMPARE_BEGIN + " -->\n" + COMPARE_END, text)


def carry_compare_block(old: str, new: str) -> str:
    """`new` with the comparison block of `old` (a real run's table survives regeneration)."""
    block, fresh = compare_block(old), compare_block(new)
    if block is None or fresh is None:
        return new
    marker = fresh.split("\n", 1)[0]  # the new marker: it names the new language
    body = block.split("\n", 1)[1]
    return _BLOCK.sub(lambda _: marker + "\n" + body, new, count=1)
