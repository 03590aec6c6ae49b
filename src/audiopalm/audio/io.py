"""Reading and writing 16 kHz mono audio; files are written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audiopalm.errors import AudiopalmError

SAMPLE_RATE = 16_000  # Hz: every model in audiopalm reads and writes 16 kHz mono


MIN_SECONDS = 0.04  # one 25 Hz token; anything shorter cannot be tokenized
MAX_CHANNELS = 8


class AudioError(AudiopalmError):
    """An audio input that cannot be used, with the reason."""


def check_wav(wav: np.ndarray, sr: int, name: str = "audio") -> None:
    """Raise AudioError for empty, too short, non-finite or oddly shaped audio."""
    if wav.ndim != 1:
        raise AudioError(f"{name}: expected mono audio [T], got shape {tuple(wav.shape)}")
    if wav.size == 0:
        raise AudioError(f"{name}: empty audio")
    if wav.size < MIN_SECONDS * sr:
        raise AudioError(f"{name}: too short ({1000 * wav.size / sr:.1f} ms < {1000 * MIN_SECONDS:.0f} ms)")
    if not np.isfinite(wav).all():
        raise AudioError(f"{name}: contains NaN or Inf samples")


def to_mono(wav: np.ndarray, name: str = "audio") -> np.ndarray:
    """[T] or [T, C] (soundfile's layout) -> [T] by averaging channels."""
    if wav.ndim == 1:
        return wav
    if wav.ndim != 2 or not 1 <= wav.shape[1] <= MAX_CHANNELS:
        raise AudioError(f"{name}: expected [T] or [T, C<= {MAX_CHANNELS}] audio, got shape {tuple(wav.shape)}")
    return wav.mean(axis=1)


def load_audio(path: str | Path, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Read wav/flac/ogg/mp3 -> wav [T] float32 mono at `sr`, peak at most 1.

    Raises AudioError (one line, naming the file) for unreadable, empty, too short or
    non-finite audio.
    """
    return _read(str(path), str(path), sr)


def load_audio_bytes(data: bytes, name: str = "upload", sr: int = SAMPLE_RATE) -> np.ndarray:
    """`load_audio` of a file's bytes (an upload), any format soundfile reads."""
    return _read(io.BytesIO(data), name, sr)


def _read(source, name: str, sr: int) -> np.ndarray:
    try:
        wav, file_sr = sf.read(source, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types for corrupt or unknown files
        raise AudioError(f"{name}: cannot read audio ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    wav = to_mono(wav, name)
    check_wav(wav, file_sr, name)
    wav = resample(wav, file_sr, sr)
    peak = float(np.abs(wav).max())
    return wav / peak if peak > 1.0 else wav


def resample(wav: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """wav [T] float32 at sr_in -> [T * sr_out / sr_in] float32 at sr_out."""
    if sr_in == sr_out:
        return wav.astype(np.float32, copy=False)
    return soxr.resample(wav, sr_in, sr_out, quality="HQ").astype(np.float32)


def decode_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """WAV bytes -> (wav [T] float32 mono, sample rate)."""
    wav, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return to_mono(wav, "audio bytes"), sr


def write_wav(path: str | Path, wav: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """Write wav [T] float in [-1, 1] as 16-bit PCM, WAV or FLAC by the file's suffix; a crash never
    leaves a partial file at `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fmt = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    sf.write(tmp, np.clip(wav, -1.0, 1.0), sr, subtype="PCM_16", format=fmt)
    os.replace(tmp, path)


def duration(path: str | Path) -> float:
    """Length of an audio file in seconds, read from its header."""
    return sf.info(str(path)).duration
