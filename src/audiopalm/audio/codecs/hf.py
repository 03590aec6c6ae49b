"""Pretrained neural codecs from Hugging Face `transformers`: EnCodec, DAC and Mimi.

    codec = HfCodec("facebook/encodec_24khz", num_codebooks=8)   # or a local folder
    codes = codec.encode(wav16k)       # [K, T] at the model's frame rate (75 Hz for EnCodec 24 kHz)
    wav16k = codec.decode(codes)

Audio is resampled from 16 kHz to the codec's rate and back. The three models differ only in how
their encode/decode calls are spelled; `_BACKENDS` holds the differences.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.codecs.base import Codec
from audiopalm.audio.io import SAMPLE_RATE, resample
from audiopalm.errors import AudiopalmError

SUBFOLDER = "hf"


def _encodec_encode(model, x: torch.Tensor, k: int) -> torch.Tensor:
    bandwidths = sorted(model.config.target_bandwidths)
    per_level = bandwidths[0] / _encodec_levels(model, bandwidths[0])
    bandwidth = next((b for b in bandwidths if b / per_level >= k - 1e-6), bandwidths[-1])
    return model.encode(x, bandwidth=bandwidth).audio_codes[0, 0, :k]  # [chunks=1, B, K, T] -> [K, T]


def _encodec_levels(model, bandwidth: float) -> int:
    """Residual levels EnCodec uses at `bandwidth` kbps: bandwidth * 1000 / (frame rate * log2 codebook)."""
    frame_rate = model.config.sampling_rate / math.prod(model.config.upsampling_ratios)
    return int(bandwidth * 1000 // (frame_rate * math.log2(model.config.codebook_size)))


_BACKENDS = {
    "encodec": dict(
        encode=_encodec_encode,
        decode=lambda model, codes: model.decode(codes[None, None], [None]).audio_values[0, 0],
        levels=lambda model: _encodec_levels(model, max(model.config.target_bandwidths)),
        hop=lambda cfg: math.prod(cfg.upsampling_ratios),
    ),
    "dac": dict(
        encode=lambda model, x, k: model.encode(x, n_quantizers=k).audio_codes[0, :k],
        decode=lambda model, codes: model.decode(audio_codes=codes[None]).audio_values[0],
        levels=lambda model: model.config.n_codebooks,
        hop=lambda cfg: math.prod(cfg.downsampling_ratios),
    ),
    "mimi": dict(
        encode=lambda model, x, k: model.encode(x, num_quantizers=k).audio_codes[0, :k],
        decode=lambda model, codes: model.decode(codes[None]).audio_values[0, 0],
        levels=lambda model: model.config.num_quantizers,
        hop=lambda cfg: cfg.sampling_rate / cfg.frame_rate,
    ),
}


class HfCodec(Codec):
    def __init__(self, source: str | Path, num_codebooks: int | None = None):
        from transformers import AutoConfig, AutoModel
        self.source = str(source)
        config = AutoConfig.from_pretrained(self.source)
        if config.model_type not in _BACKENDS:
            raise AudiopalmError(f"{source}: codec type {config.model_type!r} is not one of {', '.join(_BACKENDS)}")
        self.backend = _BACKENDS[config.model_type]
        self.model = AutoModel.from_pretrained(self.source, use_safetensors=True).eval()
        available = self.backend["levels"](self.model)
        self.num_codebooks = num_codebooks or available
        if not 1 <= self.num_codebooks <= available:
            raise AudiopalmError(f"{source}: {self.num_codebooks} codebooks asked, the codec has {available}")
        self.codebook_size = config.codebook_size
        self.sample_rate = config.sampling_rate
        self.frame_rate = self.sample_rate / self.backend["hop"](config)

    @torch.inference_mode()
    def encode(self, wav: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(resample(np.asarray(wav, np.float32), SAMPLE_RATE, self.sample_rate))
        return self.backend["encode"](self.model, x[None, None], self.num_codebooks).long()

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor) -> np.ndarray:
        wav = self.backend["decode"](self.model, codes.long()).float().numpy()
        return resample(wav, self.sample_rate, SAMPLE_RATE).astype(np.float32)

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        self.model.save_pretrained(folder / SUBFOLDER)
        (folder / "config.json").write_text(json.dumps({"type": "hf", "num_codebooks": self.num_codebooks}, indent=2))
