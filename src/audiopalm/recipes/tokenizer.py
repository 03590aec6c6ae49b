"""Recipe: build an AudioTokenizer from a world's train split.

    mfcc      -> k-means on MFCC frames
    ctc       -> train the CTC encoder (resumable), then k-means on its `read_layer` states
    hf:<src>  -> k-means on a Hugging Face encoder's hidden states
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopalm.audio.encoders import Encoder
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.recipes.ctc import CtcTrainConfig


@dataclass
class TokenizerStage:
    """`audiopalm tokenizer train`: an encoder (trained first for ctc) and k-means on its states."""

    data: str = help_field("Babel (or any manifest) folder with train.jsonl")
    encoder: str = help_field("mfcc, ctc, or hf:<model id or local path>")
    out: str = help_field("tokenizer folder to write")
    codebook_size: int = help_field("k-means clusters (tokens)", 1024, min=2)
    layer: int | None = help_field("encoder layer to quantize (ctc: 1-based, default: the preset's; hf: "
                                   "hidden_states index)", None)
    max_frames: int = help_field("frames sampled for k-means", 200_000, min=1)
    seed: int = help_field("random seed of the k-means sample", 0)
    ctc: CtcTrainConfig = help_field("the CTC encoder's training (encoder ctc): --ctc-steps, --no-ctc-phonemes "
                                     "(v1: characters only), --no-ctc-augment (v1: clean audio) ...", CtcTrainConfig)
    max_minutes: float | None = help_field("pause CTC training after this long (resume by re-running)", None, min=0)


def run(cfg: TokenizerStage) -> AudioTokenizer | None:
    """Fit and save the tokenizer in OUT; None while the CTC encoder's training is paused."""
    return train_tokenizer(Path(cfg.data), cfg.encoder, Path(cfg.out), cfg.codebook_size, cfg.layer, cfg.max_frames,
                           cfg.seed, cfg.ctc, cfg.max_minutes)


def build_encoder(spec: str, data: Path, out: Path, layer: int | None = None, ctc_config=None,
                  max_minutes: float | None = None) -> Encoder | None:
    """'mfcc' | 'ctc' | 'hf:<model id or path>' -> an encoder; None when CTC training paused."""
    if spec == "mfcc":
        from audiopalm.audio.encoders.mfcc import MfccEncoder

        return MfccEncoder()
    if spec == "ctc":
        from audiopalm.audio.encoders.ctc import CtcEncoder, load_ctc_model
        from audiopalm.recipes.ctc import train_ctc_encoder

        model_dir = out / "ctc-train" / "model"
        if not (model_dir / "model.safetensors").exists():
            train_ctc_encoder(data, out / "ctc-train", ctc_config or CtcTrainConfig(), max_minutes)
            if not (model_dir / "model.safetensors").exists():
                return None
        return CtcEncoder(load_ctc_model(model_dir), read_layer=layer)
    if spec.startswith("hf:"):
        from audiopalm.audio.encoders.hf import HfEncoder

        return HfEncoder(spec[3:], layer=layer)
    raise AudiopalmError(f"unknown encoder {spec!r}; use mfcc, ctc or hf:<model id or path>")


def sample_wavs(data: Path, seed: int = 0) -> Iterator[np.ndarray]:
    """Train utterances in a seeded random order (all languages and speakers mixed); bad files skipped."""
    from audiopalm.data.manifest import audio_rows, read_jsonl

    rows = audio_rows(read_jsonl(data / "train.jsonl"))
    random.Random(seed).shuffle(rows)
    for r in rows:
        try:
            yield load_audio(data / r["audio"])
        except AudioError as e:
            print(f"skipped: {e}")


def train_tokenizer(data: Path, encoder_spec: str, out: Path, codebook_size: int = 1024, layer: int | None = None,
                    max_frames: int = 200_000, seed: int = 0, ctc_config=None,
                    max_minutes: float | None = None) -> AudioTokenizer | None:
    """Fit and save a tokenizer in `out`; None when the CTC encoder's training was paused."""
    if not (data / "train.jsonl").exists():
        raise AudiopalmError(f"{data / 'train.jsonl'} not found: build a world first with `audiopalm data synth`")
    out.mkdir(parents=True, exist_ok=True)
    encoder = build_encoder(encoder_spec, data, out, layer, ctc_config, max_minutes)
    if encoder is None:
        return None
    tokenizer = AudioTokenizer.fit(encoder, sample_wavs(data, seed), codebook_size, max_frames, seed)
    tokenizer.save_pretrained(out)
    return tokenizer
