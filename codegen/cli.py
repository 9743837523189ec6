"""The `dlgen` command line: parses arguments, calls the parts, prints results and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .errors import DlgenError, Location

app = typer.Typer(
    name="dlgen",
    help="Generate the same deep-learning model as PyTorch and TensorFlow projects.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
# Wide enough for `dlgen ops` when piped; a terminal keeps its own width.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

DEFAULT_EXAMPLE = "mnist_cnn"
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a spec value: data.input_shape=[3,32,32]"),
]
FRAMEWORKS = ("torch", "tf", "both")


def _fail(error: DlgenError) -> None:
    """Print a user error as one line and exit 1."""
    location = f"{error.location}: " if error.location else ""
    typer.echo(f"{location}error: {error.message}", err=True)
    raise typer.Exit(1)


def _writable_file(path: Path | None, option: str) -> None:
    """Refuse, before any work, an output file option whose path cannot be written: a folder,
    or a file in a folder that does not exist."""
    if path is None:
        return
    if path.is_dir():
        raise DlgenError(f"{option} takes a file path; this is a folder", Location(str(path)))
    if not path.parent.is_dir():
        raise DlgenError(f"{option}: the folder {path.parent} does not exist", Location(str(path)))


def _resolve_spec(spec: str | None) -> Path:
    from .resources import examples_dir

    if spec is None:
        return examples_dir() / f"{DEFAULT_EXAMPLE}.yaml"
    path = Path(spec)
    if not path.is_file():  # a bare name is a built-in example, even beside a folder so named
        builtin = examples_dir() / f"{spec}.yaml"
        if "/" not in spec and builtin.exists():
            return builtin
    return path


def _load(spec: str | None, overrides: list[str]) -> Any:
    from .check import check
    from .spec.loader import load_spec

    checked = check(load_spec(_resolve_spec(spec), overrides=overrides))
    for warning in checked.warnings:
        typer.echo(f"{warning.location}: warning: {warning.message}", err=True)
    return checked


def _display_name(path: Path) -> str:
    """How the generated files name their spec: a built-in example by the name `dlgen new`
    takes (never a path into dlgen's own repository), any other spec by its file name."""
    from .resources import examples_dir

    if path.resolve().parent == examples_dir().resolve():
        return path.stem
    return path.name


def _nothing_to_update(folder: Path) -> DlgenError:
    """--update names a folder that is not there: generating a new project would be a guess."""
    return DlgenError(
        "no such folder to update; without --update, dlgen new generates a new one",
        Location(str(folder)),
    )


@app.command()
def new(
    spec: Annotated[
        str | None, typer.Argument(help="spec file or built-in example name (default: mnist_cnn)")
    ] = None,
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="torch, tf or both (default: both)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace an existing output folder")
    ] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="regenerate dlgen's files in an existing folder, keeping the files you changed",
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="tutorial prose (--framework both): en or zh (default: en)"),
    ] = None,
    set_: SetOption = None,
) -> None:
    """Generate PyTorch (five steps) and/or TensorFlow (six steps) projects from a spec; with
    --framework both, a side-by-side tutorial (README, compare.py, notebooks, tests, CI)."""
    from .backends import SPEC_COPY, generate_all
    from .backends.manifest import plan_update, read_manifest
    from .backends.tutorial_text import LANGUAGES
    from .render import update_tree, write_tree

    plan = None
    try:
        if update and force:
            raise DlgenError(
                "--update keeps your changes, --force replaces everything: pass one",
                Location("--update"),
            )
        if update and out is not None and not out.is_dir():
            raise _nothing_to_update(out)
        record = read_manifest(out) if update and out is not None else None
        if update and out is not None and record is None:
            raise DlgenError(
                "has no .dlgen-manifest.json, so dlgen cannot tell its files from yours; "
                "generate into another folder with -o",
                Location(str(out)),
            )
        record = record or {}
        framework = framework or record.get("framework") or "both"
        lang = lang or record.get("lang") or "en"
        if framework not in FRAMEWORKS:
            raise DlgenError(
                f"unknown framework '{framework}'; use one of: {', '.join(FRAMEWORKS)}",
                Location("--framework"),
            )
        if lang not in LANGUAGES:
            raise DlgenError(
                f"unknown language '{lang}'; use one of: {', '.join(LANGUAGES)}", Location("--lang")
            )
        if spec is None and record and out is not None and (out / SPEC_COPY).is_file():
            spec = str(out / SPEC_COPY)  # --update: the spec the folder was made from
        path = _resolve_spec(spec)
        checked = _load(spec, set_ or [])
        spec_name = record.get("spec") if spec and Path(spec).name == SPEC_COPY else None
        files = generate_all(checked, framework, spec_name or _display_name(path), lang)
        name = checked.loaded.spec.project.name
        target = out or Path(
            name
            if framework == "both"
            else f"{name}-{'pytorch' if framework == 'torch' else 'tensorflow'}"
        )
        if update and not target.is_dir():
            raise _nothing_to_update(target)
        if update:
            record = record or read_manifest(target)
            if record is None:
                raise DlgenError(
                    "has no .dlgen-manifest.json, so dlgen cannot tell its files from yours; "
                    "generate into another folder with -o",
                    Location(str(target)),
                )
            plan = plan_update(files, target, record)
            edited = _edited_modules(target, plan.kept)
            if edited:  # the README and notebooks quote the user's versions of these files
                files = generate_all(
                    checked, framework, spec_name or _display_name(path), lang, edited
                )
                plan = plan_update(files, target, record)
            update_tree(plan.write, plan.remove, target)
        else:
            write_tree(files, target, force=force)
    except DlgenError as error:
        _fail(error)
    _print_tree(target, sorted(files), framework, plan)


