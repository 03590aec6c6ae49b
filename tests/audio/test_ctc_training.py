"""The CTC encoder trains on a world, resumes exactly after an interruption, and becomes a tokenizer."""

import csv

import pytest
import torch
from safetensors.torch import load_file

from audiopalm import AudioTokenizer
from audiopalm.audio.encoders.ctc import CtcEncoder
from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder

TINY = dict(preset="tiny", batch_seconds=20.0, warmup=2, eval_every=4, checkpoint_every=2, dev_utterances=8,
            max_utterances=40)


def _weights(folder):
    return load_file(str(folder / "model" / "model.safetensors"))


def test_interrupted_training_resumes_to_the_same_weights(tiny_world, tmp_path):
    data, _ = tiny_world
    cfg = CtcTrainConfig(steps=6, **TINY)
    train_ctc_encoder(data, tmp_path / "straight", cfg)
    # the same run, stopped after 3 steps (as if killed) and started again
    train_ctc_encoder(data, tmp_path / "resumed", CtcTrainConfig(steps=3, **TINY))
    (tmp_path / "resumed" / "model" / "model.safetensors").unlink()
    train_ctc_encoder(data, tmp_path / "resumed", cfg)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), "resumed run diverged"
    rows = list(csv.DictReader(open(tmp_path / "straight" / "log.csv")))
    assert len(rows) == 6 and rows[3]["dev_cer"] != ""


def test_ctc_tokenizer_from_a_world(tiny_world, tmp_path):
    data, _ = tiny_world
    tok = train_tokenizer(data, "ctc", tmp_path / "tok", codebook_size=8, max_frames=2000,
                          ctc_config=CtcTrainConfig(steps=2, **TINY))
    assert isinstance(tok.encoder, CtcEncoder)
    loaded = AudioTokenizer.from_pretrained(tmp_path / "tok")
    wav_path = next((data / "audio" / "test" / "en").glob("*.wav"))
    assert torch.equal(loaded.encode(wav_path), tok.encode(wav_path))


def test_unknown_encoder_is_a_clear_error(tiny_world, tmp_path):
    from audiopalm.errors import AudiopalmError

    with pytest.raises(AudiopalmError, match="use mfcc, ctc or hf"):
        train_tokenizer(tiny_world[0], "w2v", tmp_path / "tok")


def test_v2_encoder_has_a_phoneme_head_and_v1_options_do_not(tiny_world, tmp_path):
    from audiopalm.audio.encoders.ctc import load_ctc_model
    from audiopalm.evaluation.tokenizer_quality import encoder_ctc_rates
    from audiopalm.data.manifest import read_jsonl

    data, _ = tiny_world
    train_ctc_encoder(data, tmp_path / "v2", CtcTrainConfig(steps=2, **TINY))
    v2 = load_ctc_model(tmp_path / "v2" / "model")
    assert v2.cfg.phonemes and v2.cfg.phone_layer == v2.cfg.read_layer
    assert (tmp_path / "v2" / "phonemes.jsonl").exists()
    rows = read_jsonl(data / "test.jsonl")[:4]
    rates = encoder_ctc_rates(v2, rows, data)
    assert set(rates) == {"cer", "wer", "per", "n"} and rates["n"] == 4
    by_family = encoder_ctc_rates(v2, rows, data, family={r["speaker"]: "x" for r in rows})["per_family"]
    assert by_family["x"]["n"] == 4 and by_family["x"]["cer"] == rates["cer"]
    log = list(csv.DictReader(open(tmp_path / "v2" / "log.csv")))
    assert "dev_per" in log[0]

    train_ctc_encoder(data, tmp_path / "v1", CtcTrainConfig(steps=2, phonemes=False, augment=False, **TINY))
    v1 = load_ctc_model(tmp_path / "v1" / "model")
    assert not v1.cfg.phonemes and "per" not in encoder_ctc_rates(v1, rows, data)


def test_dropout_is_a_training_setting_that_leaves_the_presets_alone(tiny_world, tmp_path):
    from audiopalm.audio.encoders.ctc import CTC_PRESETS, load_ctc_model

    data, _ = tiny_world
    train_ctc_encoder(data, tmp_path / "none", CtcTrainConfig(steps=2, dropout=0.0, **TINY))
    assert load_ctc_model(tmp_path / "none" / "model").cfg.dropout == 0.0
    assert "dropout" not in CTC_PRESETS["tiny"]
    train_ctc_encoder(data, tmp_path / "usual", CtcTrainConfig(steps=2, **TINY))
    assert load_ctc_model(tmp_path / "usual" / "model").cfg.dropout == 0.1  # the model's own default
    # trained on from it, a run keeps its start's dropout unless told otherwise
    on = CtcTrainConfig(init=str(tmp_path / "none" / "model"), steps=2, **{**TINY, "preset": "small"})
    train_ctc_encoder(data, tmp_path / "on", on)
    assert load_ctc_model(tmp_path / "on" / "model").cfg.dropout == 0.0
