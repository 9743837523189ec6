"""A first pass over a file, before anything is rewritten: imports, which classes are
`nn.Module`s, what each module attribute holds, which methods read `self.training`, and the line
of every statement and call (for the report).

It uses Python's own `ast` (a C parser, several times faster than a libcst visitor pass); the
libcst tree is only walked once, by the translator itself.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, field

from .cache import cached_attributes
from .context import TRAINING_LAYERS
from .dtypes import dotted, read_types
from .imports import ROOTS, ImportMap
from .names import RESERVED


@dataclass
class FileInfo:
    """What the translator needs to know about the whole file up front."""

    imports: ImportMap = field(default_factory=ImportMap)
    other_modules: set[str] = field(default_factory=set)  # names bound by non-torch imports
    # names bound by imports from libraries whose values are never tensors (NUMERIC_ROOTS)
    array_modules: set[str] = field(default_factory=set)
    math_modules: set[str] = field(default_factory=set)  # `math`, `from math import log`
    module_classes: set[str] = field(default_factory=set)
    submodule_classes: set[str] = field(default_factory=set)  # used inside other modules
    training_attrs: set[str] = field(default_factory=set)  # self.X whose call takes training
    renamed_attrs: set[str] = field(default_factory=set)  # self.X clashing with Keras names
    training_methods: set[str] = field(default_factory=set)  # methods that read self.training
    assigned_attrs: set[str] = field(default_factory=set)  # every self.X assigned in a module
    parameter_attrs: set[str] = field(default_factory=set)  # self.X = nn.Parameter(...)
    # names and self.X attributes bound to a PyTorch layer (`fc = nn.Linear(4, 1)`): their
    # `.weight`, read, is the Keras weight in PyTorch's layout (prelude torch_weight)
    layer_names: set[str] = field(default_factory=set)
    module_instances: set[str] = field(default_factory=set)  # `model` of `model = Net()`
    layer_subclasses: set[str] = field(default_factory=set)  # module classes from nn.Linear...
    optimizer_models: dict[str, str] = field(default_factory=dict)  # optD → netD
    # a class that is not a module defines `forward`: `x.forward(...)` may be its
    other_forward: bool = False
    closures: set[str] = field(default_factory=set)  # `closure` of `optimizer.step(closure)`
    cached_attrs: dict[str, dict[str, str]] = field(default_factory=dict)  # Net → {cache: local}
    cached_names: set[str] = field(default_factory=set)  # every cache's attribute name
    # statement line → {arithmetic's text without spaces → sides cast to float} (dtypes.py)
    promotions: dict[int, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # a function's first line (0: the module) → its names holding integer tensors (dtypes.py)
    int_names: dict[int, set[str]] = field(default_factory=dict)
    work_lines: set[int] = field(default_factory=set)  # lines of those (a def holding one works)
    array_names: dict[int, set[str]] = field(default_factory=dict)  # line → numpy/scipy values
    tensor_names: dict[int, set[str]] = field(default_factory=dict)  # def's line → tensors
    pyint_names: dict[int, set[str]] = field(default_factory=dict)  # def's line → Python ints
    statement_lines: list[tuple[int, int]] = field(default_factory=list)  # (line, col), in order
    quiet: dict[int, int] = field(default_factory=dict)  # simple statements with no work → calls
    call_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, callee), in order
    # names only ever bound to what a non-torch module made or a tensor's .numpy(): their
    # methods are numpy's (or pandas', ...), not a tensor's (see numpy_names)
    numpy_names: set[str] = field(default_factory=set)
    # names the file binds at module level (definitions, assignments, imports but its torch
    # imports), and each function's own locals by its `def` line: a prelude definition of one
    # of these names would replace the user's, or be shadowed by it (bindings)
    module_bound: set[str] = field(default_factory=set)
    local_bound: dict[int, frozenset[str]] = field(default_factory=dict)


def _qualify(info: FileInfo, node: ast.expr) -> str | None:
    text = dotted(node)
    if text is None:
        return None
    head, _, rest = text.partition(".")
    if head not in info.imports.names:
        return None
    return info.imports.names[head] + ("." + rest if rest else "")


# Libraries whose values are arrays, frames, images or numbers, never tensors: what a call into
# them returns has their methods (a user's own module, `from models import Net`, may return
# tensors or modules, so it is not one of them).
NUMERIC_ROOTS = frozenset({"numpy", "pandas", "scipy", "sklearn", "PIL", "cv2", "math"})


def _import(info: FileInfo, node: ast.Import | ast.ImportFrom) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            root = alias.name.split(".", 1)[0]
            if root in ROOTS:
                info.imports.names[alias.asname or root] = alias.name if alias.asname else root
            else:
                info.other_modules.add(alias.asname or root)
                if root in NUMERIC_ROOTS:
                    info.array_modules.add(alias.asname or root)
                if root == "math":
                    info.math_modules.add(alias.asname or root)
    elif node.module and not node.level:
        root = node.module.split(".", 1)[0]
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            if root in ROOTS:
                info.imports.names[local] = info.imports.canonical(f"{node.module}.{alias.name}")
            else:
                info.other_modules.add(local)
                if root in NUMERIC_ROOTS:
                    info.array_modules.add(local)
                if root == "math":
                    info.math_modules.add(local)


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _needs_work(info: FileInfo, statement: ast.stmt, attrs: frozenset[str]) -> bool:
    """Whether a simple statement mentions anything the translator may rewrite (a PyTorch
    name, a tensor or module method, a training-aware attribute, an in-place write)."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return True
    if statement.lineno in info.promotions:
        return True
    targets = getattr(statement, "targets", None) or [getattr(statement, "target", None)]
    if any(isinstance(t, ast.Subscript) for t in targets):
        return True
    if any(isinstance(t, ast.Attribute) and t.attr == "weight" for t in targets):
        return True  # `decoder.weight = encoder.weight`: weight tying
    names = info.imports.names
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and node.id in names:
            return True
        if isinstance(node, ast.Attribute) and (
            node.attr in attrs
            or node.attr in info.renamed_attrs
            or node.attr in info.cached_names
            or node.attr in info.training_attrs
        ):
            return True
        if isinstance(node, ast.Compare) and any(isinstance(o, ast.IsNot) for o in node.ops):
            return True
        if isinstance(node, ast.Subscript) and may_be_advanced(node.slice):
            return True  # `x[idx]`, `x[[0, 2]]`, `x[range(n), y]`: the prelude's torch_index
        if _super_init(node):  # a module class's gets `**kwargs` (transformer._Scope)
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("weight", "T", "mT", "forward"):
            return True  # a layer's weight read (torch_weight), a tensor's transpose
        if (  # super().forward(x): the base's call
            isinstance(node, ast.Attribute)
            and node.attr == "forward"
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "super"
        ):
            return True
    return False


