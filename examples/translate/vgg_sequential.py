"""A small VGG for 32x32 images (CIFAR-10 sized), built like torchvision's ``vgg.py``.

The feature extractor is assembled from a configuration list: numbers are conv widths and
``"M"`` is a 2x2 max pool. Each conv is followed by BatchNorm and an in-place ReLU.
"""

import torch
from torch import nn

cfgs = {
    "S": [16, "M", 32, "M", 64, 64, "M"],
    "M": [32, 32, "M", 64, 64, "M", 128, 128, "M"],
}


def make_layers(cfg, batch_norm=True, in_channels=3):
    layers = []
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGGSmall(nn.Module):
    def __init__(self, cfg="S", num_classes=10, init_weights=True):
        super().__init__()
        self.features = make_layers(cfgs[cfg], batch_norm=True)
        last_channels = [v for v in cfgs[cfg] if v != "M"][-1]
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Linear(last_channels, 64),
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(64, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


if __name__ == "__main__":
    net = VGGSmall()
    net.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        y = net(x)
    print(f"VGGSmall output: {tuple(y.shape)}")
