"""`audiopalm codec train` on the tiny world: quantiser fitted once, vocoder loss falls, resumable."""

import csv

import numpy as np
import torch
from safetensors.torch import load_file

from audiopalm.audio.codecs import load_codec
from audiopalm.audio.codecs.discriminators import Discriminators, discriminator_loss, generator_losses
from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec
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
    wav = codec.decode(codec.encode(np.zeros(8000, dtype="float32")))
    assert len(wav) == 8000


def test_adversarial_finetuning_from_a_codec(tiny_world, tmp_path):
    """--init starts from a codec's quantiser and vocoder; --adversarial trains discriminators beside it."""
    data, _ = tiny_world
    torch.manual_seed(0)
    start = MelCodec(MEL_CODEC_PRESETS["tiny"])
    start.quantizer.codebooks.normal_()
    start.save_pretrained(tmp_path / "start")
    out = tmp_path / "gan"
    assert main(["codec", "train", "--data", str(data), "--out", str(out), "--init", str(tmp_path / "start"),
                 "--adversarial", "--steps", "6", "--warmup", "1", "--batch", "2"]) == 0
    assert not (out / "quantizer.safetensors").exists()  # nothing fitted: the quantiser is the start's
    tuned = load_codec(out / "codec")
    assert torch.equal(tuned.quantizer.codebooks, start.quantizer.codebooks)
    assert set(tuned.state_dict()) == set(start.state_dict())  # the discriminators stay out of the codec
    before, after = start.vocoder.state_dict(), tuned.vocoder.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    checkpoint = load_file(str(out / "checkpoints" / "step-000006" / "model.safetensors"))
    assert any(k.startswith("discriminators.") for k in checkpoint)  # resumable with them


def test_init_must_be_a_codec(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    assert main(["codec", "train", "--data", str(data), "--out", str(tmp_path / "x"), "--init", str(data)]) != 0
    assert "not a codec folder" in capsys.readouterr().err


def test_discriminators_and_their_hinge_losses():
    judged = Discriminators()(torch.randn(2, 4000))
    assert len(judged) == 8  # five periods, three resolutions
    assert all(logits.shape[0] == 2 and len(feats) >= 5 for logits, feats in judged)
    real = [(torch.full((2, 4), 2.0), [torch.ones(2, 3)])]
    fake = [(torch.full((2, 4), -2.0), [torch.zeros(2, 3)])]
    assert float(discriminator_loss(real, fake)) == 0.0  # both beyond their margins
    adversarial, matching = generator_losses(real, fake)
    assert float(adversarial) == 3.0 and float(matching) == 1.0
