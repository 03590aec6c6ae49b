"""A question head: a small convolution over a CTC encoder layer that hears a question in how it was said, kept in
the model folder and read in the CTC head's pass to rank a transcript's mood."""

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from audiopalm.audio.encoders.ctc import CTC_PRESETS, CtcEncoderConfig, CtcEncoderModel, save_ctc_model
from audiopalm.cli import main
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.generation.mood import mood_of
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.question import QuestionHeadConfig, char_states, end_window, fit_question_head, speech_span
from audiopalm.recipes.question import QuestionHeadStage, run

BABEL = {code: lang.name for code, lang in LANGUAGES.items()}
LETTERS = ["<blank>", " ", *"abcdefghijklmnopqrstuvwxyz"]


def test_the_trained_head_hears_a_rise_at_the_end_and_refuses_one_class():
    g = torch.Generator().manual_seed(0)
    cfg = QuestionHeadConfig(layer=2, dim=8, hidden=8, before=6, after=2)
    windows = torch.randn(600, 8, 8, generator=g)
    is_question = torch.rand(600, generator=g) < 0.3
    windows[is_question, 4:6, 3] += 3.0  # a rise in one channel just before the end of speech
    head = fit_question_head(windows[:400], is_question[:400], cfg, epochs=20, batch=32, lr=1e-2)
    with torch.inference_mode():
        right = ((head(windows[400:]) > 0) == is_question[400:]).float().mean()
    assert right > 0.9 and right > 1 - is_question[400:].float().mean() + 0.15, "held-out windows, far above guessing"
    log_q, log_s = head.log_probs(windows[0])
    assert math.exp(log_q) + math.exp(log_s) == pytest.approx(1.0)
    with pytest.raises(AudiopalmError, match="only statements"):
        fit_question_head(windows, torch.zeros(600, dtype=torch.bool), cfg)


def test_the_window_ends_where_the_ctc_head_last_spoke():
    states = torch.arange(30.0)[:, None].repeat(1, 2)  # frame t holds t + 1
    states += 1
    log_probs = torch.full((30, 3), -9.0)
    log_probs[:, 0] = 0.0  # blank ...
    log_probs[[4, 9, 20], 1] = 1.0  # ... but for three characters
    span = speech_span(log_probs)
    assert span == (4, 21)
    window = end_window(states, span, QuestionHeadConfig(layer=1, dim=2, before=24, after=12))
    assert window.shape == (36, 2)
    assert window[:7].abs().sum() == 0, "before the speech began: zeros"
    assert window[7:, 0].tolist() == [float(t + 1) for t in range(4, 30)] + [0.0] * 3, "to the end of the recording"
    assert speech_span(torch.zeros(5, 3)) == (0, 5), "only blanks: all of it"


def test_a_50_hz_head_gives_its_speech_in_token_frames():
    log_probs = torch.full((60, 3), -9.0)
    log_probs[:, 0] = 0.0
    log_probs[[9, 41], 1] = 1.0  # frames 9 and 41 at 50 Hz: tokens 4 and 20
    assert speech_span(log_probs, char_rate=2) == (4, 21)
    assert speech_span(torch.zeros(10, 3), char_rate=2) == (0, 5)


@pytest.fixture(scope="module")
def folder(tiny_parts, tmp_path_factory):
    """(world, an AudioPaLM folder with a tiny random listener)."""
    data, parts = tiny_parts
    root = tmp_path_factory.mktemp("question")
    torch.manual_seed(0)
    save_ctc_model(CtcEncoderModel(CtcEncoderConfig(**CTC_PRESETS["tiny"], vocab=LETTERS)).eval(), root / "enc")
    AudioPaLM.from_text_lm(parts / "lm", parts / "tok", BABEL).save_pretrained(root / "ap")
    assert main(["attach-listener", "--model", str(root / "ap"), "--encoder", str(root / "enc")]) == 0
    return data, root / "ap", root / "enc"


