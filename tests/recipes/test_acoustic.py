"""`audiopalm train-acoustic` on the tiny world with a tiny codec: prompts from the same speaker, resumable."""

import csv
import random
from collections import defaultdict

import numpy as np
import pytest
import torch

from audiopalm.audio.codecs import load_codec
from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.cli import main
from audiopalm.models.mel_decoder import MelDecoder
from audiopalm.models.soundstorm import SoundStorm, generate
from audiopalm.models.speech_out import SpeechOutput, load_acoustic
from audiopalm.recipes.acoustic import MEL_STEP, Utterance, prompt_for, standardised_mel


def test_prompt_comes_from_another_utterance_of_the_same_speaker():
    utts = [Utterance(s, torch.full((30,), i), torch.full((2, 60), i)) for i, s in enumerate("aabbb")]
    by_speaker = defaultdict(list)
    for i, u in enumerate(utts):
        by_speaker[u.speaker].append(i)
    rng = random.Random(0)
    for i in range(5):
        sem, codes = prompt_for(utts, i, by_speaker, 10, rng)
        source = int(sem[0])
        assert source != i and utts[source].speaker == utts[i].speaker
        assert len(sem) == 10 and codes.shape == (2, 20) and (codes == source).all()


def test_mel_prompts_are_spans_of_the_same_speakers_frames():
    utts = [Utterance(s, torch.full((30,), i), mel=torch.full((60, 4), i, dtype=torch.int8)) for i, s in enumerate("aab")]
    sem, mel = prompt_for(utts, 0, {"a": [0, 1], "b": [2]}, 10, random.Random(0))
    assert (sem == 1).all() and mel.shape == (20, 4) and mel.dtype == torch.int8 and (mel == 1).all()
    assert torch.allclose(standardised_mel(None, mel), torch.full((20, 4), MEL_STEP))


@pytest.fixture(scope="module")
def parts(tiny_world, tmp_path_factory):
    """The tiny world, an MFCC tokenizer of 16 tokens and a tiny mel codec."""
    data, _ = tiny_world
    root = tmp_path_factory.mktemp("acoustic-parts")
    train_tokenizer(data, "mfcc", root / "tok", codebook_size=16, max_frames=4000)
    assert main(["codec", "train", "--data", str(data), "--out", str(root / "codec"), "--preset", "tiny",
                 "--steps", "2"]) == 0
    return data, root / "tok", root / "codec" / "codec"


@pytest.mark.parametrize("kind,targets", [("soundstorm", "codes"), ("mel_decoder", "codes"), ("mel_decoder", "mel")])
def test_train_acoustic_end_to_end(parts, tmp_path, capsys, kind, targets):
    data, tok, codec = parts
    args = ["train-acoustic", "--data", str(data), "--tokenizer", str(tok), "--codec", str(codec), "--out",
            str(tmp_path / "ac"), "--model", kind, "--preset", "tiny", "--steps", "6", "--targets", targets]
    assert main(args + ["--max-minutes", "0"]) == 0
    assert main(args) == 0
    assert "resumed from" in capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "ac" / "log.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 7)) and rows[-1]["dev_loss"]
    if kind == "soundstorm":
        model = SoundStorm.from_pretrained(tmp_path / "ac" / "model")
        assert model.cfg.semantic_size == 16 and model.cfg.num_codebooks == 2 and model.cfg.frames_per_token == 2
        codes = generate(model, torch.randint(0, 16, (10,)), torch.randint(0, 16, (5,)), torch.randint(0, 16, (2, 10)))
        assert codes.shape == (2, 20)
        return
    assert 0 < float(rows[-1]["dev_loss"]) < 5
    stage = SpeechOutput(load_codec(codec), load_acoustic(tmp_path / "ac" / "model"))
    assert isinstance(stage.acoustic, MelDecoder) and stage.acoustic.cfg.semantic_size == 16
    assert stage.acoustic.cfg.quantised == (targets == "codes")
    cache = {"codes": "codes-train", "mel": "mels-train"}[targets]
    assert (tmp_path / "ac" / f"{cache}.safetensors").is_file()
    noise = np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32)
    voice = stage.prompt(noise, torch.randint(0, 16, (50,)))
    assert voice[1].shape == (100, 80)  # all 2 s (under the 3 s cap) as 50 Hz mel frames
    own = stage.codec.log_mel(noise)[:100]
    assert torch.allclose(voice[1], own) == (targets == "mel")  # the recording's own mel, not the codes'
    wav = stage.synthesize(torch.randint(0, 16, (10,)), voice)
    assert wav.dtype == np.float32 and len(wav) == (20 - 1) * 320 and np.isfinite(wav).all()


def test_unknown_acoustic_model_is_one_error_line(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    assert main(["train-acoustic", "--data", str(data), "--tokenizer", str(tmp_path / "tok"), "--codec",
                 str(tmp_path / "codec"), "--out", str(tmp_path / "ac"), "--model", "wavenet"]) == 2
    assert "unknown acoustic model 'wavenet'; choose from soundstorm, mel_decoder" in capsys.readouterr().err
