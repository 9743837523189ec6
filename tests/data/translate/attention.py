"""PyTorch's attention modules: nn.MultiheadAttention (time-major and batch-first, the
weights it returns), nn.TransformerEncoderLayer (post- and pre-norm, relu and gelu) and
nn.TransformerEncoder with a final norm."""

import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.TransformerEncoderLayer(
            8, 4, 32, batch_first=True, norm_first=True, activation="gelu"
        )
        self.batch_attn = nn.MultiheadAttention(8, 4, dropout=0.1, batch_first=True)
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
        self.attn = nn.MultiheadAttention(8, 2)

    def forward(self, x):
        y = self.first(x)
        z, weights = self.batch_attn(y, y, y)
        t = self.encoder(z.transpose(0, 1))
        out, _ = self.attn(t, t, t, need_weights=False)
        return out.transpose(0, 1), weights
