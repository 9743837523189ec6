"""Step 2 — model: TabularRegression as an nn.Module.

Layers with weights are declared in __init__; stateless ones are functional calls in forward.
Shapes in comments are (batch, ...) in PyTorch's channels-first layout.
"""

import torch
import torch.nn.functional as F
from torch import nn


class TabularRegression(nn.Module):
    """tabular_regression: 145 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(7, 16)
        self.output = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.hidden(x)  # (N, 16)
        x = F.relu(x)  # (N, 16)
        x = self.output(x)  # (N, 1)
        return x
