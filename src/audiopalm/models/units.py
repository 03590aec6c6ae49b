"""Text-to-unit model: a text's phonemes (+ its language, + a voice prompt's tokens) -> semantic tokens at
25 Hz, in one parallel pass. What a unit-based speech-to-speech translation system puts after its text
decoder: the translation text, rendered as the tokens the acoustic stage turns into speech.

    symbols    <s> + the text's IPA symbols (espeak-ng, text/phonemes.py; one per character, words split
               by a space) + </s>: the boundaries stand for the silence before and after the speech
    encoder    symbol + language embeddings (+ the voice vector) -> transformer layers
    durations  frames per symbol, regressed as log(1 + d) from the encoder's states
    regulator  each symbol's state repeated for its duration (25 Hz frames)
    decoder    frame states + sinusoidal positions (+ the voice vector) -> transformer layers -> logits
               over the audio tokenizer's codebook
    voice      the prompt's semantic tokens, embedded and averaged: the token statistics of one voice,
               so the tokens written (and their pace) are those that voice would give

Durations are learnt from CTC forced alignments of the tokenizer's own phoneme head (recipes/units.py),
so the frames line up with the tokens the tokenizer writes for real speech. A regression of durations and a
classification of each frame have one answer per input: the model cannot babble or loop.

Shapes: symbols [L] (with the boundaries), durations [L], tokens [T] with T = durations.sum().
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from audiopalm.folder import load_module, save_module

PAD, BOS, EOS = 0, 1, 2  # symbol ids: padding, <s>, </s>; the IPA symbols follow
SPECIALS = 3


@dataclass(frozen=True)
class UnitsConfig:
    symbols: list[str] = field(default_factory=list)  # IPA symbols (the tokenizer's phoneme vocabulary, no blank)
    languages: list[str] = field(default_factory=list)  # language codes, in embedding order
    semantic_size: int = 1024  # the audio tokenizer's codebook
    dim: int = 256
    encoder_layers: int = 4
    decoder_layers: int = 4
    heads: int = 4
    ff_mult: int = 4
    dropout: float = 0.1


UNITS_PRESETS: dict[str, UnitsConfig] = {
    "tiny": UnitsConfig(dim=32, encoder_layers=1, decoder_layers=1, heads=2, ff_mult=2),
    "small": UnitsConfig(),
    "medium": UnitsConfig(dim=384, encoder_layers=6, decoder_layers=6, heads=6),
}


def symbol_ids(phone_ids: list[int]) -> list[int]:
    """The tokenizer's phoneme ids (1.. ; 0 is CTC's blank) -> the model's symbols, with <s> and </s>."""
    return [BOS, *(SPECIALS + i - 1 for i in phone_ids), EOS]


