"""The decoder LM: a Hugging Face causal LM (Llama architecture for our own), and E' = [E_text; E_audio].

Our text model in the PaLM-2 role is a LlamaForCausalLM built from a config preset; the real path
loads any causal LM by name or folder. `extend_vocabulary` adds the audio rows to the input
embedding and the output layer, tied or not, leaving the text rows untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from audiopalm.errors import AudiopalmError


@dataclass(frozen=True)
class LmPreset:
    hidden: int  # model width
    layers: int
    heads: int
    kv_heads: int  # grouped-query attention: fewer key/value heads than query heads
    intermediate: int  # SwiGLU width
    max_positions: int  # longest sequence in tokens (25 Hz audio: 20 s of speech is 500 tokens)


LM_PRESETS: dict[str, LmPreset] = {
    "tiny": LmPreset(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, max_positions=1024),
    "mini": LmPreset(hidden=128, layers=4, heads=4, kv_heads=2, intermediate=384, max_positions=1536),
    "base": LmPreset(hidden=256, layers=6, heads=4, kv_heads=2, intermediate=768, max_positions=1536),
    "small": LmPreset(hidden=384, layers=8, heads=6, kv_heads=2, intermediate=1024, max_positions=1536),
    "medium": LmPreset(hidden=512, layers=10, heads=8, kv_heads=2, intermediate=1408, max_positions=1536),
}


def build_llama(preset: str, vocab_size: int, bos_id: int, eos_id: int, pad_id: int, tie: bool = True):
    """A randomly initialised LlamaForCausalLM of a named size."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if preset not in LM_PRESETS:
        raise AudiopalmError(f"unknown LM preset {preset!r}; choose from {', '.join(LM_PRESETS)}")
    p = LM_PRESETS[preset]
    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=p.hidden, num_hidden_layers=p.layers, num_attention_heads=p.heads,
        num_key_value_heads=p.kv_heads, intermediate_size=p.intermediate, max_position_embeddings=p.max_positions,
        bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=pad_id, tie_word_embeddings=tie,
        rope_theta=10000.0, attention_dropout=0.0,
    )
    return LlamaForCausalLM(config)


INITS = ("mean", "normal")


@torch.no_grad()
def extend_vocabulary(model, new_size: int, init: str = "mean", seed: int = 0) -> None:
    """Grow the input embedding and output layer of `model` to `new_size` rows, in place.

    init "mean": new rows = mean of the text rows + N(0, (0.02 * their std)^2), so the new tokens start
    where the text model puts an average token (its logits start near the text average too);
    init "normal": N(0, initializer_range^2), a fresh embedding. Tied heads stay tied.
    """
    if init not in INITS:
        raise AudiopalmError(f"unknown init {init!r}; choose from {', '.join(INITS)}")
    old = model.get_input_embeddings().weight.shape[0]
    if new_size < old:
        raise AudiopalmError(f"cannot shrink the vocabulary from {old} to {new_size}")
    tied = model.get_output_embeddings() is not None and (
        model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr())
    model.resize_token_embeddings(new_size, mean_resizing=False)
    gen = torch.Generator().manual_seed(seed)
    layers = [model.get_input_embeddings().weight]
    if not tied and model.get_output_embeddings() is not None:
        layers.append(model.get_output_embeddings().weight)
    for w in layers:
        text_rows = w[:old].float()
        n_new = new_size - old
        if init == "mean":
            noise = torch.randn(n_new, w.shape[1], generator=gen) * 0.02 * text_rows.std()
            w[old:] = (text_rows.mean(0, keepdim=True) + noise).to(w.dtype)
        else:
            std = getattr(model.config, "initializer_range", 0.02)
            w[old:] = (torch.randn(n_new, w.shape[1], generator=gen) * std).to(w.dtype)
    bias = getattr(model.get_output_embeddings(), "bias", None)
    if bias is not None:
        bias[old:] = bias[:old].mean()