def may_be_advanced(index: ast.expr) -> bool:
    """A subscript's index that may be a tensor of indices or a list (advanced indexing)."""
    entries = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(
        isinstance(entry, ast.Name | ast.List | ast.ListComp)
        or (isinstance(entry, ast.Call) and _callee(entry) == "range")
        for entry in entries
    )


def _super_init(node: ast.AST) -> bool:
    """`super().__init__(...)` or `super(Cls, self).__init__(...)`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "__init__"
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


def _scan(info: FileInfo, tree: ast.Module) -> tuple[list[ast.stmt], dict[str, ast.ClassDef]]:
    """One walk: imports, classes, and statements and calls in source order (with lines)."""
    statements: list[tuple[int, int, int, ast.stmt]] = []
    calls: list[tuple[int, int, int, int, str]] = []
    classes: dict[str, ast.ClassDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            statements.append((node.lineno, node.col_offset, len(statements), node))
            if isinstance(node, ast.Import | ast.ImportFrom):
                _import(info, node)
            elif isinstance(node, ast.ClassDef):
                classes[node.name] = node
        elif isinstance(node, ast.Call):
            end = (node.end_lineno or 0, node.end_col_offset or 0)
            calls.append((node.lineno, node.col_offset, -end[0], -end[1], _callee(node)))
    statements.sort()
    calls.sort()  # source order of starts, an outer call before the calls it starts with
    info.statement_lines = [(line, col) for line, col, _, _ in statements]
    info.call_lines = [(line, name) for line, _, _, _, name in calls]
    return [node for _, _, _, node in statements], classes


class _ClassBody(ast.NodeVisitor):
    """Attributes assigned on self, class names used, and reads of self.training."""

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        self.names: set[str] = set()
        self.method: str | None = None

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer = self.method
        if outer is None:
            self.method = node.name
            self.info.assigned_attrs.add(node.name)
        self.generic_visit(node)
        self.method = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            if node.attr == "training" and self.method not in (None, "forward", "__init__"):
                self.info.training_methods.add(self.method)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, node.value)
        self.generic_visit(node)

    def _target(self, target: ast.expr, value: ast.expr) -> None:
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            return
        name = target.attr
        self.info.assigned_attrs.add(name)
        if name in RESERVED:
            self.info.renamed_attrs.add(name)
        if isinstance(value, ast.Call):
            func = _qualify(self.info, value.func)
            if func in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
                self.info.parameter_attrs.add(name)
            if func in TRAINING_LAYERS or (
                isinstance(value.func, ast.Name) and value.func.id in self.info.module_classes
            ):
                self.info.training_attrs.add(name)


def mark_quiet(info: FileInfo, ordered: list[ast.stmt], attrs: frozenset[str]) -> None:
    """Record which simple statements the translator can leave without looking inside."""
    for index, node in enumerate(ordered):
        if not isinstance(node, COMPOUND) and not _needs_work(info, node, attrs):
            info.quiet[index] = sum(isinstance(n, ast.Call) for n in ast.walk(node))


COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
)


def analyze_text(text: str, attrs: frozenset[str] = frozenset()) -> FileInfo:
    """Collect the file-wide facts the translator needs (the text already parsed with libcst,
    so it is valid Python). `attrs`: attribute names that rules rewrite (methods, training);
    given, the simple statements that mention none of them are marked quiet."""
    tree = ast.parse(text)
    info = FileInfo()
    ordered, classes = _scan(info, tree)
    _classes(info, classes)
    info.numpy_names = numpy_names(info, tree)
    bindings(info, tree)
    info.layer_names = layer_names(info, tree)
    info.optimizer_models = optimizer_models(info, tree)
    _dtypes(info, tree)
    _closures(info, tree)
    if attrs:
        mark_quiet(info, ordered, attrs)
    return info


def _closures(info: FileInfo, tree: ast.Module) -> None:
    """The functions a file passes to an optimizer's `step` (LBFGS's closure)."""
    info.closures = {
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "step"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    }


def _dtypes(info: FileInfo, tree: ast.Module) -> None:
    arrays = frozenset(info.array_modules - info.math_modules)  # math's numbers are floats
    modules = frozenset(
        info.module_instances
        | set(info.optimizer_models.values())
        | {n for n in info.layer_names if "." not in n or n.startswith("self.")}
    )
    foreign = frozenset(info.other_modules - arrays - info.math_modules)
    found = read_types(tree, lambda node: _qualify(info, node), arrays, modules, foreign)
    info.promotions, info.int_names = found.promotions, found.int_names
    info.array_names = found.array_names
    info.tensor_names, info.pyint_names = found.tensor_names, found.pyint_names
    names = set().union(*found.int_names.values()) if found.int_names else set()
    info.work_lines = set(found.promotions) | {
        line for line, indexed in found.indexed if indexed & names
    }


def file_facts(tree: ast.Module) -> FileInfo:
    """The file-wide facts of `analyze_text` without the statement and call tables (those are
    built per piece by `piece_tables`)."""
    info = FileInfo()
    classes: dict[str, ast.ClassDef] = {}
    queue: deque[ast.AST] = deque([tree])
    while queue:  # ast.walk's order, over the nodes that hold statements only
        node = queue.popleft()
        for name in _BLOCKS:
            children = getattr(node, name, None)
            if not children:
                continue
            for child in children:
                if isinstance(child, ast.Import | ast.ImportFrom):
                    _import(info, child)
                elif isinstance(child, ast.ClassDef):
                    classes[child.name] = child
                if isinstance(child, _CONTAINERS):
                    queue.append(child)
    _classes(info, classes)
    info.numpy_names = numpy_names(info, tree)
    bindings(info, tree)
    info.layer_names = layer_names(info, tree)
    info.optimizer_models = optimizer_models(info, tree)
    _dtypes(info, tree)
    _closures(info, tree)
    return info


def layer_names(info: FileInfo, tree: ast.Module) -> set[str]:
    """`fc` of `fc = nn.Linear(...)`, `self.fc` of `self.fc = nn.Linear(...)`, and `model.fc`
    where `model = Net()` and Net's `self.fc` is one, where nothing else is assigned to that
    name (each as written: `fc`, `self.fc`, `model.fc`)."""
    layers: set[str] = set()
    others: set[str] = set()
    instances: dict[str, str] = {}  # model → Net
    of_class: dict[str, set[str]] = {}  # Net → {fc, ...}
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and cls.name in info.module_classes:
            own = of_class.setdefault(cls.name, set())
            for node in ast.walk(cls):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                    if _is_layer_call(info, node.value):
                        own.update(
                            t.attr  # type: ignore[attr-defined]
                            for t in node.targets
                            if (dotted(t) or "").count(".") == 1
                            and (dotted(t) or "").startswith("self.")
                        )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        is_layer = isinstance(value, ast.Call) and _is_layer_call(info, value)
        for target in targets:
            text = dotted(target)
            if (
                text is None
                or (text.count(".") > 1)
                or ("." in text and not text.startswith("self."))
            ):
                continue
            (layers if is_layer else others).add(text)
            if (
                "." not in text
                and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in of_class
            ):
                instances[text] = value.func.id
    for name, cls in instances.items():
        layers.update(f"{name}.{attr}" for attr in of_class[cls])
    info.module_instances = set(instances) - others.difference(instances)
    return layers - others


def optimizer_models(info: FileInfo, tree: ast.Module) -> dict[str, str]:
    """`optimizerD` → `netD` for `optimizerD = optim.Adam(netD.parameters(), ...)`."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and node.value.args
        ):
            continue
        name = _qualify(info, node.value.func) or ""
        first = node.value.args[0]
        if (
            name.startswith("torch.optim.")
            and isinstance(first, ast.Call)
            and isinstance(first.func, ast.Attribute)
            and first.func.attr == "parameters"
            and isinstance(first.func.value, ast.Name)
        ):
            found[node.targets[0].id] = first.func.value.id
    return found


