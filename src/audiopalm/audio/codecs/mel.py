"""The built-in codec: residual vector quantisation of log-mel frames, and a Vocos-style vocoder.

    wav [N] 16 kHz -> log-mel [T, 80] at 50 Hz (two frames per 25 Hz semantic token)
      -> standardise -> residual quantiser: level k codes what levels < k left over -> codes [K, T]
    codes [K, T] -> sum of code vectors -> mel [T, 80]
      -> vocoder: ConvNeXt blocks -> log-magnitude and phase [T, n_fft/2+1] -> inverse STFT -> wav [N]

The quantiser is fitted level by level with k-means (no gradient training); the vocoder learns to
turn *quantised* mels into waveforms (recipes/codec.py), so it hears what the decoder will give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audiopalm.audio.codecs.base import Codec
from audiopalm.audio.features import log_mel
from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.folder import load_module, save_module


@dataclass(frozen=True)
class MelCodecConfig:
    n_mels: int = 80
    hop: int = 320  # 50 frames a second: two per 25 Hz semantic token
    win: int = 1024  # analysis window of the mel frames
    num_codebooks: int = 8  # residual levels
    codebook_size: int = 1024
    dim: int = 384  # vocoder width
    layers: int = 8  # vocoder ConvNeXt blocks
    n_fft: int = 1280  # vocoder synthesis window (four hops)


MEL_CODEC_PRESETS: dict[str, MelCodecConfig] = {
    "tiny": MelCodecConfig(num_codebooks=2, codebook_size=16, dim=32, layers=1),
    "small": MelCodecConfig(),
}


def codec_mel(wav: torch.Tensor, cfg: MelCodecConfig) -> torch.Tensor:
    """wav [N] or [B, N] -> log-mel [T, n_mels] or [B, T, n_mels], T = N // hop + 1."""
    return log_mel(wav, cfg.n_mels, cfg.win, cfg.hop)


class ResidualQuantizer(nn.Module):
    """K codebooks over standardised mel frames; level k quantises the residual of levels < k."""

    def __init__(self, cfg: MelCodecConfig):
        super().__init__()
        self.register_buffer("mean", torch.zeros(cfg.n_mels))
        self.register_buffer("std", torch.ones(cfg.n_mels))
        self.register_buffer("codebooks", torch.zeros(cfg.num_codebooks, cfg.codebook_size, cfg.n_mels))

    def encode(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [T, n_mels] -> codes [K, T]."""
        residual = (mel - self.mean) / self.std
        codes = []
        for book in self.codebooks:  # [C, n_mels]
            d = (residual**2).sum(-1, keepdim=True) - 2 * residual @ book.T + (book**2).sum(-1)  # [T, C]
            idx = d.argmin(-1)
            codes.append(idx)
            residual = residual - book[idx]
        return torch.stack(codes)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [K', T] or [B, K', T] (the first K' <= K levels) -> mel [T, n_mels] or [B, T, n_mels]."""
        z = sum(self.codebooks[k][codes[..., k, :]] for k in range(codes.shape[-2]))
        return z * self.std + self.mean


def fit_residual_quantizer(frames: torch.Tensor, cfg: MelCodecConfig, seed: int = 0, iters: int = 20) -> ResidualQuantizer:
    """frames [N, n_mels] -> a quantizer fitted with k-means, one level at a time on the residuals."""
    import faiss

    q = ResidualQuantizer(cfg)
    q.mean.copy_(frames.mean(0))
    q.std.copy_(frames.std(0).clamp_min(1e-3))
    residual = ((frames - q.mean) / q.std).float().numpy().astype(np.float32)
    for k in range(cfg.num_codebooks):
        km = faiss.Kmeans(cfg.n_mels, cfg.codebook_size, niter=iters, seed=seed + k, verbose=False)
        km.train(residual)
        _, idx = km.index.search(residual, 1)
        q.codebooks[k] = torch.from_numpy(km.centroids)
        residual = residual - km.centroids[idx[:, 0]]
    return q


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, layer_scale: float):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, 3 * dim)
        self.down = nn.Linear(3 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, dim, T] -> [B, dim, T]."""
        h = self.dwconv(x).transpose(1, 2)
        h = self.down(nn.functional.gelu(self.up(self.norm(h))))
        return x + (self.gamma * h).transpose(1, 2)


class Vocoder(nn.Module):
    """Mel frames -> STFT magnitude and phase -> waveform (Vocos): no upsampling layers, one inverse STFT."""

    def __init__(self, cfg: MelCodecConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Conv1d(cfg.n_mels, cfg.dim, 7, padding=3)
        self.norm = nn.LayerNorm(cfg.dim)
        self.blocks = nn.ModuleList(ConvNeXtBlock(cfg.dim, 1.0 / cfg.layers) for _ in range(cfg.layers))
        self.final_norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.n_fft + 2)  # log-magnitude and phase for n_fft/2+1 bins
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, T, n_mels] (standardised or not: the first conv learns the scale) -> wav [B, (T-1) * hop]."""
        x = self.embed(mel.transpose(1, 2))
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        out = self.head(self.final_norm(x.transpose(1, 2))).float()  # [B, T, n_fft + 2]
        log_mag, phase = out.chunk(2, dim=-1)
        spec = torch.polar(log_mag.clamp(max=6.0).exp(), phase).transpose(1, 2)  # [B, F, T]
        return torch.istft(spec, self.cfg.n_fft, self.cfg.hop, self.cfg.n_fft, self.window, center=True)


class MelCodec(Codec, nn.Module):
    def __init__(self, cfg: MelCodecConfig, quantizer: ResidualQuantizer | None = None, vocoder: Vocoder | None = None):
        nn.Module.__init__(self)
        self.cfg = cfg
        self.quantizer = quantizer or ResidualQuantizer(cfg)
        self.vocoder = vocoder or Vocoder(cfg)
        self.num_codebooks, self.codebook_size = cfg.num_codebooks, cfg.codebook_size
        self.frame_rate = SAMPLE_RATE / cfg.hop

    def normalised(self, mel: torch.Tensor) -> torch.Tensor:
        return (mel - self.quantizer.mean) / self.quantizer.std

    @torch.inference_mode()
    def encode(self, wav: np.ndarray) -> torch.Tensor:
        return self.quantizer.encode(codec_mel(torch.as_tensor(np.asarray(wav, np.float32)), self.cfg))

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor) -> np.ndarray:
        return self.vocode(self.frames(codes))

    @torch.inference_mode()
    def log_mel(self, wav: np.ndarray) -> torch.Tensor:
        """wav [N] at 16 kHz -> its own standardised log-mel [T, n_mels] (unquantised): what `frames` approximates."""
        return self.normalised(codec_mel(torch.as_tensor(np.asarray(wav, np.float32)), self.cfg))

    def frames(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [K, T] -> standardised log-mel [T, n_mels]: what the vocoder reads."""
        return self.normalised(self.quantizer.decode(codes.long()))

    @torch.inference_mode()
    def vocode(self, mel: torch.Tensor) -> np.ndarray:
        """Standardised log-mel [T, n_mels] -> wav [(T - 1) * hop] float32 at 16 kHz."""
        return self.vocoder(mel.float()[None])[0].clamp(-1, 1).numpy().astype(np.float32)

    def save_pretrained(self, folder: str | Path) -> None:
        save_module(folder, self, "mel", self.cfg)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> MelCodec:
        return load_module(folder, cls, MelCodecConfig)
