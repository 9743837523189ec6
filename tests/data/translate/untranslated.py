"""Constructs without a translation stay in place, marked, and are reported."""

import torch
import torch.nn as nn


class Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.FractionalMaxPool2d(2, output_size=3)
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        y = torch.fft.rfft(x)
        return self.act(self.fc(x)), y
