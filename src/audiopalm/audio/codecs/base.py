"""The acoustic codec interface: a 16 kHz waveform <-> discrete codes [K, T] (K residual levels).

Speech output needs two token streams: the LM's 25 Hz semantic tokens say *what* is said; a codec's
acoustic tokens say *how* it sounds (voice, pitch, channel). Level 0 is the coarsest; each further
level quantises what the previous ones left over.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch


class Codec(ABC):
    num_codebooks: int  # K residual levels
    codebook_size: int  # codes per level
    frame_rate: float  # code frames per second

    @abstractmethod
    def encode(self, wav: np.ndarray) -> torch.Tensor:
        """wav [N] float32 at 16 kHz -> codes [K, T] int64."""

    @abstractmethod
    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """codes [K, T] -> wav [N] float32 at 16 kHz."""

    @abstractmethod
    def save_pretrained(self, folder: str | Path) -> None:
        """Write the codec into `folder` (config.json + safetensors)."""