def _full_batch(project: Path) -> bool:
    """Whether the project's train.py trains on one batch (it then has no --max-steps)."""
    script = project / "train.py"
    return script.exists() and "--max-steps" not in script.read_text(encoding="utf-8")


def _edited_modules(folder: Path, kept: list[str]) -> dict[str, str]:
    """The project modules (`pytorch/model.py`, ...) among the files --update keeps, as the user
    left them: the tutorial's excerpts are cut from these."""
    from .backends.manifest import no_links

    edited = {}
    for rel in kept:
        parts = rel.split("/")
        if len(parts) == 2 and parts[0] in ("pytorch", "tensorflow") and rel.endswith(".py"):
            try:
                edited[rel] = no_links(folder, rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # unreadable as text: the excerpts stay dlgen's
    return edited


def _print_tree(target: Path, files: list[str], framework: str, plan: Any = None) -> None:
    """What was written, as a tree (with --update: what changed and what was kept), and the
    commands to run next."""
    from rich.tree import Tree

    status: dict[str, str] = {}
    if plan is not None:
        status.update({rel: "[green]updated[/green]" for rel in plan.write})
        status.update({rel: "[yellow]kept: changed by you[/yellow]" for rel in plan.kept})
        status.update(
            {rel: "[yellow]not restored: deleted by you[/yellow]" for rel in plan.deleted}
        )
        status.update({rel: "[dim]unchanged[/dim]" for rel in plan.unchanged})
        status.update({rel: "[red]removed[/red]" for rel in plan.remove})
        files = sorted(set(files) | set(plan.remove))
    tree = Tree(f"[bold]{escape(str(target))}[/bold]")
    folders: dict[str, Tree] = {"": tree}
    for rel in sorted(files, key=lambda p: (p.count("/") == 0, p)):
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in folders:
                folders[key] = folders["/".join(parts[: depth - 1])].add(
                    f"[bold]{escape(parts[depth - 1])}/[/bold]"
                )
        note = f"  {status[rel]}" if rel in status else ""
        folders["/".join(parts[:-1])].add(escape(parts[-1]) + note)
    if plan is None:
        console.print(f"wrote {len(files)} files:")
    else:
        console.print(
            f"updated {len(plan.write)} files, kept {len(plan.kept)} you changed, "
            f"removed {len(plan.remove)}:"
        )
    console.print(tree)
    if plan is not None and (plan.kept or plan.deleted):
        console.print(
            "files you changed were left as they are; `dlgen new --force` would replace them"
        )
    console.print("next:")
    if framework == "both":
        requirements = target / "pytorch" / "requirements.txt"
        pins = [line for line in requirements.read_text().splitlines() if line.startswith("torch=")]
        pin = pins[0] if pins else "torch"
        console.print(f"  cd {escape(str(target))}")
        console.print(
            f"  pip install {pin} --index-url https://download.pytorch.org/whl/cpu"
            " && pip install -r requirements.txt"
        )
        if "make_sample_data.py" in files:
            console.print(
                "  python make_sample_data.py                     "
                "# a small made-up data file where the spec reads yours (never overwrites)"
            )
        quick = "" if _full_batch(target / "pytorch") else " --epochs 5 --max-steps 10"
        console.print(
            f"  {'python compare.py' + quick:<46}"
            "# train both, check they agree, fill in the README's table"
        )
        console.print("  python -m pytest -q                            # the tutorial's tests")
        console.print("  (cd pytorch && jupyter lab tutorial.ipynb)     # or tensorflow/")
        return
    quick = "--epochs 1" if _full_batch(target) else "--epochs 1 --max-steps 20"
    console.print(
        f"  cd {escape(str(target))} && pip install -r requirements.txt && python train.py {quick}"
    )


@app.command(name="check")
def check_command(
    spec: Annotated[str, typer.Argument(help="spec file or built-in example name")],
    set_: SetOption = None,
) -> None:
    """Check a spec: print each layer's output shape, or the first error."""
    from .backends.common import shape_text
    from .check import parameter_count

    try:
        checked = _load(spec, set_ or [])
    except DlgenError as error:
        _fail(error)
    table = Table(
        title=f"{checked.loaded.spec.project.name}: input {shape_text(checked.input.shape)}"
    )
    for column in ("#", "layer", "op", "output (PyTorch)", "output (Keras)", "params"):
        table.add_column(column, justify="right" if column in ("#", "params") else "left")
    for index, row in enumerate(checked.rows):
        table.add_row(
            str(index),
            row.layer.name,
            row.layer.op.name,
            shape_text(row.output.shape),
            shape_text(row.output.keras_shape),
            f"{parameter_count(row):,}",
        )
    console.print(table)
    console.print(
        f"ok: {len(checked.rows)} layer{'' if len(checked.rows) == 1 else 's'}, "
        f"{checked.params_count:,} parameters, "
        f"output {shape_text(checked.output.shape)} fits loss {checked.loaded.spec.loss.type}"
    )


@app.command()
def verify(
    spec: Annotated[str | None, typer.Argument(help="spec file or built-in example name")] = None,
    project: Annotated[
        Path | None, typer.Option("--project", help="a folder made by `dlgen new --framework both`")
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="data file or folder for file-based specs")
    ] = None,
    steps: Annotated[int, typer.Option("--steps", min=1, help="training steps to compare")] = 10,
    atol: Annotated[float, typer.Option("--atol", help="forward: max abs diff allowed")] = 1e-5,
    rtol: Annotated[
        float, typer.Option("--rtol", help="training loss: relative diff allowed")
    ] = 1e-4,
    wtol: Annotated[
        float, typer.Option("--wtol", help="final weights: max abs diff allowed")
    ] = 1e-4,
    record: Annotated[
        Path | None, typer.Option("--record", help="write the numbers as JSON")
    ] = None,
    device: Annotated[
        str, typer.Option("--device", help="cpu, or cuda where PyTorch and TensorFlow see a GPU")
    ] = "cpu",
    set_: SetOption = None,
    bench: Annotated[
        bool,
        typer.Option("--bench", help="also train both projects and compare time, memory, loss"),
    ] = False,
    bench_epochs: Annotated[
        int | None, typer.Option(help="--bench: epochs (default: the spec's)")
    ] = None,
    bench_steps: Annotated[int | None, typer.Option(help="--bench: batches per epoch cap")] = None,
    test: Annotated[
        str | None, typer.Option("--test", help="--bench: the test split's file (data.test)")
    ] = None,
    bench_out: Annotated[
        Path, typer.Option(help="--bench: folder for bench.md/json and the PNG")
    ] = Path("dlgen-bench"),
) -> None:
    """Prove the PyTorch and TensorFlow projects compute the same thing (and, with --bench,
    print the seeds' comparison table from a real run of both)."""
    import tempfile

    from .backends import SPEC_COPY, generate_all
    from .render import write_tree

    report = ""
    try:
        _writable_file(record, "--record")
        if device not in ("cpu", "cuda"):
            raise DlgenError(f"unknown device '{device}'; use cpu or cuda", Location("--device"))
        if data is not None and not Path(data).exists():
            raise DlgenError("no such data file or folder", Location(data))
        if project is not None:
            if spec is not None:
                raise DlgenError("give a spec or --project, not both", Location("--project"))
            if not (project / SPEC_COPY).is_file():
                raise DlgenError(
                    f"not a pair made by `dlgen new --framework both` (no {SPEC_COPY})",
                    Location(str(project)),
                )
            checked = _load(str(project / SPEC_COPY), set_ or [])
            extra = _bench_test(checked, test) if bench else []
            result = _verify(checked, project, data, steps, atol, rtol, wtol, device)
            if bench:
                report = _bench(checked, project, data, bench_epochs, bench_steps, bench_out, extra)
        else:
            checked = _load(spec or DEFAULT_EXAMPLE, set_ or [])
            extra = _bench_test(checked, test) if bench else []
            with tempfile.TemporaryDirectory(prefix="dlgen-verify-") as folder:
                target = Path(folder) / "projects"
                write_tree(generate_all(checked, "both", "verify"), target)
                result = _verify(checked, target, data, steps, atol, rtol, wtol, device)
                if bench:
                    report = _bench(
                        checked, target, data, bench_epochs, bench_steps, bench_out, extra
                    )
    except DlgenError as error:
        _fail(error)
    _print_result(result)
    if report:
        console.print(report)
    if record is not None:
        record.write_text(json.dumps(result.numbers, indent=1) + "\n", encoding="utf-8")
    if not result.ok:
        raise typer.Exit(1)


