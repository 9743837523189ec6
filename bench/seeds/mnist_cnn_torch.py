"""The seed article's five-step PyTorch MNIST recipe, timed.

Changes from the article, all needed to run here: the flatten bug is fixed (a 2x2 max pool
before the Linear(32*13*13), and a final Linear(128, 10) so the output has 10 classes, as in
examples/mnist_cnn.yaml); torchvision cannot be imported beside torch 2.13, so the images come
from arrays (argv[1], an .npz with x (N,1,28,28) float32 and y int64).
"""

import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

arrays = np.load(sys.argv[1])
epochs = int(sys.argv[2])
train_set = torch.utils.data.TensorDataset(
    torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])
)
train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32 * 13 * 13, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = x.view(-1, 32 * 13 * 13)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


model = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)


def train(model, loader, criterion, optimizer, epochs=10):
    model.train()
    for epoch in range(epochs):
        running_loss = 0.0
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        print(f"Epoch {epoch+1}, Loss: {running_loss/len(loader):.4f}")


start = time.perf_counter()
train(model, train_loader, criterion, optimizer, epochs)
print(f"wall_time_s {time.perf_counter() - start:.4f}")
print(f"samples {len(train_set) * epochs}")
print(f"peak_memory_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
