"""Augmentation transforms do what they say: lengths, levels, bands, SNRs, and seeded repeatability."""

import numpy as np
import pytest

from audiopalm.audio import augment as A

SR = 16_000


def _tone(seconds: float = 1.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _band_energy(wav: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(wav)) ** 2
    freqs = np.fft.rfftfreq(len(wav), 1 / SR)
    return float(spec[(freqs >= lo) & (freqs < hi)].sum())


def test_speed_changes_length_and_pitch_together():
    wav = _tone(1.0, 500.0)
    fast = A.speed(wav, 1.1)
    assert len(fast) == pytest.approx(len(wav) / 1.1, abs=2)
    peak_hz = np.argmax(np.abs(np.fft.rfft(fast))) * SR / len(fast)
    assert peak_hz == pytest.approx(550.0, abs=5.0)


@pytest.mark.parametrize("factor", [0.9, 1.25])
def test_tempo_changes_length_and_keeps_pitch_and_level(factor):
    wav = _tone(1.0, 500.0)
    out = A.tempo(wav, factor)
    assert len(out) == int(len(wav) / factor)
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * SR / len(out)
    assert peak_hz == pytest.approx(500.0, abs=5.0), "the same voice, only faster or slower"
    middle = out[SR // 10: -SR // 10]  # the first and last half-frames are faded in and out
    assert np.std(middle) == pytest.approx(np.std(wav), rel=0.05)


def test_tempo_moves_each_sound_to_its_scaled_time():
    wav = np.concatenate([_tone(1.0, 300.0), _tone(1.0, 700.0)])
    out = A.tempo(wav, 2.0)  # the change of tone, at 1 s, comes at 0.5 s
    frames = [out[i: i + 800] for i in range(0, len(out) - 800, 800)]  # 50 ms windows
    high = [_band_energy(f, 600, 800) > _band_energy(f, 200, 400) for f in frames]
    assert high.index(True) * 0.05 == pytest.approx(0.5, abs=0.05)


def test_reverb_keeps_length_and_level_and_smears_in_time():
    rng = np.random.default_rng(0)
    click = np.zeros(SR, dtype=np.float32)
    click[100] = 1.0
    wet = A.reverb(click, 0.5, rng)
    assert len(wet) == len(click)
    assert np.std(wet) == pytest.approx(np.std(click), rel=1e-3)
    late = np.sum(wet[100 + SR // 10:] ** 2) / np.sum(wet**2)
    assert late > 0.05, "a 0.5 s room leaves energy after 100 ms"


@pytest.mark.parametrize("snr", [0.0, 10.0, 20.0])
def test_noise_and_babble_hit_the_requested_snr(snr):
    rng = np.random.default_rng(1)
    wav = _tone(1.0)
    for noisy in (A.add_noise(wav, snr, rng, "brown"),
                  A.mix_at_snr(wav, A.babble(len(wav), [_tone(0.7, 300.0), _tone(1.3, 800.0)], rng), snr)):
        assert 10 * np.log10(np.mean(wav**2) / np.mean((noisy - wav) ** 2)) == pytest.approx(snr, abs=0.5)


def test_telephone_keeps_the_voice_band_and_drops_the_rest():
    rng = np.random.default_rng(2)
    wav = A.colored_noise(SR, "white", rng) * 0.1
    phone = A.telephone(wav)
    assert len(phone) == pytest.approx(len(wav), abs=4)
    assert _band_energy(phone, 5000, 8000) < 1e-3 * _band_energy(phone, 500, 3000)
    assert _band_energy(phone, 500, 3000) > 0.2 * _band_energy(wav, 500, 3000)


def test_gain_scales_and_clips():
    wav = _tone()
    assert np.max(np.abs(A.gain(wav, -6.0))) == pytest.approx(0.3 * 10 ** (-6 / 20), rel=1e-3)
    assert np.max(np.abs(A.gain(wav, 20.0))) <= 1.0


def test_augmenter_is_seeded_and_can_be_switched_off():
    wav = _tone(2.0)
    aug = A.Augmenter()
    a = aug(wav, np.random.default_rng(7), [_tone(1.0, 300.0)])
    b = aug(wav, np.random.default_rng(7), [_tone(1.0, 300.0)])
    assert np.array_equal(a, b)
    changed = sum(not np.array_equal(aug(wav, np.random.default_rng(s)), wav) for s in range(20))
    assert 10 <= changed <= 20, "p = 0.8 of utterances are touched"
    off = A.Augmenter(A.AugmentConfig(p=0.0))
    assert np.array_equal(off(wav, np.random.default_rng(0)), wav)


def test_tempo_is_drawn_only_when_on():
    wav = _tone(2.0)
    only = dict(p=1.0, p_speed=0.0, p_reverb=0.0, p_noise=0.0, p_telephone=0.0, p_gain=0.0)
    faster = A.Augmenter(A.AugmentConfig(**only, p_tempo=1.0, tempo_range=(1.2, 1.2)))
    assert len(faster(wav, np.random.default_rng(0))) == int(len(wav) / 1.2)

    class Counting:
        def __init__(self):
            self.rng, self.draws = np.random.default_rng(3), 0

        def random(self):
            self.draws += 1
            return self.rng.random()

        def uniform(self, lo, hi):
            return self.rng.uniform(lo, hi)

    off, on = Counting(), Counting()
    A.Augmenter(A.AugmentConfig(**only))(wav, off)
    A.Augmenter(A.AugmentConfig(**only, p_tempo=1.0))(wav, on)
    assert (off.draws, on.draws) == (6, 7), "off, it takes no draw: runs without it augment as they always did"


def test_vtlp_moves_formants_and_keeps_the_frame_count():
    from audiopalm.audio.augment import vtlp

    mel = np.full((7, 80), -5.0, dtype=np.float32)
    mel[:, 30] = 3.0  # one formant-like peak
    assert np.allclose(vtlp(mel, 1.0), mel, atol=1e-5)
    up, down = vtlp(mel, 1.15), vtlp(mel, 0.85)
    assert up.shape == down.shape == mel.shape
    assert up[0].argmax() > 30 > down[0].argmax(), "a longer vocal tract scale moves the peak up, a shorter down"
    assert up.max() <= mel.max() + 1e-6 and up.min() >= mel.min() - 1e-6, "interpolation, no new values"
