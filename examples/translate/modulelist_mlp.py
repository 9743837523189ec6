"""A multilayer perceptron whose hidden layers are held in a ``torch.nn.ModuleList``.

Only ``import torch`` is used; every layer is written out as ``torch.nn.<Layer>``.
"""

import torch


class MLP(torch.nn.Module):
    def __init__(self, in_features=20, hidden_sizes=(64, 32, 16), num_classes=5):
        super().__init__()
        sizes = [in_features] + list(hidden_sizes) + [num_classes]
        self.layers = torch.nn.ModuleList()
        for i in range(len(sizes) - 1):
            self.layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            # no activation after the output layer
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return torch.softmax(x, dim=-1)


if __name__ == "__main__":
    mlp = MLP()
    print(mlp)
    probs = mlp(torch.randn(4, 20))
    print("probabilities:", probs.shape, "row sums:", probs.sum(dim=-1).tolist())
