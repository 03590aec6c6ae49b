"""`audiopalm train-acoustic` on the tiny world with a tiny codec: prompts from the same speaker, resumable."""

import csv
import random
from collections import defaultdict

import torch

from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.cli import main
from audiopalm.models.soundstorm import SoundStorm, generate
from audiopalm.recipes.acoustic import Utterance, prompt_for


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


def test_train_acoustic_end_to_end(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    train_tokenizer(data, "mfcc", tmp_path / "tok", codebook_size=16, max_frames=4000)
    assert main(["codec", "train", "--data", str(data), "--out", str(tmp_path / "codec"), "--preset", "tiny",
                 "--steps", "2"]) == 0
    args = ["train-acoustic", "--data", str(data), "--tokenizer", str(tmp_path / "tok"), "--codec",
            str(tmp_path / "codec" / "codec"), "--out", str(tmp_path / "ac"), "--preset", "tiny", "--steps", "6"]
    assert main(args + ["--max-minutes", "0"]) == 0
    assert main(args) == 0
    assert "resumed from" in capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "ac" / "log.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 7)) and rows[-1]["dev_loss"]
    model = SoundStorm.from_pretrained(tmp_path / "ac" / "model")
    assert model.cfg.semantic_size == 16 and model.cfg.num_codebooks == 2 and model.cfg.frames_per_token == 2
    codes = generate(model, torch.randint(0, 16, (10,)), torch.randint(0, 16, (5,)), torch.randint(0, 16, (2, 10)))
    assert codes.shape == (2, 20)
