"""Speech rendering with espeak-ng, and additive noise for the noisy test condition."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from audiopalm.audio.io import SAMPLE_RATE, decode_wav_bytes, resample
from audiopalm.data.babel.speakers import Speaker
from audiopalm.errors import AudiopalmError

ESPEAK = "espeak-ng"
INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS)"


def check_espeak() -> str:
    """Path of espeak-ng, or an AudiopalmError that says how to install it."""
    path = shutil.which(ESPEAK)
    if path is None:
        raise AudiopalmError(f"espeak-ng was not found on PATH: {INSTALL_HINT}")
    return path


def synthesize(text: str, lang_voice: str, speaker: Speaker) -> np.ndarray:
    """Speak `text` -> wav [T] float32 at 16 kHz, peak at most 0.95."""
    cmd = [check_espeak(), *speaker.espeak_args(lang_voice), "--stdout"]
    # Text goes through stdin so that nothing in it can be read as an option.
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise AudiopalmError(f"espeak-ng failed for voice {speaker.voice(lang_voice)}: {proc.stderr.decode(errors='replace').strip()}")
    wav, sr = decode_wav_bytes(proc.stdout)
    wav = resample(wav, sr, SAMPLE_RATE)  # espeak-ng speaks at 22.05 kHz
    peak = float(np.abs(wav).max(initial=0.0))
    return wav * (0.95 / peak) if peak > 0.95 else wav


NOISE_KINDS = ("white", "pink", "brown")


def colored_noise(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise [n] with a 1/f^alpha spectrum: white (0), pink (1), brown (2)."""
    alpha = NOISE_KINDS.index(kind)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / freqs ** (alpha / 2), n)
    return (noise / (noise.std() + 1e-12)).astype(np.float32)


def add_noise(wav: np.ndarray, snr_db: float, rng: np.random.Generator, kind: str = "pink") -> np.ndarray:
    """wav [T] plus `kind` noise scaled to `snr_db` dB below the speech power; peak kept under 1."""
    speech_power = float(np.mean(wav**2)) + 1e-12
    noise = colored_noise(len(wav), kind, rng) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    mixed = wav + noise
    peak = float(np.abs(mixed).max(initial=0.0))
    return mixed * (0.95 / peak) if peak > 0.95 else mixed
