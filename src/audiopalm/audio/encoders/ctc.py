"""Our own speech encoder, trained with a CTC loss on characters: USM-v2's idea in miniature.

An ASR objective pulls the encoder's states towards what was said and away from who said it,
which is why USM-v2 tokens beat w2v-BERT's in AudioPaLM (CoVoST2 ASR WER 22.3 vs 50.1).

    log-mel [B, 4T, 80] at 100 Hz
      -> two stride-2 convolutions          [B, T, D] at 25 Hz
      -> `layers` pre-norm transformer layers
      -> linear CTC head over characters   [B, T, V]
With `arch="whisper"` the trunk is Whisper's encoder (audio/encoders/whisper_init.py loads its
pretrained weights): Whisper's log-mel, a stride-1 and a stride-2 convolution (50 Hz), its fixed
sinusoidal positions and pre-norm layers; pairs of frames are averaged back to 25 Hz before the heads
and the tokenizer's read-out, except, with `char_rate=2`, before the character head, which then spells at
50 Hz: at 25 Hz a CTC head writes at most 25 characters a second, spaces and the blank a doubled letter
needs included, and fast speech says more (French at 178 words a minute: 20-25).
Tokenizer v2 adds a second CTC head over IPA phonemes on the output of layer `phone_layer`
(usually the layer the tokenizer reads): phonemes name sounds the same way in every language and
voice, so that layer is pulled towards what was said. The tokenizer reads the output of layer
`read_layer`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file, load_model, save_file

from audiopalm.audio.encoders.base import Encoder, num_tokens
from audiopalm.audio.features import FRAMES_PER_TOKEN, MEL_KINDS, speech_features
from audiopalm.errors import AudiopalmError


@dataclass
class CtcEncoderConfig:
    n_mels: int = 80  # log-mel bins at 100 Hz
    dim: int = 256  # model width
    layers: int = 6  # transformer layers
    heads: int = 4  # attention heads
    ff_mult: int = 4  # feed-forward width = ff_mult * dim
    dropout: float = 0.1
    read_layer: int = 4  # 1-based: the layer whose output the tokenizer quantizes
    vocab: list[str] = field(default_factory=list)  # CTC characters; id 0 is the blank
    phonemes: list[str] = field(default_factory=list)  # CTC phoneme symbols (IPA); empty: no phoneme head
    phone_layer: int = 0  # 1-based layer under the phoneme head; 0: no phoneme head
    arch: str = "own"  # "own" (25 Hz trunk above) or "whisper" (Whisper's encoder, 50 Hz inside)
    features: str = "log_mel"  # the log-mel front end (audio/features.py MEL_KINDS)
    char_rate: int = 1  # character-head frames per token: 1 (25 Hz) or 2 (50 Hz, arch "whisper" only)

    def validate(self) -> None:
        if self.arch not in ARCHS:
            raise AudiopalmError(f"unknown encoder arch {self.arch!r}; choose from {', '.join(ARCHS)}")
        if self.features not in MEL_KINDS:
            raise AudiopalmError(f"unknown mel features {self.features!r}; choose from {', '.join(MEL_KINDS)}")
        if not 1 <= self.read_layer <= self.layers:
            raise AudiopalmError(f"read_layer must be in 1..{self.layers}, got {self.read_layer}")
        if self.phonemes and not 1 <= self.phone_layer <= self.layers:
            raise AudiopalmError(f"phone_layer must be in 1..{self.layers}, got {self.phone_layer}")
        if self.char_rate not in (1, 2) or (self.char_rate == 2 and self.arch != "whisper"):
            raise AudiopalmError(f"char_rate must be 1, or 2 with arch 'whisper' (50 Hz inside), got {self.char_rate} "
                                 f"with arch {self.arch!r}")


ARCHS = ("own", "whisper")

CTC_PRESETS: dict[str, dict] = {
    "tiny": dict(dim=64, layers=2, heads=2, read_layer=2, phone_layer=2),
    # read_layer 5: of layers 3, 4 and 5 the best probe CER on every test condition (docs/tokenizers.md)
    "small": dict(dim=256, layers=6, heads=4, read_layer=5, phone_layer=4),
}


def sinusoidal_positions(n: int, dim: int) -> torch.Tensor:
    """[n, dim] fixed sine/cosine position codes."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(n, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe


