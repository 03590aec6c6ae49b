"""`audiopalm data import`: FLEURS, CoVoST 2 (through `datasets`) and CVSS (release files) into the
dataset format, then tokenized, trained on and evaluated like a Babel world."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

datasets = pytest.importorskip("datasets")

from audiopalm.cli import main
from audiopalm.data.languages import Languages
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.multitask import MixtureConfig, build_mixture, group_utterances


def _rows(world: Path, split: str, lang: str, n: int) -> list[dict]:
    """The first n rows in `lang` of the tiny world whose sentence is said in French and English."""
    rows = read_jsonl(world / f"{split}.jsonl")
    both = {r["sentence_id"] for r in rows if r["lang"] == "fr"} & {r["sentence_id"] for r in rows if r["lang"] == "en"}
    return [r for r in rows if r["lang"] == lang and r["sentence_id"] in both][:n]


def _audio(world: Path, row: dict) -> dict:
    return {"bytes": (world / row["audio"]).read_bytes(), "path": None}


def _dataset(columns: dict[str, list]) -> "datasets.Dataset":
    return datasets.Dataset.from_dict(columns).cast_column("audio", datasets.Audio(sampling_rate=16000))


def _fleurs(world: Path, lang: str, corrupt: bool = False) -> "datasets.DatasetDict":
    splits = {}
    for ours, theirs in (("train", "train"), ("dev", "validation"), ("test", "test")):
        rows = _rows(world, ours, lang, 4)
        sids = sorted({r["sentence_id"] for r in read_jsonl(world / f"{ours}.jsonl")})
        audio = [_audio(world, r) for r in rows]
        if corrupt and ours == "train":
            audio[1] = {"bytes": b"not audio at all", "path": None}
        splits[theirs] = _dataset({"id": [sids.index(r["sentence_id"]) for r in rows], "audio": audio,
                                   "raw_transcription": [r["text"] for r in rows],
                                   "transcription": [r["text"].lower() for r in rows]})
    return datasets.DatasetDict(splits)


def test_fleurs_import_adds_languages_and_pairs_readings_across_speakers(tiny_world, tmp_path, capsys):
    world, _ = tiny_world
    out = tmp_path / "real"
    for lang in ("fr", "en"):
        _fleurs(world, lang, corrupt=lang == "fr").save_to_disk(str(tmp_path / f"fleurs-{lang}"))
        assert main(["data", "import", "fleurs", "--source", str(tmp_path / f"fleurs-{lang}"), "--lang", lang,
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipped fleurs-fr-train-1: cannot decode audio bytes" in printed and "1 skipped" in printed
    train = read_jsonl(out / "train.jsonl")
    assert sorted({r["lang"] for r in train}) == ["en", "fr"] and len(train) == 7  # 4 + 4, the corrupt clip skipped
    first = train[0]
    assert first["text"] == _rows(world, "train", "fr", 1)[0]["text"]  # raw transcription, cased
    info = sf.info(str(out / first["audio"]))
    assert info.samplerate == 16000 and info.format == "FLAC" and first["duration"] == pytest.approx(info.duration, abs=1e-3)
    assert json.loads((out / "world.json").read_text())["languages"] == {"fr": {"name": "French"},
                                                                      "en": {"name": "English"}}
    assert {len(read_jsonl(out / f"{s}.jsonl")) for s in ("dev", "test")} == {8}
    # a re-run adds nothing twice and rewrites no clip
    stamp = (out / first["audio"]).stat().st_mtime_ns
    assert main(["data", "import", "fleurs", "--source", str(tmp_path / "fleurs-fr"), "--lang", "fr", "--out", str(out)]) == 0
    assert len(read_jsonl(out / "train.jsonl")) == 7 and (out / first["audio"]).stat().st_mtime_ns == stamp
    # each reading is its own speaker: the English reading of the same sentence is the translation target
    tokens = {r["id"]: torch.arange(5) for r in train}
    groups = group_utterances(train, tokens)
    fr_groups = [g for g in groups if "fr" in g and not g["fr"].borrowed]
    assert len(fr_groups) == 3 and all(g["en"].borrowed and g["en"].tokens is not None for g in fr_groups)


def test_covost2_import_keeps_translations_as_text_and_trains_end_to_end(tiny_parts, tmp_path, monkeypatch, capsys):
    from audiopalm.evaluation.unified import evaluate_unified

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    world, parts = tiny_parts
    source = tmp_path / "covost2-fr_en"  # a local copy of the hub's parquet files
    for ours, theirs in (("train", "train"), ("dev", "validation"), ("test", "test")):
        fr, en = _rows(world, ours, "fr", 6), _rows(world, ours, "en", 6)
        english = {r["sentence_id"]: r["text"] for r in en}
        ds = _dataset({"client_id": [r["speaker"] for r in fr], "sentence": [r["text"] for r in fr],
                       "translation": [english[r["sentence_id"]] for r in fr], "id": [r["id"] for r in fr],
                       "audio": [_audio(world, r) for r in fr]})
        ds.to_parquet(str(source / "data" / f"{theirs}-00000-of-00001.parquet"))
    out = tmp_path / "real"
    assert main(["data", "import", "covost2", "--source", str(source), "--lang", "fr", "--target-lang", "en",
                 "--out", str(out)]) == 0
    train = read_jsonl(out / "train.jsonl")
    text_only = [r for r in train if r["audio"] is None]
    assert len(text_only) == 6 and {r["lang"] for r in text_only} == {"en"} and all(r["speaker"] is None for r in text_only)
    assert {r["sentence_id"] for r in text_only} == {r["sentence_id"] for r in train if r["audio"]}

    # the translations are text targets only: AST yes, S2ST never
    tokens = {r["id"]: torch.arange(5) for r in train if r["audio"]}
    groups = group_utterances(train, tokens)
    assert all(g["en"].tokens is None and g["en"].borrowed for g in groups)

    class Vocab:  # the mixture only needs ids; count which tasks were drawn
        pad_id, text_size, size = 0, 100, 200

    drawn = []
    monkeypatch.setattr("audiopalm.data.multitask.example",
                        lambda vocab, tok, languages, task, src, tgt: drawn.append(task) or (torch.zeros(3, dtype=torch.long),
                                                                                             torch.ones(3)))
    build_mixture(groups, Vocab(), None, Languages.of_dataset(out), MixtureConfig(weights={"AST": 1.0, "S2ST": 1.0, "ASR": 1.0}))
    assert drawn.count("AST") == 6 and drawn.count("ASR") == 6 and "S2ST" not in drawn

    config = {"data": str(out), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"),
              "out": str(tmp_path / "ap"), "jobs": 1, "mixture": {"ASR": 1.0, "AST": 1.0, "S2ST": 0.5},
              "train": {"steps": 2, "batch_tokens": 2048, "eval_every": 2}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", "--config", str(tmp_path / "cfg.yaml")]) == 0
    report = evaluate_unified(tmp_path / "ap" / "model", out, 3, ("en",), 1, (), frozenset({"asr", "ast"}), examples=2)
    assert set(report["asr"]) == {"fr"} and report["ast"]["fr-en"]["n"] == 3
    assert len(report["asr"]["fr"]["examples"]) == len(report["ast"]["fr-en"]["examples"]) == 2, "as many as asked"


def _tone(path: Path, sr: int, seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), sr)


def test_cvss_import_pairs_common_voice_clips_with_translated_speech(tmp_path, capsys):
    cv, pair = tmp_path / "cv" / "fr", tmp_path / "cvss_c" / "fr-en"
    cv.mkdir(parents=True)
    with (cv / "validated.tsv").open("w", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["client_id", "path", "sentence", "up_votes"])
        for k in range(3):
            w.writerow([f"spk{k % 2}", f"common_voice_fr_{k}.wav", f"Phrase numéro {k}.", "2"])
            _tone(cv / "clips" / f"common_voice_fr_{k}.wav", 48000)
    pair.mkdir(parents=True)
    (pair / "train.tsv").write_text("".join(f"common_voice_fr_{k}.wav\tSentence number {k}.\n" for k in range(3)))
    for k in (0, 1):  # the third translation's speech is missing: that pair is skipped
        _tone(pair / "train" / f"common_voice_fr_{k}.wav.wav", 24000)
    out = tmp_path / "real"
    assert main(["data", "import", "cvss", "--source", str(pair), "--common-voice", str(cv), "--lang", "fr",
                 "--target-lang", "en", "--variant", "t", "--splits", "train", "--out", str(out)]) == 0
    assert "1 skipped" in capsys.readouterr().out
    rows = read_jsonl(out / "train.jsonl")
    assert len(rows) == 4 and [r["lang"] for r in rows] == ["fr", "en", "fr", "en"]
    assert rows[0]["text"] == "Phrase numéro 0." and rows[1]["text"] == "Sentence number 0."
    assert rows[0]["speaker"] == rows[1]["speaker"] == "cv-spk0"  # CVSS-T: the source speaker's voice
    assert all(sf.info(str(out / r["audio"])).samplerate == 16000 for r in rows)
    groups = group_utterances(rows, {r["id"]: torch.arange(3) for r in rows})
    assert len(groups) == 2 and all(not g["en"].borrowed for g in groups)  # same-speaker pairs: voice-preserving S2ST


def test_bad_sources_are_one_line_errors(tiny_world, tmp_path, capsys):
    world, _ = tiny_world
    datasets.DatasetDict({"train": _dataset({"id": [0], "audio": [_audio(world, _rows(world, "train", "fr", 1)[0])]})}
                         ).save_to_disk(str(tmp_path / "no-text"))
    assert main(["data", "import", "fleurs", "--source", str(tmp_path / "no-text"), "--lang", "fr",
                 "--out", str(tmp_path / "o")]) == 2
    assert "no column transcription" in capsys.readouterr().err
    assert main(["data", "import", "covost2", "--source", str(tmp_path / "no-text"), "--lang", "fr",
                 "--out", str(tmp_path / "o")]) == 2
    assert "covost2 needs --target-lang" in capsys.readouterr().err
    babel = tmp_path / "babel"  # a Babel world is never written into
    babel.mkdir()
    (babel / "world.json").write_text(json.dumps({"generator_version": "1.0", "languages": {}}))
    _fleurs(world, "fr").save_to_disk(str(tmp_path / "fleurs-fr"))
    assert main(["data", "import", "fleurs", "--source", str(tmp_path / "fleurs-fr"), "--lang", "fr",
                 "--out", str(babel)]) == 2
    assert "holds a Babel world" in capsys.readouterr().err and not (babel / "train.jsonl").exists()
