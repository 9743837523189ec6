"""Step 2 — model: LinearRegression as an nn.Module.

Layers with weights are declared in __init__; stateless ones are functional calls in forward.
Shapes in comments are (batch, ...) in PyTorch's channels-first layout.
"""

import torch
from torch import nn


class LinearRegression(nn.Module):
    """linear_regression: 2 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)  # (N, 1)
        return x