def _verify(
    checked: Any, folder: Path, data: str | None, steps, atol, rtol, wtol, device="cpu"
) -> Any:
    from .backends import FOLDERS
    from .verify.run import verify_projects

    return verify_projects(
        checked,
        folder / FOLDERS["torch"],
        folder / FOLDERS["tf"],
        data,
        steps,
        atol,
        rtol,
        wtol,
        device,
    )


def _bench_test(checked: Any, test: str | None) -> list[str]:
    """train.py's --test for --bench: the spec's test file must be given (its path in the spec
    is relative to a project, which verify does not run in)."""
    if not getattr(checked.loaded.spec.data, "test", None):
        return []
    if test is None:
        raise DlgenError(
            "the spec has a test split (data.test): give its file with --test", Location("--bench")
        )
    if not Path(test).is_file():
        raise DlgenError("no such test file", Location(test))
    return ["--test", str(Path(test).resolve())]


def _bench(
    checked: Any,
    folder: Path,
    data: str | None,
    epochs: int | None,
    steps: int | None,
    out: Path,
    extra: list[str],
) -> str:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .backends import FOLDERS
    from .verify.bench import run_project, summarize, write_reports

    spec = checked.loaded.spec
    epochs = epochs or spec.train.epochs
    args = ["--epochs", str(epochs), "--data", str(Path(data).resolve()) if data else "unused"]
    args += extra
    if steps:
        args += ["--max-steps", str(steps)]
    per_epoch = -(-_train_samples(checked) // spec.data.batch_size)
    samples = min(per_epoch, steps or per_epoch) * spec.data.batch_size * epochs
    rows = []
    out = out.resolve()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for name in ("torch", "tf"):
            task = progress.add_task(f"training {FOLDERS[name]}", total=epochs)
            metrics, elapsed = run_project(
                folder / FOLDERS[name],
                args,
                out / FOLDERS[name],
                lambda task=task: progress.advance(task),
            )
            rows.append(summarize(FOLDERS[name], metrics, elapsed, samples))
    title = f"{spec.project.name}: {epochs} epochs"
    paths = write_reports(rows, out, title)
    from .verify.bench import markdown

    return markdown(rows, title) + f"\nwrote {paths['markdown']}, {paths['json']}, {paths['plot']}"


def _train_samples(checked: Any) -> int:
    data = checked.loaded.spec.data
    total = {"mnist": getattr(data, "limit", None) or 60000}.get(
        data.kind, getattr(data, "samples", 0)
    )
    return max(1, int(total * (1 - data.validation_split))) if total else 1


def _print_result(result: Any) -> None:
    for check in result.checks:
        table = Table(title=check.title)
        for column in check.columns:
            table.add_column(column)
        for row in check.rows:
            table.add_row(*(_cell(value) for value in row))
        console.print(table)
        mark = "PASS" if check.ok else "FAIL"
        console.print(f"{mark}: {check.summary}")
        for note in check.notes:
            console.print(f"note: {note}")
    console.print("verify: all checks passed" if result.ok else "verify: FAILED")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.7g}"
    return str(value)


