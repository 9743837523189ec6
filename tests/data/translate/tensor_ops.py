"""Tensor methods and torch functions in forward keep their PyTorch meaning (NCHW)."""

import torch
import torch.nn as nn


class Ops(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.scale = nn.Parameter(torch.ones(1))
        self.act = nn.PReLU(4, init=0.1)  # one slope per channel
        self.shared = nn.PReLU()  # one slope for everything

    def forward(self, x):
        batch = x.size(0)
        z = x.view(x.size(0), -1)  # flatten in C, H, W order
        z = self.fc(z.reshape(batch, -1))
        w = z.mul(0.5).exp_()  # in-place methods: out of place in TensorFlow
        w.clamp_(max=2.0)  # alone on its line: w = ...
        z = z.add(w, alpha=0.5).sub_(1.0).div(2.0)
        h = self.act(x).permute(0, 2, 3, 1).transpose(1, 2)
        both = torch.cat([h, h], dim=3)
        pair = torch.stack((z, z), dim=1)
        s = both[:, 0, :, 1:-1].unsqueeze(1).squeeze(1)
        m = s.mean(dim=(1, 2)) + s.sum(1).mean(-1) * self.scale
        label = pair.argmax(dim=-1)
        return self.shared(z), pair.float(), m.detach(), label.float(), x.max()
