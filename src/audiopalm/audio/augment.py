"""Waveform augmentation for training encoders that hear through voices, rooms and channels.

Each transform maps wav [T] float32 at 16 kHz to a new wav; `Augmenter` draws a random chain of them:

    speed        resampling by a factor in [0.9, 1.1]: tempo, pitch and formants move together (a
                 different vocal tract, in effect), the usual 3-way speed perturbation made continuous
    tempo        the same voice speaking faster or slower (WSOLA time-scale modification; off unless
                 p_tempo > 0): a faster speaker than any in the training voices
    reverb       a synthetic room: exponentially decaying noise with RT60 0.15-0.9 s after a direct path
    noise        white, pink or brown noise, or babble (other utterances summed), at 0-25 dB SNR
    telephone    300-3400 Hz band, 8 kHz sampling and 8-bit mu-law, as on a narrow-band phone line
    gain         -15..+6 dB, clipped at full scale

and one transform of the log-mel features, `vtlp`: vocal tract length perturbation, every frequency
scaled by a factor in [0.85, 1.15] (formants and pitch together, tempo kept): another speaker's vocal
tract rather than another room or channel (Jaitly & Hinton, 2013).

numpy, scipy and soxr only: no impulse-response or noise files to download.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import fft, signal

from audiopalm.audio.features import FMIN, hz_to_mel, mel_to_hz, slaney_hz_to_mel, slaney_mel_to_hz
from audiopalm.audio.io import SAMPLE_RATE, resample
from audiopalm.config import help_field

NOISE_KINDS = ("white", "pink", "brown")


def colored_noise(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise [n] with a 1/f^alpha spectrum: white (0), pink (1), brown (2)."""
    alpha = NOISE_KINDS.index(kind)
    m = fft.next_fast_len(n, real=True)  # an FFT of a prime length is ~10x slower than of a smooth one
    spectrum = fft.rfft(rng.standard_normal(m))
    freqs = fft.rfftfreq(m)
    freqs[0] = freqs[1] if m > 1 else 1.0
    spectrum[0] = 0.0  # no DC offset: it would count as noise power without being heard
    noise = fft.irfft(spectrum / freqs ** (alpha / 2), m)[:n]
    return (noise / (noise.std() + 1e-12)).astype(np.float32)


def _unit_mix(wav: np.ndarray, unit_noise: np.ndarray, snr_db: float) -> np.ndarray:
    """wav [T] + unit-power noise [T] scaled to `snr_db` dB below the speech power; peak kept under 1."""
    speech_power = float(np.mean(wav**2)) + 1e-12
    mixed = wav + unit_noise * np.sqrt(speech_power / 10 ** (snr_db / 10))
    peak = float(np.abs(mixed).max(initial=0.0))
    return mixed * (0.95 / peak) if peak > 0.95 else mixed


