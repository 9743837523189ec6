"""Step 2 — model: LinearRegression as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

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
