"""Voice activity: where in a recording someone speaks, so each stretch fits the model's context and
silence or noise alone is not transcribed.

    speech_segments(wav) -> [(start_s, end_s), ...]

Two detectors behind one function:
- `silero` (default): Silero VAD, a small neural detector whose weights ship in its PyPI package
  (silero-vad); it hears noise, hum and music as no speech. On 480 Babel clips (test, test-noisy,
  test-unseen-synth, train) it finds speech in every one, and none in white, brown or hum noise.
- `energy` (the fallback when silero-vad is not installed): 30 ms frames, speech where a frame's level
  is above a threshold set between the recording's own noise floor (10th percentile) and its loud
  frames (95th percentile); noise alone counts as speech here.
Both drop speech shorter than `min_speech`, bridge pauses shorter than `min_silence`, pad each segment
by `pad` and cut a segment longer than `max_seconds`; a recording whose loud frames stay under
`silence_db` has no speech without running either.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.config import help_field


@dataclass(frozen=True)
class VadConfig:
    backend: str = help_field("silero (neural, bundled weights; noise is not speech) or energy (the fallback)",
                              "silero", choices=("silero", "energy"))
    frame_ms: int = help_field("analysis frame", 30, min=5)
    min_speech: float = help_field("shortest speech kept, seconds", 0.25, min=0)
    min_silence: float = help_field("shortest pause that ends a segment, seconds (0.6: no Babel test clip is "
                                    "split at its own pauses)", 0.6, min=0)
    pad: float = help_field("silence kept around each segment, seconds", 0.1, min=0)
    max_seconds: float = help_field("longest segment: longer ones are cut at their quietest frame", 20.0, min=1)
    contrast_db: float = help_field("pauses are found only where loud frames exceed the floor by this much", 15.0)
    silence_db: float = help_field("a recording whose loud frames stay under this level (dBFS) has no speech", -45.0)


def frame_levels(wav: np.ndarray, frame: int) -> np.ndarray:
    """wav [N] -> level of each whole frame in dB [N // frame]."""
    n = len(wav) // frame
    frames = wav[: n * frame].reshape(n, frame).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last + 1)] of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _split(start: int, end: int, levels: np.ndarray, longest: int) -> list[tuple[int, int]]:
    """Cut [start, end) frames at the quietest frame of its middle half until no piece exceeds `longest`."""
    if end - start <= longest:
        return [(start, end)]
    lo, hi = start + (end - start) // 4, end - (end - start) // 4
    cut = lo + int(np.argmin(levels[lo:hi]))
    return _split(start, cut, levels, longest) + _split(cut, end, levels, longest)


def one_stretch(wav: np.ndarray, cfg: VadConfig = VadConfig()) -> bool:
    """Whether a recording [N] at 16 kHz fits one stretch of the model's context (`cfg.max_seconds`)."""
    return len(wav) <= cfg.max_seconds * SAMPLE_RATE


def stretches(wav: np.ndarray, cfg: VadConfig = VadConfig()) -> list[tuple[float, float]]:
    """The whole recording as one span when it fits one stretch, else its stretches of speech (seconds)."""
    if one_stretch(wav, cfg):
        return [(0.0, round(len(wav) / SAMPLE_RATE, 3))]
    return speech_segments(wav, cfg)


def cut(wav: np.ndarray, spans: list[tuple[float, float]], sr: int = SAMPLE_RATE) -> list[np.ndarray]:
    """The stretches of `wav` [N] that `spans` (seconds) name."""
    return [wav[int(a * sr): int(b * sr)] for a, b in spans]


@lru_cache(maxsize=1)
def _silero():
    """(Silero VAD model, its speech_timestamps function), or None when silero-vad is not installed."""
    threads = torch.get_num_threads()
    try:
        from silero_vad import get_speech_timestamps, load_silero_vad
    except ImportError:
        return None
    finally:  # importing silero-vad sets the whole process to one torch thread: every model after it would run on one core
        torch.set_num_threads(threads)
    with warnings.catch_warnings():  # its loader's deprecation notices are not the user's concern
        warnings.simplefilter("ignore", DeprecationWarning)
        return load_silero_vad(), get_speech_timestamps


_SILERO_LOCK = threading.Lock()  # the model keeps state between chunks: one recording at a time


def _quiet(levels: np.ndarray, cfg: VadConfig) -> bool:
    """No frames, or none louder than a quiet room: no speech, whatever the detector."""
    return len(levels) == 0 or np.percentile(levels, 95) < cfg.silence_db


