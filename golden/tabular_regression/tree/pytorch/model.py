"""Step 2 — model: TabularRegression as an nn.Module, layers with weights declared in __init__,
stateless ones called in forward. Comments give shapes (batch, ...), channels first."""

import torch
import torch.nn.functional as F
from torch import nn


class CategoricalEmbedding(nn.Module):
    """Learned vectors for categorical columns.

    The input's last `len(sizes)` columns hold category codes (0 for a value the spec does not
    list, i + 1 for its i-th category; any other number counts as 0); the `passthrough`
    columns before them are passed on. Output: those columns, then one `dims[j]`-wide vector
    per coded column.
    """

    def __init__(self, passthrough: int, sizes: list[int], dims: list[int]) -> None:
        super().__init__()
        self.passthrough = passthrough
        self.embeddings = nn.ModuleList(
            nn.Embedding(size + 1, dim) for size, dim in zip(sizes, dims, strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # round: preprocessing may leave 2.9999998 where the code is 3
        codes = x[:, self.passthrough :].round().long()
        vectors = []
        for j, embedding in enumerate(self.embeddings):
            code = codes[:, j]
            known = (code >= 1) & (code < embedding.num_embeddings)
            vectors.append(embedding(torch.where(known, code, torch.zeros_like(code))))
        return torch.cat([x[:, : self.passthrough], *vectors], dim=1)


class TabularRegression(nn.Module):
    """tabular_regression: 189 trainable parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.categorical_embedding = CategoricalEmbedding(7, sizes=[5], dims=[2])
        self.hidden = nn.Linear(9, 16)
        self.output = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.categorical_embedding(x)  # (N, 9)
        x = self.hidden(x)  # (N, 16)
        x = F.relu(x)  # (N, 16)
        x = self.output(x)  # (N, 1)
        return x
