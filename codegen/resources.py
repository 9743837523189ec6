"""Where dlgen's shipped files live: next to the package in a checkout, inside it in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"dlgen is installed without its {name}/ folder")


def templates_dir() -> Path:
    """The Jinja templates folder."""
    return _find("templates")


def examples_dir() -> Path:
    """The built-in example specs folder."""
    return _find("examples")
