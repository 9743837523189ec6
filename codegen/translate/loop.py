"""Statement-level rewrites of training scripts.

* The PyTorch step inside a loop, `opt.zero_grad(); <forward and loss>; loss.backward();
  [clip_grad_norm_]; opt.step()`, becomes a `tf.function` that runs the forward pass under a
  `GradientTape` and applies the gradients; the loop calls it.
* In-place writes into a tensor (`x[i, 0, a:b] += 1.0`) become `assign` on a `tf.Variable`
  (TensorFlow tensors are immutable): the local that is written into is created as a variable.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from .context import Replace, Untranslatable, code

STEP_KINDS = ("zero_grad", "backward", "step")


@dataclass(frozen=True)
class StepCall:
    """One `x.zero_grad()` / `x.backward()` / `x.step()` statement of the original."""

    kind: str
    receiver: str
    line: int


def step_call(statement: cst.SimpleStatementLine) -> tuple[str, str] | None:
    """(kind, receiver) when the statement is a bare `receiver.kind()` call."""
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return None
    value = statement.body[0].value
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
        return None
    kind = value.func.attr.value
    if kind not in STEP_KINDS or (kind == "backward" and value.args):
        return None
    return kind, code(value.func.value)


@dataclass
class Step:
    """Where the step's statements are in a loop body. `manual`: at `step` the update is the
    user's own loop over the parameters (`for p in m.parameters(): p.data.add_(-lr *
    p.grad)`), not an optimizer's step()."""

    zero: int
    backward: int
    step: int
    optimizer: str
    loss: str
    manual: cst.For | None = None


def find(body: list[cst.BaseStatement], calls: dict[int, StepCall]) -> Step | None:
    """The first zero_grad → backward → step sequence of one optimizer in `body`."""
    for zero, statement in enumerate(body):
        first = calls.get(id(statement))
        if first is None or first.kind != "zero_grad":
            continue
        backward = next(
            (i for i in range(zero + 1, len(body)) if _kind(calls, body[i]) == "backward"), None
        )
        if backward is None:
            return None
        loss = calls[id(body[backward])].receiver
        if not loss.isidentifier():
            return None
        for step in range(backward + 1, len(body)):
            call = calls.get(id(body[step]))
            if call is not None and call.kind == "step":
                return Step(zero, backward, step, call.receiver, loss)
            update = manual_update(body[step])
            if update is not None:
                return Step(zero, backward, step, "", loss, manual=update)
        return None
    return None


def manual_update(statement: cst.BaseStatement) -> cst.For | None:
    """A translated `for p in m.parameters(): ...` (`m.trainable_variables`) whose body reads
    `p.grad`, alone or as the one statement of a `with`: the user's own update."""
    if isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock):
        if len(statement.body.body) != 1:
            return None
        statement = statement.body.body[0]
    if not (
        isinstance(statement, cst.For)
        and isinstance(statement.target, cst.Name)
        and isinstance(statement.iter, cst.Attribute)
        and statement.iter.attr.value == "trainable_variables"
        and statement.orelse is None
    ):
        return None
    return statement if f"{statement.target.value}.grad" in code(statement.body) else None


def _manual_lines(update: cst.For, model: str) -> list[str]:
    """The user's update over (variable, gradient) pairs: `p.grad` is the gradient, an
    in-place `p -= v` is `p.assign_sub(v)`, clearing a gradient (`p.grad.zero_()`,
    `p.grad = None`) goes (a tape's gradients are new each step)."""
    assert isinstance(update.target, cst.Name) and isinstance(update.iter, cst.Attribute)
    if code(update.iter.value) != model:
        raise Untranslatable(
            f"the update loops over {code(update.iter.value)}'s parameters, the loss is {model}'s"
        )
    variable = update.target.value
    grad = "gradient" if variable != "gradient" else "gradient_"
    lines = [f"for {variable}, {grad} in zip(variables, gradients, strict=True):"]
    body = update.body.visit(_ManualUpdate(variable, grad))
    kept = [s for s in body.body if not _clears_grad(s, grad)]  # type: ignore[attr-defined]
    if not kept:
        raise Untranslatable("an update loop that does nothing but clear gradients")
    lines += ["    " + line for s in kept for line in code(s).rstrip("\n").splitlines()]
    return lines


def _clears_grad(statement: cst.BaseStatement, grad: str) -> bool:
    text = code(statement).strip()
    return text in (f"{grad} = None", f"{grad} = tf.zeros_like({grad})")


class _ManualUpdate(cst.CSTTransformer):
    """`p.grad` → the gradient's name; `p -= v` / `p += v` (and on `p.data`) → assign_sub /
    assign_add."""

    def __init__(self, variable: str, grad: str) -> None:
        self.variable, self.grad = variable, grad

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute):
        if code(original) == f"{self.variable}.grad":
            return cst.Name(self.grad)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ):
        body = []
        for small in updated.body:
            if isinstance(small, cst.AugAssign) and code(small.target) in (
                self.variable,
                f"{self.variable}.data",
            ):
                method = {"-=": "assign_sub", "+=": "assign_add"}.get(code(small.operator).strip())
                if method is None:
                    raise Untranslatable(f"a parameter updated with {code(small.operator)}")
                call = cst.parse_expression(f"{self.variable}.{method}({code(small.value)})")
                small = cst.Expr(call)
            body.append(small)
        return updated.with_changes(body=body)


@dataclass
class Update:
    """One optimizer's step() in a loop body of several (a GAN): the model it trains and the
    losses whose backward() reached that model since its gradients were last cleared."""

    index: int  # of the step() statement
    optimizer: str
    model: str
    losses: list[str]


def several_steps(
    body: list[cst.BaseStatement], calls: dict[int, StepCall], models: dict[str, str]
) -> list[Update] | None:
    """The updates of a body with zero_grad / backward / step calls of more than one
    optimizer, or with several backward() before one step() (gradients summed), each
    optimizer's model known (`opt = optim.Adam(net.parameters())`); None otherwise."""
    kinds = [calls.get(id(s)) for s in body]
    steps = [(i, c) for i, c in enumerate(kinds) if c is not None and c.kind == "step"]
    backwards = [c for c in kinds if c is not None and c.kind == "backward"]
    if not steps or (len(steps) == 1 and len(backwards) < 2):
        return None
    pending: dict[str, list[str]] = {}  # model → losses backward'ed since its zero_grad
    cleared: set[str] = set()
    updates = []
    for index, call in enumerate(kinds):
        if call is None:
            continue
        if call.kind == "zero_grad":
            model = models.get(call.receiver, call.receiver)
            pending[model] = []
            cleared.add(model)
        elif call.kind == "backward":
            if not call.receiver.isidentifier():
                return None
            for model in pending:
                pending[model].append(call.receiver)
        else:
            model = models.get(call.receiver)
            if model is None or model not in cleared or not pending.get(model):
                return None
            updates.append(Update(index, call.receiver, model, pending[model]))
            pending[model] = []
    return updates


def several_steps_body(
    body: list[cst.BaseStatement], calls: dict[int, StepCall], updates: list[Update]
) -> list[cst.BaseStatement]:
    """The body run eagerly under one persistent GradientTape, entered again after each
    update: each optimizer applies the gradients of its losses for its model's variables,
    in the order the PyTorch code steps (the next forward sees the updated weights)."""
    models = {u.model for u in updates}
    out: list[cst.BaseStatement] = [
        cst.parse_statement("tape = tf.GradientTape(persistent=True)\n")
    ]
    start = 0
    for update in updates:
        block = _without_step_calls(body[start : update.index], calls, models)
        if block:
            inner = "".join(code(s) for s in block)
            out.append(
                cst.parse_statement(
                    "with tape:\n" + textwrap.indent(inner.rstrip("\n"), "    ") + "\n"
                )
            )
        losses = update.losses[0] if len(update.losses) == 1 else f"[{', '.join(update.losses)}]"
        variables = f"{update.model}.trainable_variables"
        out += [
            cst.parse_statement(f"gradients = tape.gradient({losses}, {variables})\n"),
            cst.parse_statement(
                f"{update.optimizer}.apply_gradients(zip(gradients, {variables}, strict=True))\n"
            ),
        ]
        start = update.index + 1
    return [*out, *_without_step_calls(body[start:], calls, set())]


def _without_step_calls(
    statements: list[cst.BaseStatement], calls: dict[int, StepCall], models: set[str]
) -> list[cst.BaseStatement]:
    """The statements but zero_grad / backward / step, whose comments go to the statement
    after them; the models called in training mode."""
    kept: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    for statement in statements:
        if calls.get(id(statement)) is not None:
            carried += [
                line for line in statement.leading_lines if "dlgen:" not in code(line)  # type: ignore[attr-defined]
            ]
            continue
        if models:
            statement = statement.visit(_TrainingCall(models))  # type: ignore[assignment]
        if carried:
            statement = statement.with_changes(
                leading_lines=[*carried, *statement.leading_lines]  # type: ignore[attr-defined]
            )
            carried = []
        kept.append(statement)
    return kept


def forward_start(body: list[cst.BaseStatement], step: Step) -> int:
    """Where the step's forward pass begins in `body`: at zero_grad when the loss is computed
    after it, else at the statements just before zero_grad that compute the loss (the order
    forward, loss, zero_grad, backward, step, as in the seeds' linear regression): the
    unbroken run of simple statements that the loss's assignment, right before zero_grad,
    depends on."""
    if step.loss in bound_names_of(body[step.zero + 1 : step.backward]):
        return step.zero
    assigning = next(
        (
            i
            for i in range(step.zero - 1, -1, -1)
            if isinstance(body[i], cst.SimpleStatementLine) and step.loss in bound_names(body[i])
        ),
        None,
    )
    if assigning != step.zero - 1:  # something else runs between the loss and zero_grad
        return step.zero
    needed, start = set(_names([body[assigning]]).read), assigning
    for index in range(assigning - 1, -1, -1):
        statement = body[index]
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        bound = set(bound_names(statement))
        if not bound & needed:
            break
        needed |= set(_names([statement]).read)
        start = index
    return start


def bound_names_of(statements: list[cst.BaseStatement]) -> set[str]:
    """Every name the statements bind."""
    return set(_names(statements).assigned)


def _kind(calls: dict[int, StepCall], statement: cst.BaseStatement) -> str | None:
    call = calls.get(id(statement))
    return call.kind if call else None


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.read: list[str] = []
        self.assigned: list[str] = []
        self.read_first: list[str] = []  # read before anything here assigned them

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self._targets(target.target)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        node.value.visit(self)
        node.target.visit(self)  # `x += 1` reads x first
        self._targets(node.target)
        return False

    def _targets(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            if node.value not in self.assigned:
                self.assigned.append(node.value)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._targets(element.value)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value not in self.read:
            self.read.append(node.value)
        if node.value not in self.assigned and node.value not in self.read_first:
            self.read_first.append(node.value)


def _names(statements: list[cst.BaseStatement]) -> _Names:
    names = _Names()
    for statement in statements:
        statement.visit(names)
    return names


def bound_names(node: cst.CSTNode) -> list[str]:
    """Names a for-loop target or the statements before the step bind."""
    names = _Names()
    if isinstance(node, cst.BaseExpression):
        names._targets(node)
    else:
        node.visit(names)
    return names.assigned


def reads_outside(function: cst.CSTNode, loop: cst.For) -> list[cst.CSTNode]:
    """The parts of `function` other than `loop` (to find what code after the loop reads)."""

    class Parts(cst.CSTVisitor):
        def __init__(self) -> None:
            self.parts: list[cst.CSTNode] = []

        def visit_For(self, node: cst.For) -> bool:
            return node is not loop

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
            self.parts.append(node)
            return False

    parts = Parts()
    function.visit(parts)
    return parts.parts


def free_names(definition: cst.FunctionDef) -> set[str]:
    """Names a step function reads from outside (not its parameters or its own locals)."""
    names = _names(list(definition.body.body))  # type: ignore[arg-type]
    params = {p.name.value for p in definition.params.params}
    return set(names.read) - set(names.assigned) - params


class _TrainingCall(cst.CSTTransformer):
    """`model(x)` → `model(x, training=True)` inside the step."""

    def __init__(self, models: set[str]) -> None:
        self.models = models

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Name) and updated.func.value in self.models:
            if not any(a.keyword and a.keyword.value == "training" for a in updated.args):
                text = code(updated)
                return cst.parse_expression(text[:-1].rstrip().rstrip(",") + ", training=True)")
        return updated


def model_of(
    statements: list[cst.BaseStatement], known: set[str], exclude: set[str], loss: str = ""
) -> str:
    """The model the step trains: one that `.train()` was called on, else the one called
    (not the criterion: in `loss = criterion(model(x), y)`, the call that gives the loss)."""
    for name in known:
        return name
    exclude = set(exclude)
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and code(small.targets[0].target) == loss
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Name)
            ):
                exclude.add(small.value.func.value)
    for statement in statements:
        for node in _calls(statement):
            if isinstance(node.func, cst.Name) and node.func.value not in exclude:
                return node.func.value
    raise Untranslatable("cannot tell which model the training step trains")


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    node.visit(Calls())
    return found


def _step_body(
    forward: list[cst.BaseStatement], between: list[cst.BaseStatement], step: Step, model: str
) -> tuple[list[cst.BaseStatement], list[str]]:
    """The forward statements with the model called in training mode, and the step's lines
    (unindented): the forward pass under a GradientTape, the gradients, what ran between
    backward and step (clip_grad_norm_ as tf.clip_by_global_norm), apply_gradients."""
    forward = [s.visit(_TrainingCall({model})) for s in forward]  # type: ignore[misc]
    if step.loss not in _names(forward).assigned:
        raise Untranslatable(f"the loss {step.loss} is not computed between zero_grad and backward")
    for statement in between:
        _check_between(statement)
    body = "".join(code(s) for s in forward)
    lines = [
        "with tf.GradientTape() as tape:",
        textwrap.indent(body.rstrip("\n"), " " * 4),
        f"variables = {model}.trainable_variables",
        f"gradients = tape.gradient({step.loss}, variables)",
    ]
    for statement in between:
        clip = next((c for c in _calls(statement) if code(c.func) == "clip_grad_norm_"), None)
        if clip is not None:
            lines.append(
                f"gradients, _ = tf.clip_by_global_norm(gradients, {code(clip.args[1].value)})"
            )
        else:
            lines.append(code(statement).strip())
    if step.manual is not None:
        lines += _manual_lines(step.manual, model)
    else:
        lines.append(f"{step.optimizer}.apply_gradients(zip(gradients, variables, strict=True))")
    return forward, lines


def step_function(
    name: str,
    forward: list[cst.BaseStatement],
    between: list[cst.BaseStatement],
    step: Step,
    model: str,
    loop_names: set[str],
    after: list[cst.CSTNode],
    decorator: str = "tf.function",
) -> tuple[cst.FunctionDef, cst.SimpleStatementLine]:
    """The `@tf.function` step (or `decorator`'s) and the statement that calls it; the step
    returns what the code in `after` reads (the rest of the loop body and of the function)."""
    forward, lines = _step_body(forward, between, step, model)
    names = _names(forward)
    # `target = target.view(-1)` reads the loop's target before binding its own
    inputs = [n for n in names.read_first if n in loop_names or n in names.assigned]
    later = set(_names(after).read)
    assigned = [*names.assigned, *(n for n in _names(between).assigned if n not in names.assigned)]
    outputs = [n for n in assigned if n in later]
    lines = [
        f"@{decorator}",
        f"def {name}({', '.join(inputs)}):",
        textwrap.indent("\n".join(lines), " " * 4),
        *([f"    return {', '.join(outputs)}"] if outputs else []),
    ]
    definition = cst.parse_statement("\n".join(lines) + "\n")
    assert isinstance(definition, cst.FunctionDef)
    target = f"{', '.join(outputs)} = " if outputs else ""
    call = cst.parse_statement(f"{target}{name}({', '.join(inputs)})\n")
    assert isinstance(call, cst.SimpleStatementLine)
    return definition, call


def inline_step(
    forward: list[cst.BaseStatement], between: list[cst.BaseStatement], step: Step, model: str
) -> list[cst.BaseStatement]:
    """The step written in place, run eagerly: for a step in a function's own body (the
    function runs once per step, so a `tf.function` made in it would be traced on every
    call)."""
    _, lines = _step_body(forward, between, step, model)
    return list(cst.parse_module("\n".join(lines) + "\n").body)


def split_between(
    between: list[cst.BaseStatement], model: str
) -> tuple[list[cst.BaseStatement], list[cst.BaseStatement]]:
    """The statements between backward() and step() that stay in the step, and those that
    only read a value back and run after it (movable_after_step)."""
    moved = [s for s in between if movable_after_step(s, model)]
    return [s for s in between if s not in moved], moved


def split_forward(
    forward: list[cst.BaseStatement], model: str, loss: str
) -> tuple[list[cst.BaseStatement], list[cst.BaseStatement]]:
    """The forward statements that go into the compiled step, and those that only read a
    value back to Python (`loss_value = loss.item()` before backward(), as pytorch/examples'
    regression) and that nothing later in the forward reads: they run after the step."""
    kept: list[cst.BaseStatement] = []
    moved: list[cst.BaseStatement] = []
    for index, statement in enumerate(forward):
        bound = (
            set(bound_names(statement)) if isinstance(statement, cst.SimpleStatementLine) else set()
        )
        later = set(_names(forward[index + 1 :]).read)
        if movable_after_step(statement, model) and loss not in bound and not bound & later:
            moved.append(statement)
        else:
            kept.append(statement)
    return kept, moved


def movable_after_step(statement: cst.BaseStatement, model: str) -> bool:
    """A statement between backward() and step() that only reads a value back to Python
    (`total += loss.item()`, a print) and touches neither gradients nor the model: it gives
    the same result after step(), where it can run outside the compiled step."""
    if not isinstance(statement, cst.SimpleStatementLine) or step_call(statement) is not None:
        return False
    text = code(statement)
    if not (".item()" in text or ".numpy()" in text or "print(" in text):
        return False
    return ".grad" not in text and model not in _names([statement]).read


def _check_between(statement: cst.BaseStatement) -> None:
    """What runs between backward() and step() goes into the compiled step: not a second
    update (a GAN trains two models in one iteration) nor a value read back to Python."""
    text = code(statement)
    if isinstance(statement, cst.SimpleStatementLine) and step_call(statement) is not None:
        raise Untranslatable(
            "a second backward() or optimizer call before step() (two updates in one "
            "iteration, as in a GAN): write each update's GradientTape by hand"
        )
    if ".item()" in text or ".numpy()" in text or "print(" in text:
        raise Untranslatable(
            "a value read back to Python between backward() and step() cannot run inside the "
            "compiled step: move it after step()"
        )


# ---------------------------------------------------------------- in-place index assignment


def subscript_target(statement: cst.BaseSmallStatement) -> str | None:
    """`x[...] = v` / `x[...] += v` → "x"."""
    if isinstance(statement, cst.AugAssign):
        target = statement.target
    elif isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
    else:
        return None
    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
        return target.value.value
    return None


class InPlace(cst.CSTTransformer):
    """Within one function: create the written-into locals as tf.Variable, write with assign."""

    OPERATORS = {
        cst.AddAssign: "+",
        cst.SubtractAssign: "-",
        cst.MultiplyAssign: "*",
        cst.DivideAssign: "/",
    }

    def __init__(
        self,
        names: set[str],
        depth: int,
        fmt,
        use: Callable[[str], str],
        advanced: dict[str, str] | None = None,
    ) -> None:
        self.names = names
        self.advanced = advanced or {}  # `x[idx]` targets with advanced indices (code) → key
        self.depth = 0
        self.blocks = depth  # indentation depth, for formatting the rewritten statements
        self.fmt = fmt
        self.use = use  # Ctx.use: a prelude definition's name

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks += 1

    def leave_IndentedBlock(self, original, updated):
        self.blocks -= 1
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return self.depth == 1  # not into nested functions

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.depth -= 1
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign):
        if (
            len(updated.targets) == 1
            and isinstance(updated.targets[0].target, cst.Name)
            and updated.targets[0].target.value in self.names
        ):
            return updated.with_changes(
                value=cst.parse_expression(f"tf.Variable({code(updated.value)})")
            )
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1:
            return updated
        statement = updated.body[0]
        name = subscript_target(statement)
        if name not in self.names:
            return updated
        subscript = (
            statement.target
            if isinstance(statement, cst.AugAssign)
            else statement.targets[0].target  # type: ignore[union-attr]
        )
        key = self.advanced.get(code(subscript))
        if key is not None:  # `x[range(n), y] = v`: numpy's rules (the prelude's index_put)
            value = code(statement.value)
            if isinstance(statement, cst.AugAssign):
                operator = self.OPERATORS.get(type(statement.operator))
                if operator is None:
                    return updated
                value = f"{self.use('torch_index')}({name}, {key}) {operator} {value}"
            put = self.use("index_put")
            replacement = cst.parse_statement(f"{name}.assign({put}({name}, {key}, {value}))\n")
            replacement = replacement.with_changes(leading_lines=updated.leading_lines)
            return self.fmt(replacement, self.blocks)
        if isinstance(statement, cst.AugAssign):
            operator = self.OPERATORS.get(type(statement.operator))
            if operator is None:
                return updated
            target = code(statement.target)
            value = f"{target} {operator} {code(statement.value)}"
        else:
            target = code(statement.targets[0].target)  # type: ignore[union-attr]
            value = code(statement.value)
            mask = _mask_index(statement.targets[0].target)  # type: ignore[union-attr]
            if mask is not None:  # `x[x == inf] = 0`: a Variable's slice takes no mask
                put = self.use("masked_put")
                replacement = cst.parse_statement(
                    f"{name}.assign({put}({name}, {mask}, {value}))\n"
                )
                replacement = replacement.with_changes(leading_lines=updated.leading_lines)
                return self.fmt(replacement, self.blocks)
        replacement = cst.parse_statement(f"{target}.assign({value})\n")
        replacement = replacement.with_changes(leading_lines=updated.leading_lines)
        return self.fmt(replacement, self.blocks)


def _mask_index(target: cst.BaseExpression) -> str | None:
    """The mask of `x[<comparison>]` (one index, a comparison: a boolean mask)."""
    if not (isinstance(target, cst.Subscript) and len(target.slice) == 1):
        return None
    index = target.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.Comparison):
        return code(index.value)
    return None


# ---------------------------------------------------------------- initialising loops


def parameter_init_loop(
    node: cst.For, qualify: Callable[[cst.BaseExpression], str | None]
) -> str | None:
    """The loop variable of `for p in m.parameters(): nn.init.*_(p, ...)`, the call alone or
    under one `if` without else; None for any other loop."""
    if not (
        isinstance(node.target, cst.Name)
        and isinstance(node.iter, cst.Call)
        and not node.iter.args
        and isinstance(node.iter.func, cst.Attribute)
        and node.iter.func.attr.value == "parameters"
        and node.orelse is None
        and isinstance(node.body, cst.IndentedBlock)
        and len(node.body.body) == 1
    ):
        return None
    variable = node.target.value
    statement = node.body.body[0]
    if isinstance(statement, cst.If):
        if statement.orelse is not None or not isinstance(statement.body, cst.IndentedBlock):
            return None
        if len(statement.body.body) != 1:
            return None
        statement = statement.body.body[0]
    call = _only_call(statement)
    if call is None or not call.args or call.args[0].keyword is not None:
        return None
    name = qualify(call.func)
    first = call.args[0].value
    if name is None or not name.startswith("torch.nn.init.") or not name.endswith("_"):
        return None
    return variable if isinstance(first, cst.Name) and first.value == variable else None


def _only_call(statement: cst.CSTNode) -> cst.Call | None:
    if (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.Call)
    ):
        return statement.body[0].value
    return None


def init_loop_parts(loop: cst.For, variable: str) -> tuple[str, str] | None:
    """From the translated loop: (the initializer's source, the test's source or ""); None
    when the test reads the parameter other than by its rank (`len(p.shape)`: a Keras
    weight's shape is in Keras's layout, its rank is PyTorch's)."""
    assert isinstance(loop.body, cst.IndentedBlock)
    statement = loop.body.body[0]
    test = ""
    if isinstance(statement, cst.If):
        test_node = statement.test
        rank = cst.parse_expression(f"len({variable}.shape)")
        stripped = test_node.visit(Replace(rank, cst.Integer("0")))
        names = _Names()
        stripped.visit(names)
        if variable in names.read:
            return None
        test = code(test_node)
        assert isinstance(statement.body, cst.IndentedBlock)
        statement = statement.body.body[0]
    assert isinstance(statement, cst.SimpleStatementLine)
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr)
    return code(expression.value), test
