"""`audiopalm train-units` on the tiny world: aligned by the tokenizer's phoneme head, resumable, and the text-to-unit
model attached to a speech stage speaks what the model writes."""

import csv
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec
from audiopalm.cli import main
from audiopalm.data.languages import Languages
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.mel_decoder import MEL_DECODER_PRESETS, MelDecoder
from audiopalm.models.units import TextToUnit, UnitsConfig
from audiopalm.recipes.ctc import CtcTrainConfig
from audiopalm.recipes.tokenizer import train_tokenizer

TINY_CTC = dict(preset="tiny", batch_seconds=20.0, warmup=2, eval_every=4, checkpoint_every=2, dev_utterances=8,
                max_utterances=40)


@pytest.fixture(scope="module")
def parts(tiny_parts, tmp_path_factory):
    """The tiny world, its text LM, a CTC tokenizer of 8 tokens with a phoneme head, a tiny mel codec and mel decoder."""
    data, root = tiny_parts
    out = tmp_path_factory.mktemp("units-parts")
    train_tokenizer(data, "ctc", out / "tok", codebook_size=8, max_frames=2000,
                    ctc_config=CtcTrainConfig(steps=2, **TINY_CTC))
    MelCodec(MEL_CODEC_PRESETS["tiny"]).save_pretrained(out / "codec")
    cfg = MEL_DECODER_PRESETS["tiny"]
    MelDecoder(type(cfg)(**{**cfg.__dict__, "semantic_size": 8})).save_pretrained(out / "acoustic")
    return data, root / "lm", out


def test_train_units_resumes_then_speaks_through_the_model(parts, tmp_path, capsys):
    data, lm, p = parts
    args = ["train-units", "--data", str(data), "--tokenizer", str(p / "tok"), "--out", str(tmp_path / "units"),
            "--preset", "tiny", "--steps", "4", "--batch-frames", "1500", "--eval-every", "2", "--checkpoint-every", "2",
            "--dev-utterances", "8", "--warmup", "1"]
    assert main(args + ["--max-minutes", "0"]) == 0
    assert "paused" in capsys.readouterr().out and not (tmp_path / "units" / "model").exists()
    assert main(args) == 0
    assert "resumed from" in capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "units" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4] and 0 <= float(rows[-1]["dev_token_accuracy"]) <= 1
    aligned = load_file(str(tmp_path / "units" / "align-train.safetensors"))
    train_rows = [json.loads(line) for line in open(data / "train.jsonl")]
    assert len(aligned) >= 0.9 * len(train_rows)  # nearly every utterance aligns
    tokens_per_utterance = {r["id"]: round(r["duration"] * 25) for r in train_rows}
    for uid, a in list(aligned.items())[:20]:  # frames per symbol add up to the utterance's tokens
        assert a.shape[0] == 2 and abs(int(a[1].sum()) - tokens_per_utterance[uid]) <= 2 and (a[1, 1:-1] >= 1).all()
    units = TextToUnit.from_pretrained(tmp_path / "units" / "model")
    assert units.cfg.semantic_size == 8 and units.cfg.languages == sorted(Languages.of_dataset(data).codes)
    assert units.cfg.dropout == 0.1, "the preset's dropout unless asked otherwise"

    AudioPaLM.from_text_lm(lm, p / "tok", Languages.of_dataset(data)).save_pretrained(tmp_path / "ap")
    attach = ["attach-speech", "--model", str(tmp_path / "ap"), "--codec", str(p / "codec"), "--acoustic",
              str(p / "acoustic")]
    assert main(attach) == 0
    assert AudioPaLM.from_pretrained(tmp_path / "ap").speech_from == "lm"
    assert main(attach + ["--units", str(tmp_path / "units" / "model")]) == 0
    model = AudioPaLM.from_pretrained(tmp_path / "ap")
    assert model.speech_from == "text"
    wav_path = next((data / "audio" / "test" / "fr").glob("*.wav"))
    said = model.speak("Le chat dort.", lang="French", voice=wav_path)
    tokens = model.speech_out.text_tokens("Le chat dort.", "fr", model.voice_prompt(wav_path)[0])
    assert said.dtype == np.float32 and len(said) == max(0, 2 * len(tokens) - 1) * 320 > 0
    transcript, translation, speech = model.spoken_translation(wav_path, to="en", lang="fr")
    if translation.strip():  # an untrained LM may write nothing; then nothing is said
        expected = model.speak(translation, "en", wav_path)
        assert len(speech) == len(expected) and np.allclose(speech, expected)
    else:
        assert len(speech) == 0
    assert model.speak("Le chat dort.", lang="fr", speech_from="lm").dtype == np.float32
    # the speech evaluation scores the text-to-unit model's speech as the output, the LM's own beside it
    pytest.importorskip("resemblyzer")
    from audiopalm.evaluation.speech import Judges, evaluate_tts
    from audiopalm.evaluation.unified import split_tokens

    tokens, _ = split_tokens(tmp_path / "ap", data, "test", 1)
    r = evaluate_tts(model, Judges(whisper=False), data, tokens, "fr", 2, None, speech_from="text")
    assert r["n"] == 2 and set(r["asr_wer"]) == {"output", "lm", "oracle", "reference"}
    assert set(r["token_bleu"]) == {"output", "lm", "oracle"}
    with pytest.raises(AudiopalmError, match="speaks .*not 'xx'"):
        model.speech_out.text_tokens("hello", "xx")
    with pytest.raises(AudiopalmError, match="speech_from must be one of"):
        model.speak("Le chat dort.", lang="fr", speech_from="units")
    assert main(attach) == 0  # attached again without one: the model speaks through its LM again
    assert AudioPaLM.from_pretrained(tmp_path / "ap").speech_from == "lm"


