"""nn.EmbeddingBag over the rows of a token batch (mean and max), then a linear head."""

import torch
import torch.nn as nn


class BagClassifier(nn.Module):
    def __init__(self, vocab=10, dim=6):
        super().__init__()
        self.mean_bag = nn.EmbeddingBag(vocab, dim, padding_idx=0)
        self.max_bag = nn.EmbeddingBag(vocab, dim, mode="max")
        self.head = nn.Linear(2 * dim, 3)

    def forward(self, ids):
        return self.head(torch.cat([self.mean_bag(ids), self.max_bag(ids)], dim=1))
