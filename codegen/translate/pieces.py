"""Translating a file piece by piece, so that libcst (and black) see only what needs them.

Python's `ast` (a C parser) splits the file into statements with their lines. A statement the
translator would not change ("quiet": no PyTorch name, no method or attribute a rule rewrites,
the same test the whole-module visit uses to skip a statement) is copied as text. Classes and
functions are entered: their header is copied (or, when it needs work — an `nn.Module` base,
`forward` → `call`, a PyTorch default — translated alone, its body replaced by `pass`), and their
bodies are split the same way. Runs of statements that need translating are parsed with libcst
together, at their own indentation (inside `if 1:` wrappers), and visited by the same
`Translator` with the state a whole-module visit has there (enclosing classes and functions,
depth, statement and call lines).

The result is the whole-module translation byte for byte: comments and blank lines go with the
statement libcst gives them to (a block's trailing comments to the block), blocks emptied by the
translation get `pass`, and the report lists the same constructs in the same order
(tests/test_translate_pieces.py compares the two paths). A function with an in-place tensor
write or a training step is translated whole (those rules look at the whole function), and a
file with tabs, CRLF line ends or uneven indentation takes the whole-module path.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import libcst as cst

from .analysis import (
    COMPOUND,
    FileInfo,
    _needs_work,
    file_facts,
    header_tables,
    may_be_advanced,
    piece_tables,
)
from .context import Ctx
from .imports import ROOTS
from .report import Report
from .transformer import (
    DEFERRED,
    IMPORTS_PLACEHOLDER,
    PRELUDE_PLACEHOLDER,
    REMOVED_PLACEHOLDER,
    Translator,
    _Scope,
    adds_keras_kwargs,
    is_placeholder,
)

_WORD = re.compile(r"\w+")
_IN_PLACE = re.compile(r"\]\s*(?:[-+*/%@&|^]|//|\*\*|<<|>>)?=(?!=)")  # x[i] = v, x[i] += v
_STEP = re.compile(r"\.\s*(?:zero_grad|backward|step)\b")
_ODD_INDENT = re.compile(r"^ *[\t\f\v]", re.MULTILINE)
_DEFERRED = re.compile(rf"^( *){DEFERRED}(\d+)__\n", re.MULTILINE)
_BLOCKS = (*COMPOUND, ast.TryStar)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.ClassDef, *_FUNCTIONS)


class Fallback(Exception):
    """This file takes the whole-module path."""


@dataclass
class Item:
    """One top-level statement of the output, for placing the prelude."""

    text: str  # with its leading lines
    blank: int  # blank lines before its first leading comment
    header: bool  # a docstring or import line (`is_header`)


def is_header(statement: cst.CSTNode, index: int) -> bool:
    """A top-level line the prelude goes after: imports, the imports placeholder, and the
    docstring (index 0)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Import | cst.ImportFrom):
            continue
        if (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Name)
            and small.value.value == IMPORTS_PLACEHOLDER
        ):
            continue
        if (
            index == 0
            and isinstance(small, cst.Expr)
            and isinstance(small.value, cst.SimpleString | cst.ConcatenatedString)
        ):
            continue
        return False
    return True


def _first_line(node: ast.stmt) -> int:
    """The statement's first line, its decorators included."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return min(node.lineno, *(d.lineno for d in decorators))
    return node.lineno


def _units(statements: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Statements grouped by line (`a = 1; b = 2` is one libcst statement line)."""
    units: list[list[ast.stmt]] = []
    for node in statements:
        if units and node.lineno == units[-1][-1].end_lineno:
            units[-1].append(node)
        else:
            units.append([node])
    return units


