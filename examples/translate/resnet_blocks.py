"""ResNet for CIFAR-10, reduced to one block per stage (after kuangliu/pytorch-cifar).

Reference: He et al., "Deep Residual Learning for Image Recognition", 2015.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(in_planes, out_planes, stride=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    # The defaults build a down-sampling block (16 -> 32 channels, stride 2), so a block made
    # on its own with BasicBlock() goes through the projection shortcut.
    def __init__(self, in_planes=16, planes=32, stride=2):
        super(BasicBlock, self).__init__()  # noqa: UP008
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)

        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                conv1x1(in_planes, self.expansion * planes, stride),
                nn.BatchNorm2d(self.expansion * planes),
            )
        else:
            # identity: an empty Sequential returns its input unchanged
            self.shortcut = nn.Sequential()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNetTiny(nn.Module):
    def __init__(self, block=BasicBlock, num_blocks=(1, 1, 1), num_classes=10):
        super(ResNetTiny, self).__init__()  # noqa: UP008
        self.in_planes = 16

        self.conv1 = conv3x3(3, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(block, 16, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 32, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 64, num_blocks[2], stride=2)
        self.linear = nn.Linear(64 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)  # 16 x 32 x 32
        out = self.layer2(out)  # 32 x 16 x 16
        out = self.layer3(out)  # 64 x 8 x 8
        out = F.avg_pool2d(out, 8)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def test():
    net = ResNetTiny()
    net.eval()
    with torch.no_grad():
        y = net(torch.randn(2, 3, 32, 32))
    print(y.size())


if __name__ == "__main__":
    test()
    block = BasicBlock().eval()
    with torch.no_grad():
        print("BasicBlock:", block(torch.randn(2, 16, 16, 16)).shape)