def _is_layer_call(info: FileInfo, call: ast.Call) -> bool:
    name = _qualify(info, call.func)
    return (
        name is not None
        and _torch_layer_base(info, call.func)
        and name not in ("torch.nn.Module", "torch.nn.Parameter")
    )


def numpy_names(info: FileInfo, tree: ast.Module) -> set[str]:
    """Names whose every binding in the file is a value that numpy or another library of
    NUMERIC_ROOTS made (`a = np.ones(3)`, `b = np.load(f)["x"]`, `df = pd.read_csv(f)`) or a
    tensor's `.numpy()`:
    their `.sum()`, `.item()`, `.argmax(1)` are numpy's, left as they are. By name, not by
    flow: a name bound any other way anywhere in the file (a parameter, a loop target, a
    PyTorch value, `+=`) is not one."""
    stored: dict[str, int] = {}
    made: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stored[node.id] = stored.get(node.id, 0) + 1
        elif isinstance(node, ast.arg):
            stored[node.arg] = stored.get(node.arg, 0) + 1
        elif isinstance(node, ast.Assign) and _numpy_value(info, node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    made[target.id] = made.get(target.id, 0) + 1
    return {name for name, count in made.items() if stored.get(name) == count}


def bindings(info: FileInfo, tree: ast.Module) -> None:
    """`module_bound` and `local_bound`: the names each scope binds itself (assignment and
    loop targets, parameters, nested definitions, except and with names, its imports but
    torch's); a function's `global` names count as the module's."""
    torch_names = info.imports.names

    def own(body: list[ast.stmt], args: ast.arguments | None) -> set[str]:
        names: set[str] = set()
        if args is not None:
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            names |= {a.arg for a in every if a is not None}
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
                scope(node)
                stack.extend(node.decorator_list)
                continue
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.Global):
                info.module_bound.update(node.names)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names |= {
                    a.asname or a.name.split(".", 1)[0]
                    for a in node.names
                    if (a.asname or a.name.split(".", 1)[0]) not in torch_names
                }
            stack.extend(ast.iter_child_nodes(node))
        return names

    def scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if isinstance(node, ast.ClassDef):  # a class body's names are attributes
            own(node.body, None)
        else:
            info.local_bound[node.lineno] = frozenset(own(node.body, node.args))

    info.module_bound |= own(tree.body, None)


