import csv

import pytest
import torch


from audiopalm.models.lm import build_llama
from audiopalm.training.batching import make_batches
from audiopalm.training.lm import LmTrainConfig, train_lm
from audiopalm.training.loop import lr_at


def _copy_task(n: int, seed: int = 0):
    """BOS x1..xk SEP x1..xk EOS with the loss on the copy: learnable in a few dozen steps."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randint(4, 20, (int(torch.randint(3, 8, (1,), generator=g)),), generator=g)
        ids = torch.cat([torch.tensor([2]), x, torch.tensor([1]), x, torch.tensor([3])])
        mask = torch.zeros(len(ids), dtype=torch.bool)
        mask[len(x) + 2:] = True
        out.append((ids, mask))
    return out


def _counting(n: int, seed: int = 0):
    """BOS a a+1 a+2 ... EOS: every next token follows from the last one (a bigram task)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        a, k = int(torch.randint(4, 12, (1,), generator=g)), int(torch.randint(3, 9, (1,), generator=g))
        ids = torch.tensor([2, *range(a, a + k), 3])
        out.append((ids, torch.ones(len(ids), dtype=torch.bool)))
    return out


def _model():
    torch.manual_seed(0)
    return build_llama("tiny", vocab_size=24, bos_id=2, eos_id=3, pad_id=0)


CFG = dict(batch_tokens=256, warmup=5, eval_every=20, checkpoint_every=3, lr=3e-3)


def test_loss_falls_on_a_learnable_task(tmp_path):
    model = _model()
    train_lm(model, _counting(400), _counting(40, seed=1), 0, tmp_path, LmTrainConfig(steps=60, **CFG))
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    dev = [float(r["dev_loss"]) for r in rows if r["dev_loss"]]
    assert dev[-1] < 0.6 * dev[0], dev


def test_killed_run_resumes_to_the_same_weights(tmp_path):
    data = _copy_task(200)
    straight = _model()
    train_lm(straight, data, [], 0, tmp_path / "a", LmTrainConfig(steps=6, **CFG))
    resumed = _model()
    train_lm(resumed, data, [], 0, tmp_path / "b", LmTrainConfig(steps=3, **CFG))
    resumed = _model()  # a new process: fresh weights, then the checkpoint
    train_lm(resumed, data, [], 0, tmp_path / "b", LmTrainConfig(steps=6, **CFG))
    for (n, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), n


def test_schedule_and_batches():
    cfg = LmTrainConfig(steps=100, warmup=10, lr=1.0, min_lr_ratio=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(100, cfg) == pytest.approx(0.1)
    batches = make_batches([5, 50, 7, 48, 6], budget=100, seed=0, epoch=0)
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3, 4]
    assert all(max([5, 50, 7, 48, 6][i] for i in b) * len(b) <= 100 for b in batches)
