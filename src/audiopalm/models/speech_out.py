"""Speech output: semantic tokens -> acoustic frames (in a prompt's voice) -> waveform.

    stage = SpeechOutput.from_pretrained("runs/speech-out")        # codec/ + acoustic/
    wav = stage.synthesize(semantic, voice=stage.prompt(wav, tokens))  # float32 [N] at 16 kHz

Two acoustic models (ACOUSTIC_MODELS, by the "type" in acoustic/config.json):
    soundstorm   codec codes [K, T] by parallel iterative decoding (any codec)
    mel_decoder  standardised log-mel [T, n_mels] in one pass, voiced by the mel codec's vocoder

The voice prompt is the first `prompt_seconds` of a recording: its semantic tokens and its acoustic
frames (codes for soundstorm, mel frames for mel_decoder) condition the acoustic model.

With a text-to-unit model (units/, models/units.py) the stage also speaks text itself: a text's phonemes
-> semantic tokens (in the prompt's voice) -> the acoustic model as above (`text_tokens`, `say`).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.codecs import Codec, load_codec
from audiopalm.audio.codecs.mel import MelCodec
from audiopalm.audio.encoders import TOKEN_RATE
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.models.mel_decoder import MelDecoder, generate_mel
from audiopalm.models.soundstorm import SoundStorm, generate
from audiopalm.models.units import TextToUnit, generate_units, symbol_ids

# The text-to-unit model's durations regress log(1 + frames): their geometric mean, shorter than the arithmetic
# one, so its speech is slowed by this pace. Chosen on 40 English dev sentences (docs/speech.md): Whisper tiny.en
# WER 59.3 / 43.5 / 54.0 / 50.9% at pace 1.0 / 0.9 / 0.8 / 0.7.
UNITS_PACE = 0.9
# How much of the prompt's voice the unit-to-mel model puts in (its speaker vector scaled; 0: the voice it learnt
# for no prompt). Chosen on 60 English dev sentences spoken by the text-to-unit model in S2ST voices (docs/speech.md,
# "Voice strength"): Whisper tiny.en WER 36.7 / 33.5 / 29.6 / 30.5 / 28.6% at 1 / 0.6 / 0.4 / 0.2 / 0, the voice
# 119 / 117 / 112 / 89 / 33% of the way from another speaker to the same one.
VOICE_STRENGTH = 0.4
ACOUSTIC_MODELS = {"soundstorm": SoundStorm, "mel_decoder": MelDecoder}
Acoustic = SoundStorm | MelDecoder
Voice = tuple[torch.Tensor, torch.Tensor]  # (semantic [P_s], codes [K, P] or mel [P, n_mels])


def load_acoustic(folder: str | Path) -> Acoustic:
    """An acoustic model folder (config.json names its type) -> the model, in eval mode."""
    config = Path(folder) / "config.json"
    if not config.is_file():
        raise AudiopalmError(f"{folder} is not an acoustic model folder (no config.json)")
    kind = json.loads(config.read_text()).get("type", "soundstorm")
    if kind not in ACOUSTIC_MODELS:
        raise AudiopalmError(f"{config}: unknown acoustic model type {kind!r}; known: {', '.join(ACOUSTIC_MODELS)}")
    return ACOUSTIC_MODELS[kind].from_pretrained(folder)


class SpeechOutput:
    def __init__(self, codec: Codec, acoustic: Acoustic, prompt_seconds: float = 3.0,
                 iterations: tuple[int, ...] = (1,), temperature: float = 0.0, units: TextToUnit | None = None,
                 pace: float = UNITS_PACE, voice_strength: float = VOICE_STRENGTH):
        cfg = acoustic.cfg
        if units is not None and units.cfg.semantic_size != cfg.semantic_size:
            raise AudiopalmError(f"the text-to-unit model writes {units.cfg.semantic_size} semantic tokens, the acoustic "
                                 f"model reads {cfg.semantic_size}")
        if isinstance(acoustic, MelDecoder):
            if not isinstance(codec, MelCodec) or codec.cfg.n_mels != cfg.n_mels:
                raise AudiopalmError(f"the mel decoder writes {cfg.n_mels}-bin mel frames: it needs the built-in mel "
                                     f"codec with as many bins (audiopalm codec train)")
        elif (cfg.num_codebooks, cfg.codebook_size) != (codec.num_codebooks, codec.codebook_size):
            raise AudiopalmError(f"the acoustic model predicts {cfg.num_codebooks} x {cfg.codebook_size} codes, the codec "
                                 f"has {codec.num_codebooks} x {codec.codebook_size}")
        if abs(codec.frame_rate - TOKEN_RATE * cfg.frames_per_token) > 1e-6:
            raise AudiopalmError(f"the acoustic model expects {TOKEN_RATE * cfg.frames_per_token} codec frames a second, "
                                 f"the codec has {codec.frame_rate}")
        self.codec, self.acoustic = codec, acoustic.eval()
        # One greedy pass per level by default: on the Babel test set it matched 8-16 sampled rounds in
        # voice similarity and intelligibility at a third of the time (docs/speech.md).
        self.prompt_seconds, self.iterations, self.temperature = prompt_seconds, iterations, temperature
        self.units = units.eval() if units is not None else None
        self.pace = pace  # the text-to-unit model's speaking rate (< 1: slower)
        self.voice_strength = voice_strength  # the unit-to-mel model's share of the prompt's voice

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> SpeechOutput:
        folder = Path(folder)
        if not (folder / "codec" / "config.json").is_file():  # never looked up as a Hub id
            raise AudiopalmError(f"{folder / 'codec'}: missing (no config.json): attach the speech stage again with "
                                 "`audiopalm attach-speech`")
        units = TextToUnit.from_pretrained(folder / "units") if (folder / "units" / "config.json").is_file() else None
        return cls(load_codec(folder / "codec"), load_acoustic(folder / "acoustic"), units=units)

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        self.codec.save_pretrained(folder / "codec")
        self.acoustic.save_pretrained(folder / "acoustic")
        if self.units is not None:
            self.units.save_pretrained(folder / "units")
        elif (folder / "units").is_dir():  # a stage attached again without one: no stale model left to load
            shutil.rmtree(folder / "units")

    def text_tokens(self, text: str, lang: str, voice_tokens: torch.Tensor | None = None) -> torch.Tensor:
        """A text in `lang` (a language code the text-to-unit model knows) -> semantic tokens [T] at 25 Hz, in
        the voice whose semantic tokens [P] are given (a prompt's first seconds); no phonemes -> [0]."""
        from audiopalm.text.phonemes import PhoneCodec, phonemize_one

        if self.units is None:
            raise AudiopalmError("this speech stage has no text-to-unit model (units/): attach one with "
                                 "`audiopalm attach-speech --units FOLDER`")
        cfg = self.units.cfg
        if lang not in cfg.languages:
            raise AudiopalmError(f"the text-to-unit model speaks {', '.join(cfg.languages)}, not {lang!r}")
        ids = PhoneCodec(["<blank>", *cfg.symbols]).encode(phonemize_one(text, lang))
        if not ids:
            return torch.zeros(0, dtype=torch.long)
        return generate_units(self.units, torch.tensor(symbol_ids(ids)), cfg.languages.index(lang), voice_tokens,
                              self.pace)

    def say(self, text: str, lang: str, voice: Voice | None = None) -> np.ndarray:
        """A text -> float32 waveform [N] at 16 kHz through the text-to-unit model, in the prompt's voice."""
        return self.synthesize(self.text_tokens(text, lang, voice[0] if voice is not None else None), voice)

    def prompt_tokens(self, semantic: torch.Tensor) -> torch.Tensor:
        """A recording's semantic tokens [T] -> those of its first `prompt_seconds` [P], the voice prompt's."""
        return semantic[: round(self.prompt_seconds * TOKEN_RATE)].long()

    def prompt(self, wav: np.ndarray, semantic: torch.Tensor) -> Voice:
        """The voice prompt of a recording and its semantic tokens -> (semantic [P_s], codes [K, P] or mel [P, n_mels])."""
        tokens = len(self.prompt_tokens(semantic))
        per_token = self.acoustic.cfg.frames_per_token
        if isinstance(self.acoustic, MelDecoder) and not self.acoustic.cfg.quantised:
            mel = self.codec.log_mel(wav)
            tokens = min(tokens, len(mel) // per_token)
            return semantic[:tokens].long(), mel[: tokens * per_token]
        codes = self.codec.encode(wav)[:, : tokens * per_token]
        tokens = min(tokens, codes.shape[1] // per_token)
        codes = codes[:, : tokens * per_token]
        return semantic[:tokens].long(), self.codec.frames(codes) if isinstance(self.acoustic, MelDecoder) else codes

    def synthesize(self, semantic: torch.Tensor, voice: Voice | None = None, seed: int = 0) -> np.ndarray:
        """Semantic tokens [T_s] (+ a prompt from `prompt`) -> float32 waveform [N] at 16 kHz."""
        if len(semantic) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.waveform(self.acoustic_frames(semantic, voice, seed))

    def acoustic_frames(self, semantic: torch.Tensor, voice: Voice | None = None, seed: int = 0) -> torch.Tensor:
        """Semantic tokens [T_s] (+ a prompt) -> codec codes [K, T] or standardised mel [T, n_mels],
        T = T_s * frames_per_token."""
        if isinstance(self.acoustic, MelDecoder):
            return generate_mel(self.acoustic, semantic, voice[1] if voice is not None else None, self.voice_strength)
        p_sem, p_codes = voice if voice is not None else (None, None)
        return generate(self.acoustic, semantic.long(), p_sem, p_codes, self.iterations, self.temperature, seed)

    def waveform(self, frames: torch.Tensor) -> np.ndarray:
        """The output of `acoustic_frames` -> float32 waveform [N] at 16 kHz."""
        return self.codec.vocode(frames) if isinstance(self.acoustic, MelDecoder) else self.codec.decode(frames)


@dataclass
class AttachConfig:
    """`audiopalm attach-speech`: give an AudioPaLM folder its speech output stage."""

    model: str = help_field("AudioPaLM folder to extend")
    codec: str = help_field("codec folder (audiopalm codec train) or a Hugging Face codec")
    acoustic: str = help_field("acoustic model folder (audiopalm train-acoustic)")
    units: str | None = help_field("text-to-unit model folder (audiopalm train-units): the stage then speaks the "
                                   "text the model writes", None)


def attach(cfg: AttachConfig) -> Path:
    """MODEL/speech_out from the codec and the acoustic model, checked against the model's vocabulary."""
    import json

    config = Path(cfg.model) / "config.json"
    if not config.is_file():
        raise AudiopalmError(f"{cfg.model} is not an AudioPaLM model folder (no config.json)")
    vocab = json.loads(config.read_text())["vocab"]
    if cfg.units and not (Path(cfg.units) / "config.json").is_file():
        raise AudiopalmError(f"{cfg.units} is not a text-to-unit model folder (no config.json): train one with "
                             "`audiopalm train-units`")
    units = TextToUnit.from_pretrained(cfg.units) if cfg.units else None
    stage = SpeechOutput(load_codec(cfg.codec), load_acoustic(cfg.acoustic), units=units)
    if stage.acoustic.cfg.semantic_size != vocab["audio_size"]:
        raise AudiopalmError(f"the acoustic model reads {stage.acoustic.cfg.semantic_size} semantic tokens, the model "
                             f"writes {vocab['audio_size']}")
    stage.save_pretrained(Path(cfg.model) / "speech_out")
    return Path(cfg.model) / "speech_out"