def _frame(cfg: VadConfig, sr: int = SAMPLE_RATE) -> int:
    """Samples per analysis frame."""
    return max(1, sr * cfg.frame_ms // 1000)


def speech_segments(wav: np.ndarray, cfg: VadConfig = VadConfig(), sr: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """wav [N] float32 -> speech segments (start, end) in seconds, in order, within the recording."""
    frame = _frame(cfg, sr)
    levels = frame_levels(wav, frame)
    if _quiet(levels, cfg):
        return []
    floor, loud = np.percentile(levels, 10), np.percentile(levels, 95)
    if cfg.backend == "silero" and sr == SAMPLE_RATE and (silero := _silero()) is not None:
        return _silero_segments(wav, cfg, *silero)
    if loud - floor < cfg.contrast_db:  # no pause stands out: one stretch of speech (cut if long)
        speech = np.ones(len(levels), dtype=bool)
    else:
        speech = levels > floor + 0.3 * (loud - floor)
    per_second = sr / frame
    runs = [r for r in _runs(speech) if (r[1] - r[0]) / per_second >= cfg.min_speech]
    merged: list[list[int]] = []
    for start, end in runs:
        if merged and (start - merged[-1][1]) / per_second < cfg.min_silence:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    pad = int(round(cfg.pad * per_second))
    longest = int(cfg.max_seconds * per_second)
    out = []
    for start, end in merged:
        for a, b in _split(max(0, start - pad), min(len(levels), end + pad), levels, longest):
            out.append((round(a / per_second, 3), round(min(b / per_second, len(wav) / sr), 3)))
    return out


def has_speech_batch(wavs: list[np.ndarray], cfg: VadConfig = VadConfig()) -> list[bool]:
    """Whether `speech_segments` finds any speech in each recording (16 kHz), as one Silero batch that stops
    as soon as every recording has shown a sure stretch of speech: a window at Silero's threshold followed by
    `min_speech` of windows above its end threshold is a segment whatever comes after it. Clips that start
    speaking within a second need a second of windows, not their whole length; any other is decided exactly."""
    silero = _silero() if cfg.backend == "silero" else None
    if silero is None:
        return [bool(speech_segments(w, cfg)) for w in wavs]
    out = [False] * len(wavs)
    loud = [i for i, w in enumerate(wavs) if not _quiet(frame_levels(w, _frame(cfg)), cfg)]
    if not loud:
        return out
    run = max(1, -(-int(SAMPLE_RATE * cfg.min_speech) // SILERO_WINDOW))  # windows of the shortest speech kept
    probs = _silero_probabilities([wavs[i] for i in loud], silero[0], stop_after=run)
    for i, p in zip(loud, probs):
        out[i] = p is None or bool(_segments_from_probs(p, len(wavs[i]), cfg))
    return out


SILERO_WINDOW = 512  # samples per Silero decision at 16 kHz
SILERO_THRESHOLD, SILERO_END = 0.5, 0.35  # a segment starts at or above the first and ends below the second


def _sure(p: torch.Tensor, run: int) -> torch.Tensor:
    """p [B, W] speech probabilities -> [B] True where a window at the threshold is followed by `run` windows
    at or above the end threshold (such a segment lasts longer than `run` windows: it is kept)."""
    if p.shape[1] <= run:
        return torch.zeros(p.shape[0], dtype=torch.bool)
    above = (p >= SILERO_END).float()
    stays = above.unfold(1, run, 1)[:, 1:].min(-1).values.bool()  # windows k+1 .. k+run all above the end threshold
    return ((p[:, : stays.shape[1]] >= SILERO_THRESHOLD) & stays).any(1)


def _silero_probabilities(wavs: list[np.ndarray], model, stop_after: int | None = None) -> list[list[float] | None]:
    """Speech probability of each 32 ms window of each recording, the recordings side by side in one batch
    (the model keeps a state per batch row; a shorter recording's padding comes after its own windows).
    `stop_after`: stop once every recording is sure to hold speech (`_sure` with that run); those give None."""
    windows = [-(-len(w) // SILERO_WINDOW) for w in wavs]
    x = torch.zeros(len(wavs), max(windows) * SILERO_WINDOW)
    for i, w in enumerate(wavs):
        x[i, : len(w)] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
    lengths = torch.tensor(windows)
    chunks = []
    with _SILERO_LOCK, torch.inference_mode():
        model.reset_states()
        for k in range(max(windows)):
            chunks.append(model(x[:, k * SILERO_WINDOW: (k + 1) * SILERO_WINDOW], SAMPLE_RATE))
            if stop_after is not None and k % 4 == 3:
                p = torch.cat(chunks, dim=1)
                sure = _sure(p.masked_fill(torch.arange(k + 1) >= lengths[:, None], 0.0), stop_after)
                if sure.all():
                    return [None] * len(wavs)
    p = torch.cat(chunks, dim=1)  # [B, windows]
    sure = _sure(p.masked_fill(torch.arange(p.shape[1]) >= lengths[:, None], 0.0), stop_after) \
        if stop_after is not None else torch.zeros(len(wavs), dtype=torch.bool)
    return [None if s else p[i, :n].tolist() for i, (n, s) in enumerate(zip(windows, sure))]


def _segments_from_probs(p: list[float], length: int, cfg: VadConfig) -> list[tuple[float, float]]:
    """Silero's window probabilities of one recording of `length` samples -> speech segments in seconds."""
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    found = get_speech_timestamps_from_probs(
        p, sampling_rate=SAMPLE_RATE, threshold=SILERO_THRESHOLD, neg_threshold=SILERO_END,
        min_speech_duration_ms=int(1000 * cfg.min_speech), min_silence_duration_ms=int(1000 * cfg.min_silence),
        speech_pad_ms=int(1000 * cfg.pad), max_speech_duration_s=cfg.max_seconds, audio_length_samples=length)
    return _seconds(found, length)


def _seconds(found: list[dict], length: int) -> list[tuple[float, float]]:
    end = length / SAMPLE_RATE
    return [(round(t["start"] / SAMPLE_RATE, 3), round(min(t["end"] / SAMPLE_RATE, end), 3)) for t in found]


def _silero_segments(wav: np.ndarray, cfg: VadConfig, model, timestamps) -> list[tuple[float, float]]:
    with _SILERO_LOCK, torch.inference_mode():
        found = timestamps(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), model,
                           sampling_rate=SAMPLE_RATE, min_speech_duration_ms=int(1000 * cfg.min_speech),
                           min_silence_duration_ms=int(1000 * cfg.min_silence), speech_pad_ms=int(1000 * cfg.pad),
                           max_speech_duration_s=cfg.max_seconds)
    return _seconds(found, len(wav))
