"""Whisper's encoder inside our CTC encoder: its front end, its weights from both formats, its training."""

import numpy as np
import pytest
import torch

from audiopalm.audio.encoders.ctc import CtcEncoderConfig, CtcEncoderModel
from audiopalm.audio.encoders.whisper_init import load_whisper_encoder
from audiopalm.audio.features import whisper_log_mel
from audiopalm.errors import AudiopalmError

WIDTH, LAYERS, HEADS, POSITIONS = 32, 2, 4, 16


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory):
    """(Hugging Face folder, CTranslate2 folder, the HF model) of a random 2-layer Whisper."""
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(0)
    cfg = WhisperConfig(vocab_size=64, d_model=WIDTH, encoder_layers=LAYERS, decoder_layers=1,
                        encoder_attention_heads=HEADS, decoder_attention_heads=HEADS, encoder_ffn_dim=4 * WIDTH,
                        decoder_ffn_dim=4 * WIDTH, max_source_positions=POSITIONS, max_target_positions=16,
                        num_mel_bins=80, decoder_start_token_id=1, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    model = WhisperForConditionalGeneration(cfg).eval()
    with torch.no_grad():  # HF zero-initialises no biases here, but make sure q/v biases matter
        for layer in model.model.encoder.layers:
            layer.self_attn.q_proj.bias.normal_()
            layer.self_attn.v_proj.bias.normal_()
    root = tmp_path_factory.mktemp("whisper")
    model.save_pretrained(root / "hf")
    import ctranslate2.converters

    ctranslate2.converters.TransformersConverter(str(root / "hf")).convert(str(root / "ct2"), quantization="float16")
    return root / "hf", root / "ct2", model


def _ours(source) -> CtcEncoderModel:
    w = load_whisper_encoder(str(source))
    cfg = CtcEncoderConfig(n_mels=w.n_mels, dim=w.dim, layers=w.layers, heads=w.heads, ff_mult=4, dropout=0.0,
                           read_layer=w.layers, vocab=["_", "a", "b"], arch="whisper", features="whisper")
    model = CtcEncoderModel(cfg)
    missing, unexpected = model.load_state_dict(w.state, strict=False)
    assert sorted(missing) == ["head.bias", "head.weight", "mel_mean", "mel_std"] and not unexpected
    return model.eval()


def test_whisper_log_mel_matches_the_reference_front_end():
    from transformers import WhisperFeatureExtractor

    t = np.arange(32000) / 16000
    wav = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    ref = WhisperFeatureExtractor()(wav, sampling_rate=16000, return_tensors="np").input_features[0].T  # [3000, 80]
    ours = whisper_log_mel(torch.from_numpy(wav)).numpy()  # [200, 80]
    assert ours.shape == (200, 80)
    # the last frame differs only because the reference pads the clip to 30 s before its STFT
    assert np.abs(ref[:199] - ours[:199]).max() < 1e-4


@pytest.mark.parametrize("fmt", ["hf", "ct2"])
def test_weights_from_either_format_give_whispers_encoder_states(tiny_whisper, fmt):
    hf_dir, ct2_dir, model = tiny_whisper
    ours = _ours(hf_dir if fmt == "hf" else ct2_dir)
    mel = torch.randn(1, 2 * POSITIONS, 80)
    with torch.no_grad():
        ref = model.model.encoder(mel.transpose(1, 2)).last_hidden_state  # [1, POSITIONS, WIDTH] at 50 Hz
        x = ours.frontend(mel)
        for layer in ours.layers:
            x = layer(x)
        got = ours.out_norm(x)
    tol = 1e-4 if fmt == "hf" else 2e-2  # the CTranslate2 copy is float16
    assert got.shape == ref.shape and (got - ref).abs().max() < tol
    # the model's own outputs come at the token rate: two Whisper frames per 25 Hz token
    assert ours(mel).shape == (1, POSITIONS // 2, 3)
    assert ours(mel, upto=1).shape == (1, POSITIONS // 2, WIDTH)


def test_a_50_hz_character_head_spells_every_whisper_frame(tiny_whisper):
    w = load_whisper_encoder(str(tiny_whisper[0]))
    cfg = CtcEncoderConfig(n_mels=w.n_mels, dim=w.dim, layers=w.layers, heads=w.heads, dropout=0.0,
                           read_layer=w.layers, vocab=["_", "a", "b"], arch="whisper", features="whisper", char_rate=2)
    fast = CtcEncoderModel(cfg)
    fast.load_state_dict(w.state, strict=False)
    slow = _ours(tiny_whisper[0])
    slow.head.load_state_dict(fast.head.state_dict())
    mel = torch.randn(1, 2 * POSITIONS, 80)
    with torch.no_grad():
        x = fast.frontend(mel)
        for layer in fast.layers:
            x = layer(x)
        logits, states = fast.eval()(mel, tap=1)
        assert logits.shape == (1, POSITIONS, 3) and torch.allclose(logits, fast.head(fast.out_norm(x)), atol=1e-5)
        # the token-rate outputs are the 25 Hz model's: the layer states, the tokenizer's read-out
        assert states.shape == (1, POSITIONS // 2, WIDTH) and torch.equal(fast(mel, upto=2), slow(mel, upto=2))
        assert torch.allclose(slow(mel), fast.head(fast.to_tokens(fast.out_norm(x))), atol=1e-5)
    with pytest.raises(AudiopalmError, match="char_rate must be 1, or 2 with arch 'whisper'"):
        CtcEncoderConfig(vocab=["_", "a"], char_rate=2).validate()


def test_padding_leaves_each_utterance_unchanged(tiny_whisper):
    ours = _ours(tiny_whisper[0])
    short, long = torch.randn(1, 8, 80), torch.randn(1, 16, 80)
    batch = torch.cat([torch.cat([short, torch.zeros(1, 8, 80)], 1), long])
    pad = torch.tensor([[False, False, True, True], [False] * 4])
    with torch.no_grad():
        together = ours(batch, pad)
        alone = ours(short)
    # the first token reads no padded frame through the convolutions; the mask keeps attention off the rest
    assert torch.allclose(together[0, :1], alone[0, :1], atol=1e-4)


def test_not_a_whisper_folder_is_one_clear_error(tmp_path):
    with pytest.raises(AudiopalmError, match="not whisper-tiny.en nor a folder"):
        load_whisper_encoder(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"\x06\x00\x00\x00")
    with pytest.raises(AudiopalmError, match="truncated"):
        load_whisper_encoder(str(tmp_path))


def test_ctc_training_from_whisper_becomes_a_tokenizer(tiny_world, tiny_whisper, tmp_path):
    from audiopalm import AudioTokenizer
    from audiopalm.recipes.ctc import CtcTrainConfig
    from audiopalm.recipes.tokenizer import train_tokenizer

    data, _ = tiny_world
    cfg = CtcTrainConfig(init=str(tiny_whisper[0]), steps=2, batch_seconds=20.0, warmup=1, eval_every=2,
                         checkpoint_every=2, dev_utterances=8, max_utterances=40)
    tok = train_tokenizer(data, "ctc", tmp_path / "tok", codebook_size=8, max_frames=2000, ctc_config=cfg)
    assert tok.encoder.model.cfg.arch == "whisper" and tok.encoder.read_layer == LAYERS
    wav_path = next((data / "audio" / "test" / "en").glob("*.wav"))
    tokens = tok.encode(wav_path)
    loaded = AudioTokenizer.from_pretrained(tmp_path / "tok")
    assert torch.equal(loaded.encode(wav_path), tokens)
    assert tokens.max() < 8 and len(tokens) > 0


def test_frozen_pretrained_layers_keep_their_weights_while_the_rest_trains(tiny_world, tiny_whisper, tmp_path):
    from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder

    data, _ = tiny_world
    cfg = CtcTrainConfig(init=str(tiny_whisper[0]), freeze_layers=1, steps=2, batch_seconds=20.0, warmup=1,
                         eval_every=2, checkpoint_every=2, dev_utterances=8, max_utterances=40)
    model = train_ctc_encoder(data, tmp_path / "ctc", cfg)
    start = load_whisper_encoder(str(tiny_whisper[0])).state
    trained = model.state_dict()
    frozen = [k for k in start if k.startswith(("subsample.", "layers.0."))]
    free = [k for k in start if k.startswith("layers.1.")]
    assert frozen and free
    assert all(torch.equal(trained[k], start[k]) for k in frozen)
    assert not all(torch.equal(trained[k], start[k]) for k in free)


def test_a_50_hz_listener_trains_saves_and_spells(tiny_world, tiny_whisper, tmp_path):
    from audiopalm.audio.encoders.ctc import load_ctc_model, mel_for_tokens
    from audiopalm.audio.io import load_audio
    from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder

    data, _ = tiny_world
    cfg = CtcTrainConfig(init=str(tiny_whisper[0]), char_rate=2, steps=2, batch_seconds=20.0, warmup=1, eval_every=2,
                         checkpoint_every=2, dev_utterances=8, max_utterances=40)
    train_ctc_encoder(data, tmp_path / "ctc", cfg)
    model = load_ctc_model(tmp_path / "ctc" / "model")
    assert model.cfg.char_rate == 2
    wav = load_audio(next((data / "audio" / "test" / "en").glob("*.wav")))
    mel = mel_for_tokens(wav, model.cfg.n_mels, model.cfg.features)
    with torch.no_grad():
        assert model(mel[None]).shape[1] == 2 * mel.shape[0] // 4, "two character frames per token"
    import csv

    rows = list(csv.DictReader((tmp_path / "ctc" / "log.csv").open()))
    assert float(rows[-1]["dev_cer"]) >= 0, "dev spelt greedily at 50 Hz"
    with pytest.raises(AudiopalmError, match="char_rate must be 1, or 2 with a Whisper encoder"):
        train_ctc_encoder(data, tmp_path / "own", CtcTrainConfig(preset="tiny", char_rate=2, steps=1, max_utterances=8))


def test_a_listener_trains_on_at_50_hz_from_its_own_weights(tiny_world, tiny_whisper, tmp_path):
    from dataclasses import replace

    from audiopalm.audio.encoders.ctc import load_ctc_model
    from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder

    data, _ = tiny_world
    first = CtcTrainConfig(init=str(tiny_whisper[0]), steps=2, batch_seconds=20.0, warmup=1, eval_every=2,
                           checkpoint_every=2, dev_utterances=8, max_utterances=40)
    train_ctc_encoder(data, tmp_path / "25hz", first)
    start = load_ctc_model(tmp_path / "25hz" / "model").state_dict()
    model = train_ctc_encoder(data, tmp_path / "50hz", replace(first, init=str(tmp_path / "25hz" / "model"),
                                                               char_rate=2, freeze_layers=1))
    assert model.cfg.char_rate == 2 and model.cfg.arch == "whisper"
    trained = model.state_dict()
    assert trained.keys() == start.keys(), "its heads and all: nothing new"
    kept = [k for k in start if k.startswith(("subsample.", "layers.0.", "mel_"))]
    assert all(torch.equal(trained[k], start[k]) for k in kept), "its own fixed layers, not Whisper's"
    assert not all(torch.equal(trained[k], start[k]) for k in start if k.startswith(("layers.1.", "head.")))
    with pytest.raises(AudiopalmError, match="its characters are not this world's"):
        train_ctc_encoder(data, tmp_path / "other", replace(first, init=str(tmp_path / "25hz" / "model"),
                                                            max_utterances=2))


def test_our_own_trunk_given_as_init_is_refused_a_50_hz_head_before_audio_loads(tiny_world, tmp_path, monkeypatch):
    from dataclasses import replace

    import audiopalm.recipes.ctc as rc

    data, _ = tiny_world
    own = rc.CtcTrainConfig(preset="tiny", steps=1, max_utterances=8, dev_utterances=4, eval_every=1,
                            checkpoint_every=1)
    rc.train_ctc_encoder(data, tmp_path / "own", own)

    def no_audio(*args, **kwargs):
        raise AssertionError("audio loaded before the configuration was checked")

    monkeypatch.setattr(rc, "load_examples", no_audio)
    with pytest.raises(AudiopalmError, match="char_rate must be 1, or 2 with arch 'whisper'"):
        rc.train_ctc_encoder(data, tmp_path / "fast", replace(own, init=str(tmp_path / "own" / "model"), char_rate=2))


def test_freezing_needs_a_pretrained_encoder(tiny_world, tmp_path):
    from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder

    with pytest.raises(AudiopalmError, match="freeze_layers needs a pretrained encoder"):
        train_ctc_encoder(tiny_world[0], tmp_path / "ctc", CtcTrainConfig(preset="tiny", freeze_layers=1, steps=1,
                                                                          max_utterances=8))
