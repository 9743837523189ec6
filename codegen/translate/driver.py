"""Translate a file or a folder and write the result safely (all or nothing, no overwrite
without `force`)."""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..errors import DlgenError, Location
from ..files import decode_utf8, read_bounded
from .api import translate_source
from .report import Report
from .source import SourceError

TARGETS = ("tf", "yaml")


@dataclass
class Written:
    """What one `dlgen translate` run produced."""

    destination: Path
    files: list[Path]
    reports: list[Report]


def default_output(source: Path, to: str) -> Path:
    """model.py → model_tf.py (or model.yaml); a folder → folder_tf."""
    if source.is_dir():
        return source.with_name(f"{source.name}_{to}")
    return source.with_name(f"{source.stem}_tf.py" if to == "tf" else f"{source.stem}.yaml")


# The largest source file read (a 10,000-line model is about 0.5 MB).
MAX_SOURCE_BYTES = 16 * 2**20


def _read(path: Path) -> str:
    """A source file's text; a UTF-8 byte-order mark is not part of it (Python skips it too)."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise DlgenError(
            f"is {what}; translate takes .py files and folders of them", Location(str(path), 1, 1)
        )
    too_big = f"is over {MAX_SOURCE_BYTES:,} bytes: not a source file"
    raw = read_bounded(path, MAX_SOURCE_BYTES, too_big)
    text = decode_utf8(raw, path, "not UTF-8 text", encoding="utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_file(text: str, destination: Path, force: bool) -> None:
    """Write `text` through a temporary file renamed into place."""
    if destination.exists() and not force:
        raise DlgenError(
            "already exists; pass --force to replace it, or choose another path with -o",
            Location(str(destination)),
        )
    if destination.is_dir():
        raise DlgenError("is a folder; give a file path with -o", Location(str(destination)))
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.chmod(partial, 0o666 & ~_umask())
            os.replace(partial, destination)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    except OSError as exc:
        raise DlgenError(
            f"cannot write: {exc.strerror or exc}", Location(str(destination))
        ) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def translate_tree(source: Path, destination: Path, force: bool) -> Written:
    """Translate every .py file under `source` into the same tree under `destination`."""
    paths = _python_files(source)
    if not paths:
        raise DlgenError("no Python files to translate", Location(str(source)))
    texts = [_read(path) for path in paths]  # an unreadable file stops the run before any work
    files: dict[str, str] = {}
    reports: list[Report] = []
    for path, (code, report) in zip(paths, _translate_all(texts, paths), strict=True):
        files[path.relative_to(source).as_posix()] = code
        reports.append(report)
    from ..render import write_tree  # Jinja comes with it: only folders need it

    write_tree(files, destination, force=force)
    return Written(destination, [destination / rel for rel in sorted(files)], reports)


# Below this many lines in a folder, starting worker processes costs more than it saves.
PARALLEL_LINES = 2_000


def _translate_all(texts: list[str], paths: list[Path]) -> list[tuple[str, Report]]:
    """Each file's translation and report, in order: on as many processes as this one may
    use when the folder is large enough (files are independent), else here. The first file
    (in order) that cannot be translated raises its error, as one after another would."""
    workers = min(_usable_cpus(), len(texts))
    lines = sum(text.count("\n") for text in texts)
    if workers < 2 or lines < PARALLEL_LINES or "fork" not in mp.get_all_start_methods():
        return [_translated(text, str(path)) for text, path in zip(texts, paths, strict=True)]
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            # forked workers start with every module already imported
            results = list(pool.map(_translate_one, texts, map(str, paths)))
    except BrokenProcessPool:
        raise DlgenError(
            "a translating process stopped unexpectedly (out of memory?)",
            Location(os.path.commonpath([str(path) for path in paths])),
        ) from None
    for result in results:
        if isinstance(result, _Failure):
            raise result.error()
    return results  # type: ignore[return-value]


@dataclass(frozen=True)
class _Failure:
    """A file's DlgenError as a worker process sends it back (pickling the exception itself
    would lose its location and excerpt)."""

    message: str
    location: Location | None
    excerpt: str

    def error(self) -> DlgenError:
        if self.excerpt:
            return SourceError(self.message, self.location, self.excerpt)  # type: ignore[arg-type]
        return DlgenError(self.message, self.location)


def _translated(text: str, name: str) -> tuple[str, Report]:
    result = translate_source(text, name)
    return result.code, result.report


def _translate_one(text: str, name: str) -> tuple[str, Report] | _Failure:
    """`_translated` in a worker process."""
    try:
        return _translated(text, name)
    except DlgenError as error:
        return _Failure(error.message, error.location, getattr(error, "excerpt", ""))


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _python_files(source: Path) -> list[Path]:
    """The .py files under `source`, hidden folders left out. Links to folders are not
    followed (a link loop would never end); a folder named `x.py` is a folder."""
    found: list[Path] = []

    def fail(exc: OSError) -> None:
        where = Location(exc.filename or str(source))
        raise DlgenError(f"cannot read: {exc.strerror or exc}", where)

    for root, dirs, names in os.walk(source, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root, name) for name in sorted(names) if name.endswith(".py")]
    return found


def refuse_overlap(source: Path, destination: Path) -> None:
    """The output may not be the input, lie inside it or hold it: writing it (with --force,
    which replaces a folder whole) would destroy the source being translated. Links are
    followed, so a link to the input counts as the input."""
    src, dst = source.resolve(), destination.resolve()
    if src == dst:
        why = "is the input itself"
    elif dst.is_relative_to(src):
        why = "lies inside the input folder"
    elif src.is_relative_to(dst):
        why = "holds the input"
    else:
        return
    raise DlgenError(
        f"the output {why}; choose an output path outside {source} with -o",
        Location(str(destination)),
    )


def translate_path(
    source: Path,
    to: str,
    out: Path | None,
    force: bool,
    class_name: str | None = None,
    input_shape: list[int] | None = None,
    check_spec: Callable[[str], None] | None = None,
) -> Written:
    """`dlgen translate SOURCE --to tf|yaml [-o OUT]`; for yaml, `check_spec` validates the
    spec text (the CLI runs dlgen's checker) before anything is written."""
    if to not in TARGETS:
        raise DlgenError(
            f"unknown target '{to}'; use one of: {', '.join(TARGETS)}", Location("--to")
        )
    if not source.exists():
        raise DlgenError("no such file or folder", Location(str(source)))
    destination = out or default_output(source, to)
    refuse_overlap(source, destination)
    if source.is_dir():
        if to != "tf":
            raise DlgenError("--to yaml takes one file, not a folder", Location(str(source)))
        return translate_tree(source, destination, force)
    text = _read(source)
    if to == "yaml":
        from .spec_extract import spec_yaml

        yaml_text, report = spec_yaml(text, str(source), class_name, input_shape)
        if check_spec is not None:
            check_spec(yaml_text)
        write_file(yaml_text, destination, force)
        return Written(destination, [destination], [report])
    result = translate_source(text, str(source))
    write_file(result.code, destination, force)
    return Written(destination, [destination], [result.report])
