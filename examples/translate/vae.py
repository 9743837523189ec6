"""Variational autoencoder for 28x28 images, after pytorch/examples/vae/main.py (smaller).

``VAE`` samples the latent code only while training; in eval mode it decodes the mean, so
``model.eval()(x)`` is deterministic. ``SamplingVAE`` subclasses it and always samples
(exactly as the pytorch/examples version does), so its reconstruction is random even in eval
mode; only ``mu`` and ``logvar`` are deterministic there.
"""

import torch
from torch import nn
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self, latent_dim=8, hidden_dim=64):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)  # mu
        self.fc22 = nn.Linear(hidden_dim, latent_dim)  # log-variance
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        if self.training:
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std
        # at inference time use the mean of q(z|x)
        return mu

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class SamplingVAE(VAE):
    """Always draws z ~ N(mu, sigma^2), in training and in eval mode alike."""

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    # see Appendix B from VAE paper: Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


if __name__ == "__main__":
    data = torch.rand(2, 1, 28, 28)
    for cls in (VAE, SamplingVAE):
        model = cls().eval()
        with torch.no_grad():
            recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar)
        print(f"{cls.__name__}: recon {tuple(recon.shape)}, mu {tuple(mu.shape)}, loss {loss:.1f}")
