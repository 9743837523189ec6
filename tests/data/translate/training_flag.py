"""forward → call(training=False); training passed to dropout, batch norm and helpers."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.drop = nn.Dropout(p=0.2)
        # `output` is reserved by Keras
        self.output = nn.Linear(4, 2)

    def sample(self, mu):
        if self.training:
            return mu + torch.randn_like(mu)
        return mu

    def forward(self, x):
        h = self.drop(F.relu(self.fc(x)))
        h = F.dropout(h, p=0.5, training=self.training)
        return self.sample(self.output(h))
