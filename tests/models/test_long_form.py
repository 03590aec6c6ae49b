"""Recordings of any length: voice activity splits them, each stretch is transcribed with its time span."""

import json

import numpy as np
import soundfile as sf

from audiopalm.audio.io import load_audio
from audiopalm.cli import main
from audiopalm.models.audiopalm import AudioPaLM


def _joined(data, n: int, gap: float = 1.0):
    """n test clips joined with `gap` seconds of faint noise -> (wav, [(start, end)] of each clip)."""
    clips = [load_audio(p) for p in sorted((data / "audio" / "test" / "fr").glob("*.wav"))[:n]]
    rng = np.random.default_rng(0)
    parts, spans, t = [], [], gap
    parts.append(0.001 * rng.standard_normal(int(16000 * gap)))
    for c in clips:
        parts += [c, 0.001 * rng.standard_normal(int(16000 * gap))]
        spans.append((t, t + len(c) / 16000))
        t += len(c) / 16000 + gap
    return np.concatenate(parts).astype(np.float32), spans


def test_segments_follow_the_joins_and_silence_says_nothing(speaking_model, tmp_path, capsys):
    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    wav, spans = _joined(data, 4)
    segments = model.transcribe_segments(wav, lang="fr")
    assert len(segments) == len(spans)
    for s, (a, b) in zip(segments, spans):
        assert abs(s["start"] - a) < 0.5 and abs(s["end"] - b) < 0.5 and isinstance(s["text"], str)
    assert model.transcribe_segments(np.zeros(16000 * 5, dtype=np.float32)) == []
    path = tmp_path / "long.wav"
    sf.write(path, wav, 16000)
    capsys.readouterr()
    assert main(["transcribe", str(path), "--model", str(model_dir), "--lang", "fr", "--format", "srt"]) == 0
    srt = capsys.readouterr().out
    assert srt.count(" --> ") == len(spans) and srt.startswith("1\n00:00:0")
    assert main(["transcribe", str(path), "--model", str(model_dir), "--lang", "fr", "--format", "json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert [round(x["start"], 3) for x in lines] == [s["start"] for s in segments]