def _numpy_value(info: FileInfo, value: ast.expr) -> bool:
    """`np.ones(3)`, `np.load(f)["x"].T`, `pd.read_csv(f)`: a chain that calls into a
    library of NUMERIC_ROOTS; or a chain ending in a tensor's `.numpy()`."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "numpy"
        and not value.args
        and not value.keywords
    ):
        return True
    head, called = value, False
    while isinstance(head, ast.Attribute | ast.Call | ast.Subscript):
        called |= isinstance(head, ast.Call)
        head = head.func if isinstance(head, ast.Call) else head.value
    return called and isinstance(head, ast.Name) and head.id in info.array_modules


_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")  # ast field order
_CONTAINERS = (*COMPOUND, ast.TryStar, ast.ExceptHandler, ast.match_case)


def piece_tables(info: FileInfo, nodes: list[ast.stmt], attrs: frozenset[str]) -> None:
    """`statement_lines`, `call_lines` and `quiet` of `analyze_text`, for the statements
    `nodes` (consecutive, in source order) alone: what the translator needs to visit them."""
    statements: list[tuple[int, int, int, ast.stmt]] = []
    calls: list[tuple[int, int, int, int, str]] = []
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.stmt):
                statements.append((node.lineno, node.col_offset, len(statements), node))
            elif isinstance(node, ast.Call):
                end = (node.end_lineno or 0, node.end_col_offset or 0)
                calls.append((node.lineno, node.col_offset, -end[0], -end[1], _callee(node)))
    statements.sort()
    calls.sort()
    info.statement_lines = [(line, col) for line, col, _, _ in statements]
    info.call_lines = [(line, name) for line, _, _, _, name in calls]
    info.quiet = {}
    mark_quiet(info, [node for _, _, _, node in statements], attrs)


def header_tables(info: FileInfo, node: ast.stmt, parts: list[ast.AST]) -> None:
    """The tables for a class or function header alone (`parts`: its decorators, bases,
    parameters...), the body left out."""
    calls: list[tuple[int, int, int, int, str]] = []
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Call):
                end = (sub.end_lineno or 0, sub.end_col_offset or 0)
                calls.append((sub.lineno, sub.col_offset, -end[0], -end[1], _callee(sub)))
    calls.sort()
    info.statement_lines = [(node.lineno, node.col_offset)]
    info.call_lines = [(line, name) for line, _, _, _, name in calls]
    info.quiet = {}


def _torch_layer_base(info: FileInfo, base: ast.expr) -> bool:
    """nn.Module, or a PyTorch layer class (nn.Linear: translator.leave_ClassDef gives the
    subclass the prelude's class of it, or marks it)."""
    name = _qualify(info, base) or ""
    tail = name.removeprefix("torch.nn.")
    return name.startswith("torch.nn.") and "." not in tail and tail[:1].isupper()


def _classes(info: FileInfo, classes: dict[str, ast.ClassDef]) -> None:
    changed = True
    while changed:  # a class is a module if a base is nn.Module or another module class
        changed = False
        for name, node in classes.items():
            if name in info.module_classes:
                continue
            for base in node.bases:
                if _torch_layer_base(info, base) or (
                    isinstance(base, ast.Name) and base.id in info.module_classes
                ):
                    info.module_classes.add(name)
                    changed = True
                    break
    info.other_forward = any(
        isinstance(item, ast.FunctionDef) and item.name == "forward"
        for name, node in classes.items()
        if name not in info.module_classes
        for item in node.body
    )
    changed = True
    while changed:  # derived from a PyTorch layer (`class Layer(nn.Linear)`), or from one such
        changed = False
        for name, node in classes.items():
            if name in info.module_classes and name not in info.layer_subclasses:
                if any(
                    (_torch_layer_base(info, b) and _qualify(info, b) != "torch.nn.Module")
                    or (isinstance(b, ast.Name) and b.id in info.layer_subclasses)
                    for b in node.bases
                ):
                    info.layer_subclasses.add(name)
                    changed = True
    for name in sorted(info.module_classes):
        # a module class another one derives from (a mixin, `class Linear(Bottle, nn.Linear)`)
        # is a Keras Layer: a Model first in the bases would put Model.call before the layer's
        info.submodule_classes |= {
            base.id
            for base in classes[name].bases
            if isinstance(base, ast.Name) and base.id in info.module_classes
        }
        body = _ClassBody(info)
        for statement in classes[name].body:
            body.visit(statement)
        info.submodule_classes |= (body.names & info.module_classes) - {name}
        cached = cached_attributes(classes[name])
        if cached:
            info.cached_attrs[name] = cached
            info.cached_names |= set(cached)
