"""Import resolution: which local names stand for which PyTorch objects.

Every common spelling resolves to one canonical dotted name, so the tables elsewhere list
each PyTorch object once: `nn.Conv2d`, `torch.nn.Conv2d` and `Conv2d` (after
`from torch.nn import Conv2d`) all become `torch.nn.Conv2d`; `F.relu` becomes
`torch.nn.functional.relu`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

ROOTS = ("torch", "torchvision", "torchaudio", "torchtext")

# Spellings that name the same object as a shorter canonical one.
ALIASES = {
    "torch.nn.modules.module.Module": "torch.nn.Module",
    "torch.nn.parameter.Parameter": "torch.nn.Parameter",
    "torch.functional.F": "torch.nn.functional",
}


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def is_torch(name: str) -> bool:
    return name.split(".", 1)[0] in ROOTS


@dataclass
class ImportMap:
    """Local name → canonical dotted PyTorch name, for the names a file imports from PyTorch."""

    names: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def canonical(full: str) -> str:
        """The canonical spelling of a dotted PyTorch name."""
        for short, canonical in ALIASES.items():
            if full == short or full.startswith(short + "."):
                return canonical + full[len(short) :]
        return full

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """Canonical PyTorch name of `node` (a Name/Attribute chain), or None."""
        text = dotted(node)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        if head not in self.names:
            return None
        return self.canonical(self.names[head] + ("." + rest if rest else ""))

    def is_alias(self, name: str) -> bool:
        return name in self.names
