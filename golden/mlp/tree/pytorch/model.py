"""Step 2 — model: SimpleModel as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class SimpleModel(nn.Module):
    """mlp: 50890 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(784, 64)
        self.dropout1 = nn.Dropout(p=0.2)
        self.output = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)  # (N, 784)
        x = self.dense(x)  # (N, 64)
        x = F.relu(x)  # (N, 64)
        x = self.dropout1(x)  # (N, 64)
        x = self.output(x)  # (N, 10)
        return x
