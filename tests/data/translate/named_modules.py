"""Submodules registered by name (`add_module`, `register_module`), read back with getattr."""

import torch.nn as nn
import torch.nn.functional as F


class Stack(nn.Module):
    def __init__(self, width=8, depth=3):
        super().__init__()
        self.depth = depth
        for i in range(depth):
            self.add_module(f"fc{i}", nn.Linear(width, width))
        self.register_module("head", nn.Linear(width, 2))

    def forward(self, x):
        for i in range(self.depth):
            x = F.relu(getattr(self, f"fc{i}")(x))
        return self.head(x)
