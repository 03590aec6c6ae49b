"""Reading and writing 16 kHz mono audio; files are written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audiopalm.errors import AudiopalmError, first_line

SAMPLE_RATE = 16_000  # Hz: every model in audiopalm reads and writes 16 kHz mono


MIN_SECONDS = 0.04  # one 25 Hz token; anything shorter cannot be tokenized
MAX_CHANNELS = 8
MAX_DC = 0.01  # mean sample value above which `level` removes the offset
MAX_SECONDS = 4 * 3600.0  # longest file `load_audio` reads (a 4-hour recording is 0.9 GB as float32)
RATE_RANGE = (1_000, 384_000)  # sample rates a real recording can have, in Hz
OUTPUT_FORMATS = {".wav": "WAV", ".flac": "FLAC"}  # what `write_wav` writes, by suffix


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


def load_audio(path: str | Path, sr: int = SAMPLE_RATE, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Read wav/flac/ogg/mp3 -> wav [T] float32 mono at `sr`, peak at most 1.

    Raises AudioError (one line, naming the file) for what is not a regular file, unreadable,
    empty, too short, too long, at an impossible sample rate, or non-finite.
    """
    path = Path(path)
    if not path.is_file():  # a FIFO or device would block or never end
        raise AudioError(f"{path}: {'not found' if not path.exists() else 'not a regular file'}")
    return _read(str(path), str(path), sr, max_seconds)


def load_audio_bytes(data: bytes, name: str = "upload", sr: int = SAMPLE_RATE,
                     max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """`load_audio` of a file's bytes (an upload), any format soundfile reads."""
    return _read(io.BytesIO(data), name, sr, max_seconds)


def _check_header(source, name: str, max_seconds: float) -> None:
    """Refuse, before reading any samples, a file whose header promises an impossible rate or too much audio."""
    info = sf.info(source)
    if isinstance(source, io.BytesIO):
        source.seek(0)
    if not RATE_RANGE[0] <= info.samplerate <= RATE_RANGE[1]:
        raise AudioError(f"{name}: sample rate {info.samplerate} Hz is outside {RATE_RANGE[0]}-{RATE_RANGE[1]} Hz")
    if info.frames > max_seconds * info.samplerate:
        raise AudioError(f"{name}: {info.frames / info.samplerate:.0f} s of audio, more than the {max_seconds:.0f} s "
                         "limit")


def _read(source, name: str, sr: int, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    try:
        _check_header(source, name, max_seconds)
        wav, file_sr = sf.read(source, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except Exception as e:  # soundfile raises several types for corrupt or unknown files
        raise AudioError(f"{name}: cannot read audio ({first_line(e)})") from None
    wav = to_mono(wav, name)
    check_wav(wav, file_sr, name)
    return level(resample(wav, file_sr, sr))


def level(wav: np.ndarray) -> np.ndarray:
    """What every input goes through, file or array: a DC offset over 1% of full scale is removed (a
    faulty recorder's; clean audio is left bit-identical), and a peak above full scale is scaled to 1."""
    offset = float(wav.mean())
    if abs(offset) > MAX_DC:
        wav = wav - np.float32(offset)
    peak = float(np.abs(wav).max())
    return wav / np.float32(peak) if peak > 1.0 else wav


def resample(wav: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """wav [T] float32 at sr_in -> [T * sr_out / sr_in] float32 at sr_out."""
    if sr_in == sr_out:
        return wav.astype(np.float32, copy=False)
    return soxr.resample(wav, sr_in, sr_out, quality="HQ").astype(np.float32)


def decode_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """WAV bytes -> (wav [T] float32 mono, sample rate)."""
    wav, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return to_mono(wav, "audio bytes"), sr


def check_output(path: str | Path, inputs: tuple[str | Path | None, ...] = ()) -> Path:
    """Refuse, with one line, an audio output that `write_wav` cannot write or must not replace: an
    unknown suffix, something that exists and is not a regular file (a device, a folder), or one of
    the request's `inputs`."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise AudiopalmError(f"{path}: cannot write {path.suffix or 'a file without a suffix'}; "
                             f"name it {' or '.join(OUTPUT_FORMATS)}")
    if path.exists() and not path.is_file():
        raise AudiopalmError(f"{path}: exists and is not a regular file; choose another output")
    for source in inputs:
        if source is not None and path.exists() and Path(source).exists() and path.samefile(source):
            raise AudiopalmError(f"{path}: is also the input {source}; choose another output")
    return path


def write_wav(path: str | Path, wav: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """Write wav [T] float in [-1, 1] as 16-bit PCM, WAV or FLAC by the file's suffix (`check_output`);
    a crash never leaves a partial file at `path`, and a failed write leaves no temporary file."""
    path = check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        sf.write(tmp, np.clip(wav, -1.0, 1.0), sr, subtype="PCM_16", format=OUTPUT_FORMATS[path.suffix.lower()])
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def duration(path: str | Path) -> float:
    """Length of an audio file in seconds, read from its header."""
    return sf.info(str(path)).duration
