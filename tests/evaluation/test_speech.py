"""S2ST evaluation: reference selection, the similarity anchors, and the whole report on tiny parts."""

import json
import math
import shutil

import numpy as np
import pytest


from audiopalm.audio.io import load_audio
from audiopalm.cli import main
from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.report import speech_table
from audiopalm.evaluation.speech import _tts_utterances, _utterances, cosine, evaluate_tts
from audiopalm.models.audiopalm import AudioPaLM


def _judges():
    pytest.importorskip("resemblyzer")
    pytest.importorskip("speechmos")
    from audiopalm.evaluation.speech import Judges

    return Judges(whisper=False)


def test_cosine():
    assert cosine(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert cosine(np.array([1.0, 1.0]), np.array([-1.0, -1.0])) == pytest.approx(-1.0)


def test_references_are_the_same_speaker_and_another_speaker(tiny_world):
    data, _ = tiny_world
    rows = read_jsonl(data / "test.jsonl")
    tokens = {r["id"]: None for r in rows}
    utts = _utterances(data, tokens, "fr", "en", 5)
    assert utts
    for u in utts:
        src, ref, other = u["source"], u["reference"], u["other"]
        assert (src["lang"], ref["lang"], other["lang"]) == ("fr", "en", "en")
        assert src["sentence_id"] == ref["sentence_id"] == other["sentence_id"]
        assert ref["speaker"] == src["speaker"] != other["speaker"]


def test_same_speaker_is_closer_than_another_speaker(tiny_world):
    """The anchors' premise, on ground truth: the source speaker's other-language utterance is closer to
    the reference than another speaker saying the very same words."""
    data, _ = tiny_world
    judges = _judges()
    utts = _utterances(data, {r["id"]: None for r in read_jsonl(data / "test.jsonl")}, "fr", "en", 6)
    gaps = []
    for u in utts:
        ref = judges.voice(load_audio(data / u["reference"]["audio"]))
        same = cosine(judges.voice(load_audio(data / u["source"]["audio"])), ref)
        other = cosine(judges.voice(load_audio(data / u["other"]["audio"])), ref)
        gaps.append(same - other)
    assert np.mean(gaps) > 0.05


def test_mos_is_higher_for_speech_than_for_noise(tiny_world):
    data, _ = tiny_world
    judges = _judges()
    speech = load_audio(data / read_jsonl(data / "test.jsonl")[0]["audio"])
    noise = np.random.default_rng(0).standard_normal(len(speech)).astype(np.float32) * 0.3
    clean, noisy = judges.mos(speech), judges.mos(noise)
    assert set(clean) == {"ovrl", "sig", "bak", "p808"}
    assert clean["ovrl"] > noisy["ovrl"] + 0.2 and clean["bak"] > noisy["bak"] + 0.5


def test_tts_references_are_the_utterance_itself_with_another_recording_as_prompt(tiny_world):
    data, _ = tiny_world
    utts = _tts_utterances(data, {r["id"]: None for r in read_jsonl(data / "test.jsonl")}, "de", 4)
    assert utts
    for u in utts:
        src, ref, other = u["source"], u["reference"], u["other"]
        assert src["lang"] == ref["lang"] == other["lang"] == "de"
        assert src["speaker"] == ref["speaker"] != other["speaker"]
        assert src["sentence_id"] != ref["sentence_id"] == other["sentence_id"]


def test_evaluate_tts(speaking_model, tmp_path):
    from audiopalm.evaluation.unified import split_tokens

    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    tokens, _ = split_tokens(model_dir, data, "test", 1)
    r = evaluate_tts(model, _judges(), data, tokens, "fr", 2, tmp_path / "tts")
    assert r["n"] == 2 and not r["failures"]
    assert set(r["asr_wer"]) == {"output", "oracle", "reference"} and set(r["asr_wer"]["output"]) == {"own"}
    assert set(r["asr_cer"]) == set(r["asr_wer"]) and all(0 <= v["own"] for v in r["asr_cer"].values())
    table = speech_table({"tts": {"fr": r}}, "tts")
    assert "WER / CER %" in table and f"{100 * r['asr_cer']['reference']['own']:.1f} (own)" in table
    assert "WER / CER %" not in speech_table({"s2st": {"fr-en": r}}, "s2st"), "S2ST is judged by ASR-BLEU"
    sims = r["similarity"]  # an untrained model may write too little speech to judge: its output may be NaN
    assert all(-1 <= v <= 1 for k, v in sims.items() if k != "output")
    assert math.isnan(sims["output"]) or -1 <= sims["output"] <= 1
    assert len(list((tmp_path / "tts").glob("*.wav"))) <= 2
    assert set(r["token_bleu"]) == {"output", "oracle"} and all(0 <= v <= 100 for v in r["token_bleu"].values())


def test_tokens_are_read_back_by_the_models_own_asr(speaking_model):
    import torch

    from audiopalm.evaluation.speech import read_back
    from audiopalm.evaluation.unified import decode_task, split_tokens

    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    tokens, _ = split_tokens(model_dir, data, "test", 1)
    some = next(iter(tokens.values()))
    assert read_back(model, [some, torch.zeros(0, dtype=torch.long)], "fr") == \
        [decode_task(model, "ASR", [("fr", None, some)])[0], ""]


def test_eval_s2st_writes_report_and_wavs(speaking_model, tmp_path, capsys, monkeypatch):
    import audiopalm.evaluation.speech as speech

    _judges()
    data, model_dir = speaking_model
    judged, timed_after = [], []  # the real-time factor is timed before any judge has run in the process
    for name in ("voice", "mos", "whisper"):
        def judge(self, wav, _real=getattr(speech.Judges, name)):
            judged.append(1)
            return _real(self, wav)
        monkeypatch.setattr(speech.Judges, name, judge)
    real_rtf = speech.real_time_factors
    monkeypatch.setattr(speech, "real_time_factors",
                        lambda *a, **k: timed_after.append(len(judged)) or real_rtf(*a, **k))
    assert main(["eval", "--model", str(model_dir), "--data", str(data), "--tasks", "s2st", "--targets",
                 "--pairs", "fr-en", "--per-language", "2", "--rtf-utterances", "1", "--jobs", "1", "--cascade",
                 "--conditions", "test", "test-noisy",
                 "--out", str(tmp_path / "report"), "--wavs", str(tmp_path / "wavs")]) == 0
    out = capsys.readouterr().out
    assert "## Speech-to-speech translation" in out and "| fr-en | output |" in out and "real-time factor" in out
    report = json.loads((tmp_path / "report" / "results.json").read_text())
    assert (tmp_path / "report" / "speech.png").exists() and (tmp_path / "report" / "rtf.png").exists()
    assert report["asr"] == {} and report["ast"] == {}  # only s2st was asked for
    r = report["s2st"]["fr-en"]
    assert r["n"] == 2 and not r["failures"] and r["zero_shot"] is False
    assert -1 <= r["similarity"]["floor"] <= r["similarity"]["ceiling"] <= 1
    assert set(r["asr_bleu"]) == {"output", "cascade", "oracle", "reference"}
    assert set(r["token_bleu"]) == {"output", "cascade", "oracle"}
    assert r["dnsmos"]["reference"]["ovrl"] > 1
    assert set(report["codec_resynthesis"]) == {"en"}
    rtf = report["real_time_factor"]
    assert timed_after == [0] and judged
    assert rtf["total"] == pytest.approx(sum(rtf[k] for k in ("tokenizer", "language_model", "acoustic", "codec")))
    assert len(list((tmp_path / "wavs" / "s2st" / "fr-en").glob("*.wav"))) <= 2
    noisy = report["conditions"]["test-noisy"]["s2st"]["fr-en"]  # noisy sources, clean same-voice references
    assert noisy["n"] == 2 and -1 <= noisy["similarity"]["ceiling"] <= 1
    assert "test-unseen-synth" not in report["conditions"]
    assert len(list((tmp_path / "wavs" / "test-noisy" / "s2st" / "fr-en").glob("*.wav"))) <= 2


def test_unknown_eval_task_is_one_clear_error(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    assert main(["eval", "--model", str(tmp_path), "--data", str(data), "--tasks", "asr,s2sx"]) == 2
    assert "unknown evaluation task(s) s2sx" in capsys.readouterr().err


def test_eval_s2st_names_the_recordings_it_could_not_read(speaking_model, tmp_path):
    _judges()
    data, model_dir = speaking_model
    world = tmp_path / "world"
    shutil.copytree(data, world, ignore=shutil.ignore_patterns("tokens"))
    french = [json.loads(line) for line in open(world / "test.jsonl") if '"lang": "fr"' in line]
    (world / french[0]["audio"]).write_bytes(b"RIFF....WAVEfmt not really")
    assert main(["eval", "--model", str(model_dir), "--data", str(world), "--tasks", "s2st", "--targets", "--pairs",
                 "fr-en", "--per-language", "1", "--rtf-utterances", "0", "--jobs", "1", "--conditions", "test",
                 "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "results.json").read_text())
    assert [s.split(": ")[0] for s in report["skipped"]] == [french[0]["id"]]
    assert report["s2st"]["fr-en"]["n"] == 1  # the next readable recording took its place
    assert "1 unreadable recording(s) were not scored" in (tmp_path / "report" / "results.md").read_text()
