"""The libcst transformer that rewrites a PyTorch file in place.

It keeps everything it does not need to change (names, comments, blank lines, structure) and
rewrites nodes through the rule tables: calls (`FUNCTIONS`, `METHODS`), names used as values
(`ATTRIBUTES`, `ISINSTANCE`), `nn.Module` classes and `forward`. Whatever has no rule stays as
it was, with a `# dlgen: not translated: <why>` line above its statement, and every construct,
translated or not, goes into the report with its line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from . import cache, dtypes, formatting, loop, script
from .analysis import FileInfo
from .context import (
    ATTRIBUTES,
    FUNCTIONS,
    ISINSTANCE,
    METHODS,
    Ctx,
    Replace,
    Untranslatable,
    code,
    simple,
    with_comma,
)
from .functions import IN_PLACE_FUNCTIONS, F
from .imports import is_torch
from .layers import BASE_CLASSES
from .layers import NN as NN_PREFIX
from .methods import AMBIGUOUS, IN_PLACE, VALUE_METHODS, module_dtype
from .names import keras_attr
from .report import MARK, Construct, Report

IMPORTS_PLACEHOLDER = "__dlgen_imports__"
# Packages whose imports the translation replaces (put back, marked, where untranslated code
# still uses a name); torchaudio's and torchtext's stay, marked as having no translation.
TRANSLATED_ROOTS = ("torch", "torchvision")
PRELUDE_PLACEHOLDER = "__dlgen_prelude__"
# A removed import's own line, kept where comments stood above it: they go to the next
# statement (api.carry_removed, pieces.Pieces), and this line goes away.
REMOVED_PLACEHOLDER = "__dlgen_removed__"


def is_placeholder(statement: cst.CSTNode, name: str) -> bool:
    """A module-level stand-in line: IMPORTS_PLACEHOLDER or REMOVED_PLACEHOLDER."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    small = statement.body[0]
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Name)
        and small.value.value == name
    )


DEFERRED = "__dlgen_formatted_"
NO_GRAD = ("torch.no_grad", "torch.inference_mode", "torch.enable_grad")
_LINE, _SUITE, _COMPOUND, _BLOCK = 1, 2, 3, 4  # the node kinds on_visit / on_leave tell apart


@dataclass
class _Statement:
    """Marks and changes collected while inside one statement."""

    marks: list[str] = field(default_factory=list)
    changed: bool = False


@dataclass
class _Scope:
    """The function being translated."""

    name: str
    module_class: bool
    training: bool  # a `training` variable is in scope (call, or a method given one)
    train_models: set[str] = field(default_factory=set)  # `m` of `m.train()` calls
    tensor_locals: set[str] = field(default_factory=set)  # locals assigned translated values
    # locals assigned what a non-torch module returned (`a = np.mean(x)`): their methods stay
    numpy_locals: set[str] = field(default_factory=set)
    in_place: dict[str, list[int]] = field(default_factory=dict)  # x[...] = v, with lines
    node: cst.FunctionDef | None = None  # the original function
    line: int = 0  # its first line in the source
    # a module class's `__init__` without `**kwargs`: it gets one, passed on to
    # `super().__init__`, so that Keras can rebuild the model from its config (`.keras` files)
    keras_kwargs: bool = False


def adds_keras_kwargs(in_module: bool, name: str, kwarg: bool, names: set[str]) -> bool:
    """Whether the translator gives this function `**kwargs` (see `_Scope.keras_kwargs`)."""
    return in_module and name == "__init__" and not kwarg and "kwargs" not in names


