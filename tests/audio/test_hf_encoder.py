"""HfEncoder on tiny random wav2vec2 / HuBERT / w2v-BERT 2.0 models, built offline from configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import transformers

from audiopalm.audio.encoders.base import num_tokens
from audiopalm.audio.encoders.hf import HfEncoder
from audiopalm.errors import AudiopalmError

HIDDEN = 32
LAYERS = 2
# wav2vec2's default conv kernels/strides (320 samples per frame, 50 Hz) with 16 channels
CONV = dict(conv_dim=(16,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2))
TINY = dict(hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=2, intermediate_size=64)
LENGTHS = [640, 8000, 20800]  # 0.04 s, 0.5 s, 1.3 s at 16 kHz


def build(kind: str) -> tuple[object, object]:
    """(random model, its feature extractor) for one architecture, tiny sizes."""
    t = transformers
    conv_pos = dict(num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    if kind == "wav2vec2":  # XLS-R / wav2vec2-large style: LayerNorm convs, pads safely with a mask
        cfg = t.Wav2Vec2Config(**TINY, **CONV, **conv_pos, feat_extract_norm="layer", do_stable_layer_norm=True)
        return t.Wav2Vec2Model(cfg), t.Wav2Vec2FeatureExtractor(return_attention_mask=True)
    if kind == "wav2vec2-base":  # GroupNorm in the first conv: must not be batched with padding
        cfg = t.Wav2Vec2Config(**TINY, **CONV, **conv_pos, feat_extract_norm="group")
        return t.Wav2Vec2Model(cfg), t.Wav2Vec2FeatureExtractor(return_attention_mask=False)
    if kind == "hubert":
        cfg = t.HubertConfig(**TINY, **CONV, **conv_pos, feat_extract_norm="layer", do_stable_layer_norm=True)
        return t.HubertModel(cfg), t.Wav2Vec2FeatureExtractor(return_attention_mask=True)
    if kind == "w2v-bert":  # 16 mel bins, stacked by 2 -> 32 input features per 20 ms
        cfg = t.Wav2Vec2BertConfig(**TINY, feature_projection_input_dim=32, conv_depthwise_kernel_size=5)
        return t.Wav2Vec2BertModel(cfg), t.SeamlessM4TFeatureExtractor(feature_size=16, num_mel_bins=16)
    raise ValueError(kind)


KINDS = ["wav2vec2", "wav2vec2-base", "hubert", "w2v-bert"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, str]:
    """kind -> local folder holding a saved tiny random model (built once for the module)."""
    out = {}
    for kind in KINDS:
        torch.manual_seed(0)
        model, extractor = build(kind)
        folder = tmp_path_factory.mktemp(kind)
        model.save_pretrained(folder)
        extractor.save_pretrained(folder)
        out[kind] = str(folder)
    return out


def speech(n: int, seed: int = 0) -> np.ndarray:
    """[n] float32: noise with a slow envelope, so frames differ from each other."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    return (0.3 * rng.standard_normal(n) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
def test_features_are_one_vector_per_40ms(sources, kind):
    enc = HfEncoder(sources[kind])
    assert enc.name == "hf" and enc.dim == HIDDEN
    for n in LENGTHS:
        f = enc.features(speech(n))
        assert f.shape == (num_tokens(n), HIDDEN) and f.dtype == torch.float32
        assert torch.isfinite(f).all()
    # 30 ms is below one token and below the conv's 400-sample window: still one vector
    assert enc.features(speech(480)).shape == (1, HIDDEN)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_matches_one_by_one(sources, kind):
    enc = HfEncoder(sources[kind])
    wavs = [speech(n, seed=i) for i, n in enumerate([8000, 20800, 640, 12345, 16160])]
    batch = enc.features_batch(wavs)
    assert len(batch) == len(wavs)
    for w, b in zip(wavs, batch):
        torch.testing.assert_close(b, enc.features(w), atol=1e-4, rtol=1e-4)


def test_group_norm_models_are_not_batched_with_padding(sources):
    # padding shifts wav2vec2-base's GroupNorm statistics, so it must fall back to one by one
    assert not HfEncoder(sources["wav2vec2-base"]).batched
    assert HfEncoder(sources["wav2vec2"]).batched and HfEncoder(sources["w2v-bert"]).batched


@pytest.mark.parametrize("kind", ["hubert", "w2v-bert"])
def test_layer_choice(sources, kind):
    wav = speech(8000)
    default = HfEncoder(sources[kind])
    assert default.config()["layer"] == LAYERS // 2
    torch.testing.assert_close(default.features(wav), HfEncoder(sources[kind], layer=LAYERS // 2).features(wav))
    first, last = (HfEncoder(sources[kind], layer=i).features(wav) for i in (0, LAYERS))
    assert not torch.allclose(first, last)
    assert not torch.allclose(default.features(wav), last)
    for bad in (-1, LAYERS + 1):
        with pytest.raises(AudiopalmError, match=r"layer must be in 0\.\.2"):
            HfEncoder(sources[kind], layer=bad)


@pytest.mark.parametrize("kind", ["wav2vec2", "w2v-bert"])
def test_save_load_round_trip(sources, tmp_path, kind):
    enc = HfEncoder(sources[kind], layer=2)
    enc.save(tmp_path)
    saved = sorted(p.name for p in (tmp_path / "hf").iterdir())
    assert "model.safetensors" in saved and "preprocessor_config.json" in saved and "config.json" in saved
    assert not any(name.endswith(".bin") for name in saved)

    loaded = HfEncoder.load(tmp_path, enc.config())
    assert loaded.config() == {"source": sources[kind], "layer": 2}
    wav = speech(20800)
    assert torch.equal(loaded.features(wav), enc.features(wav))


def test_load_without_saved_copy_reads_source(sources, tmp_path):
    enc = HfEncoder.load(tmp_path, {"source": sources["hubert"], "layer": 0})
    assert enc.config() == {"source": sources["hubert"], "layer": 0}
    wav = speech(8000)
    torch.testing.assert_close(enc.features(wav), HfEncoder(Path(sources["hubert"]), layer=0).features(wav))


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(AudiopalmError, match="cannot load Hugging Face model"):
        HfEncoder(str(tmp_path / "nowhere"))
