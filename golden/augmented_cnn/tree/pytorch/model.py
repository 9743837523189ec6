"""Step 2 — model: AugmentedCnn as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

# Gradient checkpointing: in training, the activations inside each segment are not kept for
# backward but recomputed there (one more forward pass of the segment): less memory, more time.
# Batch norm and dropout stay outside segments, so they run once per step.
GRADIENT_CHECKPOINTING = True


class AugmentedCnn(nn.Module):
    """augmented_cnn: 9476 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.dropout1 = nn.Dropout(p=0.25)
        self.fc = nn.Linear(512, 4)
        self.gradient_checkpointing = GRADIENT_CHECKPOINTING

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.run_segment(self._segment1, x)
        x = self.bn1(x)  # (N, 16, 16, 16)
        x = self.run_segment(self._segment2, x)
        x = self.run_segment(self._segment3, x)
        x = self.dropout1(x)  # (N, 512)
        x = self.run_segment(self._segment4, x)
        return x

    def run_segment(
        self, segment: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
    ) -> torch.Tensor:
        """`segment(x)`; while training with gradient checkpointing, without keeping its
        activations (torch.utils.checkpoint recomputes them in backward, same RNG state).
        """
        if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(segment, x, use_reentrant=False)
        return segment(x)

    def _segment1(self, x: torch.Tensor) -> torch.Tensor:
        """Checkpointed segment 1: conv1."""
        x = self.conv1(x)  # (N, 16, 16, 16)
        return x

    def _segment2(self, x: torch.Tensor) -> torch.Tensor:
        """Checkpointed segment 2: relu1, conv2, relu2, pool1."""
        x = F.relu(x)  # (N, 16, 16, 16)
        x = self.conv2(x)  # (N, 16, 16, 16)
        x = F.relu(x)  # (N, 16, 16, 16)
        x = F.max_pool2d(x, 2)  # (N, 16, 8, 8)
        return x

    def _segment3(self, x: torch.Tensor) -> torch.Tensor:
        """Checkpointed segment 3: conv3, relu3, pool2, flatten1."""
        x = self.conv3(x)  # (N, 32, 8, 8)
        x = F.relu(x)  # (N, 32, 8, 8)
        x = F.max_pool2d(x, 2)  # (N, 32, 4, 4)
        x = torch.flatten(x, 1)  # (N, 512)
        return x

    def _segment4(self, x: torch.Tensor) -> torch.Tensor:
        """Checkpointed segment 4: fc."""
        x = self.fc(x)  # (N, 4)
        return x
