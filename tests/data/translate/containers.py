"""nn.Sequential from arguments, from a list and from *layers; nn.ModuleList with a loop."""

import torch.nn as nn


def make_stack(widths):
    layers = []
    for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(w_in, w_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Tower(nn.Module):
    def __init__(self, widths=(8, 16, 16), use_norm=True):
        super().__init__()
        self.trunk = make_stack(widths)
        if use_norm:
            self.norm = nn.LayerNorm(widths[-1])
        else:
            self.norm = nn.Identity()
        self.heads = nn.ModuleList([nn.Linear(widths[-1], 1) for _ in range(3)])
        self.layers = nn.Sequential(
            # a comment inside the call is kept
            nn.Dropout(0.1),
            nn.Linear(3, 2),
        )

    def forward(self, x):
        x = self.norm(self.trunk(x))
        outs = []
        for head in self.heads:
            outs.append(head(x))
        return self.layers(sum(outs) + x[:, :3])
