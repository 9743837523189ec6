"""Render file plans with Jinja, format Python with black, and write trees safely.

A tree is rendered completely in memory, written into a temporary folder beside the
destination, and only then moved into place, so a failure never leaves half a project.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .errors import DlgenError, Location
from .resources import templates_dir

LINE_LENGTH = 88


@dataclass(frozen=True)
class PlannedFile:
    """One file of a project: its relative path, template and context."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates are cached too (Jinja checks each template's source is unchanged)."""
    root = _cache_root()
    if root is None:
        return None
    folder = root / f"jinja-{jinja2.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = repr
    return env


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


def black_mode():
    """The black settings every generated file is formatted with."""
    import black

    return black.Mode(line_length=LINE_LENGTH)


@functools.cache
def _cache_root() -> Path | None:
    """Per-user cache for formatted files and compiled templates; DLGEN_NO_CACHE turns it off."""
    if os.environ.get("DLGEN_NO_CACHE"):
        return None
    root = os.environ.get("DLGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dlgen"
    )
    return Path(root)


@functools.cache
def _cache_dir() -> Path | None:
    root = _cache_root()
    if root is None:
        return None
    from importlib.metadata import version

    # black is pinned in pyproject.toml; keying by the installed version keeps a cache honest
    # if another version is installed anyway.
    return root / f"black-{version('black')}-{LINE_LENGTH}"


def format_python(source: str, name: str) -> str:
    """Format generated Python with black (a failure is a dlgen bug, reported with the name).

    Formatting is a pure function of the source text, so results are cached by content hash
    (like black's own cache): a warm `dlgen new` skips importing and running black.
    """
    cache = _cache_dir()
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if cache is not None:
        try:
            return (cache / f"{key}.py").read_text(encoding="utf-8")
        except OSError:
            pass
    import black

    try:
        formatted = black.format_str(source, mode=black_mode())
    except black.InvalidInput as exc:  # pragma: no cover - would be a template bug
        raise RuntimeError(f"generated {name} is not valid Python: {exc}\n{source}") from exc
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            partial = cache / f".{key}.{os.getpid()}.tmp"
            partial.write_text(formatted, encoding="utf-8")
            os.replace(partial, cache / f"{key}.py")
        except OSError:
            pass  # a read-only home only costs speed
    return formatted


def render_plan(plan: list[PlannedFile], common: dict[str, Any]) -> dict[str, str]:
    """Render every planned file; returns path → text, Python files black-formatted."""
    env = environment()
    out: dict[str, str] = {}
    for item in plan:
        text = env.get_template(item.template).render(**common, **item.context)
        if item.path.endswith(".py"):
            text = format_python(text, item.path)
        out[item.path] = text
    return out


def write_tree(files: dict[str, str], destination: Path, force: bool = False) -> None:
    """Write `files` under `destination`, all or nothing.

    Without `force` an existing destination is an error. With it, the old tree is replaced only
    after the new one has been written completely beside it.
    """
    destination = Path(destination)
    if destination.exists() and not force:
        raise DlgenError(
            "already exists; pass --force to replace it, or choose another folder with -o",
            Location(str(destination)),
        )
    if destination.exists() and not destination.is_dir():
        raise DlgenError("exists and is not a folder", Location(str(destination)))
    parent = destination.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.dlgen-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a project folder is not
    try:
        for rel, text in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        if destination.exists():
            old = parent / f".{destination.name}.dlgen-old-{os.getpid()}"
            os.replace(destination, old)
            os.replace(staging, destination)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
