"""Hugging Face codecs (EnCodec, DAC, Mimi) behind one interface, offline with tiny random models."""

import numpy as np
import pytest

pytest.importorskip("transformers")

from audiopalm.audio.codecs import load_codec  # noqa: E402
from audiopalm.errors import AudiopalmError  # noqa: E402


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
