"""Speech rendering with espeak-ng, MBROLA (through espeak-ng) and SVOX Pico, and additive noise
for the noisy test condition."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from audiopalm.audio.augment import NOISE_KINDS, add_noise  # noqa: F401  (the test-noisy condition)
from audiopalm.audio.io import SAMPLE_RATE, decode_wav_bytes, resample
from audiopalm.data.babel.speakers import Speaker
from audiopalm.errors import AudiopalmError

ESPEAK = "espeak-ng"
PICO = "pico2wave"
INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS)"
# MBROLA voices and Pico live in Debian's contrib and non-free sections; scripts/setup.sh enables them.
FAMILY_HINTS = {
    "mbrola": "install the voice with `apt-get install mbrola mbrola-{voice}` (Debian contrib/non-free; "
              "scripts/setup.sh does it)",
    "pico": "install it with `apt-get install libttspico-utils` (Debian non-free; scripts/setup.sh does it)",
}


def check_espeak() -> str:
    """Path of espeak-ng, or an AudiopalmError that says how to install it."""
    path = shutil.which(ESPEAK)
    if path is None:
        raise AudiopalmError(f"espeak-ng was not found on PATH: {INSTALL_HINT}")
    return path


MBROLA_DIRS = ("/usr/share/mbrola", "/usr/local/share/mbrola")  # where espeak-ng looks for voices


def check_family(speaker: Speaker) -> None:
    """An AudiopalmError naming the package when the speaker's synthesizer or voice is not installed."""
    if speaker.family == "pico" and shutil.which(PICO) is None:
        raise AudiopalmError(f"{PICO} was not found on PATH: {FAMILY_HINTS['pico']}")
    if speaker.family == "mbrola":
        hint = FAMILY_HINTS["mbrola"].format(voice=speaker.variant)
        if shutil.which("mbrola") is None:
            raise AudiopalmError(f"mbrola was not found on PATH: {hint}")
        if not any(os.path.exists(os.path.join(d, speaker.variant)) for d in MBROLA_DIRS):
            raise AudiopalmError(f"the MBROLA voice {speaker.variant} is not installed: {hint}")


@dataclass
class Rendered:
    wav: np.ndarray  # [T] float32 at 16 kHz, peak at most 0.95
    missing_diphones: int = 0  # MBROLA: diphones the voice lacks (each replaced by silence)


def _peak_normalise(wav: np.ndarray) -> np.ndarray:
    peak = float(np.abs(wav).max(initial=0.0))
    return wav * (0.95 / peak) if peak > 0.95 else wav


def _espeak(text: str, lang_voice: str, speaker: Speaker) -> Rendered:
    cmd = [check_espeak(), *speaker.espeak_args(lang_voice), "--stdout"]
    # Text goes through stdin so that nothing in it can be read as an option.
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, check=False)
    stderr = proc.stderr.decode(errors="replace")
    if proc.returncode != 0 or len(proc.stdout) <= 44:
        hint = f" ({FAMILY_HINTS['mbrola'].format(voice=speaker.variant)})" if speaker.family == "mbrola" else ""
        raise AudiopalmError(f"espeak-ng failed for voice {speaker.voice(lang_voice)}: {stderr.strip()}{hint}")
    wav, sr = decode_wav_bytes(proc.stdout)
    # espeak-ng speaks at 22.05 kHz, MBROLA voices at 16 kHz
    return Rendered(_peak_normalise(resample(wav, sr, SAMPLE_RATE)), stderr.count("unknown, replaced"))


def _pico(text: str, speaker: Speaker) -> Rendered:
    check_family(speaker)
    markup = f'<pitch level="{speaker.pitch}"><speed level="{speaker.speed}">{escape(text)}</speed></pitch>'
    fd, path = tempfile.mkstemp(suffix=".wav")  # pico2wave writes only to a named .wav file
    os.close(fd)
    try:
        proc = subprocess.run([PICO, "-l", speaker.variant, "-w", path, "--", markup], capture_output=True, check=False)
        with open(path, "rb") as f:
            data = f.read()
    finally:
        os.unlink(path)
    if proc.returncode != 0 or len(data) <= 44:
        raise AudiopalmError(f"pico2wave failed for voice {speaker.variant}: {proc.stderr.decode(errors='replace').strip()}")
    wav, sr = decode_wav_bytes(data)
    return Rendered(_peak_normalise(resample(wav, sr, SAMPLE_RATE)))


def render(text: str, lang: str, speaker: Speaker) -> Rendered:
    """Speak `text` in language `lang` (a Babel code) with `speaker`'s synthesizer."""
    from audiopalm.data.babel.languages import get_language

    if not speaker.covers(lang):
        raise AudiopalmError(f"speaker {speaker.id} does not speak {lang} (only {', '.join(speaker.languages)})")
    if speaker.family == "pico":
        return _pico(text, speaker)
    check_family(speaker)
    return _espeak(text, get_language(lang).espeak_voice, speaker)


def synthesize(text: str, lang: str, speaker: Speaker) -> np.ndarray:
    """Speak `text` in language `lang` -> wav [T] float32 at 16 kHz, peak at most 0.95."""
    return render(text, lang, speaker).wav