@app.command()
def translate(
    source: Annotated[Path, typer.Argument(help="a PyTorch .py file, or a folder of them")],
    to: Annotated[
        str, typer.Option("--to", help="tf (TensorFlow source) or yaml (a dlgen spec)")
    ] = "tf",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="output file (folder for a folder)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="replace existing output")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="write every construct found as JSON")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 3 if anything was left untranslated")
    ] = False,
    verify_class: Annotated[
        str | None,
        typer.Option(
            "--verify",
            help="class (or factory function) to build from both files and compare: exit 1 "
            "if the outputs differ, 4 if either model could not be run",
        ),
    ] = None,
    input_shapes: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="input shape: 2x1x28x28 or 4x20:int:1000 (--verify, yaml); --verify takes "
            "one --input per argument of forward",
        ),
    ] = None,
    init_args: Annotated[
        str | None,
        typer.Option(
            "--args",
            help="--verify: the arguments that build the model, as JSON: an object of keyword "
            """arguments ('{"vgg_name": "VGG11"}') or a list of positional ones ('["VGG11"]')""",
        ),
    ] = None,
    atol: Annotated[float, typer.Option("--atol", help="--verify: max abs diff allowed")] = 1e-5,
    rtol: Annotated[
        float,
        typer.Option(
            "--rtol",
            help="--verify: also allow rtol·|PyTorch's value| per element (numpy's allclose)",
        ),
    ] = 0.0,
    dump: Annotated[
        Path | None, typer.Option("--dump", help="--verify: write input, outputs, weights (.npz)")
    ] = None,
    class_name: Annotated[
        str | None,
        typer.Option("--class", help="--to yaml: the model class (default: the only one)"),
    ] = None,
) -> None:
    """Translate PyTorch source to TensorFlow (or a spec), report what was left, and prove the
    translated model computes the same outputs (--verify).

    Exit status: 0 done; 1 --verify found the outputs differ; 2 a usage error (an option, the
    source or the output path: nothing was written); 3 --strict and something was left
    untranslated; 4 --verify could not run a model (not a verdict on equality)."""
    from .translate.driver import translate_path
    from .translate.report import reports_json

    input_shapes = input_shapes or []
    try:
        if verify_class is not None and (not input_shapes or to != "tf" or source.is_dir()):
            raise DlgenError(
                "--verify takes one file, --to tf and --input SHAPE", Location("--verify")
            )
        if to == "yaml" and len(input_shapes) > 1:
            raise DlgenError("--to yaml takes one --input", Location("--input"))
        if init_args is not None and verify_class is None:
            raise DlgenError("--args goes with --verify", Location("--args"))
        # Every option is checked before anything is translated or written.
        _writable_file(report, "--report")
        _writable_file(dump, "--dump")
        args, kwargs = _parse_init_args(init_args)
        parsed = []
        if input_shapes:  # imported only when needed: it brings the op registry (start-up time)
            from .verify.translated import InputSpec

            parsed = [InputSpec.parse(text) for text in input_shapes]
        shape = list(parsed[0].shape[1:]) if to == "yaml" and parsed else None
        check = _check_spec_text if to == "yaml" else None
        written = translate_path(source, to, out, force, class_name, shape, check)
    except DlgenError as error:
        _fail_translate(error)
    _print_translation(written)
    if report is not None:
        report.write_text(reports_json(written.reports), encoding="utf-8")
        console.print(f"wrote {escape(str(report))}")
    if verify_class is not None:  # --verify requires --input
        _verify_translation(
            source,
            written.destination,
            verify_class,
            parsed,
            atol,
            dump,
            rtol,
            (args, kwargs),
        )
    if strict and any(r.left for r in written.reports):
        typer.echo("error: --strict: some constructs were not translated", err=True)
        raise typer.Exit(3)


