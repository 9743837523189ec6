"""nn.Transformer (encoder and decoder stacks) and a pre-norm nn.TransformerDecoder with a
causal target mask and a padding mask over the memory."""

import torch
import torch.nn as nn


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(8, 2, 1, 2, dim_feedforward=16, batch_first=True)
        layer = nn.TransformerDecoderLayer(8, 4, 16, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, 2)

    def forward(self, x):
        out = self.transformer(x, x * 0.5)
        mask = torch.triu(torch.ones(5, 5), diagonal=1) > 0
        padding = torch.zeros(2, 5) > 1
        return self.decoder(
            out.transpose(0, 1), x.transpose(0, 1), tgt_mask=mask, memory_key_padding_mask=padding
        )