def is_super_init(call: cst.Call) -> bool:
    """`super().__init__(...)` or `super(Cls, self).__init__(...)`."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


CUDNN = "torch.backends.cudnn."  # its switches (benchmark, deterministic, enabled)


class Translator(cst.CSTTransformer):
    def __init__(self, info: FileInfo, report: Report, ctx: Ctx) -> None:
        super().__init__()
        self.info = info
        self.report = report
        self.ctx = ctx
        self.statements: list[_Statement] = []
        self.classes: list[bool] = []  # per enclosing class: is it an nn.Module
        self.scopes: list[_Scope] = []
        self.depth = 0  # indentation depth, for formatting
        self.skip: set[int] = set()  # ids of nodes handled by their parent
        self.torch_imports: list[tuple[cst.SimpleStatementLine, list[str]]] = []
        self.placed_imports = False
        # a noqa comment on a replaced torch import: the Keras imports in its place need it too
        self.import_noqa: set[str] = set()
        self.step_calls: dict[int, loop.StepCall] = {}  # id(statement) → zero_grad/...
        self.step_marks: dict[int, Construct] = {}  # their provisional report entries
        self.steps = 0
        self.lines: dict[int, int] = {}  # id(original call or statement) → line
        self.line_stack: list[int] = []
        self.statement_index = 0
        self.call_index = 0
        self.generated: set[int] = set()  # ids of statements written here (blank-line fix-up)
        self.held: list[cst.CSTNode] = []  # nodes keyed by id() above, kept so no id is reused
        self.loops: list[tuple[int, list[cst.FunctionDef]]] = []  # (scope depth, steps to place)
        self.stub_body: int | None = None  # id of a header's stand-in body (pieces.py): not visited
        self.stub_mark = 0  # report entries made before the stand-in body was reached
        self.defer: set[int] = set()  # ids of statements whose formatted text pieces.py places
        self.deferred: list[tuple[str, cst.SimpleStatementLine]] = []  # (text, statement)
        # `f(...)[0]` / `f(...)[1]`: id(call) → the index taken (Ctx.pick), and the calls whose
        # rule wrote that element alone (their subscript goes)
        self.picks: dict[int, int] = {}
        self.picked: set[int] = set()
        self.switches: dict[int, str] = {}  # id(assign) → the torch.backends.cudnn flag it sets
        self.guards: list[tuple[str, list[str]] | None] = []  # per enclosing `if`: visit_If
        self.not_read: set[int] = set()  # ids of `x.weight` written or initialised, not read
        self.class_names: list[str] = []  # the enclosing classes, innermost last
        self.aug_targets: set[int] = set()  # ids of `x[...] += v` targets
        self.bare_calls: set[int] = set()  # ids of calls that are a whole statement
        self.advanced_writes: dict[str, str] = {}  # `x[idx]` written (its code) → its key
        self.init_loops: set[int] = set()  # ids of `for p in m.parameters(): nn.init...` loops

    def begin_piece(self) -> None:
        """Start on a piece of the file (pieces.py) whose tables were just put in `info`."""
        self.statement_index = 0
        self.call_index = 0
        self.skip.clear()
        self.lines.clear()

    # ------------------------------------------------------------ bookkeeping

    def _line(self, node: cst.CSTNode) -> int:
        """The node's line: calls and statements are matched with Python's ast in source order;
        anything else gets the line of its statement."""
        line = self.lines.get(id(node))
        if line is not None:
            return line
        return self.line_stack[-1] if self.line_stack else 0

    def _record(self, node: cst.CSTNode, name: str, detail: str = "") -> None:
        self.report.add(self._line(node), name, True, detail)
        if self.statements:
            self.statements[-1].changed = True

    def _refuse(self, node: cst.CSTNode, name: str, why: str) -> None:
        self.report.add(self._line(node), name, False, why)
        if self.statements:
            self.statements[-1].marks.append(why)

    def _use(self, node: cst.CSTNode, what: str, definition: str) -> str | None:
        """A prelude definition's name (Ctx.use), or None with `what` refused where the file
        binds that name itself."""
        try:
            return self.ctx.use(definition)
        except Untranslatable as refused:
            self._refuse(node, what, str(refused))
            return None

    @property
    def _caches(self) -> dict[str, str]:
        """In a module's forward: the attributes that are caches (cache.py) → their local."""
        if not (self.scopes and self.scopes[-1].name == "forward" and self.class_names):
            return {}
        return self.info.cached_attrs.get(self.class_names[-1], {})

    @property
    def in_module_class(self) -> bool:
        return bool(self.classes) and self.classes[-1]

    @property
    def training_in_scope(self) -> bool:
        return bool(self.scopes) and self.scopes[-1].training

    # ------------------------------------------------------------ dispatch
    # CSTTransformer looks up `visit_<Type>` / `leave_<Type>` / `visit_<Type>_<attribute>` by
    # name for every node (libcst's typed stubs, which do nothing, when a rule defines none):
    # here what a node type needs is worked out once, and the per-attribute hooks are skipped.

    _types: dict[tuple[type, type], tuple] = {}  # (translator, node type) → _Dispatch fields

    def _dispatch(self, kind: type) -> tuple:
        """(what the node is: LINE, SUITE, COMPOUND, BLOCK or 0; visit hook; leave hook)."""
        key = (type(self), kind)
        found = Translator._types.get(key)
        if found is None:
            hooks = []
            for prefix in ("visit", "leave"):
                name = f"{prefix}_{kind.__name__}"
                own = getattr(type(self), name, None)
                base = getattr(cst.CSTTransformer, name, None)
                hooks.append(None if own is None or own is base else own)
            what = 0
            for cls, value in (
                (cst.SimpleStatementLine, _LINE),
                (cst.SimpleStatementSuite, _SUITE),
                (cst.BaseCompoundStatement, _COMPOUND),
                (cst.IndentedBlock, _BLOCK),
            ):
                if issubclass(kind, cls):
                    what = value
                    break
            found = Translator._types[key] = (what, *hooks)
        return found

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    # ------------------------------------------------------------ statements

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) == self.stub_body:
            self.stub_mark = len(self.report.constructs)
            return False
        what, visit, _ = self._dispatch(type(node))
        if what == _LINE or what == _COMPOUND:
            self.statements.append(_Statement())
            table = self.info.statement_lines
            line = table[self.statement_index][0] if self.statement_index < len(table) else 0
            first = self.statement_index
            self.statement_index += len(node.body) if what == _LINE else 1  # type: ignore[attr-defined]
            self.lines[id(node)] = line
            self.line_stack.append(line)
            quiet = self.info.quiet
            if what == _LINE and all(i in quiet for i in range(first, self.statement_index)):
                # nothing in it to translate: skip its children, keep the call lines in step
                self.call_index += sum(quiet[i] for i in range(first, self.statement_index))
                return False
        elif what == _SUITE:  # `def f(): return x`: one line, and as many statements for the
            first = self.statement_index  # tables as it holds
            self.statement_index += len(node.body)  # type: ignore[attr-defined]
            quiet = self.info.quiet
            if all(i in quiet for i in range(first, self.statement_index)):
                self.call_index += sum(quiet[i] for i in range(first, self.statement_index))
                return False
        elif what == _BLOCK:
            self.depth += 1
        return visit is None or visit(self, node) is not False

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        if id(original) == self.stub_body:
            return updated
        what, _, leave = self._dispatch(type(original))
        result = updated if leave is None else leave(self, original, updated)
        if what == _BLOCK:
            self.depth -= 1
        elif what == _LINE or what == _COMPOUND:
            self.line_stack.pop()
            state = self.statements.pop()
            if state.changed and self.statements:
                self.statements[-1].changed = True
            found = loop.step_call(original) if what == _LINE else None  # type: ignore[arg-type]
            if (
                found is not None
                and found[0] in ("zero_grad", "backward")
                and self.scopes
                and self.scopes[-1].name in self.info.closures
            ):  # in `closure` of `optimizer.step(closure)`: the step's own tape
                self._record(original, f"{found[0]}()", "in the closure: the LBFGS step's tape")
                return cst.RemovalSentinel.REMOVE
            provisional = None
            if found is not None and found[0] != "step":
                why = "outside a recognized zero_grad / backward / step loop"
                state.marks.append(why)
                provisional = Construct(self._line(original), f"{found[0]}()", False, why)
                self.report.constructs.append(provisional)
            result = self._finish_statement(original, result, state)
            if found is not None and isinstance(result, cst.SimpleStatementLine):
                self.step_calls[id(result)] = loop.StepCall(*found, self._line(original))
                self.held.append(result)
                if provisional is not None:
                    self.step_marks[id(result)] = provisional
        return result

    def _finish_statement(self, original, result, state: _Statement):
        if isinstance(result, cst.SimpleStatementLine) and state.changed:
            text = None
            if id(original) in self.defer and len(result.body) == 1:
                text = formatting.statement_text(result, self.depth)
            if text is None:
                result = formatting.statement(result, self.depth)
            else:  # pieces.py puts the text in place of this stand-in (no reparse, no codegen)
                self.deferred.append((text, result))
                name = cst.Name(f"{DEFERRED}{len(self.deferred) - 1}__")
                result = cst.SimpleStatementLine([cst.Expr(name)], result.leading_lines)
        if state.marks and isinstance(result, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            marks = [
                cst.EmptyLine(comment=cst.Comment(MARK + why.replace("\n", " ")))
                for why in dict.fromkeys(state.marks)
            ]
            result = result.with_changes(leading_lines=[*result.leading_lines, *marks])
        return result

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        first = updated.body[0]
        if id(first) in self.generated:  # black allows no blank line at the top of a block
            lines = list(first.leading_lines)
            while lines and lines[0].comment is None:
                lines.pop(0)
            return updated.with_changes(
                body=[first.with_changes(leading_lines=lines), *updated.body[1:]]
            )
        return updated

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self.bare_calls.add(id(node.value))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.not_read.add(id(node.target))
        self.aug_targets.add(id(node.target))

    def visit_Assign(self, node: cst.Assign) -> None:
        self.not_read.update(id(t.target) for t in node.targets)
        if len(node.targets) == 1:
            name = self.info.imports.qualify(node.targets[0].target)
            if name is not None and name.startswith(CUDNN):
                self.skip.add(id(node.targets[0].target))
                self.switches[id(node)] = name
                self.held.append(node)

    def _cudnn_switch(self, original: cst.SimpleStatementLine):
        """`torch.backends.cudnn.benchmark = True` and the like, a statement of its own:
        TensorFlow chooses its GPU kernels itself (no switch: the line goes); deterministic =
        True is tf.config.experimental.enable_op_determinism()."""
        assign = original.body[0]
        assert isinstance(assign, cst.Assign)
        name = self.switches[id(assign)]
        value = code(assign.value)
        if name == CUDNN + "deterministic" and value == "True":
            self._record(original, name, "tf.config.experimental.enable_op_determinism()")
            self.ctx.imports.add("tf")
            call = cst.Expr(self.ctx.expr("tf.config.experimental.enable_op_determinism()"))
            return original.with_changes(body=[call])
        if name in (CUDNN + "benchmark", CUDNN + "deterministic", CUDNN + "enabled"):
            self._record(original, name, "TensorFlow chooses its kernels itself: line dropped")
            return cst.RemovalSentinel.REMOVE
        self._refuse(original, name, f"{name} has no translation")
        return original

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ):
        if len(original.body) == 1 and id(original.body[0]) in self.switches:
            return self._cudnn_switch(original)
        tied = _tied_weight(original)
        if tied is not None:
            layer, source = tied
            tie = self._use(original, "weight tying", "weight_tied")
            if tie is None:
                return updated
            self._record(original, "weight tying", "weight_tied: one variable for both layers")
            value = self.ctx.expr(f"{tie}({layer}, {source})")
            target = cst.AssignTarget(target=cst.parse_expression(layer))
            return updated.with_changes(body=[cst.Assign(targets=[target], value=value)])
        imports = [s for s in original.body if isinstance(s, cst.Import | cst.ImportFrom)]
        if imports:
            return self._imports(original, updated)
        if self.scopes and len(original.body) == 1:
            target = loop.subscript_target(original.body[0])
            scope = self.scopes[-1]
            if target is not None and target in scope.tensor_locals:
                scope.in_place.setdefault(target, []).append(self._line(original))
        if not (self.statements and self.statements[-1].changed):
            return updated
        updated = updated.with_changes(
            body=[
                _in_place_to_assign(
                    _setattr_to_assign(s), before, self.info.imports.qualify, self.ctx.parameters
                )
                for s, before in zip(updated.body, original.body, strict=True)
            ]
        )
        body = [s for s in updated.body if not _no_op(s, original)]
        if len(body) < len(updated.body):
            if not body:
                return cst.RemovalSentinel.REMOVE
            return updated.with_changes(body=body)
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not (
            self.scopes
            and len(original.targets) == 1
            and isinstance(original.targets[0].target, cst.Name)
        ):
            return updated
        scope, name = self.scopes[-1], original.targets[0].target.value
        if self.statements and self.statements[-1].changed:
            scope.tensor_locals.add(name)
            scope.numpy_locals.discard(name)
        elif self._from_other_module(original.value):
            scope.numpy_locals.add(name)
        else:
            scope.numpy_locals.discard(name)
        return updated

    def visit_If(self, node: cst.If) -> None:
        """`if kind in ["LSTM", "GRU"]:`: inside, `getattr(nn, kind)` is one of those classes."""
        test = node.test
        names: list[str] = []
        if (
            isinstance(test, cst.Comparison)
            and isinstance(test.left, cst.Name)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.In)
            and isinstance(test.comparisons[0].comparator, cst.List | cst.Tuple | cst.Set)
        ):
            for element in test.comparisons[0].comparator.elements:
                value = element.value
                if not isinstance(value, cst.SimpleString):
                    names = []
                    break
                names.append(str(value.evaluated_value))
        self.guards.append((test.left.value, names) if names else None)  # type: ignore[union-attr]

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        self.guards.pop()
        return updated

    def _nn_getattr(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """`getattr(nn, kind)` under `if kind in [...]`: the prelude classes by name."""
        what = "getattr(nn, ...)"
        if len(original.args) != 2 or not isinstance(original.args[1].value, cst.Name):
            self._refuse(original, what, "getattr of torch.nn with a name not known")
            return updated
        variable = original.args[1].value.value
        guard = next((g for g in reversed(self.guards) if g and g[0] == variable), None)
        if guard is None:
            self._refuse(original, what, f"getattr(nn, {variable}): {variable} not known here")
            return updated
        classes = {}
        for name in guard[1]:
            if name not in BASE_CLASSES:
                self._refuse(original, what, f"nn.{name} has no prelude class")
                return updated
            found = self._use(original, what, BASE_CLASSES[name])
            if found is None:
                return updated
            classes[name] = found
        self._record(original, what, "the prelude's classes of the names the `if` allows")
        table = ", ".join(f'"{name}": {cls}' for name, cls in classes.items())
        return self.ctx.expr(f"{{{table}}}[{variable}]")

    def visit_For(self, node: cst.For) -> None:
        self.loops.append((len(self.scopes), []))
        variable = loop.parameter_init_loop(node, self.info.imports.qualify)
        if variable is not None:
            self.ctx.parameter_loops.append(variable)
            self.init_loops.add(id(node))

    def leave_For(self, original: cst.For, updated: cst.For):
        """A loop whose body holds a PyTorch training step calls a tf.function step instead;
        the step is defined before the outermost loop of the function (traced once)."""
        if id(original) in self.init_loops:
            self.init_loops.discard(id(original))
            variable = self.ctx.parameter_loops.pop()
            self.loops.pop()
            return self._init_loop(original, updated, variable)
        _, pending = self.loops.pop()
        definition, result = self._training_step(original, updated)
        definitions = [*pending, *([definition] if definition is not None else [])]
        if not definitions:
            return result
        if self.loops and self.loops[-1][0] == len(self.scopes):
            self.loops[-1][1].extend(definitions)
            return result
        free = set()
        for item in definitions:
            names = loop.free_names(item)
            free |= names
        changed_in_loop = set(loop.bound_names(original.body)) | set(
            loop.bound_names(original.target)
        )
        comment = cst.EmptyLine(
            comment=cst.Comment("# the PyTorch step, compiled: forward under a tape, then apply")
        )
        if free & changed_in_loop:  # the step reads what the loop changes: define it inside
            inner = [formatting.compound(d, self.depth + 1) for d in definitions]
            inner[0] = inner[0].with_changes(leading_lines=[comment])
            body = result.body
            assert isinstance(body, cst.IndentedBlock)
            return result.with_changes(body=body.with_changes(body=[*inner, *body.body]))
        placed = [formatting.compound(d, self.depth) for d in definitions]
        blank = [cst.EmptyLine(indent=False)] if self.depth else [cst.EmptyLine(indent=False)] * 2
        placed[0] = placed[0].with_changes(leading_lines=[*blank, *original.leading_lines, comment])
        self.generated.add(id(placed[0]))
        self.held.append(placed[0])
        result = result.with_changes(leading_lines=blank)  # PEP 8: two after a def at top level
        return cst.FlattenSentinel([*placed, result])

    def _init_loop(self, original: cst.For, updated: cst.For, variable: str):
        """`for p in m.parameters(): [if <p's rank>:] nn.init.*_(p)` →
        `init_parameters(m, <initializer>, lambda p: <test>)`: Keras makes most weights when a
        layer first runs, after this line, so the prelude sets each layer's initializers
        (and draws again the weights made already)."""
        found = loop.init_loop_parts(updated, variable)
        if found is None:
            self._refuse(
                original,
                "Module.parameters",
                "an initialising loop over parameters "
                "whose test reads more of a parameter than its rank",
            )
            return updated
        initializer, test = found
        assert isinstance(original.iter, cst.Call) and isinstance(original.iter.func, cst.Attribute)
        owner = code(original.iter.func.value)
        when = f", lambda {variable}: {test}" if test else ""
        self._record(original, "Module.parameters", "init_parameters: each layer's initializers")
        call = self.ctx.expr(f"{self.ctx.use('init_parameters')}({owner}, {initializer}{when})")
        return cst.SimpleStatementLine(body=[cst.Expr(call)], leading_lines=original.leading_lines)

    def _training_step(self, original: cst.For, updated: cst.For):
        """(the step function or None, the loop calling it)."""
        if not isinstance(updated.body, cst.IndentedBlock):
            return None, updated
        body = list(updated.body.body)
        several = loop.several_steps(body, self.step_calls, self.info.optimizer_models)
        if several is not None:
            return None, self._several_steps(updated, body, several)
        step = loop.find(body, self.step_calls)
        if step is None:
            return None, updated
        scope = self.scopes[-1] if self.scopes else None
        start = loop.forward_start(body, step)
        before = body[:start]
        loop_names = set(loop.bound_names(original.target))
        for statement in before:
            loop_names |= set(loop.bound_names(statement))
        forward = [*body[start : step.zero], *body[step.zero + 1 : step.backward]]
        try:
            model = loop.model_of(
                forward, scope.train_models if scope else set(), self.ctx.prelude, step.loss
            )
            self.steps += 1
            name = "train_step" if self.steps == 1 else f"train_step_{self.steps}"
            forward, read_back = loop.split_forward(forward, model, step.loss)
            between, moved = loop.split_between(body[step.backward + 1 : step.step], model)
            moved = [*read_back, *moved]
            after: list[cst.CSTNode] = [*moved, *body[step.step + 1 :]]
            if scope is None or scope.node is None:
                after.append(cst.Name(step.loss))  # module level: keep the loss for later code
            else:
                after += loop.reads_outside(scope.node, original)
            decorator = "tf.function"
            if self.scopes:  # a function (train(), called each epoch): traced once all the same
                decorator = self.ctx.use("compiled")
            definition, call = loop.step_function(
                name, forward, between, step, model, loop_names, after, decorator
            )
        except Untranslatable as exc:
            self._refuse(original, "training step", str(exc))
            return None, updated
        self._report_step(body, step, f"tf.function GradientTape step {name}")
        kept = _unmarked(body[start].leading_lines)
        # what only read a value back between backward() and step() runs after the step
        new_body = [*before, call.with_changes(leading_lines=kept), *moved, *body[step.step + 1 :]]
        return definition, updated.with_changes(body=updated.body.with_changes(body=new_body))

    def _several_steps(self, updated: cst.For, body: list, updates: list[loop.Update]) -> cst.For:
        """Several optimizers stepped in one iteration (a GAN), or several backward() before a
        step(): the iteration run eagerly under one persistent tape (loop.several_steps_body)."""
        taken = self.ctx.taken | (self.ctx.local_taken[-1] if self.ctx.local_taken else set())
        clash = {"tape", "gradients"} & set(taken)
        if clash:
            self._refuse(
                updated, "training step", f"the step needs the name {min(clash)}: rename yours"
            )
            return updated
        self.ctx.imports.add("tf")
        detail = "a persistent GradientTape over the iteration: " + ", ".join(
            f"{u.optimizer} on {u.model} from {' + '.join(u.losses)}" for u in updates
        )
        for statement in body:
            found = self.step_calls.get(id(statement))
            if found is None:
                continue
            provisional = self.step_marks.pop(id(statement), None)
            if provisional is not None:
                self.report.constructs.remove(provisional)
            self.report.add(found.line, f"{found.kind}()", True, detail)
        new_body = loop.several_steps_body(body, self.step_calls, updates)
        new_body = [
            (
                formatting.compound(s, self.depth + 1)
                if isinstance(s, cst.BaseCompoundStatement)
                else s
            )
            for s in new_body
        ]
        return updated.with_changes(body=updated.body.with_changes(body=new_body))

    def _function_step(
        self, original: cst.FunctionDef, updated: cst.FunctionDef, scope: _Scope
    ) -> cst.FunctionDef:
        """A PyTorch step in a function's own body, not in a loop (`def train(): ...
        optimizer.zero_grad(); loss.backward(); optimizer.step()`, called once per step or
        epoch): written in place as an eager GradientTape step (loop.inline_step)."""
        if not isinstance(updated.body, cst.IndentedBlock):
            return updated
        body = list(updated.body.body)
        step = loop.find(body, self.step_calls)
        if step is None:
            return updated
        start = loop.forward_start(body, step)
        forward = [*body[start : step.zero], *body[step.zero + 1 : step.backward]]
        try:
            model = loop.model_of(forward, scope.train_models, self.ctx.prelude, step.loss)
            between, moved = loop.split_between(body[step.backward + 1 : step.step], model)
            statements = loop.inline_step(forward, between, step, model)
        except Untranslatable as exc:
            self._refuse(original, "training step", str(exc))
            return updated
        self._report_step(body, step, "GradientTape step, eager")
        statements[0] = statements[0].with_changes(
            leading_lines=_unmarked(body[start].leading_lines)
        )
        new_body = [*body[:start], *statements, *moved, *body[step.step + 1 :]]
        return updated.with_changes(body=updated.body.with_changes(body=new_body))

    def _report_step(self, body: list, step: loop.Step, detail: str) -> None:
        """zero_grad(), backward() and step() reported translated, their provisional
        "outside a recognized loop" entries withdrawn."""
        self.ctx.imports.add("tf")
        for index in (step.zero, step.backward, step.step):
            statement = body[index]
            provisional = self.step_marks.pop(id(statement), None)
            if provisional is not None:
                self.report.constructs.remove(provisional)
            found = self.step_calls.get(id(statement))
            if found is None:  # the user's own update loop (loop.manual_update)
                self.report.add(self._line(statement), "parameter update", True, detail)
                continue
            self.report.add(found.line, f"{found.kind}()", True, detail)

    def _imports(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        names: list[str] = []
        for statement in original.body:
            if isinstance(statement, cst.Import):
                found = [code(a.name) for a in statement.names if is_torch(code(a.name))]
            elif isinstance(statement, cst.ImportFrom) and statement.module is not None:
                base = code(statement.module)
                found = [base] if is_torch(base) and not statement.relative else []
            else:
                found = []
            names += found
        if not names:
            return updated
        if self.depth > 0:  # inside try/if/def: moving it to the import block breaks the block
            for name in names:
                self._refuse(original, f"import {name}", "a PyTorch import inside a block stays")
            return updated
        for name in names:
            root = name.split(".", 1)[0]
            if root in TRANSLATED_ROOTS:
                self._record(original, f"import {name}", "TensorFlow and Keras imports")
            else:
                self._refuse(original, f"import {name}", f"{root} has no TensorFlow translation")
        if any(name.split(".", 1)[0] not in TRANSLATED_ROOTS for name in names):
            return updated
        self.torch_imports.append((original, names))
        comment = original.trailing_whitespace.comment
        if comment is not None and comment.value.startswith("# noqa"):
            self.import_noqa.add(comment.value)
        if not self.placed_imports:
            self.placed_imports = True
            return updated.with_changes(
                body=[cst.Expr(cst.Name(IMPORTS_PLACEHOLDER))],
                trailing_whitespace=cst.TrailingWhitespace(),
            )
        if any(line.comment is not None for line in original.leading_lines):
            return updated.with_changes(  # a section comment above it stays
                body=[cst.Expr(cst.Name(REMOVED_PLACEHOLDER))],
                trailing_whitespace=cst.TrailingWhitespace(),
            )
        return cst.RemovalSentinel.REMOVE

    def _no_grad(self, node: cst.With) -> str | None:
        """The no_grad-like context manager when every item of `with` is one, else None."""
        kinds = {
            self.info.imports.qualify(i.item.func) if isinstance(i.item, cst.Call) else None
            for i in node.items
        }
        if len(kinds) == 1 and kinds <= set(NO_GRAD) and isinstance(node.body, cst.IndentedBlock):
            return kinds.pop()
        return None

    def visit_With(self, node: cst.With) -> None:
        if self._no_grad(node):
            for item in node.items:
                self.skip.add(id(item.item))
            self.depth -= 1  # its body will sit one level up

    def leave_With(self, original: cst.With, updated: cst.With):
        kind = self._no_grad(original)
        if kind is None:
            return updated
        self.depth += 1
        self._record(original, kind, "no tape records outside GradientTape")
        body = list(updated.body.body)  # type: ignore[union-attr]
        first = body[0]
        body[0] = first.with_changes(leading_lines=[*original.leading_lines, *first.leading_lines])
        return cst.FlattenSentinel(body)

    # ------------------------------------------------------------ classes and functions

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value in self.info.module_classes)
        self.class_names.append(node.name.value)
        for base in node.bases:
            self.skip.add(id(base.value))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        is_module = self.classes.pop()
        self.class_names.pop()
        if not is_module:
            return self._data_set_bases(original, updated)
        bases = []
        for base in updated.bases:
            name = self.info.imports.qualify(base.value) or ""
            if name == "torch.nn.Module":
                if original.name.value in self.info.submodule_classes:
                    target = "keras.layers.Layer"
                else:
                    target = "keras.Model"
                self._record(original, "torch.nn.Module", f"class {original.name.value}({target})")
                base = base.with_changes(value=self.ctx.expr(target))
            elif name.startswith(NN_PREFIX):
                layer = name.removeprefix(NN_PREFIX)
                if layer not in BASE_CLASSES:
                    self._refuse(original, name, f"a subclass of nn.{layer}: no prelude class")
                else:
                    target = self._use(original, name, BASE_CLASSES[layer])
                    if target is not None:
                        self._record(original, name, f"class {original.name.value}({target})")
                        base = base.with_changes(value=cst.Name(target))
            bases.append(base)
        return updated.with_changes(bases=bases)

    def _data_set_bases(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        """`class Points(Dataset)` (torch.utils.data.Dataset): the prelude's map-style
        Dataset, which its DataLoader reads sample by sample."""
        bases = list(updated.bases)
        for i, base in enumerate(original.bases):
            if self.info.imports.qualify(base.value) != "torch.utils.data.Dataset":
                continue
            target = self._use(original, "torch.utils.data.Dataset", "Dataset")
            if target is None:
                continue
            what = f"class {original.name.value}({target}): read sample by sample by DataLoader"
            self._record(original, "torch.utils.data.Dataset", what)
            bases[i] = bases[i].with_changes(value=cst.Name(target))
        return updated.with_changes(bases=bases)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        module = self.in_module_class
        training = module and (name == "forward" or name in self.info.training_methods)
        params = node.params
        names = {
            p.name.value for p in (*params.params, *params.posonly_params, *params.kwonly_params)
        }
        if isinstance(params.star_arg, cst.Param):
            names.add(params.star_arg.name.value)
        kwargs = adds_keras_kwargs(module, name, params.star_kwarg is not None, names)
        line = self.lines.get(id(node), 0)
        self.scopes.append(
            _Scope(name, module, training, node=node, keras_kwargs=kwargs, line=line)
        )
        self.classes.append(False)  # a class inside a def is not the module's body
        self.ctx.local_taken.append(
            self.info.local_bound.get(self.lines.get(id(node), 0), frozenset())
        )

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.classes.pop()
        scope = self.scopes.pop()
        self.ctx.local_taken.pop()
        updated = self._function_step(original, updated, scope)
        if scope.in_place:
            in_place = loop.InPlace(
                set(scope.in_place),
                self.depth,
                formatting.statement,
                self.ctx.use,
                self.advanced_writes,
            )
            updated = updated.visit(in_place)  # type: ignore[assignment]
            self.ctx.imports.add("tf")
            for name, lines in scope.in_place.items():
                for line in lines:
                    self.report.add(
                        line, "in-place tensor write", True, f"{name}: tf.Variable.assign"
                    )
        if scope.keras_kwargs:
            kwargs = cst.Param(cst.Name("kwargs"), star="**")
            updated = updated.with_changes(params=updated.params.with_changes(star_kwarg=kwargs))
        if not scope.training:
            return updated
        params = updated.params
        if not any(p.name.value == "training" for p in params.params + params.kwonly_params):
            params = _add_training(params)
        changes: dict = {"params": params}
        if scope.name == "forward":
            changes["name"] = cst.Name("call")
            self._record(original, "nn.Module.forward", "call(self, ..., training=False)")
            for name, local in self.info.cached_attrs.get(self.class_names[-1], {}).items():
                self._record(
                    original,
                    f"self.{name} (a cache)",
                    "computed in each call: a tensor kept on a Keras layer leaves its trace",
                )
                body = changes.get("body", updated.body)
                changes["body"] = cache.starting_none(body, name, local)
        else:
            self._record(original, "self.training", f"{scope.name}(..., training=False)")
        return updated.with_changes(**changes)

    # ------------------------------------------------------------ expressions

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # only whole chains are looked up: `nn` in `nn.Conv2d` is not a use of its own
        self.skip.add(id(node.attr))
        if node.attr.value == "data":  # `fc.weight.data...`: the parameter, written (rules)
            self.not_read.add(id(node.value))
        if isinstance(node.value, cst.Name | cst.Attribute):
            self.skip.add(id(node.value))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def visit_Param(self, node: cst.Param) -> None:
        self.skip.add(id(node.name))

    def visit_Call(self, node: cst.Call) -> None:
        callee = node.func.attr.value if isinstance(node.func, cst.Attribute) else code(node.func)
        table = self.info.call_lines
        for index in range(self.call_index, min(self.call_index + 6, len(table))):
            if table[index][1] == callee:  # resynchronizes if the two parsers ever differ
                self.lines[id(node)] = table[index][0]
                self.call_index = index + 1
                break
        if not isinstance(node.func, cst.Call):  # `nn.ReLU()(x)`: the inner call is a call too
            self.skip.add(id(node.func))
        name = self.info.imports.qualify(node.func)
        attr = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if name is not None and name.startswith("torch.nn.init.") and node.args:
            self.not_read.add(id(node.args[0].value))  # the weight initialised (set_initializer)
        if (name == "torch.save" or attr == "load_state_dict") and node.args:
            self.skip.add(id(node.args[0].value))  # model.state_dict() / torch.load(path)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if id(original) in self.skip:
            return updated
        return self._value(original, updated)

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if (
            isinstance(original.value, cst.Name)
            and original.value.value == "self"
            and self.scopes
            and self.scopes[-1].module_class
        ):
            attr = original.attr.value
            if attr == "training":
                if self.training_in_scope:
                    self._record(original, "self.training", "the training argument")
                    return cst.Name("training")
            elif attr in self._caches:
                return cst.Name(self._caches[attr])  # cache.py: a local of forward
            elif attr in self.info.renamed_attrs:
                self._record(
                    original, f"self.{attr}", f"self.{keras_attr(attr)}: Keras reserves {attr}"
                )
                return updated.with_changes(attr=cst.Name(keras_attr(attr)))
        if (
            original.attr.value == "weight"
            and (
                code(original.value) in self.info.layer_names
                or (code(original.value) == "self" and self._in_layer_subclass)
            )
            and id(original) not in self.not_read
        ):
            read = self._use(original, "Layer.weight", "torch_weight")
            if read is None:
                return updated
            self._record(original, "Layer.weight", "torch_weight: in PyTorch's layout")
            return self.ctx.expr(f"{read}({code(updated.value)})")
        if original.attr.value == "param_groups" and id(original) not in self.not_read:
            groups = self._use(original, "Optimizer.param_groups", "param_groups")
            if groups is None:
                return updated
            self._record(original, "Optimizer.param_groups", "its learning rate, read and set")
            return self.ctx.expr(f"{groups}({code(updated.value)})")
        if original.attr.value in ("T", "mT") and self._tensor_value(
            original.value, updated.value
        ):  # tf.Tensor has neither; `.T` reverses every axis, as tf.transpose does
            self._record(original, f"Tensor.{original.attr.value}", "tf.transpose")
            if original.attr.value == "T":
                return self.ctx.expr(f"tf.transpose({code(updated.value)})")
            return self.ctx.expr(f"tf.linalg.matrix_transpose({code(updated.value)})")
        if id(original) in self.skip:
            return updated
        if original.attr.value == "is_cuda" and not (
            isinstance(original.value, cst.Name) and original.value.value == "self"
        ):  # a tensor's; `self.is_cuda` would be the user's own
            self._record(original, "Tensor.is_cuda", "whether its device is a GPU")
            return self.ctx.expr(f'("GPU" in {code(updated.value)}.device)')
        return self._value(original, updated)

    def _value(self, original: cst.BaseExpression, updated: cst.BaseExpression):
        """A PyTorch name used as a value (not called): dtypes, classes in isinstance."""
        name = self.info.imports.qualify(original)
        if name is None or not is_torch(name):
            return updated
        if name in ATTRIBUTES:
            self._record(original, name, ATTRIBUTES[name])
            return self.ctx.expr(ATTRIBUTES[name])
        if name in ISINSTANCE:
            target = ISINSTANCE[name]
            if "." not in target:
                try:
                    self.ctx.use(target)
                except Untranslatable as exc:
                    self._refuse(original, name, str(exc))
                    return updated
            self._record(original, name, target)
            return self.ctx.expr(target)
        if name.count(".") == 0 or name in ("torch.nn", "torch.nn.functional", "torch.optim"):
            return updated
        self._refuse(original, name, f"{name} has no translation")
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if id(original) in self.skip:
            return updated
        if self.scopes and self.scopes[-1].keras_kwargs and is_super_init(original):
            if not any(arg.star == "**" for arg in updated.args):
                return updated.with_changes(
                    args=[*updated.args, cst.Arg(cst.Name("kwargs"), star="**")]
                )
        func = updated.func
        if (
            isinstance(func, cst.Name)
            and func.value == "getattr"
            and original.args
            and self.info.imports.qualify(original.args[0].value) == "torch.nn"
        ):
            return self._nn_getattr(original, updated)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "forward"
            and not isinstance(func.value, cst.Call)
            and self._a_module(original.func.value)  # type: ignore[attr-defined]
        ):  # `m.forward(x)`: Keras's layer is called (it builds itself on the first call)
            self._record(original, "Module.forward", "the layer called")
            return updated.with_changes(func=func.value)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "forward"
            and isinstance(func.value, cst.Call)
            and code(func.value.func) == "super"
            and self.scopes
            and self.scopes[-1].module_class
        ):  # the base class's forward, in Keras its call
            self._record(original, "super().forward", "super().call")
            return updated.with_changes(func=func.with_changes(attr=cst.Name("call")))
        name = self.info.imports.qualify(original.func)
        if name is not None and is_torch(name):
            rule = FUNCTIONS.get(name) or script.RULES.get(name)
            if rule is None:
                self._refuse(original, name, f"{name} has no translation")
                return updated
            return self._apply(original, updated, name, rule)
        func = original.func
        if isinstance(func, cst.Attribute):
            receiver = func.value
            attr = func.attr.value
            if isinstance(receiver, cst.Name) and receiver.value == "self":
                if attr in script.MODULE_METHODS and attr not in self.info.assigned_attrs:
                    return self._apply(
                        original, updated, f"Module.{attr}", script.MODULE_METHODS[attr]
                    )
                return self._self_call(original, updated, attr)
            if attr in script.MODULE_METHODS and not self._is_module(receiver):
                return self._apply(original, updated, f"Module.{attr}", script.MODULE_METHODS[attr])
            if attr in script.METHODS and not self._is_module(receiver):
                return self._apply(original, updated, f"{attr}()", script.METHODS[attr])
            if attr in AMBIGUOUS and not self._surely_tensor(receiver, original):
                return updated
            if (
                (attr in METHODS or attr in VALUE_METHODS)
                and attr not in IN_PLACE  # `p.data.add_(...)` writes to the parameter
                and not self._is_module(receiver)
            ):
                updated = self._without_data(original, updated)
            if attr in VALUE_METHODS and not self._is_module(receiver):
                if not self._tensor_value(receiver, updated.func.value):
                    return self._apply(original, updated, f"Tensor.{attr}", VALUE_METHODS[attr])
            if attr in ("double", "float", "half") and (
                self._made_module(receiver) or id(original) in self.bare_calls
            ):  # `model.double()` alone: a tensor's cast would be lost, a module's is in place
                return self._apply(original, updated, f"Module.{attr}", module_dtype)
            if attr in METHODS and not self._is_module(receiver):
                if attr in _MODE_SWITCHES and not _mode_switch(updated):
                    return updated  # the user's own `train(x, y)`: Module.train takes a bool
                if attr == "train" and isinstance(receiver, cst.Name) and self.scopes:
                    self.scopes[-1].train_models.add(receiver.value)
                return self._apply(original, updated, f"Tensor.{attr}", METHODS[attr])
        return updated

    def _surely_tensor(self, receiver: cst.BaseExpression, call: cst.Call) -> bool:
        """`x.add(y)` is a tensor's (not a set's): an `alpha=` argument, a module's forward,
        or a local assigned a translated (tensor) value."""
        if any(
            arg.keyword is not None and arg.keyword.value in ("alpha", "dim") for arg in call.args
        ):  # `x.add(y, alpha=2)`, `x.split(1, dim=1)`: no set's, no string's
            return True
        return self._tensor_in_scope(receiver)

    def _tensor_in_scope(self, name: cst.BaseExpression) -> bool:
        """In a module's forward, or a local assigned a translated (tensor) value."""
        if not self.scopes:
            return False
        scope = self.scopes[-1]
        if scope.module_class and scope.training:
            return True
        return isinstance(name, cst.Name) and name.value in scope.tensor_locals

    def _without_data(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`x.data.max(1)`, `y.eq(t.data)`: the receiver and arguments of a tensor method are
        tensors, so their `.data` is PyTorch's (the values, outside autograd), which a
        TensorFlow tensor lacks: `tf.stop_gradient(x)`."""

        def plain(value: cst.BaseExpression) -> cst.BaseExpression:
            if isinstance(value, cst.Attribute) and value.attr.value == "data":
                self._record(original, "Tensor.data", "tf.stop_gradient: outside autograd")
                return self.ctx.expr(f"tf.stop_gradient({code(value.value)})")
            return value

        func = updated.func
        assert isinstance(func, cst.Attribute)
        args = [arg.with_changes(value=plain(arg.value)) for arg in updated.args]
        return updated.with_changes(func=func.with_changes(value=plain(func.value)), args=args)

    def _tensor_value(self, receiver: cst.BaseExpression, updated: cst.BaseExpression) -> bool:
        """Whether a receiver is surely a tensor: a PyTorch call was translated inside it, it
        is (indexes, calls) a local assigned a translated value, or it is in a forward."""
        if not receiver.deep_equals(updated):
            return True
        head = receiver  # `criterion(out, y)`, `h[0]`: what a translated value gives
        while isinstance(head, cst.Attribute | cst.Subscript | cst.Call):
            head = head.func if isinstance(head, cst.Call) else head.value
        return self._tensor_in_scope(head)

    @property
    def _in_layer_subclass(self) -> bool:
        """In a method of a class derived from a PyTorch layer (`class Layer(nn.Linear)`)."""
        return bool(
            self.class_names
            and self.class_names[-1] in self.info.layer_subclasses
            and self.scopes
            and self.scopes[-1].module_class
        )

    def _a_module(self, receiver: cst.BaseExpression) -> bool:
        """`self` in a module class, a module it holds, or a module the file made; anything,
        where no class of the file but a module defines `forward`."""
        text = code(receiver)
        if not self.info.other_forward and text != "self":
            return True
        if text == "self":
            return bool(self.scopes and self.scopes[-1].module_class)
        if text.startswith("self.") and text.count(".") == 1:
            return text[5:] in self.info.training_attrs or text in self.info.layer_names
        return text in self.info.module_instances or text in self.info.layer_names

    def _is_module(self, receiver: cst.BaseExpression) -> bool:
        """True for `np.sum(...)`-style calls on an imported module, not on a tensor, and for
        methods of what a non-torch module returned (`np.float32(x).item()` is numpy's)."""
        head = receiver
        while isinstance(head, cst.Attribute):
            head = head.value
        if isinstance(head, cst.Name) and (
            head.value in self.info.other_modules or self.info.imports.is_alias(head.value)
        ):
            return True
        if isinstance(head, cst.Name) and (
            head.value in self.info.numpy_names
            or (self.scopes and head.value in self.scopes[-1].numpy_locals)
            or (
                self.line_stack and head.value in self.info.array_names.get(self.line_stack[-1], ())
            )
        ):
            return True
        return self._from_other_module(head)

    def _from_other_module(self, value: cst.BaseExpression) -> bool:
        """What a call into a non-torch module returns (`np.float32(x)`, `np.load(f)["a"]`)."""
        head, called = value, False
        while isinstance(head, cst.Attribute | cst.Call | cst.Subscript):
            called |= isinstance(head, cst.Call)
            head = head.func if isinstance(head, cst.Call) else head.value
        return called and isinstance(head, cst.Name) and head.value in self.info.other_modules

    def _apply(self, original: cst.Call, updated: cst.Call, name: str, rule) -> cst.BaseExpression:
        self.ctx.notes.clear()
        self.ctx.called = name
        self.ctx.pick, self.ctx.picked = self.picks.get(id(original)), False
        try:
            result = rule(updated, self.ctx)
        except Untranslatable as exc:
            self._refuse(original, name, str(exc))
            return updated
        finally:
            self.ctx.pick = None
        if self.ctx.picked:
            self.picked.add(id(original))
        self._record(original, name, "; ".join(self.ctx.notes))
        return result

    def visit_Subscript(self, node: cst.Subscript) -> None:
        """`torch.max(x, 1)[0]`: the rule of the call may write the element alone."""
        if isinstance(node.value, cst.Call) and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index) and code(index.value) in ("0", "1"):
                self.picks[id(node.value)] = int(code(index.value))
                self.held.append(node.value)

    def leave_Subscript(
        self, original: cst.Subscript, updated: cst.Subscript
    ) -> cst.BaseExpression:
        if id(original.value) in self.picked:
            return updated.value
        if self._advanced_index(original, updated):
            return self._torch_index(original, updated)
        return updated

    def _torch_index(self, original: cst.Subscript, updated: cst.Subscript):
        """PyTorch's advanced indexing (a range, a list, a mask or a tensor of indices),
        which tf.Tensor's [] refuses: a read → the prelude's torch_index; a write into a
        local tensor → index_put (loop.InPlace writes it); any other write is marked."""
        if not all(isinstance(element.slice, cst.Index | cst.Slice) for element in updated.slice):
            return self._refuse_index(original, updated)
        key = ", ".join(_key_entry(element.slice) for element in updated.slice)
        key = f"({key},)" if len(updated.slice) == 1 else f"({key})"
        if id(original) not in self.not_read:
            function = self._use(original, "advanced indexing", "torch_index")
            if function is None:
                return updated
            self._record(original, "advanced indexing", "torch_index (numpy's rules)")
            return self.ctx.expr(f"{function}({code(updated.value)}, {key})")
        scope = self.scopes[-1] if self.scopes else None
        if not (
            scope is not None
            and isinstance(original.value, cst.Name)
            and original.value.value in scope.tensor_locals
            and self._use(original, "advanced indexing", "index_put") is not None
        ):
            return self._refuse_index(original, updated)
        self._record(original, "advanced indexing", "index_put (numpy's rules)")
        self.advanced_writes[code(updated)] = key
        return updated

    def _refuse_index(self, original: cst.Subscript, updated: cst.Subscript):
        self._refuse(
            original,
            "advanced indexing",
            "a tensor indexed with a range, a list, a mask or a tensor of indices, written "
            "in place of something other than a local tensor: tf.Tensor's [] takes ints and "
            "slices (tf.tensor_scatter_nd_update)",
        )
        return updated

    def _masked_write(self, target: cst.Subscript) -> bool:
        """`x[mask] = v` on a local the in-place rule makes a Variable (loop.InPlace writes it
        with the prelude's masked_put)."""
        scope = self.scopes[-1] if self.scopes else None
        return (
            scope is not None
            and id(target) not in self.aug_targets
            and isinstance(target.value, cst.Name)
            and target.value.value in scope.tensor_locals
            and len(target.slice) == 1
        )

    def _advanced_index(self, original: cst.Subscript, updated: cst.Subscript) -> bool:
        """A surely-tensor value indexed by something tf.Tensor's [] refuses (numpy's takes
        it: a numpy array's subscript is left as it is). Indexed by a name that holds an
        integer tensor (dtypes.py), the value is one that takes it."""
        if any(
            isinstance(element.slice, cst.Index)
            and isinstance(element.slice.value, cst.Name)
            and element.slice.value.value in self._int_names
            for element in original.slice
        ):
            return True
        if not (
            self._tensor_value(original.value, updated.value)
            or _head_name(original.value) in self._scope_names(self.info.tensor_names)
        ):
            return False
        for before, after in zip(original.slice, updated.slice, strict=True):
            if not isinstance(before.slice, cst.Index):
                continue
            index, new = before.slice.value, after.slice.value  # type: ignore[attr-defined]
            if isinstance(index, cst.List | cst.Tuple | cst.ListComp):
                return True
            if isinstance(index, cst.Comparison):  # a mask: read, tf's [] takes it
                return id(original) in self.not_read and not self._masked_write(original)
            if isinstance(index, cst.Call) and code(index.func) == "range":
                return True
            if not index.deep_equals(new) and code(new).startswith(_INDEX_TENSORS):
                return True
            if (
                isinstance(index, cst.Name)
                and index.value not in ("None", "True", "False", "Ellipsis")
                and (
                    self._tensor_local(index.value)
                    or (
                        index.value not in self._scope_names(self.info.pyint_names)
                        and not self._held_module(original.value)
                    )
                )
            ):  # a name not known to hold a Python int: torch_index takes ints too
                return True
        return False

    def _made_module(self, receiver: cst.BaseExpression) -> bool:
        """`seq` of `seq = Sequence()`, a layer the file made (`fc = nn.Linear(...)`)."""
        text = code(receiver)
        return text in self.info.module_instances or text in self.info.layer_names

    def _held_module(self, value: cst.BaseExpression) -> bool:
        """`self.layers` (a ModuleList, a ModuleDict, a list): an attribute of `self` that is
        not one of its own Parameters, indexed by a layer's number or name."""
        return (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value == "self"
            and value.attr.value not in self.info.parameter_attrs
        )

    def _tensor_local(self, name: str) -> bool:
        """A local assigned a translated value (a tensor, or a size read off one)."""
        return bool(self.scopes) and name in self.scopes[-1].tensor_locals

    @property
    def _int_names(self) -> set[str]:
        """The names that hold an integer tensor where we are (dtypes.py: gat's
        `output[idx_train]`, `idx_train` a parameter every call passes a randperm slice)."""
        return self._scope_names(self.info.int_names)

    def _scope_names(self, table: dict[int, set[str]]) -> set[str]:
        """The names of `table` (dtypes.py's, by function) for the function we are in."""
        return table.get(self.scopes[-1].line if self.scopes else 0, set())

    def _self_call(self, original: cst.Call, updated: cst.Call, attr: str) -> cst.BaseExpression:
        """`self.dropout(x)` → `self.dropout(x, training=training)` inside call()."""
        wants = attr in self.info.training_attrs or attr in self.info.training_methods
        if not (wants and self.training_in_scope):
            return updated
        if any(a.keyword is not None and a.keyword.value == "training" for a in updated.args):
            return updated
        if self.statements:
            self.statements[-1].changed = True
        return updated.with_changes(
            args=[*with_comma(updated.args), _keyword("training", "training")]
        )

    def leave_BinaryOperation(
        self, original: cst.BinaryOperation, updated: cst.BinaryOperation
    ) -> cst.BaseExpression:
        """PyTorch's type promotion (dtypes.py): an integer tensor meeting a float, or divided,
        is cast to float32 first."""
        found = self.info.promotions.get(self.line_stack[-1]) if self.line_stack else None
        if not found:
            return updated
        cast = found.get(dtypes.key(code(original)))
        if not cast:
            return updated
        changes = {
            side: self.ctx.expr(f"tf.cast({code(getattr(updated, side))}, tf.float32)")
            for side in cast
        }
        self._record(original, "type promotion", "the integer tensor cast to float32 first")
        return updated.with_changes(**changes)

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison):
        """`m.bias is not None` on a Keras layer: Keras says `use_bias`."""
        if (
            len(updated.comparisons) == 1
            and isinstance(updated.comparisons[0].operator, cst.IsNot)
            and code(updated.comparisons[0].comparator) == "None"
            and isinstance(updated.left, cst.Attribute)
            and updated.left.attr.value == "bias"
            and self.scopes
            and self.scopes[-1].module_class
            and not (  # the class's own `self.bias` (a Parameter or None, pygcn) stays
                code(updated.left) == "self.bias" and "bias" in self.info.assigned_attrs
            )
        ):
            self._record(original, "Module.bias is not None", "use_bias")
            return updated.left.with_changes(attr=cst.Name("use_bias"))
        return updated


