"""The shared training loop: one process per output folder, Ctrl-C saves a checkpoint, a resumed log has no repeats."""

import csv
import os
import signal

import pytest
import torch

from audiopalm.errors import AudiopalmError
from audiopalm.training.loop import LoopConfig, run_training, training_lock

CFG = LoopConfig(steps=6, lr=1e-2, warmup=1, eval_every=2, checkpoint_every=100, seed=0)


def _model():
    torch.manual_seed(0)
    return torch.nn.Linear(4, 1)


def _loss(interrupt_at: int | None = None):
    data = torch.randn(32, 4, generator=torch.Generator().manual_seed(1))

    def step_loss(module, batch, step):
        if step == interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C during this step
        x = data[batch]
        return module(x).pow(2).mean(), len(batch)

    return step_loss


def _train(out, interrupt_at=None):
    model = _model()
    run_training(model, [1] * 32, 4, _loss(interrupt_at), out, CFG, lambda: {"dev": 0.0}, ("dev",))
    return model


def _steps(out):
    return [int(r["step"]) for r in csv.DictReader(open(out / "log.csv"))]


def test_ctrl_c_saves_a_checkpoint_and_the_resumed_run_matches(tmp_path):
    straight = _train(tmp_path / "straight")
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN in a background job
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "resumed", interrupt_at=2)
    assert (tmp_path / "resumed" / "checkpoints" / "latest.txt").read_text() == "step-000003"
    assert signal.getsignal(signal.SIGINT) == before  # the handler is put back
    resumed = _train(tmp_path / "resumed")
    assert torch.equal(straight.weight, resumed.weight) and torch.equal(straight.bias, resumed.bias)
    assert _steps(tmp_path / "resumed") == [1, 2, 3, 4, 5, 6]


def test_a_resumed_run_drops_the_log_rows_after_its_checkpoint(tmp_path):
    out = tmp_path / "run"
    _train(out)
    # a run killed at step 6 after its checkpoint at 3 left rows 4-6 behind
    cfg3 = LoopConfig(**{**CFG.__dict__, "steps": 3})
    run_training(_model(), [1] * 32, 4, _loss(), tmp_path / "partial", cfg3)
    (tmp_path / "partial" / "log.csv").write_text((out / "log.csv").read_text())
    run_training(_model(), [1] * 32, 4, _loss(), tmp_path / "partial", CFG)
    assert _steps(tmp_path / "partial") == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("damage", ["empty", "no-header"])
def test_a_log_killed_before_its_header_or_without_one_gets_it_back(tmp_path, damage):
    out = tmp_path / "run"
    cfg3 = LoopConfig(**{**CFG.__dict__, "steps": 3})
    run_training(_model(), [1] * 32, 4, _loss(), out, cfg3)
    log = (out / "log.csv").read_text()
    # empty: killed between creating the file and its first flush; no-header: a log written that way, resumed
    (out / "log.csv").write_text("" if damage == "empty" else log.split("\n", 1)[1] + "4,9.9,0.1,1,1\n")
    run_training(_model(), [1] * 32, 4, _loss(), out, CFG)
    assert (out / "log.csv").read_text().startswith("step,loss,lr,")
    assert _steps(out) == ([4, 5, 6] if damage == "empty" else [1, 2, 3, 4, 5, 6])


def test_two_runs_into_one_folder_are_refused(tmp_path):
    with training_lock(tmp_path / "run"):
        with pytest.raises(AudiopalmError, match="being trained by another process"):
            _train(tmp_path / "run")
    _train(tmp_path / "run")  # free again once the first run ends


def test_a_failed_checkpoint_write_leaves_no_folder_behind(tmp_path):
    from audiopalm.training.checkpoint import latest_checkpoint, save_checkpoint

    weights = {"w": torch.ones(3)}
    (tmp_path / ".tmp-step-000004").mkdir()  # left by a run killed while writing
    save_checkpoint(tmp_path, 5, weights, {"state": {}, "param_groups": []}, {})
    with pytest.raises(TypeError):  # state that cannot be written, as a full disk would fail the write
        save_checkpoint(tmp_path, 6, weights, {"state": {}, "param_groups": []}, {"bad": object()})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.txt", "step-000005"]
    assert latest_checkpoint(tmp_path).name == "step-000005"
