"""SoundStorm-style acoustic model: semantic tokens + a voice prompt -> all codec levels, in parallel.

    frames    the codec's frame rate (50 Hz for the mel codec); a 25 Hz semantic token covers
              `frames_per_token` frames and is repeated to match
    input     per frame: embed(semantic) + sum over levels k of embed_k(code or [MASK])
              the prompt's frames (acoustic codes of ~3 s of the speaker) come first, unmasked
    model     a bidirectional transformer; one output head per level
    training  (MaskGIT) pick a level q; levels < q are given, level q is partly masked (cosine
              schedule), levels > q fully masked; cross-entropy on the masked frames of level q
    decoding  level by level, coarse first: `iterations[q]` rounds each, keeping the most
              confident predictions and re-masking the rest

Shapes: semantic [T_s], codes [K, T] with T = T_s * frames_per_token (trimmed or padded to match).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from audiopalm.folder import load_module, save_module


@dataclass(frozen=True)
class SoundStormConfig:
    semantic_size: int = 1024  # semantic vocabulary (the audio tokenizer's codebook)
    num_codebooks: int = 8  # codec levels K
    codebook_size: int = 1024  # codes per level
    frames_per_token: int = 2  # codec frames per semantic token (50 Hz / 25 Hz)
    dim: int = 256
    layers: int = 6
    heads: int = 4
    max_frames: int = 1500  # prompt + target, in codec frames (30 s at 50 Hz)


SOUNDSTORM_PRESETS: dict[str, SoundStormConfig] = {
    "tiny": SoundStormConfig(semantic_size=16, num_codebooks=2, codebook_size=16, dim=32, layers=1, heads=2,
                             max_frames=400),
    "small": SoundStormConfig(),
}


class SoundStorm(nn.Module):
    def __init__(self, cfg: SoundStormConfig):
        super().__init__()
        self.cfg = cfg
        self.mask_id = cfg.codebook_size  # one extra row per level embedding
        self.semantic = nn.Embedding(cfg.semantic_size + 1, cfg.dim)  # + "no semantic token" for padding
        self.levels = nn.ModuleList(nn.Embedding(cfg.codebook_size + 1, cfg.dim) for _ in range(cfg.num_codebooks))
        self.position = nn.Embedding(cfg.max_frames, cfg.dim)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, 4 * cfg.dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.heads = nn.ModuleList(nn.Linear(cfg.dim, cfg.codebook_size) for _ in range(cfg.num_codebooks))

    def hidden(self, semantic: torch.Tensor, codes: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """semantic [B, T] (frame rate), codes [B, K, T] with mask_id where unknown, pad [B, T] True at
        padding -> final hidden states [B, T, D]."""
        x = self.semantic(semantic) + self.position(torch.arange(semantic.shape[1], device=semantic.device))
        for k, embed in enumerate(self.levels):
            x = x + embed(codes[:, k])
        return self.norm(self.encoder(x, src_key_padding_mask=pad))

    def forward(self, semantic: torch.Tensor, codes: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """Same inputs as `hidden` -> logits [B, K, T, C] of every level."""
        h = self.hidden(semantic, codes, pad)
        return torch.stack([head(h) for head in self.heads], dim=1)

    def level_logits(self, semantic: torch.Tensor, codes: torch.Tensor, level: int) -> torch.Tensor:
        """One sequence: semantic [T], codes [K, T] -> logits [T, C] of one level (decoding needs no other head)."""
        return self.heads[level](self.hidden(semantic[None], codes[None])[0])

    # --- persistence -----------------------------------------------------------------------------
    def save_pretrained(self, folder: str | Path) -> None:
        save_module(folder, self, "soundstorm", self.cfg)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> SoundStorm:
        return load_module(folder, cls, SoundStormConfig)


def frame_semantic(semantic: torch.Tensor, frames: int, per_token: int) -> torch.Tensor:
    """semantic [T_s] at 25 Hz -> [frames] at the codec rate (each token repeated, trimmed or edge-padded)."""
    x = semantic.repeat_interleave(per_token)
    if len(x) >= frames:
        return x[:frames]
    return torch.cat([x, x[-1:].expand(frames - len(x))]) if len(x) else torch.zeros(frames, dtype=torch.long)


def cosine_mask_ratio(u: torch.Tensor) -> torch.Tensor:
    """MaskGIT's schedule: u in [0, 1] -> fraction of frames masked, cos(pi/2 * u)."""
    return torch.cos(math.pi / 2 * u)


def level_probabilities(levels: int, coarse_bias: float) -> torch.Tensor:
    """How often training picks each level: p(q) proportional to (q + 1) ** -coarse_bias -> [K].

    0 is SoundStorm's uniform choice; 1 gives the coarse levels, which carry most of what is heard,
    more of a small budget (for 8 levels: 37% level 0, 18% level 1, ... 5% level 7)."""
    w = torch.arange(1, levels + 1, dtype=torch.float64) ** -coarse_bias
    return (w / w.sum()).float()


