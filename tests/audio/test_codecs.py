"""Hugging Face codecs (EnCodec, DAC, Mimi) behind one interface, offline with tiny random models."""

import numpy as np
import pytest


from audiopalm.audio.codecs import load_codec
from audiopalm.errors import AudiopalmError


def _tiny(kind: str):
    from transformers import DacConfig, DacModel, EncodecConfig, EncodecModel, MimiConfig, MimiModel

    if kind == "encodec":  # 24 kHz, hop 320 -> 75 Hz, 6 bits a code: 0.45 kbps per level
        return EncodecModel(EncodecConfig(target_bandwidths=[0.9, 1.8], hidden_size=16, num_filters=4,
                                          codebook_size=64, num_lstm_layers=1))
    if kind == "dac":  # 16 kHz, hop 320 -> 50 Hz
        return DacModel(DacConfig(encoder_hidden_size=8, downsampling_ratios=[2, 4, 5, 8], decoder_hidden_size=32,
                                  n_codebooks=4, codebook_size=64, codebook_dim=4))
    return MimiModel(MimiConfig(hidden_size=32, num_filters=4, codebook_size=64, codebook_dim=16, num_quantizers=4,
                                vector_quantization_hidden_dimension=16, num_hidden_layers=1, intermediate_size=32,
                                num_attention_heads=2, num_key_value_heads=2, head_dim=16, upsample_groups=32))


@pytest.mark.parametrize("kind,levels,rate", [("encodec", 4, 75.0), ("dac", 4, 50.0), ("mimi", 4, 12.5)])
def test_encode_decode_shapes_rates_and_round_trip(kind, levels, rate, tmp_path):
    _tiny(kind).save_pretrained(tmp_path / kind)
    codec = load_codec(tmp_path / kind)
    assert codec.num_codebooks == levels and codec.codebook_size == 64 and codec.frame_rate == pytest.approx(rate)
    wav = (0.1 * np.sin(np.arange(16000) * 2 * np.pi * 220 / 16000)).astype(np.float32)  # 1 s
    codes = codec.encode(wav)
    assert codes.shape[0] == levels and abs(codes.shape[1] - rate) <= 2
    assert int(codes.min()) >= 0 and int(codes.max()) < 64
    out = codec.decode(codes)
    assert out.dtype == np.float32 and abs(len(out) - 16000) <= 16000 / rate + 400
    codec.save_pretrained(tmp_path / "saved")
    again = load_codec(tmp_path / "saved")
    assert (again.encode(wav) == codes).all()
    fewer = load_codec(tmp_path / kind, num_codebooks=2)
    assert (fewer.encode(wav) == codes[:2]).all(), "the first levels do not depend on how many follow"


def test_too_many_codebooks_is_a_clear_error(tmp_path):
    _tiny("dac").save_pretrained(tmp_path / "dac")
    with pytest.raises(AudiopalmError, match="8 codebooks asked, the codec has 4"):
        load_codec(tmp_path / "dac", num_codebooks=8)


def _voiced(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A buzzy vowel-like test signal: harmonics of f0 with a little noise."""
    t = np.arange(int(16000 * seconds)) / 16000
    wav = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 12))
    return (0.1 * wav + 0.003 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


def test_mel_codec_quantizer_levels_refine_and_the_folder_round_trips(tmp_path):
    import torch

    from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec, codec_mel, fit_residual_quantizer

    cfg = MEL_CODEC_PRESETS["tiny"]
    wavs = [_voiced(1.0, f0, i) for i, f0 in enumerate((110, 150, 200, 260))]
    frames = torch.cat([codec_mel(torch.from_numpy(w), cfg) for w in wavs])
    q = fit_residual_quantizer(frames, cfg)
    codec = MelCodec(cfg, q)
    codes = codec.encode(wavs[0])
    assert codes.shape == (2, 16000 // 320 + 1) and codec.frame_rate == 50
    mel = codec_mel(torch.from_numpy(wavs[0]), cfg)
    err1 = (q.decode(codes[:1]) - mel).pow(2).mean()
    err2 = (q.decode(codes) - mel).pow(2).mean()
    assert err2 < err1, "the second level refines the first"
    wav = codec.decode(codes)
    assert wav.dtype == np.float32 and len(wav) == 16000
    codec.save_pretrained(tmp_path / "mel")
    again = load_codec(tmp_path / "mel")
    assert (again.encode(wavs[1]) == codec.encode(wavs[1])).all()
    assert np.allclose(again.decode(codes), wav, atol=1e-5)
