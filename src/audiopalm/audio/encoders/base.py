"""The interface every speech encoder of the audio tokenizer implements.

An encoder maps 16 kHz audio to one feature vector per 40 ms (25 Hz), the rate of
AudioPaLM's audio tokens. The k-means quantizer then turns each vector into a token.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from audiopalm.audio.io import SAMPLE_RATE

TOKEN_RATE = 25  # Hz: one audio token per 40 ms, as in AudioPaLM
HOP = SAMPLE_RATE // TOKEN_RATE  # 640 samples per token


def num_tokens(num_samples: int) -> int:
    """Tokens for `num_samples` of 16 kHz audio: one per full 40 ms, at least one."""
    return max(1, num_samples // HOP)


def to_token_rate(frames: torch.Tensor, n: int) -> torch.Tensor:
    """frames [T', D] at any frame rate -> [n, D] by averaging (T' > n) or repeating (T' < n)."""
    if frames.shape[0] == n:
        return frames
    x = frames.T.unsqueeze(0)  # [1, D, T']
    x = F.adaptive_avg_pool1d(x, n) if frames.shape[0] > n else F.interpolate(x, size=n, mode="nearest")
    return x.squeeze(0).T.contiguous()


class Encoder(ABC):
    """Speech encoder: wav [T] float32 at 16 kHz -> features [num_tokens(T), dim] float32."""

    name: str  # key in ENCODERS, or "hf"
    dim: int  # feature dimension

    @abstractmethod
    def features(self, wav: np.ndarray) -> torch.Tensor:
        """wav [T] float32 at 16 kHz -> [num_tokens(T), dim] float32."""

    def features_batch(self, wavs: list[np.ndarray]) -> list[torch.Tensor]:
        """Many utterances; encoders override this when batching is faster."""
        return [self.features(w) for w in wavs]

    @abstractmethod
    def config(self) -> dict:
        """JSON-serialisable settings that, with `save`'s files, rebuild the encoder."""

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the encoder's weights (safetensors) or other files into `folder`."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, config: dict) -> Encoder:
        """Rebuild from `config()` and the files `save` wrote into `folder`."""
