"""Adversarial loss for generative (Type III) operators: a small PatchGAN with hinge loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def patch_discriminator(width: int = 32) -> nn.Module:
    """Scores overlapping ~30 px patches of an image (B, 3, H, W) -> (B, 1, H/8, W/8)."""
    return nn.Sequential(
        nn.Conv2d(3, width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(4 * width, 1, 3, padding=1),
    )


class Adversary:
    """Discriminator and its optimizer; the generator term pushes outputs to look like real targets."""

    def __init__(self, lr: float = 2e-4, width: int = 32) -> None:
        self.net = patch_discriminator(width)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr, betas=(0.5, 0.999))

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """Hinge generator loss on the network output."""
        return -self.net(fake).mean()

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> float:
        """One hinge-loss update of the discriminator; returns its loss."""
        loss = F.relu(1.0 - self.net(real)).mean() + F.relu(1.0 + self.net(fake.detach())).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())
