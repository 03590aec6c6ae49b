"""The MFCC baseline encoder: 13 MFCCs with deltas, four 10 ms frames stacked per 40 ms token."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.encoders.base import Encoder, num_tokens
from audiopalm.audio.features import FRAMES_PER_TOKEN, mfcc, stack_frames


class MfccEncoder(Encoder):
    """wav [T] -> [num_tokens(T), 4 * 39] MFCC frames; no learned weights."""

    name = "mfcc"

    def __init__(self, n_mfcc: int = 13):
        self.n_mfcc = n_mfcc
        self.dim = FRAMES_PER_TOKEN * 3 * n_mfcc

    @torch.inference_mode()
    def features(self, wav: np.ndarray) -> torch.Tensor:
        x = mfcc(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), self.n_mfcc)  # [frames, 39]
        return stack_frames(x, num_tokens(len(wav)))

    def config(self) -> dict:
        return {"n_mfcc": self.n_mfcc}

    def save(self, folder: Path) -> None:
        pass  # nothing learned: the config is the whole encoder

    @classmethod
    def load(cls, folder: Path, config: dict) -> MfccEncoder:
        return cls(**config)
