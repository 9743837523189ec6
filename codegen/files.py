"""Reading a user's file: bounded, and every failure one `file:line:col: error:` line."""

from __future__ import annotations

from pathlib import Path

from .errors import DlgenError, Location


def read_bounded(path: Path, limit: int, too_big: str) -> bytes:
    """The bytes of `path`, at most `limit` of them, else DlgenError(`too_big`). The read
    stops one byte past the limit: stat() says 0 for /dev/zero, FIFOs and other devices."""
    where = Location(str(path), 1, 1)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise DlgenError(f"cannot read: {exc.strerror or exc}", where) from None
    if len(raw) > limit:
        raise DlgenError(too_big, where)
    return raw


def decode_utf8(raw: bytes, path: Path, message: str, encoding: str = "utf-8") -> str:
    """`raw` decoded, else DlgenError(`message`) at the line and column of the first bad byte."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DlgenError(message, Location(str(path), line, col)) from None
