"""Volumes (N, C, D, H, W) and normalization layers with weights: Conv3d, BatchNorm3d,
InstanceNorm3d and InstanceNorm1d with affine weights, PReLU per channel, RMSNorm, and the
weightless LocalResponseNorm and ChannelShuffle between them."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Volumes(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm3d(4)
        self.inorm = nn.InstanceNorm3d(4, affine=True)
        self.lrn = nn.LocalResponseNorm(3)
        self.shuffle = nn.ChannelShuffle(2)
        self.act = nn.PReLU(4)
        self.seq_norm = nn.InstanceNorm1d(4, affine=True)
        self.rms = nn.RMSNorm(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.act(self.shuffle(self.lrn(self.inorm(self.bn(self.conv(x))))))
        x = F.max_pool3d(x, 2)
        seq = self.seq_norm(torch.flatten(x, 2))
        return self.fc(self.rms(seq.transpose(1, 2)))
