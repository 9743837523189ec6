"""Translate PyTorch source text to TensorFlow source text, with a report."""

from __future__ import annotations

import ast
import functools
import gc
import re
from dataclasses import dataclass

import libcst as cst

from ..errors import Location
from . import (  # noqa: F401 - rules register
    functions,
    layers,
    loop,
    methods,
    prelude,
    script,
    tensor_ops,
)
from .analysis import analyze_text
from .context import IMPORT_LINES, METHODS, Ctx, code
from .output_check import Names, find_leftovers, mark_leftovers, restore_imports
from .pieces import Pieces, is_header, prelude_index
from .report import MARK, Report
from .source import SourceError, parse, read_tree
from .transformer import (
    IMPORTS_PLACEHOLDER,
    PRELUDE_PLACEHOLDER,
    REMOVED_PLACEHOLDER,
    Translator,
    is_placeholder,
)

_IMPORT_USE = re.compile(r"\b(tf|keras|np)\.")
_IMPORT_LINE = re.compile(r"^(import [\w.]+( as \w+)?|from [\w.]+ import [\w, ]+)$")


@dataclass
class Translation:
    """The translated source and what was found in it."""

    code: str
    report: Report


def translate_source(text: str, name: str = "<string>") -> Translation:
    """Translate one PyTorch file's text; raises SourceError when it does not parse.

    The file is translated piece by piece (`translate_pieces`: libcst and black only see the
    statements that need translating); a file that path does not take is translated as one
    module (`translate_whole`), with the same result."""
    tree = read_tree(text, name)  # what neither path can read is one error line, first
    collecting = gc.isenabled()
    gc.disable()  # libcst makes millions of short-lived objects, no cycles: refcounts free them
    try:
        try:
            return check_output(translate_pieces(text, name, tree), tree)
        except Exception:  # noqa: BLE001 - Fallback (or a bug there): the whole-module path
            return check_output(translate_whole(text, name), tree)
    except RecursionError:  # below MAX_DEPTH, yet too deep for a walk: still one line
        raise SourceError(
            "nested too deeply for the translator: split the deepest expression",
            Location(name, 1, 1),
            "",
        ) from None
    finally:
        if collecting:
            gc.enable()


def check_output(translation: Translation, source: ast.Module | None = None) -> Translation:
    """Run the output check: each statement of the output that still holds PyTorch, and that
    no marker covers, gets a marker and counts as not translated."""
    names = Names.of_tree(source) if source is not None else None
    leftovers = find_leftovers(translation.code, names)
    if not leftovers:
        return translation
    code = mark_leftovers(translation.code, leftovers)
    after, added = 0, 0
    if source is not None and names is not None:  # the torch imports the kept code needs
        code, after, added = restore_imports(code, source, names)
    marked = 0
    for leftover in sorted(leftovers, key=lambda item: item.line):
        if leftover.name != "output does not compile":
            marked += 1  # the marker lines above push the statement down
        line = leftover.line + marked
        translation.report.add(
            line + (added if line > after else 0),
            leftover.name,
            False,
            f"still PyTorch in the output: {leftover.detail}",
            in_output=True,
        )
    return Translation(code, translation.report)


def translate_pieces(
    text: str, name: str = "<string>", tree: ast.Module | None = None
) -> Translation:
    """`translate_source` piece by piece; raises `pieces.Fallback` for a file that needs the
    whole-module path (tabs, CRLF, uneven indentation, a syntax error...)."""
    report = Report(name)
    ctx = Ctx()
    pieces = Pieces(text, rewritten_attributes(), report, ctx, tree)
    prelude_text = prelude.render(ctx.prelude)
    out = pieces.code(bool(prelude_text))
    kept = _still_needed(out, prelude_text, pieces.translator) if report.left else []
    return _finish(out, pieces.translator, ctx, report, prelude_text, kept)


def translate_whole(text: str, name: str = "<string>") -> Translation:
    """Translate one file as a single libcst module (the reference for the pieces path)."""
    module = parse(text, name)
    info = analyze_text(text, rewritten_attributes())
    report = Report(name)
    ctx = Ctx(taken=info.module_bound, parameters=info.parameter_attrs)
    translator = Translator(info, report, ctx)
    new = carry_removed(module.visit(translator))
    prelude_text = prelude.render(ctx.prelude)
    if prelude_text:
        new = _place_prelude(new)
    out = new.code
    kept = _still_needed(out, prelude_text, translator) if report.left else []
    return _finish(out, translator, ctx, report, prelude_text, kept)


def _finish(
    out: str, translator: Translator, ctx: Ctx, report: Report, prelude_text: str, kept: list
) -> Translation:
    out = out.replace("\r\n", "\n")  # libcst keeps a CRLF file's newlines; the output is LF
    needed = set(ctx.imports) | set(_IMPORT_USE.findall(prelude_text))
    imports = [IMPORT_LINES[k] for k in sorted(needed, key=lambda k: IMPORT_LINES[k])]
    # one the file already has at module level (`import numpy as np`) is not added again
    imports = [line for line in imports if not re.search(f"^{re.escape(line)}$", out, re.M)]
    if translator.import_noqa:
        imports = [f"{line}  {min(translator.import_noqa)}" for line in imports]
    imports += [f"{statement}  {MARK}used by untranslated code" for statement in kept]
    out = out.replace(IMPORTS_PLACEHOLDER + "\n", "".join(line + "\n" for line in imports), 1)
    if prelude_text:
        out = out.replace(PRELUDE_PLACEHOLDER + "\n", prelude_text.rstrip("\n") + "\n", 1)
    out = _drop_unused_imports(out, ctx.dropped)
    return Translation(_sort_import_block(out, imports), report)