# Translated indices that are tensors of indices (not one int): tf.Tensor's [] refuses them.
_INDEX_TENSORS = ("tf.range(", "tf.random.", "tf.constant(", "tf.where(", "tf.argsort(")


def _head_name(node: cst.BaseExpression) -> str | None:
    """`x` of `x`, `x.data`, `x[0]`, `x.max(1)`."""
    while isinstance(node, cst.Attribute | cst.Subscript | cst.Call):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


def _key_entry(index: cst.BaseSlice) -> str:
    """One entry of a subscript as a value: `a:b` → `slice(a, b, None)`, `...` → Ellipsis."""
    if isinstance(index, cst.Slice):
        parts = (index.lower, index.upper, index.step)
        return "slice({})".format(", ".join("None" if p is None else code(p) for p in parts))
    value = index.value  # type: ignore[attr-defined]
    return "Ellipsis" if isinstance(value, cst.Ellipsis) else code(value)


def _unmarked(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """A statement's leading lines without dlgen's own markers (the statement they marked
    is translated now)."""
    return [
        line for line in lines if line.comment is None or not line.comment.value.startswith(MARK)
    ]


def _tied_weight(line: cst.SimpleStatementLine) -> tuple[str, str] | None:
    """`a.weight = b.weight` (weight tying, as word_language_model's decoder and encoder):
    (a, b) when both are attribute chains."""
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Assign):
        return None
    assign = line.body[0]
    if len(assign.targets) != 1:
        return None
    target, value = assign.targets[0].target, assign.value
    for side in (target, value):
        if not (
            isinstance(side, cst.Attribute)
            and side.attr.value == "weight"
            and isinstance(side.value, cst.Attribute | cst.Name)
            and simple(side.value)
        ):
            return None
    assert isinstance(target, cst.Attribute) and isinstance(value, cst.Attribute)
    return code(target.value), code(value.value)