def whisper_positions(n: int, dim: int) -> torch.Tensor:
    """[n, dim] Whisper's encoder positions: all sines, then all cosines, timescales 1 .. 10 000."""
    step = math.log(10000.0) / (dim // 2 - 1)
    time = torch.arange(n, dtype=torch.float32)[:, None] * torch.exp(-step * torch.arange(dim // 2))[None, :]
    return torch.cat([time.sin(), time.cos()], dim=1)


class CtcEncoderModel(nn.Module):
    def __init__(self, cfg: CtcEncoderConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        # own: two stride-2 convolutions, 100 Hz mel frames -> 25 Hz, the audio-token rate;
        # whisper: stride 1 then 2 -> 50 Hz, two frames per token
        self.rate = 2 if cfg.arch == "whisper" else 1
        self.subsample = nn.Sequential(
            nn.Conv1d(cfg.n_mels, cfg.dim, kernel_size=3, stride=2 // self.rate, padding=1), nn.GELU(),
            nn.Conv1d(cfg.dim, cfg.dim, kernel_size=3, stride=2, padding=1), nn.GELU(),
        )
        self.in_norm = nn.LayerNorm(cfg.dim) if cfg.arch == "own" else nn.Identity()
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(cfg.dim, cfg.heads, cfg.ff_mult * cfg.dim, cfg.dropout,
                                       activation="gelu", batch_first=True, norm_first=True)
            for _ in range(cfg.layers)
        )
        self.out_norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, len(cfg.vocab))
        if cfg.phonemes:
            self.phone_norm = nn.LayerNorm(cfg.dim)
            self.phone_head = nn.Linear(cfg.dim, len(cfg.phonemes))
        self.register_buffer("mel_mean", torch.zeros(cfg.n_mels))
        self.register_buffer("mel_std", torch.ones(cfg.n_mels))

    def frontend(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, 4T, n_mels] -> [B, rate * T, dim]."""
        x = (mel - self.mel_mean) / self.mel_std
        x = self.subsample(x.transpose(1, 2)).transpose(1, 2)  # [B, rate * T, dim]
        positions = whisper_positions if self.cfg.arch == "whisper" else sinusoidal_positions
        return self.in_norm(x) + positions(x.shape[1], x.shape[2]).to(x)

    def to_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """[B, rate * T, dim] -> [B, T, dim]: the mean of each token's frames."""
        if self.rate == 1:
            return x
        b, t, d = x.shape
        return x.reshape(b, t // self.rate, self.rate, d).mean(2)

    def forward(self, mel: torch.Tensor, pad_mask: torch.Tensor | None = None, upto: int | None = None,
                with_phones: bool = False, tap: int | None = None):
        """mel [B, 4T, n_mels], pad_mask [B, T] (True = padding) -> CTC logits [B, char_rate * T, V];
        with `upto`, the hidden states [B, T, dim] after layer `upto` (1-based) instead;
        with `with_phones`, (character logits, phoneme logits [B, T, P] or None);
        with `tap`, (character logits, the hidden states [B, T, dim] after layer `tap`), in one pass."""
        x = self.frontend(mel)
        if pad_mask is not None and self.rate > 1:
            pad_mask = pad_mask.repeat_interleave(self.rate, dim=1)
        phones = tapped = None
        for i, layer in enumerate(self.layers[: upto or len(self.layers)], start=1):
            x = layer(x, src_key_padding_mask=pad_mask)
            if with_phones and i == self.cfg.phone_layer and self.cfg.phonemes:
                phones = self.phone_head(self.phone_norm(self.to_tokens(x)))
            if i == tap:
                tapped = self.to_tokens(x)
        if upto:
            return self.to_tokens(x)
        x = self.out_norm(x)
        logits = self.head(x if self.cfg.char_rate == self.rate else self.to_tokens(x))
        if tap:
            return logits, tapped
        return (logits, phones) if with_phones else logits


def mel_for_tokens(wav: np.ndarray, n_mels: int, kind: str = "log_mel") -> torch.Tensor:
    """wav [T] -> log-mel [4 * num_tokens(T), n_mels] of `kind`, trimmed or padded to whole tokens."""
    n = num_tokens(len(wav)) * FRAMES_PER_TOKEN
    mel = speech_features(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), n_mels, kind)
    if mel.shape[0] < n:
        mel = torch.cat([mel, mel[-1:].expand(n - mel.shape[0], -1)])
    return mel[:n]


def pad_mels(mels: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> mel [B, 4T, M] float32, pad mask [B, T] (True = padding), lengths [B] in tokens."""
    mel = torch.nn.utils.rnn.pad_sequence([m.float() for m in mels], batch_first=True)
    lengths = torch.tensor([m.shape[0] // FRAMES_PER_TOKEN for m in mels])
    pad = torch.arange(int(lengths.max()))[None, :] >= lengths[:, None]
    return mel, pad, lengths


class CtcEncoder(Encoder):
    """Reads layer `read_layer` of a trained CtcEncoderModel: wav [T] -> [num_tokens(T), dim]."""

    name = "ctc"

    def __init__(self, model: CtcEncoderModel, read_layer: int | None = None):
        self.model = model.eval()
        self.read_layer = read_layer or model.cfg.read_layer
        if not 1 <= self.read_layer <= model.cfg.layers:
            raise AudiopalmError(f"read_layer must be in 1..{model.cfg.layers}, got {self.read_layer}")
        self.dim = model.cfg.dim

    def features(self, wav: np.ndarray) -> torch.Tensor:
        return self.features_batch([wav])[0]

    @torch.inference_mode()
    def features_batch(self, wavs: list[np.ndarray]) -> list[torch.Tensor]:
        mels = [mel_for_tokens(w, self.model.cfg.n_mels, self.model.cfg.features) for w in wavs]
        lengths = [m.shape[0] // FRAMES_PER_TOKEN for m in mels]
        batch = nn.utils.rnn.pad_sequence(mels, batch_first=True)  # [B, 4T, n_mels]
        pad = torch.arange(max(lengths))[None, :] >= torch.tensor(lengths)[:, None]  # [B, T]
        hidden = self.model(batch, pad_mask=pad if len(wavs) > 1 else None, upto=self.read_layer)
        return [h[:n].float() for h, n in zip(hidden, lengths)]

    def config(self) -> dict:
        return {"model": asdict(self.model.cfg), "read_layer": self.read_layer}

    def save(self, folder: Path) -> None:
        save_file(self.model.state_dict(), str(folder / "ctc_encoder.safetensors"))

    @classmethod
    def load(cls, folder: Path, config: dict) -> CtcEncoder:
        model = CtcEncoderModel(CtcEncoderConfig(**config["model"]))
        model.load_state_dict(load_file(str(folder / "ctc_encoder.safetensors")))
        return cls(model, config["read_layer"])


def save_ctc_model(model: CtcEncoderModel, folder: Path) -> None:
    """The trained encoder alone (config.json + safetensors), e.g. for the ASR probe."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(asdict(model.cfg), indent=2, ensure_ascii=False))
    save_file(model.state_dict(), str(folder / "model.safetensors"))


def load_ctc_model(folder: Path) -> CtcEncoderModel:
    """The inverse of `save_ctc_model`."""
    model = CtcEncoderModel(CtcEncoderConfig(**json.loads((folder / "config.json").read_text())))
    load_model(model, str(folder / "model.safetensors"))
    return model.eval()
