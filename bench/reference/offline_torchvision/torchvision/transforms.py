"""transforms.ToTensor, Normalize, Compose and Lambda on one uint8 image."""

import torch


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image


class ToTensor:
    """uint8 (H, W) or (H, W, C) in [0, 255] → float32 (C, H, W) in [0, 1]."""

    def __call__(self, image):
        x = torch.as_tensor(image, dtype=torch.float32) / 255.0
        return x[None] if x.dim() == 2 else x.permute(2, 0, 1)


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, x):
        return (x - self.mean) / self.std


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)
