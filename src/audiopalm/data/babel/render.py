"""Speech rendering with espeak-ng, MBROLA (through espeak-ng), SVOX Pico, Flite and Festival, and additive
noise for the noisy test condition."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from audiopalm.audio.augment import NOISE_KINDS, add_noise  # noqa: F401  (the test-noisy condition)
from audiopalm.audio.io import SAMPLE_RATE, decode_wav_bytes, resample
from audiopalm.data.babel.speakers import Speaker
from audiopalm.errors import AudiopalmError

ESPEAK = "espeak-ng"
PICO = "pico2wave"
FLITE = "flite"
FESTIVAL = "festival"
FESTIVAL_VOICE_DIRS = ("/usr/share/festival/voices", "/usr/local/share/festival/voices")  # <language>/<voice>
INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS)"
# MBROLA voices and Pico live in Debian's contrib and non-free sections; scripts/setup.sh enables them.
FAMILY_HINTS = {
    "mbrola": "install the voice with `apt-get install mbrola mbrola-{voice}` (Debian contrib/non-free; "
              "scripts/setup.sh does it)",
    "pico": "install it with `apt-get install libttspico-utils` (Debian non-free; scripts/setup.sh does it)",
    "flite": "install it with `apt-get install flite` (Debian main; scripts/setup.sh does it)",
    "festival": "install it with `apt-get install festival festvox-ellpc11k festvox-italp16k festvox-itapc16k` "
                "(Debian main and non-free; scripts/setup.sh does it)",
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
    if speaker.family == "flite" and shutil.which(FLITE) is None:
        raise AudiopalmError(f"{FLITE} was not found on PATH: {FAMILY_HINTS['flite']}")
    if speaker.family == "festival":
        if shutil.which(FESTIVAL) is None:
            raise AudiopalmError(f"Festival's {FESTIVAL} was not found on PATH: {FAMILY_HINTS['festival']}")
        if not any(glob.glob(os.path.join(d, "*", speaker.variant)) for d in FESTIVAL_VOICE_DIRS):
            raise AudiopalmError(f"the Festival voice {speaker.variant} is not installed: {FAMILY_HINTS['festival']}")
    if speaker.family == "mbrola":
        hint = FAMILY_HINTS["mbrola"].format(voice=speaker.mbrola_voice)
        if shutil.which("mbrola") is None:
            raise AudiopalmError(f"mbrola was not found on PATH: {hint}")
        if not any(os.path.exists(os.path.join(d, speaker.mbrola_voice)) for d in MBROLA_DIRS):
            raise AudiopalmError(f"the MBROLA voice {speaker.mbrola_voice} is not installed: {hint}")


@dataclass
class Rendered:
    wav: np.ndarray  # [T] float32 at 16 kHz, peak at most 0.95
    missing_diphones: int = 0  # MBROLA: diphones the voice lacks (each replaced by silence)


def _peak_normalise(wav: np.ndarray) -> np.ndarray:
    peak = float(np.abs(wav).max(initial=0.0))
    return wav * (0.95 / peak) if peak > 0.95 else wav


def _at_16k(data: bytes) -> np.ndarray:
    """A synthesizer's WAV bytes -> [T] float32 at 16 kHz, peak at most 0.95."""
    wav, sr = decode_wav_bytes(data)
    return _peak_normalise(resample(wav, sr, SAMPLE_RATE))


def _espeak(text: str, lang_voice: str, speaker: Speaker) -> Rendered:
    cmd = [check_espeak(), *speaker.espeak_args(lang_voice), "--stdout"]
    # Text goes through stdin so that nothing in it can be read as an option.
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, check=False)
    stderr = proc.stderr.decode(errors="replace")
    if proc.returncode != 0 or len(proc.stdout) <= 44:
        hint = f" ({FAMILY_HINTS['mbrola'].format(voice=speaker.mbrola_voice)})" if speaker.family == "mbrola" else ""
        raise AudiopalmError(f"espeak-ng failed for voice {speaker.voice(lang_voice)}: {stderr.strip()}{hint}")
    # espeak-ng speaks at 22.05 kHz, MBROLA voices at 16 kHz
    return Rendered(_at_16k(proc.stdout), stderr.count("unknown, replaced"))


def _run_to_wav(cmd: list[str], path: str, name: str, voice: str) -> Rendered:
    """Run a synthesizer that writes the WAV file `path` (removed afterwards) -> its speech at 16 kHz."""
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
        with open(path, "rb") as f:
            data = f.read()
    finally:
        os.unlink(path)
    if proc.returncode != 0 or len(data) <= 44:
        raise AudiopalmError(f"{name} failed for voice {voice}: {proc.stderr.decode(errors='replace').strip()}")
    return Rendered(_at_16k(data))


def _temp_wav() -> str:
    fd, path = tempfile.mkstemp(suffix=".wav")  # pico2wave and flite write only to a named file
    os.close(fd)
    return path


