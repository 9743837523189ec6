"""Render file plans with Jinja, format Python with black, and write trees safely.

A tree is rendered completely in memory, written into a temporary folder beside the
destination, and only then moved into place, so a failure never leaves half a project.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import math
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
    env.filters["py"] = py_literal
    return env


def py_literal(value: Any) -> str:
    """A Python literal for `value` that stays one literal wherever a template puts it.

    Like `repr`, but a string never contains an unescaped quote of either kind, so it cannot
    close a surrounding docstring or string (a spec's `x_key: '\"\"\"; code; \"\"\"'` stays data),
    and a non-finite float is spelled as a call rather than the bare name `inf`.
    """
    if isinstance(value, str):
        text = repr(value)
        body = text[1:-1]
        body = body.replace("'", "\\'") if text[0] == '"' else body.replace('"', '\\"')
        return f"'{body}'"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


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
    # if another version is installed anyway. "-checked": entries start with their hash, a
    # format that older dlgen versions (sharing ~/.cache/dlgen) must not read.
    return root / f"black-{version('black')}-{LINE_LENGTH}-checked"


def format_python(source: str, name: str) -> str:
    """Format generated Python with black (a failure is a dlgen bug, reported with the name).

    Formatting is a pure function of the source text, so results are cached by content hash
    (like black's own cache): a warm `dlgen new` skips importing and running black. A cache
    entry is the hash of the formatted text, then that text; an entry whose text does not match
    its hash (truncated, appended to, edited) is ignored and written anew.
    """
    cache = _cache_dir()
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if cache is not None:
        cached = _read_cached(cache / f"{key}.py")
        if cached is not None:
            return cached
    import black

    try:
        formatted = black.format_str(source, mode=black_mode())
    except black.InvalidInput as exc:  # pragma: no cover - would be a template bug
        raise RuntimeError(f"generated {name} is not valid Python: {exc}\n{source}") from exc
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            partial = cache / f".{key}.{os.getpid()}.tmp"
            partial.write_text(_digest(formatted) + "\n" + formatted, encoding="utf-8")
            os.replace(partial, cache / f"{key}.py")
        except OSError:
            pass  # a read-only home only costs speed
    return formatted


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_cached(path: Path) -> str | None:
    """A cache entry's formatted text, or None when it is missing or does not match its hash."""
    try:
        digest, _, text = path.read_text(encoding="utf-8").partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return text if digest == _digest(text) else None


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
    after the new one has been written completely beside it, by one atomic exchange where the
    system has one (Linux), else by two renames that are undone on any interruption. Staging
    folders that a killed run left behind are removed by the next run.
    """
    destination = Path(destination)
    where = Location(str(destination))
    _recover(destination)
    if destination.exists() and not force:
        raise DlgenError(
            "already exists; pass --force to replace it, or choose another folder with -o", where
        )
    if destination.exists() and not destination.is_dir():
        raise DlgenError("exists and is not a folder", where)
    try:
        _write_tree(files, destination)
    except OSError as exc:
        raise DlgenError(f"cannot write the project: {exc.strerror or exc}", where) from None


def _write_tree(files: dict[str, str], destination: Path) -> None:
    resolved = destination.resolve()
    if destination.exists():
        _refuse_to_replace(destination, resolved, files)
    parent = resolved.parent
    parent.mkdir(parents=True, exist_ok=True)
    stem = f".{resolved.name}.dlgen-"
    staging = _make_staging(parent, stem)
    old = staging.with_name(staging.name + "-old")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a project folder is not
        for rel, text in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        if not destination.exists():
            os.replace(staging, destination)
        # Through a link to a folder, the folder is replaced and the link kept.
        elif not _exchange(staging, resolved):  # staging now holds the old tree, if it did
            _replace_by_renames(staging, resolved, old)
    finally:
        _remove(staging, old)


def update_tree(write: dict[str, str], remove: list[str], destination: Path) -> None:
    """Rewrite the files `write`, delete `remove`, and keep everything else in `destination`
    byte for byte, all or nothing (`dlgen new --update`).

    The tree is copied beside the destination (hard links where possible, so large files cost
    nothing), changed there, and swapped in the way `write_tree` swaps a new tree in. A virtual
    environment at the top (`CARRIED`: thousands of files) is not copied: once the new tree is
    in, it is moved over from the old one by one rename; a run killed in between leaves it in
    the old tree, where the next run's clean-up finds it and moves it back first.
    """
    destination = Path(destination)
    where = Location(str(destination))
    _recover(destination)
    if not destination.is_dir():
        raise DlgenError("is not a folder to update", where)
    resolved = destination.resolve()
    if _holds_precious(resolved):
        raise DlgenError(
            "will not update the folder you are in (or one holding it); run "
            f"`dlgen new --update -o {resolved.name}` from {resolved.parent}",
            where,
        )
    stem = f".{resolved.name}.dlgen-"
    staging = _make_staging(resolved.parent, stem)
    old = staging.with_name(staging.name + "-old")
    carried = [
        name
        for name in CARRIED
        if (resolved / name).is_dir() and not (resolved / name).is_symlink()
    ]
    try:
        shutil.copytree(
            resolved,
            staging,
            symlinks=True,
            copy_function=_link_or_copy,
            dirs_exist_ok=True,
            ignore=lambda folder, _: carried if Path(folder) == resolved else [],
        )
        os.chmod(staging, resolved.stat().st_mode & 0o7777)
        for rel in remove:
            (staging / rel).unlink(missing_ok=True)
        for rel, text in sorted(write.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)  # a hard link to the old file: never write through it
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        if not _exchange(staging, resolved):
            _replace_by_renames(staging, resolved, old)
    except OSError as exc:
        raise DlgenError(f"cannot update the project: {exc.strerror or exc}", where) from None
    finally:
        # The old tree is now at `staging` (exchanged) or `old` (renamed): what it carries
        # moves into the new one before it is removed; never removed while it still holds it.
        held = [folder for folder in (staging, old) if not _carry_over(folder, resolved, carried)]
        if not held:
            _remove(staging, old)
    if held:
        raise DlgenError(
            f"updated, but could not move {', '.join(carried)} back in: it is in {held[0]}; "
            "move it into the project yourself",
            where,
        )


# Top-level folders `--update` moves into the new tree instead of copying them: virtual
# environments, whose thousands of files took most of the time of a copy (an update beside
# a 57,840-file .venv: 4.06 s hard-linking it, 0.86 s moving it).
CARRIED = (".venv", "venv")


def _carry_over(folder: Path, destination: Path, names: list[str] | tuple[str, ...]) -> bool:
    """Move each of `names` that `folder` (an old tree, or a staging folder) holds into
    `destination` where that has none; False when one is left in `folder`."""
    for name in names:
        source = folder / name
        if not source.is_dir() or source.is_symlink():
            continue
        if (destination / name).exists() or not destination.is_dir():
            return False  # not ours to settle: leave it where it is
        try:
            os.replace(source, destination / name)
        except OSError:
            return False
    return True


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _remove(staging: Path, old: Path) -> None:
    """Remove a staging folder, the old tree set aside beside it and then their mark; a Ctrl-C
    meanwhile is passed on once the removal is done."""
    interrupted: KeyboardInterrupt | None = None
    for _ in range(3):
        try:
            for folder in (staging, old):
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder, ignore_errors=True)
            staging.with_name(staging.name + MARK).unlink(missing_ok=True)
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


# Folders of the system's own layout (and the home folder): never replaced, even when empty.
SYSTEM_FOLDERS = frozenset(
    "/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root "
    "/run /sbin /srv /sys /tmp /usr /var /usr/bin /usr/lib /usr/local /usr/share /var/lib "
    "/var/tmp /Applications /Library /System /Users /Volumes /private".split()
)
# What running a project leaves beside its files; replacing it loses nothing.
_DERIVED = ("__pycache__",)


def _refuse_to_replace(destination: Path, resolved: Path, files: dict[str, str]) -> None:
    """`--force` replaces a folder whole: only one that dlgen wrote (its manifest is there),
    an empty one, or one holding nothing but files this run writes anew."""
    where = Location(str(destination))
    if _holds_precious(resolved) or str(resolved) in SYSTEM_FOLDERS:
        raise DlgenError(
            "will not replace this folder: it is a system folder, your home, or holds the "
            "current folder; choose a project folder with -o",
            where,
        )
    from .backends.manifest import MANIFEST

    if (resolved / MANIFEST).is_file():
        return
    foreign = _first_foreign(resolved, files)
    if foreign is not None:
        raise DlgenError(
            f"will not replace this folder: dlgen did not write it (it holds {foreign!r}); "
            "--force replaces only dlgen's own or empty folders: choose another folder with -o",
            where,
        )


def _first_foreign(folder: Path, files: dict[str, str]) -> str | None:
    """The first entry under `folder` that is not one of `files` (nor derived from them)."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _DERIVED or os.path.islink(os.path.join(root, d))]
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        for name in sorted(names) + links:
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel not in files:
                return rel
    return None


def _holds_precious(folder: Path) -> bool:
    cwd = Path.cwd().resolve()
    home = Path.home().resolve()
    return folder == folder.parent or folder == home or folder == cwd or folder in cwd.parents


def _replace_by_renames(staging: Path, destination: Path, old: Path) -> None:
    """Move the old tree aside, the new one in; put the old one back if anything interrupts."""
    os.replace(destination, old)
    try:
        os.replace(staging, destination)
    except BaseException:
        if not destination.exists():
            os.replace(old, destination)
        raise


# A staging folder `.NAME.dlgen-PID-XXXX` (and the old tree a swap sets aside beside it,
# `...-old`) is dlgen's own only when the file `.NAME.dlgen-PID-XXXX.mark` is there too: made
# before the folder and removed after it, it is what lets the stale-staging cleaner tell
# dlgen's leftovers from a user's folder that happens to have such a name.
MARK = ".mark"


def _make_staging(parent: Path, stem: str) -> Path:
    """A new marked staging folder in `parent`, once the stale ones of killed runs are gone."""
    _remove_stale(parent, stem)
    while True:
        handle, mark = tempfile.mkstemp(prefix=f"{stem}{os.getpid()}-", suffix=MARK, dir=parent)
        os.close(handle)
        staging = Path(mark[: -len(MARK)])
        try:
            staging.mkdir()
            return staging
        except FileExistsError:  # someone else's entry of that name: draw another
            os.unlink(mark)


@functools.cache
def _renameat2() -> Any:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    function = _renameat2()
    if function is None:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if function(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system or kernel cannot exchange: fall back to renames
    raise OSError(error, os.strerror(error), str(b))


def _recover(destination: Path) -> None:
    """Put back an old tree that a run killed between its two renames had moved aside."""
    if destination.exists() or not destination.parent.is_dir():
        return
    stem = f".{destination.resolve().name}.dlgen-"
    for entry in sorted(destination.parent.iterdir()):
        pid = entry.name[len(stem) :].split("-", 1)[0]
        if entry.name.startswith(stem) and entry.name.endswith("-old") and pid.isdigit():
            if not _alive(int(pid)):
                os.replace(entry, destination)
                return


def _remove_stale(parent: Path, stem: str) -> None:
    """Remove staging folders of runs that were killed (their process no longer exists)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        # Only marked entries are dlgen's: a name alone proves nothing.
        if not entry.name.startswith(stem) or not entry.name.endswith(MARK):
            continue
        pid = entry.name[len(stem) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        if entry.is_file() and not entry.is_symlink():
            staging = entry.with_name(entry.name[: -len(MARK)])
            old = staging.with_name(staging.name + "-old")
            # A run killed after its swap left the virtual environment in the old tree.
            destination = parent / stem[1 : -len(".dlgen-")]
            if all(_carry_over(folder, destination, CARRIED) for folder in (staging, old)):
                _remove(staging, old)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
