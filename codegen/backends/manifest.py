"""`.dlgen-manifest.json`: what dlgen wrote, so `dlgen new --update` can tell the user's edits
from its own files.

The manifest holds a sha256 per generated file. On update, a file whose content still has
its recorded digest is dlgen's and is replaced; one that differs (or was deleted) is the
user's and is kept as it is, and reported. A README's comparison block, which `compare.py`
rewrites, does not count as an edit: it is left out of the digest and carried over.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import DlgenError, Location
from .tutorial import carry_compare_block, without_compare_block

MANIFEST = ".dlgen-manifest.json"


def digest(path: str, text: str) -> str:
    """sha256 of a generated file as the manifest records it."""
    if path == "README.md":
        text = without_compare_block(text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(
    files: dict[str, str], version: str, framework: str, lang: str, spec_name: str
) -> str:
    """The manifest for `files` (which must not include the manifest itself)."""
    record = {
        "generator": f"dlgen {version}",
        "framework": framework,
        "lang": lang,
        "spec": spec_name,
        "files": {path: digest(path, text) for path, text in sorted(files.items())},
    }
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a folder made by `dlgen new`, or None."""
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DlgenError(f"unreadable manifest: {exc}", Location(str(folder / MANIFEST))) from None
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise DlgenError("not a dlgen manifest", Location(str(folder / MANIFEST)))
    for path, value in record["files"].items():
        if not _member(path) or not isinstance(value, str) or not SHA256.fullmatch(value):
            raise DlgenError(
                f"not a dlgen manifest: the entry {path!r} is not a file inside the project "
                "with its sha256",
                Location(str(folder / MANIFEST)),
            )
    return record


SHA256 = re.compile(r"[0-9a-f]{64}")


def _member(path: str) -> bool:
    """A relative path with forward slashes that stays inside the project: what dlgen writes."""
    parts = PurePosixPath(path).parts
    return (
        bool(parts)
        and not PurePosixPath(path).is_absolute()
        and ".." not in parts
        and "\\" not in path
        and ":" not in path
        and "\0" not in path
    )


def no_links(folder: Path, path: str) -> Path:
    """`folder / path`, after checking that no part of it below `folder` is a symbolic link:
    an update never writes or deletes through a link to somewhere else."""
    target = folder
    for part in PurePosixPath(path).parts:
        target = target / part
        if target.is_symlink():
            raise DlgenError(
                f"is a symbolic link; dlgen new --update does not write through links "
                f"(it would change {target.resolve()}): replace the link by a folder or file",
                Location(str(target)),
            )
    return target


@dataclass
class UpdatePlan:
    """What `dlgen new --update` does to an existing folder."""

    write: dict[str, str] = field(default_factory=dict)  # path → new text (new or dlgen's)
    remove: list[str] = field(default_factory=list)  # dlgen's files no longer generated
    kept: list[str] = field(default_factory=list)  # changed by the user: left as they are
    deleted: list[str] = field(default_factory=list)  # deleted by the user: not restored
    unchanged: list[str] = field(default_factory=list)  # already what dlgen would write


def plan_update(files: dict[str, str], folder: Path, record: dict) -> UpdatePlan:
    """Compare the new `files` (manifest included) with `folder` and its manifest `record`."""
    recorded: dict[str, str] = record["files"]
    plan = UpdatePlan()
    for path, text in sorted(files.items()):
        target = no_links(folder, path)
        if path == MANIFEST:
            plan.write[path] = text
            continue
        try:
            current = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except (OSError, UnicodeDecodeError):
            current = ""  # unreadable as text: not dlgen's
        if current is None:
            if path in recorded:
                plan.deleted.append(path)
            else:
                plan.write[path] = text
            continue
        if path not in recorded:
            # dlgen did not write it before: the user's file, unless it is what dlgen writes now
            (plan.unchanged if current == text else plan.kept).append(path)
            continue
        if digest(path, current) != recorded[path]:
            plan.kept.append(path)
            continue
        if path == "README.md":
            text = carry_compare_block(current, text)
        if current == text:
            plan.unchanged.append(path)
        else:
            plan.write[path] = text
    for path in sorted(set(recorded) - set(files)):
        target = no_links(folder, path)
        if target.is_file() and digest(path, target.read_text(encoding="utf-8")) == recorded[path]:
            plan.remove.append(path)
        elif target.exists():
            plan.kept.append(path)
    return plan
