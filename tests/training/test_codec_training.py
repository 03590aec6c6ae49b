"""`audiopalm codec train` on the tiny world: quantiser fitted once, vocoder loss falls, resumable."""

import csv

from audiopalm.audio.codecs import load_codec
from audiopalm.cli import main


def test_codec_training_end_to_end(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    out = tmp_path / "codec"
    args = ["codec", "train", "--data", str(data), "--out", str(out), "--preset", "tiny", "--steps", "24",
            "--warmup", "4"]
    assert main(args + ["--max-minutes", "0"]) == 0  # pauses after the first step
    assert "paused" in capsys.readouterr().out and (out / "quantizer.safetensors").exists()
    assert main(args) == 0  # resumes to the end
    assert "resumed from" in capsys.readouterr().out
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 25))
    first, last = sum(float(r["loss"]) for r in rows[:4]), sum(float(r["loss"]) for r in rows[-4:])
    assert last < first, (first, last)
    codec = load_codec(out / "codec")
    wav = codec.decode(codec.encode(__import__("numpy").zeros(8000, dtype="float32")))
    assert len(wav) == 8000
