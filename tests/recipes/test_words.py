"""`audiopalm attach-words`: word models of a model's languages, from a Babel world's text-LM corpus or a manifest."""

import json

import pytest

from audiopalm.cli import main
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.recipes.pretrain_text import corpus
from audiopalm.text.normalize import normalize
from audiopalm.text.words import WordNgram


def _model_folder(path, languages):
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"format": "audiopalm", "languages": languages}))
    return path


def test_word_models_of_the_worlds_text_lm_corpus_in_the_models_languages(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    model = _model_folder(tmp_path / "m", {"fr": "French", "en": "English"})
    assert main(["attach-words", "--model", str(model), "--data", str(data), "--extra-sentences", "20"]) == 0
    assert "word models written to" in capsys.readouterr().out
    words = WordNgram.load(model / "words.json.gz")
    assert words.languages == ["en", "fr"], "only the model's languages"
    train, _ = corpus(data, 20, 0)
    lexicon = {w for item in train for w in normalize(item["fr"], "fr").split()}
    assert {g for g in words.counts["fr"] if " " not in g} == lexicon | {"<s>"}
    held = {w for r in read_jsonl(data / "test.jsonl") if r["lang"] == "fr" for w in normalize(r["text"], "fr").split()}
    assert held - lexicon != held, "test sentences are new, their words are not all new"


def test_word_models_of_a_manifest_and_one_clear_error_for_what_is_neither(tmp_path, capsys):
    manifest = tmp_path / "train.jsonl"
    rows = [{"id": "a", "audio": "a.wav", "speaker": "s", "lang": "fr", "text": "Le chat dort."},
            {"id": "b", "audio": "b.wav", "speaker": "s", "lang": "de", "text": "Die Katze schläft."},
            {"id": "c", "audio": "c.wav", "speaker": "s", "lang": "fr"}]  # no text: not read
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    model = _model_folder(tmp_path / "m", {"fr": "French"})
    assert main(["attach-words", "--model", str(model), "--data", str(manifest)]) == 0
    assert WordNgram.load(model / "words.json.gz").counts["fr"]["le chat dort"] == 1
    assert main(["attach-words", "--model", str(model), "--data", str(tmp_path / "missing")]) != 0
    assert "neither a Babel world folder nor a manifest" in capsys.readouterr().err
    assert main(["attach-words", "--model", str(tmp_path), "--data", str(manifest)]) != 0
    assert "not an AudioPaLM model folder" in capsys.readouterr().err
    with pytest.raises(AudiopalmError, match="not a word model"):
        WordNgram.load(model / "missing.json.gz")
