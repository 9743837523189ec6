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
    """Parse `text` with libcst, or raise SourceError pointing at the problem."""
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, col = exc.raw_line, exc.raw_column + 1
        message = str(exc.message).strip().splitlines()[0].rstrip(".")
    # Python's own parser names the cause better ("'(' was never closed") and points at it.
    try:
        ast.parse(text)
    except SyntaxError as exc:
        line, col = exc.lineno or line, exc.offset or col
        message = exc.msg
        if isinstance(exc, IndentationError) and exc.text:
            col = len(exc.text) - len(exc.text.lstrip()) + 1  # at the first character
    raise SourceError(
        f"cannot parse: {message}", Location(name, line, col), excerpt(text, line, col)
    )
