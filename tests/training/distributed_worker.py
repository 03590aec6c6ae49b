"""Run by tests/training/test_distributed.py under torchrun: a few steps of the tiny LM on the copy task."""

import sys
from pathlib import Path

import torch

from audiopalm.training.lm import LmTrainConfig, train_lm
from tests.training.test_lm_training import _copy_task, _model

if __name__ == "__main__":
    out, strategy, steps, accumulate = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(1)
    model = _model()
    cfg = LmTrainConfig(steps=steps, accumulate=accumulate, batch_tokens=128, warmup=2, checkpoint_every=2, lr=3e-3,
                        bf16=False, distributed=strategy)
    train_lm(model, _copy_task(120), [], 0, out, cfg)
