"""Image transformation network for fast neural style transfer, reduced in width.

After pytorch/examples/fast_neural_style/neural_style/transformer_net.py (Johnson et al.,
2016): reflection padding instead of zero padding, instance normalisation, residual blocks,
and nearest-neighbour up-sampling followed by a convolution instead of a transposed conv.
"""

import torch
from torch import nn
from torch.nn import functional as F


class ConvLayer(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(nn.Module):
    """ResidualBlock
    introduced in: https://arxiv.org/abs/1512.03385
    recommended architecture: http://torch.ch/blog/2016/02/04/resnets.html
    """

    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(nn.Module):
    """UpsampleConvLayer
    Upsamples the input and then does a convolution. This method gives better results
    compared to ConvTranspose2d.
    ref: http://distill.pub/2016/deconv-checkerboard/
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        reflection_padding = kernel_size // 2
        self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = F.interpolate(x_in, mode="nearest", scale_factor=self.upsample)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


class TransformerNetTiny(nn.Module):
    def __init__(self, width=8, num_residual=2):
        super().__init__()
        # Initial convolution layers
        self.conv1 = ConvLayer(3, width, kernel_size=9, stride=1)
        self.in1 = nn.InstanceNorm2d(width, affine=True)
        self.conv2 = ConvLayer(width, width * 2, kernel_size=3, stride=2)
        self.in2 = nn.InstanceNorm2d(width * 2, affine=True)
        # Residual layers
        self.res = nn.Sequential(*[ResidualBlock(width * 2) for _ in range(num_residual)])
        # Upsampling Layers
        self.deconv1 = UpsampleConvLayer(width * 2, width, kernel_size=3, stride=1, upsample=2)
        self.in3 = nn.InstanceNorm2d(width, affine=True)
        self.deconv2 = ConvLayer(width, 3, kernel_size=9, stride=1)
        # Non-linearities
        self.relu = nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.res(y)
        y = self.relu(self.in3(self.deconv1(y)))
        y = self.deconv2(y)
        return y


if __name__ == "__main__":
    style_model = TransformerNetTiny()
    content_image = torch.rand(2, 3, 32, 32) * 255
    with torch.no_grad():
        output = style_model(content_image)
    print("stylized:", output.shape)
