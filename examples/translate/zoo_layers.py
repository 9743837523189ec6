"""A zoo of small models, each exercising layers and tensor operations the other cases miss.

* ``SuperResolutionNet`` -- sub-pixel convolution (``nn.PixelShuffle``) with orthogonal init,
  after the PyTorch "super resolution" ONNX export tutorial.
* ``MobileTiny`` -- depthwise-separable convolutions (``groups=in_channels``), ReLU6,
  Dropout2d, AvgPool2d, a learned ``nn.Parameter`` scale and a global mean over H and W.
* ``SeqAttentionPool`` -- a Conv1d over a (batch, time, features) sequence with
  transpose/permute, slicing, BatchNorm1d, attention weights built with squeeze/unsqueeze,
  a weighted sum, and a tuple return.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init


class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor=3, inplace=False):
        super(SuperResolutionNet, self).__init__()  # noqa: UP008

        self.relu = nn.ReLU(inplace=inplace)
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


class DepthwiseSeparableConv(nn.Module):
    """3x3 depthwise conv (one filter per channel) followed by a 1x1 pointwise conv."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.depthwise = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=in_channels,
            bias=False,
        )
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        x = self.act(self.bn1(self.depthwise(x)))
        return self.act(self.bn2(self.pointwise(x)))


class MobileTiny(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU6(inplace=True),
        )
        self.blocks = nn.Sequential(
            DepthwiseSeparableConv(16, 32),
            DepthwiseSeparableConv(32, 64, stride=2),
            nn.Dropout2d(p=0.1),
            DepthwiseSeparableConv(64, 64),
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)
        # a learned temperature applied to the pooled features
        self.scale = nn.Parameter(torch.ones(1))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.stem(x)  # 16 x 16 x 16
        x = self.blocks(x)  # 64 x 8 x 8
        x = self.pool(x)  # 64 x 4 x 4
        x = x.mean(dim=(2, 3))  # global average pool -> (N, 64)
        x = x * self.scale
        return self.fc(x)


class SeqAttentionPool(nn.Module):
    """Classify a (batch, time, features) sequence with a Conv1d and attention pooling."""

    def __init__(self, in_features=16, channels=32, num_outputs=3):
        super().__init__()
        # padding=2 with kernel 3 grows the sequence by 2; forward trims one step at each end
        self.conv = nn.Conv1d(in_features, channels, kernel_size=3, padding=2)
        self.bn = nn.BatchNorm1d(channels)
        self.act = nn.Tanh()
        self.score = nn.Linear(channels, 1)
        self.hidden = nn.Linear(channels, channels)
        self.leaky = nn.LeakyReLU(0.1)
        self.out = nn.Linear(channels, num_outputs)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        # x: (N, T, F); Conv1d wants channels first
        h = x.transpose(1, 2)  # (N, F, T)
        h = self.conv(h)  # (N, C, T + 2)
        h = h[:, :, 1:-1]  # (N, C, T)
        h = self.act(self.bn(h))
        h = h.permute(0, 2, 1)  # (N, T, C)
        scores = self.score(h).squeeze(-1)  # (N, T)
        weights = F.softmax(scores, dim=1)
        pooled = (weights.unsqueeze(-1) * h).sum(dim=1)  # (N, C)
        pooled = self.leaky(self.hidden(pooled))
        return self.sigmoid(self.out(pooled)), weights


if __name__ == "__main__":
    torch.manual_seed(0)
    with torch.no_grad():
        sr = SuperResolutionNet().eval()
        print("SuperResolutionNet:", tuple(sr(torch.randn(2, 1, 16, 16)).shape))

        mobile = MobileTiny().eval()
        print("MobileTiny:", tuple(mobile(torch.randn(2, 3, 32, 32)).shape))

        attn = SeqAttentionPool().eval()
        probs, weights = attn(torch.randn(2, 10, 16))
        print("SeqAttentionPool:", tuple(probs.shape), tuple(weights.shape))