def sinusoids(n: int, dim: int) -> torch.Tensor:
    """[n, dim] sinusoidal positions."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half) / max(1, half - 1))
    angles = torch.arange(n)[:, None].float() * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def _layers(cfg: UnitsConfig, n: int) -> nn.ModuleList:
    return nn.ModuleList(nn.TransformerEncoderLayer(cfg.dim, cfg.heads, cfg.ff_mult * cfg.dim, cfg.dropout,
                                                    activation="gelu", batch_first=True, norm_first=True)
                         for _ in range(n))


class TextToUnit(nn.Module):
    def __init__(self, cfg: UnitsConfig):
        super().__init__()
        self.cfg = cfg
        self.symbol = nn.Embedding(SPECIALS + len(cfg.symbols), cfg.dim, padding_idx=PAD)
        self.language = nn.Embedding(max(1, len(cfg.languages)), cfg.dim)
        self.voice_tokens = nn.Embedding(cfg.semantic_size + 1, cfg.dim, padding_idx=cfg.semantic_size)
        self.voice_proj = nn.Linear(cfg.dim, cfg.dim)
        self.encoder = _layers(cfg, cfg.encoder_layers)
        self.duration = nn.Sequential(nn.LayerNorm(cfg.dim), nn.Linear(cfg.dim, cfg.dim), nn.GELU(),
                                      nn.Linear(cfg.dim, 1))
        self.decoder = _layers(cfg, cfg.decoder_layers)
        self.norm = nn.LayerNorm(cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.semantic_size)

    def voice(self, prompt: torch.Tensor) -> torch.Tensor:
        """Prompt tokens [B, P] (semantic_size at padding; P may be 0) -> voice vector [B, D] (zeros: no prompt)."""
        keep = (prompt != self.cfg.semantic_size).float()[..., None]  # [B, P, 1]
        mean = (self.voice_tokens(prompt) * keep).sum(1) / keep.sum(1).clamp_min(1)
        return self.voice_proj(mean) * (keep.sum(1) > 0).float()

    def encode(self, symbols: torch.Tensor, language: torch.Tensor, voice: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """symbols [B, L] (PAD at padding), language [B], voice [B, D] -> (states [B, L, D], log(1 + frames) [B, L])."""
        pad = symbols == PAD
        x = self.symbol(symbols) + self.language(language)[:, None] + voice[:, None]
        x = x + sinusoids(x.shape[1], x.shape[2]).to(x)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=pad)
        return x, self.duration(x).squeeze(-1)

    def decode(self, states: torch.Tensor, durations: torch.Tensor, voice: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """states [B, L, D], durations [B, L] (frames, 0 at padding), voice [B, D] -> (logits [B, T, V],
        frame padding [B, T]) with T the longest total duration."""
        lengths = durations.sum(1)
        t = max(1, int(lengths.max()))
        frames = torch.zeros(states.shape[0], t, states.shape[2], dtype=states.dtype, device=states.device)
        for b in range(states.shape[0]):  # the length regulator
            n = int(lengths[b])
            frames[b, :n] = states[b].repeat_interleave(durations[b], dim=0)
        pad = torch.arange(t, device=states.device)[None] >= lengths[:, None]
        x = frames + sinusoids(t, frames.shape[2]).to(frames) + voice[:, None]
        for layer in self.decoder:
            x = layer(x, src_key_padding_mask=pad)
        return self.out(self.norm(x)), pad

    def forward(self, symbols: torch.Tensor, language: torch.Tensor, prompt: torch.Tensor,
                durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced on true durations: symbols [B, L], language [B], prompt [B, P], durations [B, L] ->
        (token logits [B, T, V], frame padding [B, T], predicted log(1 + frames) [B, L])."""
        voice = self.voice(prompt)
        states, log_durations = self.encode(symbols, language, voice)
        logits, pad = self.decode(states, durations, voice)
        return logits, pad, log_durations

    def save_pretrained(self, folder: str | Path) -> None:
        save_module(folder, self, "text_to_unit", self.cfg)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> TextToUnit:
        return load_module(folder, cls, UnitsConfig)


def units_loss(model: nn.Module, symbols: torch.Tensor, language: torch.Tensor, prompt: torch.Tensor,
               durations: torch.Tensor, tokens: torch.Tensor, with_hits: bool = False):
    """Cross-entropy per frame plus the squared error of log(1 + frames) per symbol -> (loss, token loss,
    duration loss, frames, frames whose most likely token is right (with_hits; else 0)). tokens [B, T] (-100
    at padding)."""
    logits, _, log_durations = model(symbols, language, prompt, durations)
    target = tokens[:, : logits.shape[1]]
    token_loss = F.cross_entropy(logits.float().flatten(0, 1), target.flatten(), ignore_index=-100)
    real = symbols != PAD
    duration_loss = F.mse_loss(log_durations.float()[real], torch.log1p(durations.float())[real])
    hits = int((logits.argmax(-1) == target).sum()) if with_hits else 0
    return token_loss + duration_loss, token_loss.detach(), duration_loss.detach(), int((target != -100).sum()), hits


MAX_SYMBOL_FRAMES = 50  # 2 s: no symbol is held longer, whatever an untrained or confused model predicts


def frames_of(log_durations: torch.Tensor, symbols: torch.Tensor, pace: float = 1.0) -> torch.Tensor:
    """Predicted log(1 + frames) [L] -> whole frames [L]: at least one for each phoneme symbol, any number
    (zero included) for the boundaries, at most MAX_SYMBOL_FRAMES; `pace` > 1 speaks faster."""
    frames = (torch.expm1(log_durations.float()).clamp(0, MAX_SYMBOL_FRAMES) / pace).round().long()
    inner = (symbols != BOS) & (symbols != EOS)
    return torch.where(inner, frames.clamp_min(1), frames)


@torch.inference_mode()
def generate_units(model: TextToUnit, symbols: torch.Tensor, language: int, prompt: torch.Tensor | None = None,
                   pace: float = 1.0) -> torch.Tensor:
    """symbols [L] (with the boundaries), a language index, prompt tokens [P] or None -> semantic tokens [T]."""
    device = next(model.parameters()).device
    if prompt is None or len(prompt) == 0:
        prompt = torch.full((1,), model.cfg.semantic_size, dtype=torch.long)
    voice = model.voice(prompt.long()[None].to(device))
    states, log_durations = model.encode(symbols.long()[None].to(device), torch.tensor([language], device=device), voice)
    frames = frames_of(log_durations[0], symbols.to(device), pace)
    if int(frames.sum()) == 0:
        return torch.zeros(0, dtype=torch.long)
    logits, _ = model.decode(states, frames[None], voice)
    return logits[0].argmax(-1).cpu()
