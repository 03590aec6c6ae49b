"""AudioTokenizer: a speech encoder plus a k-means codebook, 16 kHz audio -> tokens at 25 Hz.

    tok = AudioTokenizer.from_pretrained("runs/tok-ctc")
    tokens = tok.encode("utt.wav")            # LongTensor [T], T = seconds * 25
    tok.save_pretrained("elsewhere")

A tokenizer folder holds config.json, codebook.safetensors (centroids and feature
standardisation) and the encoder's own files; nothing is pickled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from audiopalm.audio.encoders import TOKEN_RATE, Encoder, encoder_class
from audiopalm.audio.io import MAX_SECONDS, SAMPLE_RATE, AudioError, check_wav, level, load_audio, to_mono
from audiopalm.audio.kmeans import assign, fit_kmeans
from audiopalm.errors import AudiopalmError

FORMAT = "audiopalm-audio-tokenizer"
AudioInput = str | Path | np.ndarray | torch.Tensor


def as_wav(audio: AudioInput, name: str = "audio") -> np.ndarray:
    """A path (any soundfile format, any rate) or a float array at 16 kHz -> wav [T] float32."""
    if isinstance(audio, (str, Path)):
        return load_audio(audio)
    wav = audio.detach().cpu().numpy() if isinstance(audio, torch.Tensor) else np.asarray(audio)
    if not np.issubdtype(wav.dtype, np.floating):
        raise AudioError(f"{name}: expected float samples in [-1, 1] at 16 kHz, got dtype {wav.dtype}")
    wav = to_mono(wav.astype(np.float32, copy=False), name)
    if len(wav) > MAX_SECONDS * SAMPLE_RATE:  # before any pass over the samples
        raise AudioError(f"{name}: {len(wav) / SAMPLE_RATE:.0f} s of audio, more than the {MAX_SECONDS:.0f} s limit")
    check_wav(wav, SAMPLE_RATE, name)
    return level(wav)


def dedup(tokens: torch.Tensor) -> torch.Tensor:
    """Run-length de-duplication: [5, 5, 9, 9, 9, 5] -> [5, 9, 5]."""
    return torch.unique_consecutive(tokens)


class AudioTokenizer:
    """encoder features [T, D] -> standardise -> nearest of K centroids -> tokens [T] in 0..K-1."""

    def __init__(self, encoder: Encoder, centroids: torch.Tensor, mean: torch.Tensor, std: torch.Tensor):
        self.encoder = encoder
        self.centroids = centroids.float()  # [K, D] in standardised feature space
        self.mean, self.std = mean.float(), std.float()  # [D]
        self._centroid_sq = (self.centroids**2).sum(dim=1)

    @property
    def codebook_size(self) -> int:
        return self.centroids.shape[0]

    # --- fitting ---------------------------------------------------------------------------
    @classmethod
    def fit(cls, encoder: Encoder, wavs: Iterable[np.ndarray], codebook_size: int = 1024,
            max_frames: int = 200_000, seed: int = 0, batch_size: int = 16) -> AudioTokenizer:
        """Run the encoder over `wavs` (up to `max_frames` frames) and fit k-means on them."""
        frames, total, batch = [], 0, []
        for wav in wavs:
            batch.append(wav)
            if len(batch) == batch_size:
                frames += encoder.features_batch(batch)
                total += sum(len(f) for f in frames[-batch_size:])
                batch = []
            if total >= max_frames:
                break
        if batch and total < max_frames:
            frames += encoder.features_batch(batch)
        x = torch.cat(frames)[:max_frames]  # [N, D]
        mean, std = x.mean(dim=0), x.std(dim=0).clamp_min(1e-5)
        centroids = fit_kmeans(((x - mean) / std).numpy(), codebook_size, seed=seed)
        return cls(encoder, torch.from_numpy(centroids), mean, std)

    # --- encoding ------------------------------------------------------------------------------
    def quantize(self, features: torch.Tensor) -> torch.Tensor:
        """features [T, D] -> tokens [T] int64."""
        return assign((features - self.mean) / self.std, self.centroids, self._centroid_sq)

    def encode(self, audio: AudioInput, dedup_runs: bool = False) -> torch.Tensor:
        """One utterance (path, or float array at 16 kHz) -> LongTensor [T] at 25 Hz."""
        return self.encode_batch([audio], dedup_runs)[0]

    def encode_batch(self, audios: list[AudioInput], dedup_runs: bool = False) -> list[torch.Tensor]:
        """Many utterances at once (the encoder batches them); raises AudioError on the first bad one."""
        wavs = [as_wav(a, str(a) if isinstance(a, (str, Path)) else f"audio[{i}]") for i, a in enumerate(audios)]
        tokens = [self.quantize(f) for f in self.encoder.features_batch(wavs)]
        return [dedup(t) if dedup_runs else t for t in tokens]

    # --- persistence -----------------------------------------------------------------------
    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save(folder)
        save_file({"centroids": self.centroids.contiguous(), "mean": self.mean, "std": self.std},
                  str(folder / "codebook.safetensors"))
        config = {
            "format": FORMAT,
            "version": 1,
            "encoder": {"name": self.encoder.name, "config": self.encoder.config()},
            "codebook_size": self.codebook_size,
            "dim": int(self.centroids.shape[1]),
            "token_rate": TOKEN_RATE,
            "sample_rate": SAMPLE_RATE,
        }
        (folder / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> AudioTokenizer:
        folder = Path(folder)
        config_path = folder / "config.json"
        if not config_path.exists():
            raise AudiopalmError(f"{folder} is not an audio tokenizer folder (no config.json)")
        config = json.loads(config_path.read_text())
        if config.get("format") != FORMAT:
            raise AudiopalmError(f"{config_path} is not an audiopalm audio tokenizer config")
        encoder = encoder_class(config["encoder"]["name"]).load(folder, config["encoder"]["config"])
        tensors = load_file(str(folder / "codebook.safetensors"))
        tensors = {k: v.float() for k, v in tensors.items()}  # stored in fp16 in bundles
        return cls(encoder, tensors["centroids"], tensors["mean"], tensors["std"])
