"""Decoder-LM training on (ids, loss mask) sequences: masked next-token loss over training.loop.

Shared by text pretraining and multitask speech-text finetuning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from audiopalm.config import help_field
from audiopalm.data.tasks import Sequence
from audiopalm.training.batching import make_batches
from audiopalm.training.loop import LoopConfig, run_training
from audiopalm.training.precision import bf16_autocast



@dataclass
class LmTrainConfig(LoopConfig):
    batch_tokens: int = help_field("padded tokens per micro-batch", 8192, min=1)
    bf16: bool = help_field("bf16 autocast (~1.7x faster than fp32 on AVX512-BF16 CPUs)", True)


def collate(seqs: list[Sequence], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> ids [B, L], attention mask [B, L], loss mask [B, L] (right-padded)."""
    longest = max(len(ids) for ids, _ in seqs)
    ids = torch.full((len(seqs), longest), pad_id, dtype=torch.long)
    attn = torch.zeros(len(seqs), longest, dtype=torch.long)
    loss = torch.zeros(len(seqs), longest, dtype=torch.bool)
    for i, (s, m) in enumerate(seqs):
        ids[i, : len(s)], attn[i, : len(s)], loss[i, : len(s)] = s, 1, m
    return ids, attn, loss


def masked_loss(model, ids: torch.Tensor, attn: torch.Tensor, loss_mask: torch.Tensor, bf16: bool,
                device: torch.device = torch.device("cpu")) -> tuple[torch.Tensor, int]:
    """Mean next-token cross-entropy over positions whose *target* is in the loss mask."""
    ids, attn, loss_mask = ids.to(device), attn.to(device), loss_mask.to(device)
    with bf16_autocast(bf16, device.type):
        logits = model(input_ids=ids, attention_mask=attn).logits[:, :-1]  # [B, L-1, V]
    targets = ids[:, 1:].masked_fill(~loss_mask[:, 1:], -100)
    n = int((targets != -100).sum())
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100), n


@torch.inference_mode()
def evaluate_loss(model, seqs: list[Sequence], pad_id: int, batch_tokens: int, bf16: bool) -> float:
    model.eval()
    total, count = 0.0, 0
    device = model.get_input_embeddings().weight.device
    for batch in make_batches([len(s) for s, _ in seqs], batch_tokens, 0, 0):
        loss, n = masked_loss(model, *collate([seqs[i] for i in batch], pad_id), bf16, device)
        total, count = total + float(loss) * n, count + n
    model.train()
    return total / max(1, count)


def train_lm(model, train: list[Sequence], dev: list[Sequence], pad_id: int, out: Path, cfg: LmTrainConfig,
             max_minutes: float | None = None) -> int:
    """Train `model` in place on masked next-token loss; checkpoints in OUT/checkpoints, log in OUT/log.csv."""

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        ids, attn, mask = collate([train[i] for i in batch], pad_id)
        loss, _ = masked_loss(module, ids, attn, mask, cfg.bf16, model.get_input_embeddings().weight.device)
        return loss, int(attn.sum())

    def evaluate() -> dict:
        return {"dev_loss": round(evaluate_loss(model, dev, pad_id, cfg.batch_tokens, cfg.bf16), 4)}

    return run_training(model, [len(s) for s, _ in train], cfg.batch_tokens, step_loss, out, cfg,
                        evaluate if dev else None, ("dev_loss",), max_minutes)
