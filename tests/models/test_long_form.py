"""Recordings of any length: voice activity splits them, each stretch is transcribed with its time span."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from audiopalm.audio.io import load_audio
from audiopalm.cli import main
from audiopalm.models.audiopalm import AudioPaLM


def _joined(data, n: int, gap: float = 1.0):
    """n test clips (in turn, as often as needed) joined with `gap` seconds of faint noise -> (wav,
    [(start, end)] of each clip)."""
    files = sorted((data / "audio" / "test" / "fr").glob("*.wav"))
    clips = [load_audio(files[i % len(files)]) for i in range(n)]
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


def test_a_long_recording_is_translated_stretch_by_stretch_and_not_spoken(speaking_model, tmp_path, capsys):
    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    wav, spans = _joined(data, 10)
    assert len(wav) > 20 * 16000  # longer than one stretch of the model's context
    lang, segments = model.translate_segments(wav, to="en", lang="fr")
    assert lang == "fr" and len(segments) == len(spans)
    assert model.translate_segments(wav[: 16000 * 5], to="en", lang="fr")[1][0]["start"] == 0.0  # short: one stretch
    path = tmp_path / "long.wav"
    sf.write(path, wav, 16000)
    capsys.readouterr()
    assert main(["translate", str(path), "--model", str(model_dir), "--lang", "fr", "--to", "en"]) == 0
    capsys.readouterr()
    assert main(["translate", str(path), "--model", str(model_dir), "--lang", "fr", "--to", "en",
                 "--speech", str(tmp_path / "out.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s is longer than the 20 s one spoken translation takes" in err
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.slow
def test_ten_minutes_are_transcribed_in_bounded_memory(speaking_model, tmp_path):
    """A 10-minute recording through the command line: a timed transcript, under 2 GB at the peak."""
    data, model_dir = speaking_model
    wav, spans = _joined(data, 300, gap=1.0)
    wav = wav[: 600 * 16000]
    path = tmp_path / "ten-minutes.wav"
    sf.write(path, wav, 16000)
    # a child that runs the command and reports the peak memory of its own children: this one only
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")
    run = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "audiopalm", "transcribe", str(path),
                          "--model", str(model_dir), "--lang", "fr", "--format", "json"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(x) for x in run.stdout.strip().splitlines()]
    assert len(lines) >= 0.9 * sum(b <= 600 for _, b in spans) and lines[-1]["end"] <= 600
    peak_gb = int(run.stderr.strip().splitlines()[-1]) / 2**20  # ru_maxrss: KiB on Linux
    assert peak_gb < 2.0, f"peak {peak_gb:.2f} GB"


def test_a_long_text_is_spoken_piece_by_piece(speaking_model):
    from audiopalm.models.audiopalm import text_pieces

    assert text_pieces(" Le chat dort. Il pleut !  Viens-tu ? ") == ["Le chat dort.", "Il pleut !", "Viens-tu ?"]
    assert [len(p.split()) for p in text_pieces(" ".join(["un mot"] * 40))] == [30, 30, 20]
    assert text_pieces(" \n ") == []
    _, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    batches, run = [], model.run
    model.run = lambda task, prompts, *a, **k: batches.append(len(prompts)) or run(task, prompts, *a, **k)
    wav = model.speak("Le chat dort. " * 20, lang="fr")
    assert sum(batches) == 20 and max(batches) <= 8  # every sentence spoken, a few at a time
    assert wav.dtype == np.float32 and wav.ndim == 1