def test_train_question_head_writes_a_head_the_model_reads_in_its_ctc_pass(folder, tmp_path, capsys):
    data, ap, enc = folder
    rows = read_jsonl(data / "train.jsonl")
    assert {bool(mood_of(r["text"])) for r in rows} == {True, False}, "the tiny world asks questions too"
    model_dir = tmp_path / "ap"
    shutil.copytree(ap, model_dir)
    assert main(["train-question-head", "--model", str(model_dir), "--data", str(data), "--per-language", "20",
                 "--dev-per-language", "5", "--layer", "1"]) == 0
    out = capsys.readouterr().out
    assert "| language | dev utterances | questions | accuracy |" in out and "written to" in out
    assert json.loads((model_dir / "question_head" / "config.json").read_text())["layer"] == 1
    model = AudioPaLM.from_pretrained(model_dir)
    heard = model.listen(data / rows[0]["audio"])
    log_q, log_s = model.question_log_probs(heard)
    assert math.exp(log_q) + math.exp(log_s) == pytest.approx(1.0, abs=1e-5)
    log_probs, states = char_states(model.listener, torch.zeros(1, 40, 80), 1)
    assert log_probs.shape == (10, len(LETTERS)) and states.shape == (10, 64)
    model.ctc_weights = {rows[0]["lang"]: 0.0}  # the model's own weight 0 for the language: the mood still counts
    guide = model.ctc_guide(heard, rows[0]["lang"])
    assert guide.scorer is None and guide.mood.log_question == log_q
    assert model.ctc_guide(heard, rows[0]["lang"], mood_weight=0.0) is None
    assert model.ctc_guide(heard, rows[0]["lang"], 0.0) is None, "a weight of 0 asked for: the language model alone"
    assert torch.allclose(model.char_log_probs(heard), AudioPaLM.from_pretrained(ap).char_log_probs(heard)), \
        "the CTC head reads as before in the same pass"
    asked = []
    model.ctc_guide = lambda *args: asked.append(args[2:]) or AudioPaLM.ctc_guide(model, *args)
    model.transcribe(heard, rows[0]["lang"], beams=1, mood_weight=0.0)
    assert asked == [(None, 0.0)], "a call's mood weight reaches the guide"
    wav = str(data / rows[0]["audio"])
    assert main(["transcribe", wav, "--model", str(model_dir), "--lang", rows[0]["lang"], "--mood-weight", "0"]) == 0
    del model.ctc_guide
    model.save_pretrained(tmp_path / "again")
    assert AudioPaLM.from_pretrained(tmp_path / "again").question_log_probs(heard) == pytest.approx((log_q, log_s))
    assert main(["attach-listener", "--model", str(model_dir), "--encoder", str(enc)]) == 0
    assert not (model_dir / "question_head").exists(), "a head read another encoder's states"


def test_train_question_head_refuses_a_model_without_a_ctc_encoder_and_a_layer_it_lacks(folder, tiny_parts,
                                                                                        tmp_path, capsys):
    data, ap, _ = folder
    AudioPaLM.from_text_lm(tiny_parts[1] / "lm", tiny_parts[1] / "tok", BABEL).save_pretrained(tmp_path / "mfcc")
    assert main(["train-question-head", "--model", str(tmp_path / "mfcc"), "--data", str(data)]) == 2
    assert "no CTC encoder for a question head to read" in capsys.readouterr().err
    assert main(["train-question-head", "--model", str(ap), "--data", str(data), "--layer", "3"]) == 2
    assert "the model's CTC encoder has 2 layers" in capsys.readouterr().err
    assert not (ap / "question_head").exists()


def test_an_unreadable_recording_is_reported_and_skipped(folder, tmp_path, capsys):
    data, ap, _ = folder
    rows = read_jsonl(data / "train.jsonl")
    picked = [r for r in rows if mood_of(r["text"])][:4] + [r for r in rows if mood_of(r["text"]) is False][:4]
    (tmp_path / "audio").mkdir()
    for r in picked:
        shutil.copy(data / r["audio"], tmp_path / "audio" / Path(r["audio"]).name)
    broken = {**picked[0], "id": "broken", "audio": "audio/broken.wav"}
    (tmp_path / "audio" / "broken.wav").write_bytes(b"RIFF not a wave file")
    manifest = [{**r, "audio": f"audio/{Path(r['audio']).name}"} for r in picked] + [broken]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    model_dir = tmp_path / "ap"
    shutil.copytree(ap, model_dir)
    out = run(QuestionHeadStage(str(model_dir), str(tmp_path), per_language=10, dev_per_language=0, layer=1))
    assert "trained on 8 train utterances (4 questions)" in out
    assert "skipped: " in capsys.readouterr().err and (model_dir / "question_head" / "model.safetensors").is_file()
