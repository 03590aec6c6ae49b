"""Log-mel and MFCC features in plain torch (no torchaudio).

Frames are 25 ms windows every 10 ms (100 Hz): four frames per 25 Hz audio token.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from audiopalm.audio.io import SAMPLE_RATE

N_FFT = 400  # 25 ms window at 16 kHz
HOP = 160  # 10 ms hop -> 100 frames per second
FRAMES_PER_TOKEN = 4  # 100 Hz / 25 Hz


def hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


FMIN = 20.0  # lowest edge of the first mel filter (Hz)


@lru_cache(maxsize=8)
def mel_filterbank(n_mels: int = 80, n_fft: int = N_FFT, sr: int = SAMPLE_RATE, fmin: float = FMIN,
                   fmax: float | None = None) -> torch.Tensor:
    """Triangular HTK-style mel filters [n_mels, n_fft // 2 + 1], each normalised to unit area."""
    fmax = fmax or sr / 2
    fb = _triangles(mel_to_hz(np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(fmax)), n_mels + 2)), n_fft, sr)
    return _cached_tensor(fb / (fb.sum(axis=1, keepdims=True) + 1e-10))


def _triangles(hz: np.ndarray, n_fft: int, sr: int) -> np.ndarray:
    """Triangular filters [len(hz) - 2, n_fft // 2 + 1] over FFT bins: filter i rises from hz[i] to its peak at
    hz[i + 1] and falls to hz[i + 2]."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lower, center, upper = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    return np.maximum(0.0, np.minimum((bins - lower) / (center - lower), (upper - bins) / (upper - center)))


def _cached_tensor(fb: np.ndarray) -> torch.Tensor:
    with torch.inference_mode(False):  # cached: must stay usable by autograd even if first built in inference mode
        return torch.from_numpy(fb.astype(np.float32)).clone()


def log_mel(wav: torch.Tensor, n_mels: int = 80, n_fft: int = N_FFT, hop: int = HOP) -> torch.Tensor:
    """wav [T] or [B, T] float32 at 16 kHz -> log-mel [frames, n_mels] or [B, frames, n_mels], frames = T // hop + 1."""
    window = torch.hann_window(n_fft, device=wav.device)
    spec = torch.stft(wav, n_fft, hop, window=window, center=True, return_complex=True)  # [..., F, frames]
    power = spec.real**2 + spec.imag**2
    mel = mel_filterbank(n_mels, n_fft).to(wav.device) @ power  # [..., n_mels, frames]
    return torch.log(mel + 1e-6).transpose(-1, -2)


def slaney_hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (the Auditory Toolbox's, librosa's default): linear below 1 kHz, log above."""
    f = np.asarray(f, dtype=np.float64)
    log_part = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log_part, f / (200.0 / 3))


def slaney_mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


@lru_cache(maxsize=4)
def slaney_filterbank(n_mels: int = 80, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> torch.Tensor:
    """Slaney-normalised mel filters [n_mels, n_fft // 2 + 1] from 0 Hz to Nyquist: Whisper's front end."""
    hz = slaney_mel_to_hz(np.linspace(slaney_hz_to_mel(0.0), slaney_hz_to_mel(sr / 2), n_mels + 2))
    return _cached_tensor(_triangles(hz, n_fft, sr) * (2.0 / (hz[2:, None] - hz[:-2, None])))  # equal area per filter


def whisper_log_mel(wav: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """wav [T] float32 at 16 kHz -> Whisper's normalised log-mel [T // hop, n_mels]: log10 power, the
    quietest values raised to 8 decades below the loudest, then scaled to about [-1, 1]."""
    window = torch.hann_window(N_FFT, device=wav.device)
    spec = torch.stft(wav, N_FFT, HOP, window=window, center=True, return_complex=True)[..., :-1]
    mel = slaney_filterbank(n_mels).to(wav.device) @ (spec.real**2 + spec.imag**2)  # [n_mels, frames]
    logs = mel.clamp_min(1e-10).log10()
    logs = torch.maximum(logs, logs.max() - 8.0)
    return ((logs + 4.0) / 4.0).transpose(-1, -2)


MEL_KINDS = ("log_mel", "whisper")  # front ends a speech encoder can read


def speech_features(wav: torch.Tensor, n_mels: int = 80, kind: str = "log_mel") -> torch.Tensor:
    """wav [T] -> log-mel [frames, n_mels] at 100 Hz of the given kind (see MEL_KINDS)."""
    if kind == "whisper":
        return whisper_log_mel(wav, n_mels)
    if kind == "log_mel":
        return log_mel(wav, n_mels)
    raise ValueError(f"unknown mel kind {kind!r}; choose from {', '.join(MEL_KINDS)}")


@lru_cache(maxsize=4)
def dct_matrix(n_mfcc: int, n_mels: int) -> torch.Tensor:
    """Orthonormal DCT-II [n_mels, n_mfcc]."""
    n = torch.arange(n_mels, dtype=torch.float64)
    k = torch.arange(n_mfcc, dtype=torch.float64)
    dct = torch.cos(math.pi / n_mels * (n[:, None] + 0.5) * k[None, :]) * math.sqrt(2.0 / n_mels)
    dct[:, 0] /= math.sqrt(2.0)
    return dct.float()


def deltas(x: torch.Tensor, width: int = 2) -> torch.Tensor:
    """Regression deltas over +-width frames: x [frames, D] -> [frames, D]."""
    padded = torch.cat([x[:1].expand(width, -1), x, x[-1:].expand(width, -1)])
    num = sum(k * (padded[width + k: width + k + len(x)] - padded[width - k: width - k + len(x)]) for k in range(1, width + 1))
    return num / (2 * sum(k * k for k in range(1, width + 1)))


def mfcc(wav: torch.Tensor, n_mfcc: int = 13, n_mels: int = 40) -> torch.Tensor:
    """wav [T] -> MFCC with deltas and delta-deltas [frames, 3 * n_mfcc], mean-normalised per utterance."""
    c = log_mel(wav, n_mels) @ dct_matrix(n_mfcc, n_mels)  # [frames, n_mfcc]
    c = c - c.mean(dim=0, keepdim=True)  # cepstral mean normalisation removes channel effects
    d = deltas(c)
    return torch.cat([c, d, deltas(d)], dim=1)


def stack_frames(x: torch.Tensor, n_tokens: int, k: int = FRAMES_PER_TOKEN) -> torch.Tensor:
    """[frames, D] at 100 Hz -> [n_tokens, k * D] at 25 Hz by concatenating k frames (padding the end)."""
    need = n_tokens * k
    if x.shape[0] < need:
        x = torch.cat([x, x[-1:].expand(need - x.shape[0], -1)])
    return x[:need].reshape(n_tokens, k * x.shape[1])
