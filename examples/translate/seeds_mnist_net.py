"""``Net`` from the seed article on PyTorch's five-step recipe,
/work/shared/seeds/002_83f822367f0f467c.txt ("设计原则:... 注意张量形状的匹配(如卷积后的展平操作)").

Two real bugs in the published code are fixed here (the same fixes as bench/seeds/mnist_cnn_torch.py):

1. Flatten size. ``conv1`` (3x3, stride 1, no padding) turns a 1x28x28 image into 32x26x26
   = 21632 features, but ``fc1`` expects ``32*13*13`` = 5408. Because the article flattens
   with ``x.view(-1, 32*13*13)``, the published code does not even fail: it silently turns a
   batch of N images into 4N rows. FIX: a 2x2 max pool after the conv (26x26 -> 13x13).
2. No classifier output. The published ``forward`` returns ``relu(fc1(x))``, 128 non-negative
   features, which the article then feeds to ``nn.CrossEntropyLoss`` as 10-class logits.
   FIX: a final ``fc2 = nn.Linear(128, 10)`` producing the logits.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 - as in the article
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32 * 13 * 13, 128)
        self.fc2 = nn.Linear(128, 10)  # FIX 2: the article had no output layer

    def forward(self, x):
        # FIX 1: the article had x = F.relu(self.conv1(x)) with no pooling (26x26 != 13x13)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = x.view(-1, 32 * 13 * 13)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


if __name__ == "__main__":
    model = Net()
    out = model(torch.randn(2, 1, 28, 28))
    print("output shape:", tuple(out.shape))  # (2, 10); the published code gave (8, 128)
