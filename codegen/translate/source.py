"""Reading PyTorch source: a parse error becomes `file:line:col` with the line and a caret."""

from __future__ import annotations

import ast

import libcst as cst

from ..errors import DlgenError, Location


class SourceError(DlgenError):
    """A user file that cannot be read as Python; `excerpt` is the source line and a caret."""

    def __init__(self, message: str, location: Location, excerpt: str) -> None:
        super().__init__(message, location)
        self.excerpt = excerpt


def excerpt(text: str, line: int, col: int) -> str:
    """The 1-based `line` of `text` and a caret under 1-based column `col`."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    caret_at = max(0, min(col - 1, len(source)))
    prefix = "".join(c if c == "\t" else " " for c in source[:caret_at])
    return f"    {source}\n    {prefix}^"


def parse(text: str, name: str) -> cst.Module:
    """Parse `text` with libcst, or raise SourceError pointing at the problem.

    Python's own parser runs first: it names causes better ("'(' was never closed"), it
    refuses what this Python cannot run (newer syntax), and it stops deep nesting at its own
    limit where libcst would recurse until it overflows the stack."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        line, col = exc.lineno or 1, exc.offset or 1
        if isinstance(exc, IndentationError) and exc.text:
            col = len(exc.text) - len(exc.text.lstrip()) + 1  # at the first character
        raise SourceError(
            f"cannot parse: {exc.msg}", Location(name, line, col), excerpt(text, line, col)
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceError(
            f"cannot parse: {exc.__class__.__name__}: {exc}".rstrip(": "), Location(name, 1, 1), ""
        ) from None
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, col = exc.raw_line, exc.raw_column + 1
        message = str(exc.message).strip().splitlines()[0].rstrip(".")
        raise SourceError(
            f"cannot parse: {message}", Location(name, line, col), excerpt(text, line, col)
        ) from None
    except RecursionError:
        raise SourceError(
            "cannot parse: nested too deeply for the translator", Location(name, 1, 1), ""
        ) from None