@contextmanager
def _text_file(data: bytes) -> Iterator[str]:
    """A temporary file holding `data`, removed afterwards: Flite and Festival read their text from a file, so
    that nothing in it can be read as an option."""
    fd, path = tempfile.mkstemp(suffix=".txt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        os.unlink(path)


def _pico(text: str, speaker: Speaker) -> Rendered:
    check_family(speaker)
    markup = f'<pitch level="{speaker.pitch}"><speed level="{speaker.speed}">{escape(text)}</speed></pitch>'
    path = _temp_wav()
    return _run_to_wav([PICO, "-l", speaker.variant, "-w", path, "--", markup], path, PICO, speaker.variant)


def _flite(text: str, speaker: Speaker) -> Rendered:
    """`speed` is the duration stretch in percent, `pitch` 0 keeps the voice's own (else the mean F0 in Hz)."""
    check_family(speaker)
    args = ["--setf", f"duration_stretch={speaker.speed / 100:.3f}"]
    if speaker.pitch:
        args += ["--setf", f"int_f0_target_mean={speaker.pitch}"]
    path = _temp_wav()
    with _text_file(text.encode("utf-8")) as text_path:
        cmd = [FLITE, "-voice", speaker.variant, *args, text_path, "-o", path]
        return _run_to_wav(cmd, path, FLITE, speaker.variant)


# Festival speaks each request in one process that stays up (starting it costs four times what a sentence does):
# `ap_say` synthesises a text file's utterances one after another into one RIFF file, "ap-ok" when it got that far;
# "ap-done", a separate expression, comes after every request, also after one that failed.
FESTIVAL_SAY = """
(define (ap_say text out)
  (let ((fp (fopen out "wb")) (total 0) (last nil))
    (set! tts_hooks
      (list utt.synth
            (lambda (utt)
              (if (not last) (wave.save.header fp (utt.wave utt) 'riff nil (list (list "numsamples" 0))))
              (set! total (+ total (get_param 'num_samples (wave.info (utt.wave utt)) 0)))
              (wave.save.data.fp (utt.wave utt) fp 'riff nil)
              (set! last utt))))
    (tts_file text (tts_find_text_mode text auto-text-mode-alist))
    (fseek fp 0 0)
    (wave.save.header fp (utt.wave last) 'riff nil (list (list "numsamples" total)))
    (fclose fp)
    (format t "ap-ok\\n")))
"""


class FestivalProcess:
    """One `festival --pipe` that speaks request after request (this process's own, started on first use)."""

    def __init__(self) -> None:
        self.errors = tempfile.TemporaryFile()  # its stderr: read back when a request fails
        self.proc = subprocess.Popen([FESTIVAL, "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors)
        self._send(FESTIVAL_SAY)

    def _send(self, commands: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(commands.encode("latin-1"))
        self.proc.stdin.flush()

    def say(self, text_path: str, out_path: str, voice: str, stretch: float) -> bool:
        """Speak the Latin-1 text file into the RIFF file `out_path`; whether Festival finished it."""
        assert self.proc.stdout is not None
        self.errors.seek(0)
        self.errors.truncate()
        self._send(f"(begin (voice_{voice}) (Parameter.set 'Duration_Stretch {stretch:.3f}) "
                   f'(ap_say "{text_path}" "{out_path}"))\n(format t "ap-done\\n") (fflush nil)\n')
        ok = False
        while (line := self.proc.stdout.readline()) != b"ap-done\n":
            if not line:  # it ended: the next request starts another
                raise BrokenPipeError(f"{FESTIVAL} exited with status {self.proc.wait()}")
            ok = ok or line == b"ap-ok\n"
        return ok

    def error_text(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace").strip()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]  (end of input: festival exits)
            self.proc.wait()
        self.errors.close()


_FESTIVAL: FestivalProcess | None = None


def _festival_process() -> FestivalProcess:
    global _FESTIVAL
    if _FESTIVAL is None or _FESTIVAL.proc.poll() is not None:
        _FESTIVAL = FestivalProcess()
        atexit.register(_FESTIVAL.close)
    return _FESTIVAL


def _festival(text: str, speaker: Speaker) -> Rendered:
    """Festival reads the text from a file in Latin-1, its voices' encoding; `speed` is the duration stretch in
    percent (the voice's own pitch). The same bytes as `text2wave -eval SETUP FILE -o OUT` writes."""
    check_family(speaker)
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError as e:
        raise AudiopalmError(f"Festival's voices read Latin-1 text; {text!r} has {e.object[e.start:e.end]!r}") from e
    path = _temp_wav()
    try:
        with _text_file(data) as text_path:
            try:
                festival = _festival_process()
                ok = festival.say(text_path, path, speaker.variant, speaker.speed / 100)
            except OSError as e:  # BrokenPipeError among them
                raise AudiopalmError(f"{FESTIVAL} failed for voice {speaker.variant}: {e}") from e
        with open(path, "rb") as f:
            wav_bytes = f.read()
    finally:
        os.unlink(path)
    if not ok or len(wav_bytes) <= 44:
        raise AudiopalmError(f"{FESTIVAL} failed for voice {speaker.variant}: {festival.error_text() or 'no speech'}")
    return Rendered(_at_16k(wav_bytes))


def render(text: str, lang: str, speaker: Speaker) -> Rendered:
    """Speak `text` in language `lang` (a Babel code) with `speaker`'s synthesizer."""
    from audiopalm.data.babel.languages import get_language

    if not speaker.covers(lang):
        raise AudiopalmError(f"speaker {speaker.id} does not speak {lang} (only {', '.join(speaker.languages)})")
    if speaker.family == "pico":
        return _pico(text, speaker)
    if speaker.family == "flite":
        return _flite(text, speaker)
    if speaker.family == "festival":
        return _festival(text, speaker)
    check_family(speaker)
    return _espeak(text, get_language(lang).espeak_voice, speaker)


def synthesize(text: str, lang: str, speaker: Speaker) -> np.ndarray:
    """Speak `text` in language `lang` -> wav [T] float32 at 16 kHz, peak at most 0.95."""
    return render(text, lang, speaker).wav
