"""Cut named functions, classes and statements out of generated Python, with their line numbers.

The tutorial shows the code of each step as it is in the generated files, never a second copy:
excerpts are taken from the rendered text with `ast`, so the README and the notebooks always
quote what the projects run.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import sys
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Excerpt:
    """Lines `first`..`last` (1-based, inclusive) of `path`, dedented."""

    path: str
    name: str
    first: int
    last: int
    code: str

    @property
    def anchor(self) -> str:
        """`path#Lfirst-Llast`: a link to the lines on GitHub and most code hosts."""
        return f"{self.path}#L{self.first}-L{self.last}"


def _named(node: ast.AST) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _with_setup(body: list[ast.stmt], index: int) -> int:
    """Index of the first statement of the assignments right before `body[index]` that define
    names it uses (`stopper = EarlyStopping(...)` before `callbacks = [stopper]`)."""
    needed = {n.id for n in ast.walk(body[index]) if isinstance(n, ast.Name)}
    start = index
    while start > 0 and isinstance(body[start - 1], ast.Assign):
        targets = {
            n.id for t in body[start - 1].targets for n in ast.walk(t) if isinstance(n, ast.Name)
        }
        if not targets & needed:
            break
        start -= 1
        needed |= {n.id for n in ast.walk(body[start].value) if isinstance(n, ast.Name)}
    return start


def find(text: str, path: str, name: str) -> Excerpt | None:
    """The first definition of `name` in `text` (at any depth, outermost first), or None.

    A statement comes with the assignments just before it that it needs, so it runs on its own.
    """
    return _index(text, path).get(name)


@functools.lru_cache(maxsize=64)
def _index(text: str, path: str) -> dict[str, Excerpt]:
    """Every named definition of a file, parsed once."""
    tree = ast.parse(text)
    lines = text.splitlines()
    parents = {}
    for parent in ast.walk(tree):
        body = getattr(parent, "body", None)
        if isinstance(body, list):
            parents.update({id(child): parent for child in body})
    out: dict[str, Excerpt] = {}
    for node in ast.walk(tree):
        name = _named(node)
        if name is None or name in out:
            continue
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        parent = parents.get(id(node))
        if isinstance(node, ast.Assign) and parent is not None:
            body = parent.body
            first = body[_with_setup(body, body.index(node))].lineno
        last = node.end_lineno or first
        code = textwrap.dedent("\n".join(lines[first - 1 : last]))
        out[name] = Excerpt(path, name, first, last, code)
    out.update(_step_sections(tree, lines, path))
    return out


_STEP_COMMENT = re.compile(r"^(\s*)# (Step \d+)\b")


def _step_sections(tree: ast.Module, lines: list[str], path: str) -> dict[str, Excerpt]:
    """`Step N`: the lines from a `# Step N...` comment to the next step comment at the same
    or a shallower indentation, or to the end of the function around it (trailing blank lines
    left out)."""
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    marks = [
        (number, match.group(2), match.group(1))
        for number, line in enumerate(lines, 1)
        if (match := _STEP_COMMENT.match(line))
    ]
    out: dict[str, Excerpt] = {}
    for index, (first, name, indent) in enumerate(marks):
        around = [f for f in functions if f.lineno < first <= (f.end_lineno or 0)]
        last = min((f.end_lineno or first for f in around), default=len(lines))
        later = [line for line, _, ind in marks[index + 1 :] if len(ind) <= len(indent)]
        if later:
            last = min(last, later[0] - 1)
        while last > first and not lines[last - 1].strip():
            last -= 1
        code = textwrap.dedent("\n".join(lines[first - 1 : last]))
        out.setdefault(name, Excerpt(path, name, first, last, code))
    return out


# ---------------------------------------------------------------- imports for notebook cells


def _bound_and_loaded(code: str) -> tuple[set[str], set[str]]:
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, loaded


def free_names(code: str) -> set[str]:
    """Names `code` reads but neither defines nor gets from builtins."""
    bound, loaded = _bound_and_loaded(code)
    return loaded - bound - set(dir(builtins))


def _module_bindings(text: str, module: str) -> dict[str, tuple[str, str, str | None]]:
    """name → (kind, module, imported name) for each top-level binding of a project module.

    kind "import" is `import module [as name]`, "from" is `from module import x [as name]`.
    """
    out: dict[str, tuple[str, str, str | None]] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = (
                    "import",
                    alias.name,
                    alias.asname,
                )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                out.setdefault(alias.asname or alias.name, ("from", node.module, alias.name))
        else:
            name = _named(node)
            if name is not None:
                out.setdefault(name, ("from", module, name))
    return out


def _section(module: str, first_party: set[str]) -> int:
    root = module.split(".")[0]
    if root in first_party:
        return 2
    return 0 if root in sys.stdlib_module_names else 1


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then the rest."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name.lower())


def imports_for(code: str, modules: dict[str, str]) -> str:
    """Import statements (isort order) that give `code` the names it takes from project modules.

    `modules` maps a project module name (data, model, train, export) to its generated text; a
    name is imported the way that module gets it (`import numpy as np`), or from the module
    itself where the module defines it.
    """
    bindings: dict[str, tuple[str, str, str | None]] = {}
    for module, text in modules.items():
        for name, binding in _module_bindings(text, module).items():
            bindings.setdefault(name, binding)
    plain: set[tuple[str, str | None]] = set()
    froms: dict[str, set[str]] = {}
    for name in sorted(free_names(code)):
        if name not in bindings:
            continue
        kind, module, imported = bindings[name]
        if kind == "import":
            plain.add((module, imported))
        else:
            spelled = imported if imported == name else f"{imported} as {name}"
            froms.setdefault(module, set()).add(spelled)
    first_party = set(modules)
    sections: list[list[str]] = [[], [], []]
    for module, alias in sorted(plain):
        line = f"import {module}" + (f" as {alias}" if alias else "")
        sections[_section(module, first_party)].append(line)
    for module in sorted(froms):
        names = ", ".join(sorted(froms[module], key=_isort_key))
        sections[_section(module, first_party)].append(f"from {module} import {names}")
    return "\n\n".join("\n".join(lines) for lines in sections if lines)