def _drop_unused_imports(text: str, names: set[str]) -> str:
    """Remove a name from its `from ... import` line when the translation removed its last use
    (`OrderedDict` once `nn.Sequential(OrderedDict(...))` became a list)."""
    for name in sorted(names):
        if not name.isidentifier() or len(re.findall(rf"\b{name}\b", text)) != 1:
            continue
        line = re.search(rf"^from [\w.]+ import .*\b{name}\b.*\n", text, re.MULTILINE)
        if line is None:
            continue
        head, _, imported = line.group(0).rstrip("\n").partition(" import ")
        kept = [n.strip() for n in imported.split(",") if n.strip() and n.strip() != name]
        replacement = f"{head} import {', '.join(kept)}\n" if kept else ""
        text = text[: line.start()] + replacement + text[line.end() :]
        if not kept:  # the blank line that separated the removed import group
            text = re.sub(
                r"\A((?:\"\"\"[\s\S]*?\"\"\"\n)?)\n\n(?=import|from)", r"\1\n", text, count=1
            )
    return text


@functools.cache
def rewritten_attributes() -> frozenset[str]:
    """Attribute names a rule may rewrite: a statement without any of them (and without a
    PyTorch name) needs no visit."""
    return frozenset(
        {
            *METHODS,
            *script.METHODS,
            *script.MODULE_METHODS,
            "training",
            "is_cuda",
            "param_groups",
            *loop.STEP_KINDS,
        }
    )


def carry_removed(module: cst.Module) -> cst.Module:
    """The comment lines above a removed import, moved to the statement after it (or to the
    end of the file); the import's stand-in goes."""
    body: list = []
    carried: list[cst.EmptyLine] = []
    for statement in module.body:
        if is_placeholder(statement, REMOVED_PLACEHOLDER):
            carried += statement.leading_lines  # type: ignore[attr-defined]
        elif carried:
            lines = [*carried, *statement.leading_lines]
            body.append(statement.with_changes(leading_lines=lines))
            carried = []
        else:
            body.append(statement)
    if not carried:
        return module.with_changes(body=body)
    footer = [*carried, *module.footer]
    return module.with_changes(body=body, footer=footer)


def _placeholder(name: str, blank: int) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        body=[cst.Expr(cst.Name(name))], leading_lines=[cst.EmptyLine()] * blank
    )


def _place_prelude(module: cst.Module) -> cst.Module:
    """Put the prelude placeholder after the docstring and imports, making sure the next
    statement is two blank lines away, as black wants."""
    body = list(module.body)
    late = (i for i, s in enumerate(body) if is_placeholder(s, IMPORTS_PLACEHOLDER))
    index = prelude_index([is_header(s, i) for i, s in enumerate(body)], next(late, None))
    if index < len(body):
        after = body[index]
        blank = 0
        for line in after.leading_lines:
            if line.comment is not None:
                break
            blank += 1
        if blank < 2:
            lines = [cst.EmptyLine()] * (2 - blank) + list(after.leading_lines)
            body[index] = after.with_changes(leading_lines=lines)
    body.insert(index, _placeholder(PRELUDE_PLACEHOLDER, 1 if index else 0))
    return module.with_changes(body=body)


def _used_names(text: str) -> set[str]:
    """The identifiers the code of `text` uses (Name nodes: not attributes, strings or
    comments); every word when it does not parse (so that no needed import is dropped)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set(re.findall(r"\w+", text))
    return Names.of_tree(tree).used


def _still_needed(out: str, prelude_text: str, translator: Translator) -> list[str]:
    """PyTorch import statements whose names untranslated code in `out` still uses (the
    prelude's own `StepLR` is not a use of PyTorch's)."""
    names = _used_names(out) - set(re.findall(r"^(?:class|def) (\w+)", prelude_text, re.M))
    kept = []
    for statement, _ in translator.torch_imports:
        comment = statement.trailing_whitespace.comment  # a noqa comment stays with it
        suffix = f"  {comment.value}" if comment is not None else ""
        for small in statement.body:
            if not isinstance(small, cst.Import | cst.ImportFrom):
                continue
            if isinstance(small.names, cst.ImportStar):
                continue
            # only the names still used: `from torchvision.transforms import Compose,
            # Lambda` keeps Lambda when the prelude defines Compose
            aliases = []
            for alias in small.names:
                target = alias.asname.name if alias.asname else alias.name
                if code(target).split(".", 1)[0] in names:  # type: ignore[arg-type]
                    name = code(alias.name)
                    aliases.append(f"{name} as {code(target)}" if alias.asname else name)
            if not aliases:
                continue
            if isinstance(small, cst.Import):
                kept.append(f"import {', '.join(aliases)}{suffix}")
            else:
                dots = "." * len(small.relative)
                module = code(small.module) if small.module else ""
                kept.append(f"from {dots}{module} import {', '.join(aliases)}{suffix}")
    return kept


def _sort_import_block(text: str, inserted: list[str]) -> str:
    """Sort the run of one-line imports that the new imports joined (isort's order: future
    imports, plain imports, then from-imports, each by module name)."""
    if not inserted:
        return text
    lines = text.split("\n")
    try:
        at = lines.index(inserted[0])
    except ValueError:
        return text
    start = at
    while start > 0 and _IMPORT_LINE.match(lines[start - 1]):
        start -= 1
    end = at
    while end < len(lines) and _IMPORT_LINE.match(lines[end].split("  #", 1)[0]):
        end += 1
    block = lines[start:end]
    # `from __future__` must stay first: Python refuses it anywhere else
    block.sort(
        key=lambda line: (
            not line.startswith("from __future__ "),
            line.startswith("from "),
            line.split()[1].lower(),
        )
    )
    return "\n".join(lines[:start] + block + lines[end:])