def _no_op(statement: cst.BaseSmallStatement, original: cst.SimpleStatementLine) -> bool:
    """`model.eval()` became `model`, `x = x.to(device)` became `x = x`: such a statement does
    nothing and is dropped."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        if not isinstance(statement.value, cst.Name | cst.Tuple):
            return False
        return code(statement.targets[0].target) == code(statement.value) and any(
            isinstance(s, cst.Assign) and code(s.targets[0].target) != code(s.value)
            for s in original.body
        )
    if not isinstance(statement, cst.Expr):
        return False
    was_call = any(isinstance(s, cst.Expr) and isinstance(s.value, cst.Call) for s in original.body)
    value = statement.value
    return was_call and (isinstance(value, cst.Name) or (isinstance(value, cst.Attribute)))


def _in_place_to_assign(
    statement: cst.BaseSmallStatement,
    original: cst.BaseSmallStatement,
    qualify: Callable[[cst.BaseExpression], str | None],
    parameters: set[str] = frozenset(),  # type: ignore[assignment]
) -> cst.BaseSmallStatement:
    """`x.clamp_(min=0)` alone, translated out of place, is `x = <that>` (methods.IN_PLACE);
    so is a chain of them, `x.mul_(2).add_(y)`, and a PyTorch function that writes to its
    first argument, `F.relu_(x)` or `F.relu(x, inplace=True)`. Written to a parameter's
    storage (`w.data.uniform_(...)`, or `self.w.copy_(...)` of a module's nn.Parameter), it is
    the Variable's `assign`."""
    if not (
        isinstance(original, cst.Expr)
        and isinstance(original.value, cst.Call)
        and isinstance(statement, cst.Expr)
        and code(statement.value) != code(original.value)
    ):
        return statement
    call = original.value
    name = qualify(call.func)
    if name is not None and is_torch(name):
        inplace = any(
            arg.keyword is not None and arg.keyword.value == "inplace" and code(arg.value) == "True"
            for arg in call.args
        )
        first = call.args[0] if call.args else None
        functional = name in IN_PLACE_FUNCTIONS or (inplace and name.startswith(F))
        if not functional or first is None or first.keyword or first.star:
            return statement
        tensor = first.value
        if not simple(tensor) or (
            isinstance(tensor, cst.Attribute) and tensor.attr.value == "data"
        ):
            return statement
        return cst.Assign(targets=[cst.AssignTarget(target=tensor)], value=statement.value)
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in IN_PLACE):
        return statement
    receiver = call.func.value
    while (
        isinstance(receiver, cst.Call)
        and isinstance(receiver.func, cst.Attribute)
        and receiver.func.attr.value in IN_PLACE
    ):
        receiver = receiver.func.value
    value = statement.value
    if not simple(receiver) or (
        isinstance(value, cst.Call) and code(value.func) == "set_initializer"
    ):
        return statement  # `m.weight.data.normal_(...)` set the layer's initializer
    if isinstance(receiver, cst.Attribute) and receiver.attr.value == "data":
        # `w.data.uniform_(...)` writes into the parameter's storage: the Variable's assign
        variable = receiver.value
        value = value.visit(Replace(receiver, variable))
        return cst.Expr(
            cst.Call(func=cst.Attribute(variable, cst.Name("assign")), args=[cst.Arg(value)])
        )
    if (
        isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and receiver.value.value == "self"
        and receiver.attr.value in parameters
    ):
        return cst.Expr(
            cst.Call(func=cst.Attribute(receiver, cst.Name("assign")), args=[cst.Arg(value)])
        )
    return cst.Assign(targets=[cst.AssignTarget(target=receiver)], value=value)


