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
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"


class DlgenError(Exception):
    """A mistake in the user's input: printed as one line, never as a traceback."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class ShapeError(Exception):
    """Raised by an op's shape rule; the checker turns it into a located DlgenError."""
