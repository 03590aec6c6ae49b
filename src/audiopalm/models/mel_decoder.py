"""Unit-to-mel acoustic model: semantic tokens + a voice prompt -> log-mel frames, in one parallel pass.

    prompt    ~3 s of the speaker as standardised log-mel frames [P, n_mels] -> ConvNeXt blocks ->
              mean over time -> one speaker vector [D]
    body      each 25 Hz semantic token is repeated `frames_per_token` times (50 Hz frames), embedded,
              and run through ConvNeXt blocks (kernel 7, 8 blocks: +-0.5 s of context); every block
              is scaled and shifted by the speaker vector (FiLM), so the voice reaches each layer
    output    standardised log-mel [T, n_mels], trained with L1 against the codec's mel frames;
              the mel codec's vocoder turns them into a waveform

The usual design of speech-to-unit translation (a unit vocoder conditioned on a speaker embedding):
a regression has one answer per input, so it cannot babble, and it needs no iterative decoding.
Where SoundStorm-style code prediction models the fine detail of a voice, this model keeps what
is said and the voice's average timbre.

Shapes: semantic [T_s], mel [T, n_mels] with T = T_s * frames_per_token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from audiopalm.folder import load_module, save_module


@dataclass(frozen=True)
class MelDecoderConfig:
    semantic_size: int = 1024  # semantic vocabulary (the audio tokenizer's codebook)
    n_mels: int = 80  # the mel codec's bins
    frames_per_token: int = 2  # mel frames per semantic token (50 Hz / 25 Hz)
    dim: int = 256  # channels
    layers: int = 8  # ConvNeXt blocks over the target frames (8 x 6 frames: +-0.5 s of context)
    speaker_layers: int = 3  # ConvNeXt blocks over the prompt before pooling
    kernel: int = 7  # frames seen by each block's depthwise convolution
    quantised: bool = True  # trained on the mel frames the codec's codes stand for (prompts too); False: on the
    # recordings' own mel frames, so its voice prompt is the prompt recording's own mel


MEL_DECODER_PRESETS: dict[str, MelDecoderConfig] = {
    "tiny": MelDecoderConfig(semantic_size=16, n_mels=80, dim=32, layers=2, speaker_layers=1),
    "small": MelDecoderConfig(),
    "medium": MelDecoderConfig(dim=384, layers=12, speaker_layers=4),
}


class Block(nn.Module):
    """ConvNeXt block, with the speaker's FiLM where `film`: x + MLP(norm(dwconv(x)) * (1 + scale) + shift)."""

    def __init__(self, dim: int, kernel: int, film: bool = True):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, elementwise_affine=not film)
        self.film = nn.Linear(dim, 2 * dim) if film else None
        self.up = nn.Linear(dim, 3 * dim)
        self.down = nn.Linear(3 * dim, dim)
        if self.film is not None:  # starts as a plain block
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, speaker: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, T, D], speaker [B, D] or None -> [B, T, D]."""
        h = self.norm(self.dwconv(x.transpose(1, 2)).transpose(1, 2))
        if self.film is not None and speaker is not None:
            scale, shift = self.film(speaker)[:, None].chunk(2, dim=-1)  # [B, 1, D] each
            h = h * (1 + scale) + shift
        return x + self.down(F.gelu(self.up(h)))


class MelDecoder(nn.Module):
    def __init__(self, cfg: MelDecoderConfig):
        super().__init__()
        self.cfg = cfg
        self.semantic = nn.Embedding(cfg.semantic_size + 1, cfg.dim)  # + "no token" for padding
        self.prompt_in = nn.Linear(cfg.n_mels, cfg.dim)
        self.prompt_blocks = nn.ModuleList(Block(cfg.dim, cfg.kernel, film=False) for _ in range(cfg.speaker_layers))
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.kernel) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.n_mels)

    def speaker(self, prompt: torch.Tensor, prompt_pad: torch.Tensor | None = None) -> torch.Tensor:
        """prompt mel [B, P, n_mels], pad [B, P] True at padding -> speaker vector [B, D] (zeros if P == 0)."""
        if prompt.shape[1] == 0:
            return prompt.new_zeros(prompt.shape[0], self.cfg.dim)
        x = self.prompt_in(prompt)
        for block in self.prompt_blocks:
            x = block(x)
        keep = torch.ones_like(x[..., 0]) if prompt_pad is None else (~prompt_pad).to(x.dtype)  # [B, P]
        return (x * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp_min(1)

    def forward(self, semantic: torch.Tensor, prompt: torch.Tensor, prompt_pad: torch.Tensor | None = None,
                voice_strength: float = 1.0) -> torch.Tensor:
        """semantic [B, T] at the frame rate (semantic_size at padding), prompt [B, P, n_mels] ->
        standardised log-mel [B, T, n_mels]. `voice_strength` scales the speaker vector: 1 the prompt's voice,
        0 the voice of no prompt (trained on one example in ten), between them the FiLM in between."""
        speaker = self.speaker(prompt, prompt_pad) * voice_strength
        x = self.semantic(semantic)
        for block in self.blocks:
            x = block(x, speaker)
        return self.out(self.norm(x))

    def save_pretrained(self, folder: str | Path) -> None:
        save_module(folder, self, "mel_decoder", self.cfg)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> MelDecoder:
        return load_module(folder, cls, MelDecoderConfig)


def mel_loss(model: MelDecoder, semantic: torch.Tensor, prompt: torch.Tensor, prompt_pad: torch.Tensor,
             target: torch.Tensor, pad: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean L1 over the real (unpadded) frames and bins -> (loss, frames).

    semantic [B, T], prompt [B, P, n_mels], prompt_pad [B, P], target [B, T, n_mels], pad [B, T]."""
    pred = model(semantic, prompt, prompt_pad).float()
    keep = (~pad).float()[..., None]  # [B, T, 1]
    n = int((~pad).sum())
    return ((pred - target).abs() * keep).sum() / (keep.sum() * pred.shape[-1]).clamp_min(1), n


@torch.inference_mode()
def generate_mel(model: MelDecoder, semantic: torch.Tensor, prompt: torch.Tensor | None = None,
                 voice_strength: float = 1.0) -> torch.Tensor:
    """Semantic tokens [T_s] (+ prompt mel [P, n_mels]) -> standardised log-mel [T_s * frames_per_token, n_mels]."""
    device = next(model.parameters()).device
    frames = semantic.long().repeat_interleave(model.cfg.frames_per_token).to(device)
    if prompt is None:
        prompt = torch.zeros(0, model.cfg.n_mels)
    return model(frames[None], prompt.float()[None].to(device), voice_strength=voice_strength)[0].float().cpu()
