"""Diagnostics: the one user-error type that the CLI prints as a single line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in a user's file a problem is (1-based line and column)."""

    file: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        file = one_line(self.file)
        if self.line is None:
            return file
        return f"{file}:{self.line}:{self.col or 1}"


def one_line(text: str) -> str:
    """`text` with newlines and other unprintable characters escaped (\\n, \\x1b, \\u2028), so a
    message quoting user input stays one line and cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


class DlgenError(Exception):
    """A mistake in the user's input: printed as one line, never as a traceback."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class ShapeError(Exception):
    """Raised by an op's shape rule; the checker turns it into a located DlgenError."""