def mix_at_snr(wav: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """wav [T] + any noise [T] at `snr_db` dB SNR."""
    unit = noise / np.sqrt(float(np.mean(noise**2)) + 1e-12)
    return _unit_mix(wav, unit, snr_db).astype(np.float32)


def add_noise(wav: np.ndarray, snr_db: float, rng: np.random.Generator, kind: str = "pink") -> np.ndarray:
    """wav [T] plus `kind` noise at `snr_db` dB SNR."""
    return _unit_mix(wav, colored_noise(len(wav), kind, rng), snr_db)


def babble(n: int, others: list[np.ndarray], rng: np.random.Generator, talkers: int = 4) -> np.ndarray:
    """[n] samples of `talkers` other utterances, each looped or cut to length and summed at equal power."""
    out = np.zeros(n, dtype=np.float32)
    for k in rng.choice(len(others), size=min(talkers, len(others)), replace=False):
        other = others[int(k)]
        if len(other) == 0:
            continue
        start = int(rng.integers(0, len(other)))
        piece = np.resize(np.roll(other, -start), n)
        out += piece / (piece.std() + 1e-6)
    return out


def speed(wav: np.ndarray, factor: float) -> np.ndarray:
    """Play `factor` times faster: [T] -> [T / factor], pitch scaled by `factor`."""
    return resample(wav, round(SAMPLE_RATE * factor), SAMPLE_RATE)


def tempo(wav: np.ndarray, factor: float, frame: int = 512, tolerance: int = 128) -> np.ndarray:
    """Speak `factor` times faster, pitch and formants kept: [T] -> [T / factor] (WSOLA, Verhelst & Roelands
    1993). Hann frames of `frame` samples (32 ms) are overlap-added at half-frame hops; each is read from within
    `tolerance` samples (8 ms) of its nominal place in the input, where it best continues the frame before it,
    so the pitch periods line up and no phase is smeared."""
    hop = frame // 2
    out_len = int(len(wav) / factor)
    if factor == 1 or out_len < frame or len(wav) < frame:
        return wav
    x = np.pad(wav.astype(np.float32, copy=False), (tolerance, frame + tolerance))  # searches stay inside
    window = signal.windows.hann(frame, sym=False).astype(np.float32)  # sums to 1 at half-frame hops
    frames = (out_len - frame) // hop + 1
    out = np.zeros(frames * hop + frame, dtype=np.float32)
    taken = 0  # where the frame before was read (input samples)
    for k in range(frames):
        nominal = min(round(k * hop * factor), len(wav))
        if k > 0:  # the input that would have followed the frame before, against the candidates near `nominal`
            follows = x[taken + hop + tolerance: taken + hop + tolerance + frame]
            near = x[nominal: nominal + frame + 2 * tolerance]
            taken = nominal - tolerance + int(np.argmax(np.correlate(near, follows, "valid")))
        else:
            taken = nominal
        out[k * hop: k * hop + frame] += window * x[taken + tolerance: taken + tolerance + frame]
    return out[:out_len]


def room_impulse_response(rt60: float, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A synthetic RIR [~rt60 * sr]: a direct path, then Gaussian noise decaying 60 dB in `rt60` seconds."""
    n = max(int(rt60 * sr), 16)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)  # ln(1000) = 6.908: -60 dB at rt60
    delay = int(rng.integers(int(0.002 * sr), int(0.01 * sr)))  # 2-10 ms before the first reflection
    tail[:delay] = 0.0
    rir = tail * 0.5
    rir[0] = 1.0
    return (rir / np.sqrt(np.sum(rir**2))).astype(np.float32)


def reverb(wav: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """wav [T] in a synthetic room with reverberation time `rt60` seconds, same length and RMS."""
    wet = signal.fftconvolve(wav, room_impulse_response(rt60, rng))[: len(wav)]
    return (wet * (np.std(wav) + 1e-9) / (np.std(wet) + 1e-9)).astype(np.float32)


def telephone(wav: np.ndarray) -> np.ndarray:
    """wav [T] through a narrow-band phone channel: 300-3400 Hz, 8 kHz, 8-bit mu-law; back at 16 kHz."""
    sos = signal.butter(4, (300, 3400), btype="bandpass", fs=SAMPLE_RATE, output="sos")
    narrow = resample(signal.sosfilt(sos, wav).astype(np.float32), SAMPLE_RATE, 8000)
    peak = float(np.abs(narrow).max(initial=0.0)) + 1e-9
    x = narrow / peak
    mu = 255.0
    coded = np.round(np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) * 127) / 127
    decoded = np.sign(coded) * ((1 + mu) ** np.abs(coded) - 1) / mu * peak
    return resample(decoded.astype(np.float32), 8000, SAMPLE_RATE)


def gain(wav: np.ndarray, db: float) -> np.ndarray:
    return np.clip(wav * 10 ** (db / 20), -1.0, 1.0).astype(np.float32)


def vtlp_source_bins(n_mels: int, alpha: float, kind: str = "log_mel", sr: int = SAMPLE_RATE) -> np.ndarray:
    """Fractional mel-bin index [n_mels] that each output bin reads under a frequency warp by `alpha`,
    for the mel scale of `kind` (audio/features.py: log_mel's HTK scale from FMIN, whisper's Slaney from 0).

    Piecewise linear as in Kaldi's VTLN: f_out = alpha * f_in up to a boundary at 70% of Nyquist
    (scaled down with alpha < 1), then a straight line that maps Nyquist to itself, so no band is lost.
    """
    to_mel, to_hz, fmin = (slaney_hz_to_mel, slaney_mel_to_hz, 0.0) if kind == "whisper" else (hz_to_mel, mel_to_hz, FMIN)
    edges = np.linspace(to_mel(np.array(fmin)), to_mel(np.array(sr / 2)), n_mels + 2)
    centers = edges[1:-1]
    f_out = to_hz(centers)
    nyquist = sr / 2
    boundary = 0.7 * nyquist * min(alpha, 1.0)  # in output frequency
    above = boundary / alpha + (f_out - boundary) * (nyquist - boundary / alpha) / (nyquist - boundary)
    f_in = np.where(f_out <= boundary, f_out / alpha, above)
    index = (to_mel(f_in) - centers[0]) / (centers[1] - centers[0])
    return np.clip(index, 0.0, n_mels - 1.0)


def vtlp(mel: np.ndarray, alpha: float, kind: str = "log_mel") -> np.ndarray:
    """Log-mel [T, n_mels] of `kind` -> the same speech from a vocal tract scaled by `alpha` [T, n_mels]
    (1 = unchanged)."""
    src = vtlp_source_bins(mel.shape[-1], alpha, kind)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, mel.shape[-1] - 1)
    w = (src - lo).astype(mel.dtype)
    return mel[:, lo] * (1 - w) + mel[:, hi] * w


@dataclass
class AugmentConfig:
    """Probabilities and ranges of each transform; `p` is the chance that an utterance is touched at all."""

    p: float = help_field("share of utterances augmented; the rest stay clean", 0.8, min=0, max=1)
    p_speed: float = help_field("chance of speed perturbation", 0.5, min=0, max=1)
    speed_range: tuple[float, float] = help_field("playback-rate factor range", (0.9, 1.1))
    p_reverb: float = help_field("chance of a synthetic room", 0.3, min=0, max=1)
    rt60_range: tuple[float, float] = help_field("room RT60 range, seconds", (0.15, 0.9))
    p_noise: float = help_field("chance of additive noise", 0.5, min=0, max=1)
    snr_range: tuple[float, float] = help_field("noise SNR range, dB", (0.0, 25.0))
    p_babble: float = help_field("of the noisy ones: babble instead of coloured noise", 0.25, min=0, max=1)
    p_telephone: float = help_field("chance of a telephone channel", 0.1, min=0, max=1)
    p_gain: float = help_field("chance of a gain change", 0.5, min=0, max=1)
    gain_range: tuple[float, float] = help_field("gain range, dB", (-15.0, 6.0))
    p_vtlp: float = help_field("chance of vocal tract length perturbation of the log-mels, independent of p "
                               "(0: tokenizer v2 as first measured)", 0.5, min=0, max=1)
    vtlp_range: tuple[float, float] = help_field("frequency scale factor range", (0.85, 1.15))
    p_tempo: float = help_field("chance of a tempo change, pitch and formants kept: a faster or slower speaker "
                                "(0: tokenizers v2 and v3 as trained)", 0.0, min=0, max=1)
    tempo_range: tuple[float, float] = help_field("tempo factor range (1.3: 1.3 times as fast)", (0.9, 1.3))

    def to_dict(self) -> dict:
        return asdict(self)


class Augmenter:
    """Draws a random chain of transforms per call; seeded, so a resumed run augments as an unbroken one."""

    def __init__(self, cfg: AugmentConfig | None = None):
        self.cfg = cfg or AugmentConfig()

    def __call__(self, wav: np.ndarray, rng: np.random.Generator, others: list[np.ndarray] | None = None) -> np.ndarray:
        """wav [T] -> augmented wav [T'] (T' = T unless speed or tempo perturbation ran)."""
        c = self.cfg
        if rng.random() >= c.p or len(wav) == 0:
            return wav
        if rng.random() < c.p_speed:
            wav = speed(wav, float(rng.uniform(*c.speed_range)))
        if c.p_tempo > 0 and rng.random() < c.p_tempo:  # drawn only when on: older runs augment as they did
            wav = tempo(wav, float(rng.uniform(*c.tempo_range)))
        if rng.random() < c.p_reverb:
            wav = reverb(wav, float(rng.uniform(*c.rt60_range)), rng)
        if rng.random() < c.p_noise:
            snr = float(rng.uniform(*c.snr_range))
            if others and rng.random() < c.p_babble:
                wav = mix_at_snr(wav, babble(len(wav), others, rng), snr)
            else:
                wav = add_noise(wav, snr, rng, NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))])
        if rng.random() < c.p_telephone:
            wav = telephone(wav)
        if rng.random() < c.p_gain:
            wav = gain(wav, float(rng.uniform(*c.gain_range)))
        return wav.astype(np.float32, copy=False)

    def warp(self, mel: np.ndarray, rng: np.random.Generator, kind: str = "log_mel") -> np.ndarray:
        """Log-mel [T, n_mels] of `kind` -> vocal-tract-length perturbed log-mel [T, n_mels], with chance
        `p_vtlp`."""
        if self.cfg.p_vtlp <= 0 or rng.random() >= self.cfg.p_vtlp:
            return mel
        return vtlp(mel, float(rng.uniform(*self.cfg.vtlp_range)), kind)
