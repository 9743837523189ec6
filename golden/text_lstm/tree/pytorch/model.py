"""Step 2 — model: TextClassifier as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class TextClassifier(nn.Module):
    """text_lstm: 1344001 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(10000, 128)
        self.lstm1 = nn.LSTM(128, 64, batch_first=True)
        # One bias per gate, as in Keras: PyTorch's second (recurrent) bias is redundant.
        for name, param in self.lstm1.named_parameters():
            if name.startswith("bias_hh"):
                nn.init.zeros_(param)
                param.requires_grad_(False)
        self.lstm2 = nn.LSTM(64, 32, batch_first=True)
        # One bias per gate, as in Keras: PyTorch's second (recurrent) bias is redundant.
        for name, param in self.lstm2.named_parameters():
            if name.startswith("bias_hh"):
                nn.init.zeros_(param)
                param.requires_grad_(False)
        self.fc1 = nn.Linear(32, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embedding(x)  # (N, 40, 128)
        x, _ = self.lstm1(x)  # (N, 40, 64)
        _, (h_n, _) = self.lstm2(x)
        x = h_n[-1]  # (N, 32)
        x = self.fc1(x)  # (N, 64)
        x = F.relu(x)  # (N, 64)
        x = self.fc2(x)  # (N, 1)
        return x
