"""Step 2 — model: ResNetBlock as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class ResNetBlock(nn.Module):
    """resnet_block: 5306 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.conv_a = nn.Conv2d(16, 16, kernel_size=3, padding=1, bias=False)
        self.bn_a = nn.BatchNorm2d(16)
        self.conv_b = nn.Conv2d(16, 16, kernel_size=3, padding=1, bias=False)
        self.bn_b = nn.BatchNorm2d(16)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stem = self.stem(x)  # (N, 16, 32, 32)
        stem_bn = self.stem_bn(stem)  # (N, 16, 32, 32)
        stem_relu = F.relu(stem_bn)  # (N, 16, 32, 32)
        conv_a = self.conv_a(stem_relu)  # (N, 16, 32, 32)
        bn_a = self.bn_a(conv_a)  # (N, 16, 32, 32)
        relu_a = F.relu(bn_a)  # (N, 16, 32, 32)
        conv_b = self.conv_b(relu_a)  # (N, 16, 32, 32)
        bn_b = self.bn_b(conv_b)  # (N, 16, 32, 32)
        residual = bn_b + stem_relu  # (N, 16, 32, 32)
        block_out = F.relu(residual)  # (N, 16, 32, 32)
        pool = block_out.mean(dim=(2, 3))  # (N, 16)
        head = self.head(pool)  # (N, 10)
        return head
