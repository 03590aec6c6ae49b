"""Discriminators for adversarial vocoder training (HiFi-GAN's multi-period, Vocos's multi-resolution).

    wav [B, N] -> period p: [B, 1, N/p, p] -> 2-D convs over time, one column per phase -> logits
               -> STFT (n_fft, hop): log-magnitude [B, 1, T, F] -> 2-D convs over time and frequency -> logits

Each returns its logits and the activations of every layer (for the feature-matching loss). The losses are
hinge losses, as in Vocos: the discriminator pushes real logits above 1 and generated ones below -1.
Spectral losses alone leave a vocoder's phase and fine structure buzzy; these judge the waveform itself.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

Logits = tuple[torch.Tensor, list[torch.Tensor]]  # logits [B, ...], activations of each layer

PERIODS = (2, 3, 5, 7, 11)
RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (n_fft, hop)


def convolve(convs: nn.ModuleList, post: nn.Module, x: torch.Tensor) -> Logits:
    """An image [B, 1, H, W] through each conv (leaky ReLU after each), then the last -> logits [B, -1], activations."""
    feats = []
    for conv in convs:
        x = nn.functional.leaky_relu(conv(x), 0.1)
        feats.append(x)
    x = post(x)
    return x.flatten(1), [*feats, x]


class PeriodDiscriminator(nn.Module):
    """Samples p apart, as a 2-D image [N/p, p]: convolutions along time see each phase of period p."""

    def __init__(self, period: int, channels: tuple[int, ...] = (16, 64, 128, 128)):
        super().__init__()
        self.period = period
        widths = (1, *channels)
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(a, b, (5, 1), (3, 1) if i < len(channels) - 1 else 1, padding=(2, 0)))
            for i, (a, b) in enumerate(zip(widths, widths[1:])))
        self.post = weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wav: torch.Tensor) -> Logits:
        """wav [B, N] -> logits [B, T' * p], activations."""
        pad = (-wav.shape[-1]) % self.period
        x = nn.functional.pad(wav[:, None], (0, pad), mode="reflect") if pad else wav[:, None]
        return convolve(self.convs, self.post, x.view(x.shape[0], 1, -1, self.period))


class SpectrogramDiscriminator(nn.Module):
    """The log-magnitude STFT at one resolution as an image [T, F]."""

    def __init__(self, n_fft: int, hop: int, channels: int = 16):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.convs = nn.ModuleList([
            weight_norm(nn.Conv2d(1, channels, (3, 9), padding=(1, 4))),
            *(weight_norm(nn.Conv2d(channels, channels, (3, 9), (1, 2), padding=(1, 4))) for _ in range(3)),
            weight_norm(nn.Conv2d(channels, channels, (3, 3), padding=(1, 1))),
        ])
        self.post = weight_norm(nn.Conv2d(channels, 1, (3, 3), padding=(1, 1)))

    def forward(self, wav: torch.Tensor) -> Logits:
        """wav [B, N] -> log-magnitude [B, 1, T, F] -> logits [B, T * F'], activations."""
        spec = torch.stft(wav.float(), self.n_fft, self.hop, window=self.window, return_complex=True)
        return convolve(self.convs, self.post, spec.abs().clamp_min(1e-5).log().transpose(1, 2)[:, None])


class Discriminators(nn.Module):
    """Every period and every resolution; `forward` returns one (logits, activations) per discriminator."""

    def __init__(self, periods: tuple[int, ...] = PERIODS, resolutions: tuple[tuple[int, int], ...] = RESOLUTIONS):
        super().__init__()
        self.discs = nn.ModuleList([*(PeriodDiscriminator(p) for p in periods),
                                    *(SpectrogramDiscriminator(n, h) for n, h in resolutions)])

    def forward(self, wav: torch.Tensor) -> list[Logits]:
        return [d(wav) for d in self.discs]


def discriminator_loss(real: list[Logits], fake: list[Logits]) -> torch.Tensor:
    """Hinge loss of the discriminators on real and (detached) generated audio, mean over discriminators."""
    losses = [torch.relu(1 - r).mean() + torch.relu(1 + f).mean() for (r, _), (f, _) in zip(real, fake)]
    return torch.stack(losses).mean()


def generator_losses(real: list[Logits], fake: list[Logits]) -> tuple[torch.Tensor, torch.Tensor]:
    """(adversarial hinge loss, feature-matching L1) of generated audio, mean over discriminators.

    `real`'s activations are targets (detached here); `fake` must come from discriminators whose
    parameters take no gradient from this loss."""
    adversarial = torch.stack([torch.relu(1 - f).mean() for f, _ in fake]).mean()
    matching = [torch.stack([(a.detach() - b).abs().mean() for a, b in zip(rf, ff)]).mean()
                for (_, rf), (_, ff) in zip(real, fake)]
    return adversarial, torch.stack(matching).mean()
