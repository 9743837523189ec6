"""Submodules registered by name (`add_module`, `register_module`, `__setattr__`), read back
with getattr and `__getattr__` (kuangliu/pytorch-cifar's dla.py); a layer built and called
in one expression."""

import torch.nn as nn
import torch.nn.functional as F


class Stack(nn.Module):
    def __init__(self, width=8, depth=3):
        super().__init__()
        self.depth = depth
        for i in range(depth):
            self.add_module(f"fc{i}", nn.Linear(width, width))
        self.register_module("head", nn.Linear(width, 2))
        self.__setattr__("level_0", nn.Linear(width, width))

    def forward(self, x):
        for i in range(self.depth):
            x = F.relu(getattr(self, f"fc{i}")(x))
        x = nn.ReLU()(self.__getattr__("level_0")(x))
        x = self.__getattr__(f"fc{self.depth - 1}")(x)
        return self.head(x)
