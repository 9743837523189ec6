"""What the translator found: every PyTorch construct, translated or not, with its line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

MARK = "# dlgen: not translated: "


@dataclass(frozen=True)
class Construct:
    """One PyTorch construct in a source file."""

    line: int
    name: str  # canonical PyTorch spelling, e.g. torch.nn.Conv2d or Tensor.view
    translated: bool
    detail: str = ""  # how it was translated, or why not
    # found by the output check: `line` is the output's (the statement under its marker)
    in_output: bool = False


@dataclass
class Report:
    """All constructs of one file."""

    file: str
    constructs: list[Construct] = field(default_factory=list)

    def add(
        self, line: int, name: str, translated: bool, detail: str = "", in_output: bool = False
    ) -> None:
        self.constructs.append(Construct(line, name, translated, detail, in_output))

    @property
    def total(self) -> int:
        return len(self.constructs)

    @property
    def left(self) -> list[Construct]:
        return [c for c in self.constructs if not c.translated]

    @property
    def rate(self) -> float:
        """Share of constructs translated (1.0 for a file with none)."""
        return 1.0 if not self.constructs else 1 - len(self.left) / self.total

    def sorted(self) -> list[Construct]:
        return sorted(self.constructs, key=lambda c: (c.in_output, c.line, c.name))

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "constructs": self.total,
            "translated": self.total - len(self.left),
            "not_translated": len(self.left),
            "conversion_rate": round(self.rate, 4),
            "items": [asdict(c) for c in self.sorted()],
        }


def reports_json(reports: list[Report]) -> str:
    """The --report file: per file, and the totals."""
    total = sum(r.total for r in reports)
    left = sum(len(r.left) for r in reports)
    data = {
        "files": [r.to_dict() for r in reports],
        "constructs": total,
        "not_translated": left,
        "conversion_rate": round(1.0 if not total else 1 - left / total, 4),
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