def _check_spec_text(text: str) -> None:
    """Run the spec loader and shape checker on extracted YAML before it is written."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dlgen-spec-") as folder:
        path = Path(folder) / "extracted.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            _load(str(path), [])
        except DlgenError as error:
            raise DlgenError(f"the extracted spec does not check: {error.message}") from None


def _parse_init_args(text: str | None) -> tuple[list, dict]:
    """--args: a JSON object (keyword arguments) or list (positional ones)."""
    import json

    if text is None:
        return [], {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise DlgenError(
            f"not JSON ({error.msg} at column {error.colno})", Location("--args")
        ) from None
    if isinstance(value, dict):
        return [], value
    if isinstance(value, list):
        return value, {}
    raise DlgenError(
        """a JSON object of keyword arguments ('{"depth": 18}') or a list of positional """
        f"ones ('[18]'), not {type(value).__name__}",
        Location("--args"),
    )


def _fail_translate(error: DlgenError) -> None:
    """One line, then (for a file that does not parse) the source line and a caret; exit 2,
    the status of a usage error (1 is --verify's "the outputs differ")."""
    location = f"{error.location}: " if error.location else ""
    typer.echo(f"{location}error: {error.message}", err=True)
    excerpt = getattr(error, "excerpt", "")
    if excerpt:
        typer.echo(excerpt, err=True)
    raise typer.Exit(2)


def _print_translation(written: Any) -> None:
    for item in written.reports:
        table = Table(
            title=f"{escape(item.file)}: {item.total - len(item.left)}/{item.total} translated"
        )
        for column in ("lines", "PyTorch", "status", "detail"):
            table.add_column(column)
        groups: dict[tuple, list[int]] = {}
        for construct in item.sorted():
            key = (construct.in_output, construct.name, construct.translated, construct.detail)
            groups.setdefault(key, []).append(construct.line)
        for (in_output, name, done, detail), lines in sorted(
            groups.items(), key=lambda g: (g[0][0], g[1][0])
        ):
            shown = ", ".join(str(n) for n in lines[:8]) + (", ..." if len(lines) > 8 else "")
            if in_output:  # found by the output check, at the output's line
                shown = f"output {shown}"
            status = "translated" if done else "[bold red]NOT translated[/bold red]"
            table.add_row(shown, escape(name), status, escape(detail))
        console.print(table)
    total = sum(r.total for r in written.reports)
    left = sum(len(r.left) for r in written.reports)
    rate = 100.0 if not total else 100.0 * (total - left) / total
    console.print(
        f"conversion rate {rate:.1f}% ({total - left}/{total} constructs); "
        f"wrote {len(written.files)} file{'s' if len(written.files) != 1 else ''} to "
        f"{escape(str(written.destination))}"
    )


def _verify_translation(
    source: Path,
    translated: Path,
    class_name: str,
    specs: list[Any],
    atol: float,
    dump: Path | None,
    rtol: float,
    init: tuple[list, dict],
) -> None:
    """Build `class_name(*args, **kwargs)` from both files, run it on inputs drawn by `specs`
    (InputSpecs, parsed before anything was written), and compare the outputs."""
    from .verify.translated import FLOAT64_ATOL, CouldNotRun, OutputsDiffer, verify_files

    try:
        result = verify_files(
            source,
            translated,
            class_name,
            specs,
            atol=atol,
            rtol=rtol,
            dump=dump,
            args=init[0],
            kwargs=init[1],
        )
    except (CouldNotRun, OutputsDiffer) as error:
        typer.echo(f"{error.location}: error: {error.message}", err=True)
        # a crash in either model is not a verdict on equality; other outputs are "not equal"
        raise typer.Exit(4 if isinstance(error, CouldNotRun) else 1) from None
    except DlgenError as error:  # no such class: a usage error
        _fail_translate(error)
    shown = " and ".join(str(spec) for spec in specs)
    console.print(f"{escape(class_name)}: PyTorch vs TensorFlow on input {escape(shown)}")
    for title, rows in (
        ("inference mode", result.outputs),
        ("training mode (dropout off)", result.training),
    ):
        if not rows:
            continue
        table = Table(title=title)
        for column in ("output", "shape", "max abs diff"):
            table.add_column(column)
        for label, out_shape, diff in rows:
            table.add_row(escape(label), str(out_shape), f"{diff:.3g}")
        console.print(table)
    if result.training_note:
        console.print(f"training mode: {escape(result.training_note)}")
    elif result.training:
        off = result.dropout_off
        console.print(
            f"training mode: batch statistics; {off} PyTorch dropout module{'s' * (off != 1)} "
            "and every Keras Dropout layer turned off"
        )
    if dump is not None:
        console.print(f"wrote {escape(str(dump))}")
    console.print(f"loaded from each file: {escape(result.loaded)}")
    allowed = f"atol {atol:g}" + (f", rtol {rtol:g}" if rtol else "")
    console.print(
        f"max_abs_diff={result.max_abs_diff:.3g} ({allowed}, {result.moved} layers' weights moved)"
    )
    if result.rounding is not None:
        console.print(
            f"PyTorch's own outputs move by {result.rounding:.3g} between float32 and float64 on "
            "this input: a difference of that size is rounding, a much larger one is not"
        )
    if result.float64_diff is not None:
        verdict = (
            "the same computation: the float32 difference is rounding"
            if result.equal_in_float64
            else f"above {FLOAT64_ATOL:g}: not rounding"
        )
        console.print(
            f"both models again in float64 (same weights and inputs): max_abs_diff="
            f"{result.float64_diff:.3g}, {verdict}"
        )
    elif result.float64_note:
        console.print(f"float64 check: {escape(result.float64_note)}")
    if not result.passed:
        limit = f"--atol {atol:g}" + (f" + --rtol {rtol:g} × |PyTorch's value|" if rtol else "")
        typer.echo(f"error: max_abs_diff {result.max_abs_diff:.3g} is above {limit}", err=True)
        raise typer.Exit(1)


@app.command()
def ops() -> None:
    """List every supported op with its PyTorch and Keras spelling."""
    from .ops import REGISTRY

    table = Table(title="layers")
    for column in ("op", "PyTorch", "Keras", "parameters (default)", "what"):
        table.add_column(column)
    for name, op in sorted(REGISTRY.layers.items()):
        params = ", ".join(
            f"{key}" if field.is_required() else f"{key}={field.default!r}"
            for key, field in op.params.model_fields.items()
        )
        table.add_row(name, op.torch_name, op.keras_name, params or "-", op.summary)
    console.print(table)
    for title, entries in (
        ("losses", REGISTRY.losses),
        ("optimizers", REGISTRY.optimizers),
        ("schedules", REGISTRY.schedules),
    ):
        other = Table(title=title)
        for column in ("type", "PyTorch", "Keras", "what"):
            other.add_column(column)
        for name, op in sorted(entries.items()):
            other.add_row(name, op.torch_name, op.keras_name, op.summary)
        console.print(other)


@app.command()
def schema() -> None:
    """Print the JSON Schema of spec files (for editors: yaml-language-server)."""
    from .schema import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2, sort_keys=True))


@app.command()
def examples() -> None:
    """List the built-in example specs."""
    import yaml

    from .resources import examples_dir

    table = Table(title="built-in specs (dlgen new NAME)")
    table.add_column("name")
    table.add_column("description")
    for path in sorted(examples_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        table.add_row(path.stem, str(data.get("project", {}).get("description", "")))
    console.print(table)


@app.command()
def version() -> None:
    """Print dlgen's version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    sys.exit(main())