def test_dropout_setting_reaches_the_trained_model(parts, tmp_path):
    data, _, p = parts
    assert main(["train-units", "--data", str(data), "--tokenizer", str(p / "tok"), "--out", str(tmp_path / "units"),
                 "--preset", "tiny", "--steps", "1", "--batch-frames", "1500", "--dev-utterances", "4",
                 "--dropout", "0"]) == 0
    units = TextToUnit.from_pretrained(tmp_path / "units" / "model")
    assert units.cfg.dropout == 0.0
    assert all(m.p == 0.0 for m in units.modules() if isinstance(m, torch.nn.Dropout))


def test_a_tokenizer_without_a_phoneme_head_or_a_mismatched_model_is_refused(parts, tiny_parts, tmp_path, capsys):
    data, lm, p = parts
    _, root = tiny_parts  # its tokenizer is an MFCC one: no phoneme head to align with
    assert main(["train-units", "--data", str(data), "--tokenizer", str(root / "tok"), "--out", str(tmp_path / "u"),
                 "--preset", "tiny", "--steps", "1"]) == 2
    assert "phoneme CTC head" in capsys.readouterr().err
    wide = UnitsConfig(symbols=list("ab"), languages=["en"], semantic_size=16, dim=16, encoder_layers=1,
                       decoder_layers=1, heads=2)
    TextToUnit(wide).save_pretrained(tmp_path / "wide")
    AudioPaLM.from_text_lm(lm, p / "tok", Languages.of_dataset(data)).save_pretrained(tmp_path / "ap")
    assert main(["attach-speech", "--model", str(tmp_path / "ap"), "--codec", str(p / "codec"), "--acoustic",
                 str(p / "acoustic"), "--units", str(tmp_path / "wide")]) == 2
    assert "writes 16 semantic tokens, the acoustic model reads 8" in capsys.readouterr().err
    assert main(["attach-speech", "--model", str(tmp_path / "ap"), "--codec", str(p / "codec"), "--acoustic",
                 str(p / "acoustic"), "--units", str(tmp_path / "none")]) == 2
    assert "not a text-to-unit model folder" in capsys.readouterr().err


def test_acoustic_model_learns_to_render_the_text_to_unit_models_tokens(parts, tmp_path, capsys, monkeypatch):
    data, _, p = parts
    assert main(["train-units", "--data", str(data), "--tokenizer", str(p / "tok"), "--out", str(tmp_path / "units"),
                 "--preset", "tiny", "--steps", "2", "--batch-frames", "1500", "--dev-utterances", "8"]) == 0
    args = ["train-acoustic", "--data", str(data), "--tokenizer", str(p / "tok"), "--codec", str(p / "codec"),
            "--out", str(tmp_path / "ac"), "--preset", "tiny", "--steps", "2", "--batch-frames", "1500",
            "--dev-utterances", "8", "--init", str(p / "acoustic")]
    assert main(args + ["--inputs", "units"]) == 2
    assert "--inputs units needs --units" in capsys.readouterr().err
    cfg = MEL_DECODER_PRESETS["tiny"]
    MelDecoder(type(cfg)(**{**cfg.__dict__, "semantic_size": 16})).save_pretrained(tmp_path / "wider")
    wider = [a if a != str(p / "acoustic") else str(tmp_path / "wider") for a in args]
    assert main(wider + ["--inputs", "both", "--units", str(tmp_path / "units")]) == 2
    assert "--init " + str(tmp_path / "wider") + ": a MelDecoder of another size" in capsys.readouterr().err
    monkeypatch.setattr("audiopalm.recipes.units.NO_PROMPT", 1.0)  # no voice prompt: each utterance's tokens exact
    assert main(args + ["--inputs", "both", "--units", str(tmp_path / "units")]) == 0
    from audiopalm.data.shards import default_shards, load_tokens

    spoken = load_file(str(tmp_path / "ac" / "spoken-train.safetensors"))
    tokens = load_tokens(default_shards(data, p / "tok"), "train")
    aligned = load_file(str(tmp_path / "units" / "align-train.safetensors"))
    assert set(spoken) == set(aligned) & set(tokens) and len(spoken) >= 0.9 * len(tokens)
    for uid, s in spoken.items():  # frame for frame with the recording's own tokens, in the codebook
        assert len(s) == len(tokens[uid]) and 0 <= int(s.min()) and int(s.max()) < 8
    units = TextToUnit.from_pretrained(tmp_path / "units" / "model")
    uid = next(iter(spoken))
    a = aligned[uid].long()
    lang = units.cfg.languages.index(next(json.loads(x) for x in open(data / "train.jsonl")
                                          if json.loads(x)["id"] == uid)["lang"])
    with torch.inference_mode():  # teacher-forced on the recording's alignment, alone in its batch
        logits, _, _ = units(a[0][None], torch.tensor([lang]), torch.full((1, 1), 8), a[1][None])
    chosen = logits[0].gather(-1, spoken[uid].long()[:, None])[:, 0]
    assert (logits[0].max(-1).values - chosen).max() < 1e-4  # its most likely token, but for ties within rounding
    rows = list(csv.DictReader(open(tmp_path / "ac" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2] and rows[-1]["dev_loss"]
    assert MelDecoder.from_pretrained(tmp_path / "ac" / "model").cfg.semantic_size == 8
