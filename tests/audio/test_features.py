import numpy as np
import torch

from audiopalm.audio.encoders.base import num_tokens, to_token_rate
from audiopalm.audio.encoders.mfcc import MfccEncoder
from audiopalm.audio.features import deltas, log_mel, mel_filterbank, stack_frames


def test_mel_filters_are_normalised_triangles():
    fb = mel_filterbank(80)
    assert fb.shape == (80, 201)
    assert torch.allclose(fb.sum(1), torch.ones(80), atol=1e-4)
    assert (fb >= 0).all()


def test_log_mel_peaks_at_the_tone_frequency():
    t = torch.arange(16000) / 16000
    mel = log_mel(torch.sin(2 * torch.pi * 1000 * t))  # [101, 80]
    assert mel.shape == (101, 80)
    centers = torch.arange(201) * 40.0  # Hz per FFT bin
    peak_bin = int(mel.mean(0).argmax())
    center_hz = float((mel_filterbank(80)[peak_bin] * centers).sum())
    assert abs(center_hz - 1000) < 60


def test_deltas_of_a_ramp_are_its_slope():
    x = torch.arange(20, dtype=torch.float32)[:, None] * 3.0
    assert torch.allclose(deltas(x)[2:-2], torch.full((16, 1), 3.0))


def test_mfcc_encoder_runs_at_25_hz():
    enc = MfccEncoder()
    for seconds in (0.04, 0.5, 2.01):
        wav = np.random.default_rng(0).standard_normal(int(16000 * seconds)).astype(np.float32) * 0.1
        f = enc.features(wav)
        assert f.shape == (num_tokens(len(wav)), 156)
        assert f.shape[0] == max(1, int(seconds * 25 + 1e-6))


def test_stack_and_token_rate_helpers():
    x = torch.arange(10, dtype=torch.float32)[:, None]
    assert stack_frames(x, 3).shape == (3, 4)
    assert to_token_rate(torch.ones(50, 8), 25).shape == (25, 8)
    assert to_token_rate(torch.ones(5, 8), 25).shape == (25, 8)
