"""Step 2 — model: ImageClassifier as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class ImageClassifier(nn.Module):
    """image_classifier: 16858698 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.fc1 = nn.Linear(32768, 512)
        self.dropout1 = nn.Dropout(p=0.5)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)  # (N, 64, 64, 64)
        x = self.bn1(x)  # (N, 64, 64, 64)
        x = F.relu(x)  # (N, 64, 64, 64)
        x = F.max_pool2d(x, 2)  # (N, 64, 32, 32)
        x = self.conv2(x)  # (N, 128, 32, 32)
        x = self.bn2(x)  # (N, 128, 32, 32)
        x = F.relu(x)  # (N, 128, 32, 32)
        x = F.max_pool2d(x, 2)  # (N, 128, 16, 16)
        x = torch.flatten(x, 1)  # (N, 32768)
        x = self.fc1(x)  # (N, 512)
        x = F.relu(x)  # (N, 512)
        x = self.dropout1(x)  # (N, 512)
        x = self.fc2(x)  # (N, 10)
        return x
