"""Black, applied only where the translator wrote something.

Untouched lines keep the user's formatting byte for byte (libcst reproduces them). A rewritten
statement that still fits on one line is already in black's style (the rules write canonical
text); a longer or multi-line one is formatted by black in-process, alone, at its own
indentation. Formatting a whole file with black runs at about 1,000 lines/s here, too slow for
the translation speed target; this way a file that was black-clean stays black-clean.
"""

from __future__ import annotations

import functools
import re

import libcst as cst

from .context import code

INDENT = 4
LINE_LENGTH = 88  # codegen.render.LINE_LENGTH; render is not imported here (it loads Jinja)


@functools.cache
def _black():
    import black

    return black


def needs_black(text: str, width: int) -> bool:
    """Whether a statement's text (without its leading lines) may not be black-formatted."""
    body = text.rstrip("\n")
    if "\n" in body or len(body) > width:
        return True
    # A magic trailing comma (`f(a,)`) makes black explode the call over several lines.
    return ",)" in body or ",]" in body or ", )" in body or ",}" in body


# A comma before a closing bracket (comments between): black's "magic trailing comma".
_TRAILING_COMMA = re.compile(r",\s*(?:#[^\n]*\n\s*)*[)\]}]")


@functools.lru_cache(maxsize=4096)
def format_snippet(text: str, width: int) -> str:
    """Black-format one statement at column 0 for a given line width.

    `black.format_str` formats twice when the first pass changed anything, because trailing
    commas the first pass adds become magic trailing commas in the second. The second pass
    is only run when the first added trailing commas (it costs as much as the first, and
    changes nothing otherwise); tests compare the two on every snippet of the corpus."""
    black = _black()
    mode = black.Mode(line_length=max(width, 40))
    once = getattr(black, "_format_str_once", None)
    if once is None:
        return black.format_str(text, mode=mode)
    first = once(text, mode=mode)
    if first == text or len(_TRAILING_COMMA.findall(first)) == len(_TRAILING_COMMA.findall(text)):
        return first
    return once(first, mode=mode)


def statement(node: cst.SimpleStatementLine, depth: int) -> cst.SimpleStatementLine:
    """`node` formatted as black would format it at indentation `depth`."""
    bare = node.with_changes(leading_lines=())
    text = code(bare)
    width = LINE_LENGTH - INDENT * depth
    if not needs_black(text, width):
        return node
    try:
        formatted = format_snippet(text, width)
    except Exception:  # noqa: BLE001 - black refuses: keep libcst's text (still valid Python)
        return node
    try:
        parsed = cst.parse_statement(formatted)
    except cst.ParserSyntaxError:  # `a = f(x,); b = 1`: black puts each on its own line
        return node
    if not isinstance(parsed, cst.SimpleStatementLine):
        return node
    return parsed.with_changes(leading_lines=node.leading_lines)


def statement_text(node: cst.SimpleStatementLine, depth: int) -> str | None:
    """The text `statement` would give (without leading lines, at column 0), when indenting
    each of its lines gives the statement at `depth`; else None (a multi-line string or a
    backslash continuation inside)."""
    text = code(node.with_changes(leading_lines=()))
    width = LINE_LENGTH - INDENT * depth
    if not needs_black(text, width):
        return text
    try:
        formatted = format_snippet(text, width)
    except Exception:  # noqa: BLE001 - `statement` keeps the node as it is
        return None
    if any(part in formatted for part in ('"""', "'''", "\\\n", "\n\n")):
        return None
    return formatted


def compound(node: cst.BaseCompoundStatement, depth: int) -> cst.BaseCompoundStatement:
    """A statement the translator wrote whole (the training step), black-formatted."""
    text = code(node.with_changes(leading_lines=()))
    parsed = cst.parse_statement(format_snippet(text, LINE_LENGTH - INDENT * depth))
    assert isinstance(parsed, cst.BaseCompoundStatement)
    return parsed.with_changes(leading_lines=node.leading_lines)


def whole(text: str) -> str:
    """Black-format a complete file (used for the prelude and import block checks in tests)."""
    black = _black()
    return black.format_str(text, mode=black.Mode(line_length=LINE_LENGTH))
