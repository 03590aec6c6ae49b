"""A pretrained self-supervised speech encoder from Hugging Face `transformers`.

Reads one hidden layer of wav2vec2 / XLS-R (Wav2Vec2Model), HuBERT (HubertModel) or
w2v-BERT 2.0 (Wav2Vec2BertModel), AudioPaLM's own tokenizer backbone, and brings it to
the 25 Hz token rate:

    wav [T] at 16 kHz
      -> feature extractor        input_values [1, T] (raw, normalised)
                                  or input_features [1, T/320, 160] (stacked log-mel fbanks)
      -> model, hidden_states[layer]   [1, T', dim] at the model's own rate (50 Hz for all three)
      -> to_token_rate            [num_tokens(T), dim] at 25 Hz
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.encoders.base import HOP, Encoder, num_tokens, to_token_rate
from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.errors import AudiopalmError, first_line

SUBFOLDER = "hf"  # where `save` puts the model inside a tokenizer folder
BATCH = 16  # utterances per forward pass: bounds the memory that padding to the longest one costs


def _auto_classes() -> tuple[type, type]:
    """(AutoFeatureExtractor, AutoModel), imported on first use."""
    from transformers import AutoFeatureExtractor, AutoModel

    return AutoFeatureExtractor, AutoModel


def pads_safely(model_config, extractor) -> bool:
    """True when padding a batch (with an attention mask) leaves each utterance's states unchanged.

    wav2vec2-base and HuBERT-base (feat_extract_norm == "group") GroupNorm their first conv over
    time, padding included, and their feature extractors return no attention mask: HF's advice is
    to pad without a mask, which still shifts the results, so those run one utterance at a time.
    """
    if getattr(model_config, "feat_extract_norm", None) == "group":
        return False
    return bool(getattr(extractor, "return_attention_mask", False))


def pad_to_one_token(wav: np.ndarray) -> np.ndarray:
    """wav [T] -> [max(T, HOP)] float32: zero-pads clips shorter than 40 ms.

    num_tokens gives even the shortest clip one token, but the conv front end of wav2vec2 /
    HuBERT and the 25 ms fbank window of w2v-BERT need 400 samples before they emit a frame,
    and w2v-BERT stacks 2 fbank frames (560 samples) into one.
    """
    wav = np.asarray(wav, dtype=np.float32)
    return wav if len(wav) >= HOP else np.pad(wav, (0, HOP - len(wav)))


class HfEncoder(Encoder):
    """Hidden layer `layer` of a transformers speech model: wav [T] -> [num_tokens(T), hidden_size]."""

    name = "hf"

    def __init__(self, source: str | Path, layer: int | None = None, device: str = "cpu"):
        """source: a hub model id or a local folder; layer: index into hidden_states (0 = embeddings
        output), by default the middle layer, where self-supervised encoders are most phonetic."""
        AutoFeatureExtractor, AutoModel = _auto_classes()
        self.source = str(source)
        self.device = torch.device(device)
        try:
            self.extractor = AutoFeatureExtractor.from_pretrained(self.source)
            model = AutoModel.from_pretrained(self.source, use_safetensors=True)
        except (OSError, ValueError, KeyError) as e:  # missing folder/id, offline hub, unknown model type
            raise AudiopalmError(f"cannot load Hugging Face model {self.source!r}: {first_line(e)}") from None
        # float32 everywhere: some checkpoints are stored in float16, which CPUs run slowly or not at all
        self.model = model.to(self.device, torch.float32).eval()
        num_layers = self.model.config.num_hidden_layers
        self.layer = num_layers // 2 if layer is None else int(layer)
        if not 0 <= self.layer <= num_layers:
            raise AudiopalmError(
                f"layer must be in 0..{num_layers} for {self.source} (0 = embeddings, {num_layers} = last), "
                f"got {layer}"
            )
        self.dim = self.model.config.hidden_size
        self.batched = pads_safely(self.model.config, self.extractor)

    def features(self, wav: np.ndarray) -> torch.Tensor:
        return self._forward([wav])[0]

    def features_batch(self, wavs: list[np.ndarray]) -> list[torch.Tensor]:
        if not self.batched:
            return [self.features(w) for w in wavs]
        return [f for i in range(0, len(wavs), BATCH) for f in self._forward(wavs[i : i + BATCH])]

    @torch.inference_mode()
    def _forward(self, wavs: list[np.ndarray]) -> list[torch.Tensor]:
        """B utterances wav [T_b] -> B tensors [num_tokens(T_b), dim] float32 on the CPU."""
        inputs = self.extractor(
            [pad_to_one_token(w) for w in wavs], sampling_rate=SAMPLE_RATE, padding=True, return_tensors="pt"
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        out = self.model(**inputs, output_hidden_states=True)
        hidden = out.hidden_states[self.layer]  # [B, T', dim] at the model's native frame rate
        lengths = self._frame_lengths(inputs, hidden.shape[1])
        return [
            to_token_rate(h[:n].float().cpu(), num_tokens(len(w)))  # [num_tokens(T_b), dim]
            for h, n, w in zip(hidden, lengths, wavs)
        ]

    def _frame_lengths(self, inputs: dict[str, torch.Tensor], num_frames: int) -> list[int]:
        """Frames of each utterance that come from its own audio, not from the batch's padding."""
        mask = inputs.get("attention_mask")
        if mask is None:
            return [num_frames] * len(next(iter(inputs.values())))
        lengths = mask.sum(-1)  # [B]: samples (input_values) or stacked fbank frames (input_features)
        if "input_values" in inputs:  # raw audio: the strided conv front end sets the frame count
            lengths = self.model._get_feat_extract_output_lengths(lengths)
        # at least one frame, so that to_token_rate has something to repeat
        return [max(1, min(int(n), num_frames)) for n in lengths]

    def config(self) -> dict:
        return {"source": self.source, "layer": self.layer}

    def save(self, folder: Path) -> None:
        """Model (config.json + model.safetensors) and preprocessor_config.json into folder / "hf"."""
        target = Path(folder) / SUBFOLDER
        self.model.save_pretrained(target)  # safetensors is transformers' default format
        self.extractor.save_pretrained(target)

    @classmethod
    def load(cls, folder: Path, config: dict, device: str = "cpu") -> HfEncoder:
        """From folder / "hf" when `save` wrote it, else from config["source"] (hub id or folder)."""
        saved = Path(folder) / SUBFOLDER
        encoder = cls(saved if saved.is_dir() else config["source"], config.get("layer"), device)
        encoder.source = config["source"]  # keep naming the original model, not this copy
        return encoder
