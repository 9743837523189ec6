"""MNIST convolutional network, written in the style of pytorch/examples/mnist/main.py.

All the parameter-free operations (activations, pooling, dropout, log-softmax) are called
through ``torch.nn.functional`` inside ``forward`` instead of being declared as modules.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 - old-style super(), as many users write it
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        # 28x28 -> conv 26x26 -> conv 24x24 -> max pool 12x12, with 64 channels
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = F.dropout(x, p=0.25, training=self.training)
        # flatten everything except the batch dimension (channel-major order: C, H, W)
        x = x.view(x.size(0), -1)
        x = self.fc1(x)
        x = F.relu(x)
        x = F.dropout(x, p=0.5, training=self.training)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


if __name__ == "__main__":
    model = Net()
    model.eval()
    images = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        log_probs = model(images)
    print("output shape:", tuple(log_probs.shape))
