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


EXCERPT_WIDTH = 100  # a longer line is shown around the caret, cut with "..."


def excerpt(text: str, line: int, col: int) -> str:
    """The 1-based `line` of `text` and a caret under 1-based column `col`."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    caret_at = max(0, min(col - 1, len(source)))
    if len(source) > EXCERPT_WIDTH:
        start = max(0, caret_at - EXCERPT_WIDTH // 2)
        end = start + EXCERPT_WIDTH
        head = "..." if start else ""
        source = head + source[start:end] + ("..." if end < len(source) else "")
        caret_at += len(head) - start
    prefix = "".join(c if c == "\t" else " " for c in source[:caret_at])
    return f"    {source}\n    {prefix}^"


# The deepest syntax tree dlgen translates (ast nodes from the module down). libcst and the
# translator's own walks recurse once or more per level and overflow Python's recursion limit
# (measured on Python 3.11, from a shallow stack) past 143 levels of nested calls or a sum of
# 323 terms; anything deeper than this is refused with one line before they start.
MAX_DEPTH = 100
_DEEP = (
    f"dlgen translates at most {MAX_DEPTH} levels (each call, and each term of a chain of + "
    "or of method calls, is one): split the expression"
)


def read_tree(text: str, name: str) -> ast.Module:
    """Python's own parse of `text`, or SourceError pointing at the problem; also refuses a
    tree deeper than the translator can walk (MAX_DEPTH).

    Python's parser runs before libcst: it names causes better ("'(' was never closed"), it
    refuses what this Python cannot run (newer syntax), and it stops deep nesting at its own
    limit where libcst would recurse until it overflows the stack."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        line, col = exc.lineno or 1, exc.offset or 1
        if isinstance(exc, IndentationError) and exc.text:
            col = len(exc.text) - len(exc.text.lstrip()) + 1  # at the first character
        raise SourceError(
            f"cannot parse: {exc.msg}", Location(name, line, col), excerpt(text, line, col)
        ) from None
    except RecursionError:
        raise SourceError(
            f"nested too deeply for Python's own parser; {_DEEP}", Location(name, 1, 1), ""
        ) from None
    except (ValueError, MemoryError) as exc:
        raise SourceError(
            f"cannot parse: {exc.__class__.__name__}: {exc}".rstrip(": "), Location(name, 1, 1), ""
        ) from None
    depth, node = _deepest(tree)
    if depth > MAX_DEPTH:
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        raise SourceError(
            f"nested {depth} levels deep; {_DEEP}",
            Location(name, line, col),
            excerpt(text, line, col),
        )
    return tree


def _deepest(tree: ast.Module) -> tuple[int, ast.AST]:
    """The depth of the deepest node, and the statement that holds it (iterative: the walk
    itself must not overflow)."""
    best: tuple[int, ast.AST] = (0, tree)
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, statement = stack.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if depth > best[0]:
            best = (depth, statement)
        stack.extend((child, depth + 1, statement) for child in child_nodes(node))
    return best


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes(node)` as a list, in the same order, without its generator
    layers (the output check and the depth check call it on every node of a file)."""
    children: list[ast.AST] = []
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            children.append(value)
    return children


def parse(text: str, name: str) -> cst.Module:
    """Parse `text` with libcst (after `read_tree`), or raise SourceError pointing at the
    problem."""
    read_tree(text, name)
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
