"""Layers whose weights keep PyTorch's layout in the translation: ConvTranspose1d and
ConvTranspose3d (with groups), Bilinear and RNNCell, beside AlphaDropout."""

import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1)
        self.up3 = nn.ConvTranspose3d(2, 4, 2, stride=2, groups=2)
        self.pair = nn.Bilinear(8, 8, 5)
        self.drop = nn.AlphaDropout(0.2)
        self.cell = nn.RNNCell(5, 6, nonlinearity="relu")

    def forward(self, x):
        y = self.up1(x)
        volume = self.up3(y.reshape(y.shape[0], 2, 2, 2, 4))
        features = y.mean(dim=1)
        h = self.cell(self.drop(self.pair(features, features * 2)))
        return h, volume
