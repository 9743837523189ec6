"""In-place tensor methods become out-of-place TensorFlow calls.

A lone `x.clamp_(...)` becomes `x = ...`; `add`/`sub` on what is not surely a tensor (a set,
a compiled regex) are left alone.
"""

import re

import torch
import torch.nn as nn

SPACES = re.compile(r"\s+")


def vocabulary(texts):
    seen = set()
    for text in texts:
        for word in SPACES.sub(" ", text).split():
            seen.add(word)
    return sorted(seen)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        h = self.fc(x)
        h.mul_(0.5).add_(x, alpha=2.0)
        h.clamp_(min=-1.0, max=1.0)
        gate = torch.zeros_like(h).fill_(0.25)
        return h.add(gate).sub(x).div_(2.0).exp_()