def _clauses(node: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside a compound statement, all its clauses."""
    out: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        out += getattr(node, name, None) or []
    for part in getattr(node, "handlers", None) or getattr(node, "cases", None) or []:
        out += part.body
    return out


class Pieces:
    """Translate `text` (raises `Fallback` for the whole-module path); `code()` is the result
    with the imports and prelude placeholders of `api.translate_source`."""

    def __init__(
        self,
        text: str,
        attrs: frozenset[str],
        report: Report,
        ctx: Ctx,
        tree: ast.Module | None = None,  # Python's parse of `text`, when the caller has it
    ) -> None:
        if (
            not text.endswith("\n")
            or "\r" in text
            or "\ufeff" in text
            or DEFERRED in text
            or _ODD_INDENT.search(text)
        ):
            raise Fallback
        try:
            tree = tree or ast.parse(text)
        except (SyntaxError, ValueError):
            raise Fallback from None
        if not tree.body:
            raise Fallback
        self.lines = [line + "\n" for line in text.split("\n")[:-1]]
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.text = text
        self.attrs = attrs
        self.info: FileInfo = file_facts(tree)
        ctx.taken = self.info.module_bound
        ctx.parameters = self.info.parameter_attrs
        info = self.info
        self.all_attrs = (
            attrs
            | info.renamed_attrs
            | info.training_attrs
            | info.training_methods
            | info.cached_names
        )
        self.simple_words = frozenset(
            {
                *info.imports.names,
                *attrs,
                *info.renamed_attrs,
                *info.cached_names,
                *info.training_attrs,
                "not",
                "super",
                "weight",  # `decoder.weight = encoder.weight`, a weight read (torch_weight)
                "T",  # a tensor's transpose
                "forward",  # `m.forward(x)`: the layer called
                "mT",
            }
        )
        self.words = (
            self.simple_words | self.all_attrs | info.module_classes | {"import", "forward"}
        )
        self.translator = Translator(info, report, ctx)
        self.indent = self._default_indent(tree)
        self.kept: list[cst.CSTNode] = []  # parsed pieces: the translator keys tables by id()
        self.items: list[Item] = []
        self.carried = ""  # comment lines above a removed import, for the next item
        self.tail = ""  # the module's trailing comments
        self.quiet: dict[int, bool] = {}
        body = tree.body
        first = _first_line(body[0])
        self.head = self._text(1, first)  # the module's leading comments (libcst's header)
        self._block(body, 0, first, len(self.lines) + 1, top=True)
        if self.translator.scopes or self.translator.classes:
            raise Fallback

    # ------------------------------------------------------------ text

    def _text(self, start: int, end: int) -> str:
        """Lines start..end-1 (1-based)."""
        return self.text[self.offsets[start - 1] : self.offsets[end - 1]]

    def _words(self, node: ast.stmt) -> set[str]:
        return set(_WORD.findall(self._text(_first_line(node), (node.end_lineno or 0) + 1)))

    @staticmethod
    def _indent_of(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def _on_own_line(self, node: ast.stmt) -> bool:
        """The statement starts its line (not after `:` or `;`)."""
        return not self.lines[_first_line(node) - 1][: node.col_offset].strip()

    def _default_indent(self, tree: ast.Module) -> str:
        """libcst's `default_indent`: the first indented block's indentation, relative."""
        stack = list(reversed(tree.body))
        while stack:
            node = stack.pop()
            if not isinstance(node, _BLOCKS):
                continue
            if isinstance(node, ast.Match):
                raise Fallback
            body = node.body
            if self._on_own_line(body[0]):
                outer = self.lines[_first_line(node) - 1][: node.col_offset]
                inner = self.lines[_first_line(body[0]) - 1][: body[0].col_offset]
                if not inner.startswith(outer) or len(inner) == len(outer):
                    raise Fallback
                return inner[len(outer) :]
            stack.extend(reversed(_clauses(node)))
        return "    "

    def _own_end(self, node: ast.stmt, limit: int) -> int:
        """The line after the statement and the trailing lines libcst gives its last block: up
        to the last comment (or spaces-only) line indented at least as deep as that block."""
        last = node.end_lineno or node.lineno
        if not isinstance(node, _BLOCKS):
            return last + 1
        clauses = _clauses(node)
        last_line = max(n.lineno for n in clauses)  # `a; b`: the block line starts with `a`
        inner = min((n for n in clauses if n.lineno == last_line), key=lambda n: n.col_offset)
        if not self._on_own_line(inner):
            return last + 1
        depth = inner.col_offset
        if isinstance(node, ast.Match):  # the block of `case` lines ends last
            depth = self._indent_of(self.lines[node.cases[-1].pattern.lineno - 1])
        end = last + 1
        for number in range(last + 1, limit):
            line = self.lines[number - 1]
            if self._indent_of(line) >= depth:  # a comment, or a line of spaces only
                end = number + 1
        return end

    def _colon_line(self, node: ast.stmt) -> int:
        """The last line of a class or function header."""
        line = _first_line(node.body[0]) - 1
        while line > node.lineno:
            stripped = self.lines[line - 1].strip()
            if stripped and not stripped.startswith("#"):
                break
            line -= 1
        return line

    # ------------------------------------------------------------ what needs translating

    def _quiet_simple(self, node: ast.stmt) -> bool:
        known = self.quiet.get(id(node))
        if known is None:
            if node.lineno in self.info.promotions:
                known = False
            elif isinstance(node, ast.Import):  # the translator only rewrites PyTorch imports
                known = not any(a.name.split(".", 1)[0] in ROOTS for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                known = bool(node.level) or (node.module or "").split(".", 1)[0] not in ROOTS
            elif self._words(node) & self.simple_words:
                known = not _needs_work(self.info, node, self.attrs)
            else:
                targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
                known = not any(isinstance(t, ast.Subscript) for t in targets) and not any(
                    isinstance(sub, ast.Subscript) and may_be_advanced(sub.slice)
                    for sub in ast.walk(node)
                )
            self.quiet[id(node)] = known
        return known

    def _expr_work(self, node: ast.AST) -> bool:
        """Whether an expression (part of a header) holds anything a rule may rewrite."""
        names = self.info.imports.names
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in names:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in self.all_attrs:
                return True
            if isinstance(sub, ast.Compare) and any(isinstance(o, ast.IsNot) for o in sub.ops):
                return True
        return False

    def _quiet_tree(self, node: ast.AST, in_module: bool) -> bool:
        """Nothing under `node` for the translator (`in_module`: directly in a module class,
        where a `forward` gets translated)."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                if isinstance(child, ast.ClassDef):
                    if child.name in self.info.module_classes:
                        return False
                    if not self._quiet_tree(child, False):
                        return False
                elif isinstance(child, _FUNCTIONS):
                    if in_module and (self._training_name(child.name) or child.name == "__init__"):
                        return False
                    if not self._quiet_tree(child, False):
                        return False
                elif isinstance(child, _BLOCKS):
                    if not self._quiet_tree(child, in_module):
                        return False
                elif not self._quiet_simple(child):
                    return False
            elif isinstance(child, ast.ExceptHandler | ast.match_case):
                if not self._quiet_tree(child, in_module):
                    return False
            elif self._expr_work(child):
                return False
        return True

    def _training_name(self, name: str) -> bool:
        return name == "forward" or name in self.info.training_methods

    def _keras_kwargs(self, node: ast.stmt) -> bool:
        """A module class's `__init__` that the translator gives `**kwargs`."""
        args = node.args  # type: ignore[attr-defined]
        names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        if args.vararg is not None:
            names.add(args.vararg.arg)
        return adds_keras_kwargs(
            self.translator.in_module_class, node.name, args.kwarg is not None, names  # type: ignore[attr-defined]
        )

    def _training(self, node: ast.stmt) -> bool:
        """A method the translator gives a `training` argument (in the current class)."""
        return self.translator.in_module_class and self._training_name(node.name)  # type: ignore[attr-defined]

    def _quiet_compound(self, node: ast.stmt) -> bool:
        """Nothing in the compound statement `node` for the translator."""
        if isinstance(node, ast.ClassDef) and node.name in self.info.module_classes:
            return False
        if isinstance(node, _FUNCTIONS) and (self._training(node) or self._keras_kwargs(node)):
            return False
        if any(node.lineno <= line <= (node.end_lineno or 0) for line in self.info.work_lines):
            return False  # PyTorch's promotion, an index tensor (dtypes.py)
        in_module = self.translator.in_module_class and not isinstance(node, _SCOPES)
        return not self._words(node) & self.words or self._quiet_tree(node, in_module)

    def _header_parts(self, node: ast.stmt) -> list[ast.AST]:
        if isinstance(node, ast.ClassDef):
            return [*node.decorator_list, *node.bases, *node.keywords]
        assert isinstance(node, _FUNCTIONS)
        return [*node.decorator_list, node.args, *([node.returns] if node.returns else [])]

    def _enterable(self, node: ast.stmt, depth: int) -> bool:
        """A class or function whose body can be taken statement by statement."""
        if isinstance(node, _FUNCTIONS):
            text = self._text(_first_line(node), (node.end_lineno or 0) + 1)
            if _IN_PLACE.search(text) or _STEP.search(text):
                return False  # the in-place and training-step rules look at the whole function
        elif not isinstance(node, ast.ClassDef):
            return False
        first = node.body[0]
        return (
            self._on_own_line(first)
            and node.col_offset == len(self.indent) * depth
            and self.lines[_first_line(first) - 1][: first.col_offset] == self.indent * (depth + 1)
        )

    def _kind(self, unit: list[ast.stmt], depth: int, top: bool) -> str:
        node = unit[0]
        if len(unit) > 1 or not isinstance(node, _BLOCKS):
            if top and any(
                isinstance(n, ast.Expr) and isinstance(n.value, ast.JoinedStr) for n in unit
            ):
                return "piece"  # `"a" f"b"` may be the docstring the prelude goes after
            return "quiet" if all(self._quiet_simple(n) for n in unit) else "piece"
        if self._quiet_compound(node):
            return "quiet"
        if self._enterable(node, depth):
            return "enter"
        return "piece"

    # ------------------------------------------------------------ emitting

    def _block(
        self, statements: list[ast.stmt], depth: int, begin: int, end: int, top: bool
    ) -> list[str]:
        """The translation of one block's statements (lines begin..end-1); at the top level
        they go into `items` and `tail` instead."""
        units = _units(statements)
        bounds = []  # (its leading lines' first line, its first line, the line after it)
        lead = begin
        for index, unit in enumerate(units):
            limit = _first_line(units[index + 1][0]) if index + 1 < len(units) else end
            own = self._own_end(unit[-1], limit)
            bounds.append((lead, _first_line(unit[0]), own))
            lead = own
        kinds = [self._kind(unit, depth, top) for unit in units]
        out: list[str] = []
        emitted = False
        index = 0
        while index < len(units):
            start, first, own = bounds[index]
            if kinds[index] == "piece":
                stop = index
                while stop < len(units) and kinds[stop] == "piece":
                    stop += 1
                nodes = [node for unit in units[index:stop] for node in unit]
                texts, results = self._piece(
                    nodes, stop - index, depth, start, bounds[stop - 1][2], not emitted
                )
                if top:
                    for text, result in zip(texts, results, strict=True):
                        if is_placeholder(result, REMOVED_PLACEHOLDER):  # comments go on
                            self.carried += text[: text.rindex(REMOVED_PLACEHOLDER)]
                            continue
                        header = is_header(result, len(self.items))
                        self._add(text, _blank_lines(result), header)
                else:
                    out += texts
                emitted = emitted or bool(results)
                index = stop
                continue
            if kinds[index] == "quiet":
                text = self._text(start, own)
            else:
                text = self._text(start, first) + self._enter(units[index][0], depth, first, own)
            if top:
                header = kinds[index] == "quiet" and _header_line(units[index], len(self.items))
                self._add(text, self._blank(start, first), header)
            else:
                out.append(text)
            emitted = True
            index += 1
        if not emitted and not top:  # the translation removed every statement
            out.append(self.indent * depth + "pass\n")
        if top:
            self.tail = self.carried + self._module_footer(self._text(lead, end))
            self.carried = ""
        else:
            out.append(self._text(lead, end))
        return out

    def _add(self, text: str, blank: int, header: bool) -> None:
        """A top-level statement's item, after the comments carried from a removed import."""
        if self.carried:
            text, blank = self.carried + text, _count_blank(self.carried)
            self.carried = ""
        self.items.append(Item(text, blank, header))

    def _module_footer(self, text: str) -> str:
        """The file's trailing lines as libcst writes them back: after a blank line, a trailing
        indented comment (or spaces-only line) takes the blank line's place."""
        if not any(line.startswith(" ") for line in text.split("\n")):
            return text
        return cst.parse_module("pass\n" + text).code[len("pass\n") :]

    def _blank(self, start: int, first: int) -> int:
        blank = 0
        for number in range(start, first):
            if self.lines[number - 1].strip():
                break
            blank += 1
        return blank

    def _enter(self, node: ast.stmt, depth: int, first: int, own: int) -> str:
        """A class or function: its header (copied, or translated alone), then its body."""
        colon = self._colon_line(node)
        translator = self.translator
        if self._header_work(node):
            header, deferred = self._stub(node, depth, first, colon)
        else:
            header, deferred = self._text(first, colon + 1), []
        if isinstance(node, ast.ClassDef):
            translator.classes.append(node.name in self.info.module_classes)
            translator.class_names.append(node.name)
        else:
            module = translator.in_module_class
            training = self._training(node)
            kwargs = self._keras_kwargs(node)
            translator.scopes.append(  # type: ignore[attr-defined]
                _Scope(node.name, module, training, keras_kwargs=kwargs, line=node.lineno)
            )
            translator.classes.append(False)
            locals_ = self.info.local_bound.get(node.lineno, frozenset())
            translator.ctx.local_taken.append(locals_)
        body = self._block(node.body, depth + 1, colon + 1, own, top=False)  # type: ignore[attr-defined]
        translator.classes.pop()
        if isinstance(node, ast.ClassDef):
            translator.class_names.pop()
        else:
            translator.scopes.pop()
            translator.ctx.local_taken.pop()
        translator.report.constructs.extend(deferred)  # what leaving the class/def reports
        return header + "".join(body)

    def _header_work(self, node: ast.stmt) -> bool:
        if isinstance(node, _FUNCTIONS) and (self._training(node) or self._keras_kwargs(node)):
            return True
        return any(self._expr_work(part) for part in self._header_parts(node))

    def _stub(self, node: ast.stmt, depth: int, first: int, colon: int):
        """(the translated header, the report entries the translator makes on leaving it)."""
        source = self._text(first, colon + 1) + self.indent * (depth + 1) + "pass\n"
        module = self._parse(source, depth)
        nodes = self._nodes(module, depth)
        if len(nodes) != 1 or not isinstance(nodes[0], cst.ClassDef | cst.FunctionDef):
            raise Fallback
        stub = nodes[0]
        translator = self.translator
        header_tables(self.info, node, self._header_parts(node))
        translator.begin_piece()
        translator.stub_body = id(stub.body)
        translator.stub_mark = len(translator.report.constructs)
        translator.depth = depth
        result = stub.visit(translator)
        translator.stub_body = None
        if not isinstance(result, cst.ClassDef | cst.FunctionDef) or translator.depth != depth:
            raise Fallback
        deferred = translator.report.constructs[translator.stub_mark :]
        del translator.report.constructs[translator.stub_mark :]
        text = self._code(module, depth, [result])[0]
        return text[: text.rstrip("\n").rfind("\n") + 1], deferred  # without the `pass`

    def _piece(
        self,
        nodes: list[ast.stmt],
        count: int,
        depth: int,
        start: int,
        end: int,
        first_in_block: bool,
    ) -> tuple[list[str], list[cst.CSTNode]]:
        """Translate statement lines start..end-1 (`count` libcst statements) with libcst:
        (their text, one string per statement at the top level; the translated statements)."""
        module = self._parse(self._text(start, end), depth)
        parsed = self._nodes(module, depth)
        if len(parsed) != count:
            raise Fallback
        translator = self.translator
        piece_tables(self.info, nodes, self.attrs)
        translator.begin_piece()
        translator.defer = {id(node) for node in parsed} if depth else set()
        deferred = len(translator.deferred)
        results: list[cst.CSTNode] = []
        for node in parsed:
            translator.depth = depth
            result = node.visit(translator)
            if isinstance(result, cst.FlattenSentinel):
                results.extend(result.nodes)
            elif not isinstance(result, cst.RemovalSentinel):
                results.append(result)
        if translator.depth != depth:
            raise Fallback
        if depth and first_in_block and results and id(results[0]) in translator.generated:
            lines = list(results[0].leading_lines)  # type: ignore[attr-defined]
            while lines and lines[0].comment is None:  # as Translator.leave_IndentedBlock
                lines.pop(0)
            results[0] = results[0].with_changes(leading_lines=lines)
        translator.defer = set()
        if not results:
            return [], []
        texts = self._code(module, depth, results)
        if len(translator.deferred) > deferred:
            texts = [_DEFERRED.sub(self._place, text) for text in texts]
        return texts, results

    def _place(self, match: re.Match) -> str:
        """A deferred statement's formatted text in place of its stand-in, every line indented."""
        indent = match.group(1)
        text = self.translator.deferred[int(match.group(2))][0]
        return indent + text.replace("\n", "\n" + indent)[: -len(indent) or None]

    def _parse(self, source: str, depth: int) -> cst.Module:
        """`source` (lines at indentation depth `depth`) parsed inside stand-in blocks that
        make libcst see the file's indentation: `if 1:` wrappers, or at the top level a first
        indented block (libcst takes the default indent from the first one) and a statement
        (so that the lines before the first statement are its leading lines, not the module
        header)."""
        if depth == 0:  # (the second `pass` keeps indented leading comments off the block)
            prefix = "if 1:\n" + self.indent + "pass\npass\n"
        else:
            prefix = "".join(self.indent * level + "if 1:\n" for level in range(depth))
        try:
            module = cst.parse_module(prefix + source)
        except Exception:  # noqa: BLE001 - libcst and ast disagree: the whole-module path decides
            raise Fallback from None
        self.kept.append(module)
        return module

    @staticmethod
    def _nodes(module: cst.Module, depth: int) -> list[cst.CSTNode]:
        if depth == 0:
            return list(module.body[2:])
        block = module.body[0].body  # type: ignore[attr-defined]
        for _ in range(depth - 1):
            block = block.body[0].body
        return list(block.body)

    @staticmethod
    def _code(module: cst.Module, depth: int, results: list[cst.CSTNode]) -> list[str]:
        if depth == 0:
            return [module.code_for_node(node) for node in results]
        chain = [module.body[0]]
        for _ in range(depth - 1):
            chain.append(chain[-1].body.body[0])  # type: ignore[attr-defined]
        new = chain[-1].with_changes(body=chain[-1].body.with_changes(body=results))  # type: ignore[attr-defined]
        for outer in reversed(chain[:-1]):
            new = outer.with_changes(body=outer.body.with_changes(body=[new]))  # type: ignore[attr-defined]
        text = module.with_changes(body=[new]).code
        at = 0
        for _ in range(depth):
            at = text.index("\n", at) + 1
        return [text[at:]]

    # ------------------------------------------------------------ results

    def code(self, prelude: bool) -> str:
        """The translated file, with the prelude placeholder where `api` wants it."""
        items = list(self.items)
        if prelude:
            late = (i for i, item in enumerate(items) if IMPORTS_PLACEHOLDER in item.text)
            index = prelude_index([item.header for item in items], next(late, None))
            if index < len(items) and items[index].blank < 2:
                item = items[index]
                items[index] = Item("\n" * (2 - item.blank) + item.text, 2, item.header)
            placeholder = ("\n" if index else "") + PRELUDE_PLACEHOLDER + "\n"
            items.insert(index, Item(placeholder, 0, True))
        return self.head + "".join(item.text for item in items) + self.tail


def prelude_index(headers: list[bool], imports_at: int | None) -> int:
    """Where the prelude goes among the top-level statements (`headers`: which are headers,
    `is_header`): after the leading headers, or after dlgen's imports where those come later
    (a late `import torch`; the prelude subclasses keras.layers.Layer at module level) and the
    headers that follow them."""
    index = next((i for i, header in enumerate(headers) if not header), len(headers))
    if imports_at is not None and imports_at >= index:
        index = imports_at + 1
        while index < len(headers) and headers[index]:
            index += 1
    return index


def _header_line(unit: list[ast.stmt], index: int) -> bool:
    """`is_header` for a statement line copied as text."""
    return all(
        isinstance(node, ast.Import | ast.ImportFrom)
        or (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str | bytes)
        )
        for node in unit
    )


def _count_blank(text: str) -> int:
    """Blank lines at the start of `text`."""
    lines = text.split("\n")
    return next((i for i, line in enumerate(lines) if line.strip()), len(lines) - 1)


def _blank_lines(statement: cst.CSTNode) -> int:
    blank = 0
    for line in getattr(statement, "leading_lines", ()):
        if line.comment is not None:
            break
        blank += 1
    return blank
