"""Recipe: finetune the whole model on the multitask speech-text mixture (`audiopalm train --config`).

    setup    text LM (pretrained LMDIR, a Hugging Face causal LM, or the same architecture from
             scratch for the ablation) + audio tokenizer -> AudioPaLM with E' = [E_text; E_audio];
             tokens of the world's train/dev manifests (made if missing) -> mixture sequences
    train    training.lm.train_lm (bucketed batches, bf16, cosine, resumable checkpoints; one process
             or many under torchrun / accelerate launch); full finetuning, or LoRA with `lora:`
    cleanup  OUT/model: the AudioPaLM folder (LoRA adapters merged)
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from audiopalm.data.shards import load_tokens, tokenize_manifests
from audiopalm.data.languages import Languages
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.multitask import MixtureConfig, build_mixture, group_utterances
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.lora import LoraSettings, add_lora, merge_lora
from audiopalm.training import distributed
from audiopalm.training.lm import LmTrainConfig, train_lm


@dataclass
class FinetuneConfig:
    data: str  # world folder (manifests + world.json)
    audio_tokenizer: str  # tokenizer folder
    text_lm: str  # LMDIR from pretrain-text, or a Hugging Face causal LM id/folder
    out: str  # output folder
    from_scratch: bool = False  # ablation: same architecture and tokenizer, random weights
    init: str = "mean"  # initialisation of the audio rows: mean | normal
    mixture: dict[str, float] = field(default_factory=lambda: dict(MixtureConfig().weights))
    dev_utterances: int = 300  # dev sequences (ASR and AST) for the dev loss
    train_fraction: float = 1.0  # share of the train sentences used (nested: 0.25 is a subset of 0.5)
    train: dict = field(default_factory=dict)  # LmTrainConfig fields
    lora: dict | None = None  # LoraSettings fields ({} for the defaults): LoRA instead of full finetuning
    jobs: int = 2  # tokenization processes
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict) -> FinetuneConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise AudiopalmError(f"unknown config keys: {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
        return cls(**d)


def load_config(path: Path) -> FinetuneConfig:
    import yaml

    if not path.exists():
        raise AudiopalmError(f"config {path} not found")
    return FinetuneConfig.from_dict(yaml.safe_load(path.read_text()) or {})


def sentence_subset(rows: list[dict], fraction: float) -> list[dict]:
    """The rows of a fixed share of the sentences: one shuffle (seed 0) of the sentence ids, its first
    `fraction`, so smaller shares are subsets of larger ones whatever the training seed."""
    if not 0 < fraction <= 1:
        raise AudiopalmError(f"train_fraction must be in (0, 1], not {fraction}")
    ids = sorted({r["sentence_id"] for r in rows})
    random.Random(0).shuffle(ids)
    keep = set(ids[: max(1, round(fraction * len(ids)))])
    return [r for r in rows if r["sentence_id"] in keep]


def _tokens(cfg: FinetuneConfig, split: str, d: distributed.Dist) -> dict[str, torch.Tensor]:
    tok_dir, data = Path(cfg.audio_tokenizer), Path(cfg.data)
    out = data / "tokens" / tok_dir.name
    if d.main:  # the others wait, then read the shards
        tokenize_manifests(tok_dir, data, out, [split], cfg.jobs, progress=True)
    distributed.barrier(d)
    return load_tokens(out, split)


def build_model(cfg: FinetuneConfig) -> AudioPaLM:
    model = AudioPaLM.from_text_lm(cfg.text_lm, cfg.audio_tokenizer, Languages.of_dataset(Path(cfg.data)), cfg.init)
    if cfg.from_scratch:  # same architecture, vocabulary and tokenizer; random weights
        from transformers import AutoModelForCausalLM

        torch.manual_seed(cfg.seed)
        model.lm = AutoModelForCausalLM.from_config(model.lm.config).eval()
    return model


def finetune(cfg: FinetuneConfig, max_minutes: float | None = None) -> Path:
    data, out = Path(cfg.data), Path(cfg.out)
    world = json.loads((data / "world.json").read_text())
    train_cfg = LmTrainConfig(**{"seed": cfg.seed, **cfg.train})
    d = distributed.init(train_cfg.distributed)
    model = build_model(cfg)
    mix = MixtureConfig(weights=cfg.mixture, zero_shot_pairs=world.get("zero_shot_pairs", []), seed=cfg.seed)
    train_rows = sentence_subset(read_jsonl(data / "train.jsonl"), cfg.train_fraction)
    train = build_mixture(group_utterances(train_rows, _tokens(cfg, "train", d)),
                          model.vocab, model.text_tokenizer, model.languages, mix)
    dev_mix = MixtureConfig(weights={"ASR": 0.5, "AST": 0.5}, zero_shot_pairs=mix.zero_shot_pairs, seed=cfg.seed)
    dev = build_mixture(group_utterances(read_jsonl(data / "dev.jsonl"), _tokens(cfg, "dev", d)),
                        model.vocab, model.text_tokenizer, model.languages, dev_mix)[: cfg.dev_utterances]
    lm = model.lm
    if cfg.lora is not None and d.world > 1 and d.strategy == "fsdp":
        raise AudiopalmError("LoRA runs under DDP (train.distributed: ddp), not FSDP")
    if cfg.lora is not None:
        lm = add_lora(lm, list(range(model.vocab.text_size, model.vocab.size)), LoraSettings.from_dict(cfg.lora))
    if d.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "finetune_config.json").write_text(json.dumps(asdict(cfg), indent=2))
        print(f"{len(train)} training sequences, {sum(len(s) for s, _ in train)} tokens; vocabulary {model.vocab.size}")
    step = train_lm(lm, train, dev, model.vocab.pad_id, out, train_cfg, max_minutes)
    if step >= train_cfg.steps and d.main:
        lm = distributed.gathered(lm, out, lambda: build_model(cfg).lm)
        model.lm = merge_lora(lm) if cfg.lora is not None else lm
        model.save_pretrained(out / "model")
    distributed.barrier(d)
    return out / "model"
