"""Teacher network architectures, by name (catalogue in :mod:`distill.config`). Inputs are
(B, 1, H, W) images in [0, 1].

Each net works for any image size from 8x8 up (pooling adapts), so the same names serve
28x28 MNIST and the 8x8 ``digits`` set.
"""

from __future__ import annotations

import torch
from torch import nn


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class MLP(nn.Module):
    def __init__(self, image_shape: tuple[int, int], n_classes: int, hidden: int = 128):
        super().__init__()
        h, w = image_shape
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(h * w, hidden), nn.ReLU(),
                                 nn.Linear(hidden, n_classes))

    def forward(self, x):  # (B, 1, H, W) -> (B, C)
        return self.net(x)


class LeNet5(nn.Module):
    def __init__(self, image_shape: tuple[int, int], n_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AdaptiveAvgPool2d(14),  # (B, 6, 14, 14)
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),  # (B, 16, 5, 5)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
                                        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class SmallCNN(nn.Module):
    """Three conv-bn-relu blocks with max-pooling, dropout, one dense layer: the default
    teacher, accurate after seconds an epoch on a laptop (bench/results/speed.md). It keeps the
    flattened 3x3 map: global average pooling measured worse.
    """

    def __init__(self, image_shape: tuple[int, int], n_classes: int, width: int = 32):
        super().__init__()
        h, w = image_shape
        big = min(h, w) >= 16  # 28x28: pool after every block; 8x8 digits: pool once
        pool = lambda: nn.MaxPool2d(2) if big else nn.Identity()  # noqa: E731
        self.features = nn.Sequential(
            conv_bn(1, width), pool(),  # (B, w, 14, 14)
            conv_bn(width, 2 * width), pool(),  # (B, 2w, 7, 7)
            conv_bn(2 * width, 4 * width), nn.MaxPool2d(2),  # (B, 4w, 3, 3)
            nn.Flatten())
        cells = (h // 8) * (w // 8) if big else (h // 2) * (w // 2)
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(4 * width * cells, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out else
                     nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                   nn.BatchNorm2d(c_out)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


class SmallResNet(nn.Module):
    def __init__(self, image_shape: tuple[int, int], n_classes: int, width: int = 32):
        super().__init__()
        stride = 1 if min(image_shape) < 16 else 2
        self.features = nn.Sequential(
            conv_bn(1, width),
            ResidualBlock(width, width, 1),
            ResidualBlock(width, 2 * width, stride),  # (B, 2w, 14, 14)
            ResidualBlock(2 * width, 4 * width, 2),  # (B, 4w, 7, 7)
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * width, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


_BUILDERS = {"mlp": MLP, "lenet5": LeNet5, "cnn": SmallCNN, "resnet": SmallResNet}


def build_net(name: str, image_shape: tuple[int, int], n_classes: int) -> nn.Module:
    if name not in _BUILDERS:
        raise ValueError(f"unknown teacher {name!r}; choose one of: {', '.join(_BUILDERS)}")
    return _BUILDERS[name](tuple(image_shape), n_classes)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