def _setattr_to_assign(statement: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
    """`setattr(self, "name", value)` (a translated register_buffer) → `self.name = value`."""
    if not (
        isinstance(statement, cst.Expr)
        and isinstance(statement.value, cst.Call)
        and code(statement.value.func) == "setattr"
        and len(statement.value.args) == 3
        and isinstance(statement.value.args[1].value, cst.SimpleString)
    ):
        return statement
    owner, name, value = (a.value for a in statement.value.args)
    attr = name.evaluated_value  # type: ignore[attr-defined]
    if not isinstance(attr, str) or not attr.isidentifier():
        return statement
    target = cst.Attribute(value=owner, attr=cst.Name(attr))
    return cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)


def _keyword(name: str, value: str) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=cst.parse_expression(value),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def _add_training(params: cst.Parameters) -> cst.Parameters:
    """Append `training=False` to a def's parameters, keeping their layout."""
    new = cst.Param(
        name=cst.Name("training"),
        default=cst.Name("False"),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if (
        isinstance(params.star_arg, cst.Param)
        or params.star_kwarg is not None
        or params.kwonly_params
    ):
        kwonly = list(params.kwonly_params)
        if kwonly and kwonly[-1].comma is cst.MaybeSentinel.DEFAULT:
            kwonly[-1] = kwonly[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        star = (
            params.star_arg if params.star_arg is not cst.MaybeSentinel.DEFAULT else cst.ParamStar()
        )
        return params.with_changes(kwonly_params=[*kwonly, new], star_arg=star)
    items = list(params.params)
    if items:
        last = items[-1]
        if last.comma is cst.MaybeSentinel.DEFAULT:
            items[-1] = last.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        else:
            new = new.with_changes(comma=last.comma)
    return params.with_changes(params=[*items, new])


_MODE_SWITCHES = {"train": ("mode",), "eval": ()}


def _mode_switch(call: cst.Call) -> bool:
    """`m.train()`, `m.train(False)`, `m.train(mode=x)`, `m.eval()`: the arguments
    nn.Module's own `train`/`eval` take; a call with others is the user's own method."""
    allowed = _MODE_SWITCHES[call.func.attr.value]  # type: ignore[attr-defined]
    if len(call.args) > len(allowed):
        return False
    return all(arg.keyword is None or arg.keyword.value in allowed for arg in call.args)
