"""The seed article's PyTorch linear regression, as published (full-batch loop, 1000 epochs)."""

import time

import torch
import torch.nn as nn
import torch.optim as optim

x = torch.randn(100, 1)
y = 2 * x + 1 + 0.1 * torch.randn(100, 1)


class LinearRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


model = LinearRegression()
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)
start = time.perf_counter()
for epoch in range(1000):
    outputs = model(x)
    loss = criterion(outputs, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"wall_time_s {time.perf_counter() - start:.4f}")
