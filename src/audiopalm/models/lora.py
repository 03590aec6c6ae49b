"""LoRA through peft, as an option beside full finetuning.

The text model stays frozen except for low-rank adapters on its projections; of E' = [E_text; E_audio]
only the new rows (audio tokens, and <sep> if it was added) train, in the input embedding and, when
untied, the output layer. After training the adapters are merged, so the saved model is a plain
causal LM again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch

from audiopalm.errors import AudiopalmError

LLAMA_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: list(LLAMA_PROJECTIONS))

    @classmethod
    def from_dict(cls, d: dict) -> LoraSettings:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise AudiopalmError(f"unknown lora keys: {', '.join(sorted(unknown))}; known: r, alpha, dropout, target_modules")
        return cls(**d)


def add_lora(lm: torch.nn.Module, new_rows: list[int], settings: LoraSettings):
    """-> a peft model whose trainable parameters are the adapters and the embedding rows `new_rows`."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as e:
        raise AudiopalmError("LoRA needs peft: pip install 'audiopalm[train]'") from e
    tied = lm.get_output_embeddings() is not None and (
        lm.get_output_embeddings().weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr())
    embed = next(n for n, m in lm.named_modules() if m is lm.get_input_embeddings()).split(".")[-1]
    rows = {embed: list(new_rows)}
    if not tied and lm.get_output_embeddings() is not None:
        rows[next(n for n, m in lm.named_modules() if m is lm.get_output_embeddings()).split(".")[-1]] = list(new_rows)
    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=settings.target_modules, trainable_token_indices=rows)
    return get_peft_model(lm, config)


def merge_lora(model) -> torch.nn.Module:
    """The peft model with its adapters folded into the weights: a plain causal LM."""
    return model.merge_and_unload()
