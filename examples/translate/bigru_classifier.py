"""Bidirectional two-layer GRU sentence classifier.

The final hidden state ``h_n`` of a bidirectional, multi-layer GRU has shape
``(num_layers * 2, batch, hidden)``; ``h_n[-2]`` and ``h_n[-1]`` are the top layer's forward
and backward states, concatenated to form the sentence representation.
"""

import torch
from torch import nn


class BiGRUClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int = 500,
        embed_dim: int = 32,
        hidden_dim: int = 24,
        num_layers: int = 2,
        num_classes: int = 4,
        dropout: float = 0.3,
        pad_idx: int = 0,
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        self.gru = nn.GRU(
            embed_dim,
            hidden_dim,
            num_layers=num_layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_dim * 2, num_classes)

    def forward(self, text):
        # text: (batch, seq_len) of token ids
        embedded = self.dropout(self.embedding(text))
        output, h_n = self.gru(embedded)
        # output: (batch, seq_len, 2 * hidden_dim) -- unused here
        hidden = torch.cat((h_n[-2], h_n[-1]), dim=1)
        hidden = self.dropout(hidden)
        return self.fc(hidden)


if __name__ == "__main__":
    model = BiGRUClassifier()
    model.eval()
    tokens = torch.randint(0, 500, (2, 15))
    with torch.no_grad():
        logits = model(tokens)
    print("logits shape:", list(logits.shape))
