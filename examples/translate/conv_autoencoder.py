"""Convolutional autoencoder for 28x28 grayscale images.

Encoder: two stride-2 convolutions, 1x28x28 -> 16x14x14 -> 32x7x7.
Decoder: two stride-2 transposed convolutions with ``output_padding=1`` so that the
spatial size doubles exactly, 32x7x7 -> 16x14x14 -> 1x28x28, then a sigmoid.
"""

import torch
from torch import nn


class ConvAutoencoder(nn.Module):
    def __init__(self, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, c2, kernel_size=3, stride=2, padding=1),
            nn.LeakyReLU(negative_slope=0.2),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, kernel_size=3, stride=2, padding=1, output_padding=1),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(c1, 1, kernel_size=3, stride=2, padding=1, output_padding=1),
        )

    def forward(self, x):
        z = self.encoder(x)
        x_hat = self.decoder(z)
        return torch.sigmoid(x_hat)


if __name__ == "__main__":
    ae = ConvAutoencoder()
    batch = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        recon = ae(batch)
    print("reconstruction shape:", recon.shape)
    print("MSE:", torch.mean((recon - batch) ** 2).item())