def training_example(codes: torch.Tensor, prompt_frames: int, mask_id: int, gen: torch.Generator,
                     level_probs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, int]:
    """codes [K, T] (prompt frames first) -> (masked codes [K, T], loss mask [T] on level q, q).

    q is drawn from `level_probs` [K] (uniform if None). Levels below q keep their codes, level q is
    masked on a cosine-scheduled share of the target frames, levels above q are masked on all target
    frames; the prompt stays visible."""
    k, t = codes.shape
    if level_probs is None:
        q = int(torch.randint(0, k, (1,), generator=gen))
    else:
        q = int(torch.multinomial(level_probs, 1, generator=gen))
    target = torch.arange(t) >= prompt_frames
    ratio = float(cosine_mask_ratio(torch.rand(1, generator=gen)))
    n_target = int(target.sum())
    n_mask = max(1, round(ratio * n_target)) if n_target else 0
    chosen = torch.zeros(t, dtype=torch.bool)
    if n_mask:
        idx = torch.nonzero(target).squeeze(1)
        chosen[idx[torch.randperm(n_target, generator=gen)[:n_mask]]] = True
    masked = codes.clone()
    masked[q][chosen] = mask_id
    masked[q + 1:, target] = mask_id
    return masked, chosen, q


def masked_loss(model: SoundStorm, semantic: torch.Tensor, masked: torch.Tensor, loss_mask: torch.Tensor,
                levels: torch.Tensor, codes: torch.Tensor, pad: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Batch of training examples -> mean cross-entropy over each example's masked frames of its level.

    semantic [B, T], masked/codes [B, K, T], loss_mask [B, T], levels [B], pad [B, T]."""
    h = model.hidden(semantic, masked, pad)  # [B, T, D]
    # only each example's own level is scored: one head per example, not all K (the heads are ~20% of the FLOPs)
    chosen = torch.stack([model.heads[int(q)](h[b]) for b, q in enumerate(levels)]).float()  # [B, T, C]
    rows = torch.arange(len(levels), device=levels.device)
    targets = codes[rows, levels].masked_fill(~loss_mask, -100)  # [B, T]
    n = int(loss_mask.sum())
    return F.cross_entropy(chosen.reshape(-1, chosen.shape[-1]), targets.reshape(-1), ignore_index=-100), n


@torch.inference_mode()
def generate(model: SoundStorm, semantic: torch.Tensor, prompt_semantic: torch.Tensor | None = None,
             prompt_codes: torch.Tensor | None = None, iterations: tuple[int, ...] = (16, 1), temperature: float = 1.0,
             seed: int = 0) -> torch.Tensor:
    """Semantic tokens [T_s] (+ a voice prompt: its semantic tokens [P_s] and codes [K, P]) -> codes [K, T].

    Level q gets `iterations[q]` rounds (the last entry repeats for finer levels); each round samples
    every masked frame, keeps the most confident share per the cosine schedule and re-masks the rest."""
    cfg = model.cfg
    gen = torch.Generator().manual_seed(seed)
    t = len(semantic) * cfg.frames_per_token
    sem = frame_semantic(semantic, t, cfg.frames_per_token)
    p = 0
    codes = torch.full((cfg.num_codebooks, t), model.mask_id, dtype=torch.long)
    if prompt_codes is not None and prompt_semantic is not None:
        p = prompt_codes.shape[1]
        sem = torch.cat([frame_semantic(prompt_semantic, p, cfg.frames_per_token), sem])
        codes = torch.cat([prompt_codes.long(), codes], dim=1)
    if len(sem) > cfg.max_frames:  # keep the end of the prompt: the target must fit
        cut = len(sem) - cfg.max_frames
        sem, codes, p = sem[cut:], codes[:, cut:], max(0, p - cut)
    device = next(model.parameters()).device
    sem, codes = sem.to(device), codes.to(device)
    target = torch.arange(len(sem), device=device) >= p
    for q in range(cfg.num_codebooks):
        rounds = iterations[min(q, len(iterations) - 1)]
        for r in range(rounds):
            masked = (codes[q] == model.mask_id) & target
            if not masked.any():
                break
            logits = model.level_logits(sem, codes, q).float()  # [T, C]
            if temperature > 0 and rounds > 1:
                probs = (logits / temperature).softmax(-1)
                sample = torch.multinomial(probs.cpu(), 1, generator=gen).squeeze(1).to(device)
            else:
                probs, sample = logits.softmax(-1), logits.argmax(-1)
            confidence = probs.gather(1, sample[:, None]).squeeze(1).masked_fill(~masked, math.inf)
            still = int(math.floor(float(cosine_mask_ratio(torch.tensor((r + 1) / rounds))) * int(target.sum())))
            codes[q] = torch.where(masked, sample, codes[q])
            if still > 0:  # re-mask the least confident of the frames just filled
                order = confidence.argsort()
                remask = order[:still]
                remask = remask[masked[remask]]
                codes[q, remask] = model.mask_id
    return codes[:, p:].cpu()
