"""Every common way of importing PyTorch resolves to the same translation."""

import torch
import torch.nn.init as init
from torch import nn

# ---- a section comment above a removed import stays, above what follows ----
from torch.nn import Conv2d  # a trailing comment about a removed import goes with it
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = Conv2d(channels, channels, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(channels)
        init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(4)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        x = self.block(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.head(x), dim=1)
