"""Speech output: semantic tokens -> acoustic codes (SoundStorm-style, in a prompt's voice) -> waveform.

    stage = SpeechOutput.from_pretrained("runs/speech-out")        # codec/ + acoustic/
    wav = stage.synthesize(semantic, voice="source.wav")          # float32 [N] at 16 kHz

The voice prompt is the first `prompt_seconds` of a recording: its codec codes, with the
semantic tokens of the same stretch, prefix the sequence the acoustic model completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.codecs import Codec, load_codec
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.models.soundstorm import SoundStorm, generate

TOKEN_RATE = 25


class SpeechOutput:
    def __init__(self, codec: Codec, acoustic: SoundStorm, prompt_seconds: float = 3.0,
                 iterations: tuple[int, ...] = (1,), temperature: float = 0.0):
        cfg = acoustic.cfg
        if (cfg.num_codebooks, cfg.codebook_size) != (codec.num_codebooks, codec.codebook_size):
            raise AudiopalmError(f"the acoustic model predicts {cfg.num_codebooks} x {cfg.codebook_size} codes, the codec "
                                 f"has {codec.num_codebooks} x {codec.codebook_size}")
        if abs(codec.frame_rate - TOKEN_RATE * cfg.frames_per_token) > 1e-6:
            raise AudiopalmError(f"the acoustic model expects {TOKEN_RATE * cfg.frames_per_token} codec frames a second, "
                                 f"the codec has {codec.frame_rate}")
        self.codec, self.acoustic = codec, acoustic.eval()
        # One greedy pass per level by default: on the Babel test set it matched 8-16 sampled rounds in
        # voice similarity and intelligibility at a third of the time (docs/speech.md).
        self.prompt_seconds, self.iterations, self.temperature = prompt_seconds, iterations, temperature

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> SpeechOutput:
        folder = Path(folder)
        return cls(load_codec(folder / "codec"), SoundStorm.from_pretrained(folder / "acoustic"))

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        self.codec.save_pretrained(folder / "codec")
        self.acoustic.save_pretrained(folder / "acoustic")

    def prompt(self, wav: np.ndarray, semantic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The voice prompt of a recording and its semantic tokens -> (semantic [P_s], codes [K, P])."""
        tokens = min(len(semantic), round(self.prompt_seconds * TOKEN_RATE))
        per_token = self.acoustic.cfg.frames_per_token
        codes = self.codec.encode(wav)[:, : tokens * per_token]
        tokens = min(tokens, codes.shape[1] // per_token)
        return semantic[:tokens].long(), codes[:, : tokens * per_token]

    def synthesize(self, semantic: torch.Tensor, voice: tuple[torch.Tensor, torch.Tensor] | None = None,
                   seed: int = 0) -> np.ndarray:
        """Semantic tokens [T_s] (+ a prompt from `prompt`) -> float32 waveform [N] at 16 kHz."""
        if len(semantic) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.codec.decode(self.acoustic_codes(semantic, voice, seed))

    def acoustic_codes(self, semantic: torch.Tensor, voice: tuple[torch.Tensor, torch.Tensor] | None = None,
                       seed: int = 0) -> torch.Tensor:
        """Semantic tokens [T_s] (+ a prompt) -> codec codes [K, T_s * frames_per_token]."""
        p_sem, p_codes = voice if voice is not None else (None, None)
        return generate(self.acoustic, semantic.long(), p_sem, p_codes, self.iterations, self.temperature, seed)


@dataclass
class AttachConfig:
    """`audiopalm attach-speech`: give an AudioPaLM folder its speech output stage."""

    model: str = help_field("AudioPaLM folder to extend")
    codec: str = help_field("codec folder (audiopalm codec train) or a Hugging Face codec")
    acoustic: str = help_field("acoustic model folder (audiopalm train-acoustic)")


def attach(cfg: AttachConfig) -> Path:
    """MODEL/speech_out from the codec and the acoustic model, checked against the model's vocabulary."""
    import json

    config = Path(cfg.model) / "config.json"
    if not config.is_file():
        raise AudiopalmError(f"{cfg.model} is not an AudioPaLM model folder (no config.json)")
    vocab = json.loads(config.read_text())["vocab"]
    stage = SpeechOutput(load_codec(cfg.codec), SoundStorm.from_pretrained(cfg.acoustic))
    if stage.acoustic.cfg.semantic_size != vocab["audio_size"]:
        raise AudiopalmError(f"the acoustic model reads {stage.acoustic.cfg.semantic_size} semantic tokens, the model "
                             f"writes {vocab['audio_size']}")
    stage.save_pretrained(Path(cfg.model) / "speech_out")
    return Path(cfg.model) / "speech_out"
