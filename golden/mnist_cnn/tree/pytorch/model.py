"""Step 2 — model: Net as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    """mnist_cnn: 693962 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3)
        self.fc1 = nn.Linear(5408, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)  # (N, 32, 26, 26)
        x = F.relu(x)  # (N, 32, 26, 26)
        x = F.max_pool2d(x, 2)  # (N, 32, 13, 13)
        x = torch.flatten(x, 1)  # (N, 5408)
        x = self.fc1(x)  # (N, 128)
        x = F.relu(x)  # (N, 128)
        x = self.fc2(x)  # (N, 10)
        return x
