"""Recipe: finetune the whole model on the multitask speech-text mixture (`audiopalm train --config`).

    setup    text LM (pretrained LMDIR, a Hugging Face causal LM, or the same architecture from
             scratch for the ablation) + audio tokenizer -> AudioPaLM with E' = [E_text; E_audio];
             or an AudioPaLM model folder, finetuned further (a curriculum: a larger world next);
             tokens of the world's train/dev manifests (made if missing) -> mixture sequences
    train    training.lm.train_lm (bucketed batches, bf16, cosine, resumable checkpoints; one process
             or many under torchrun / accelerate launch); full finetuning, or LoRA with `lora:`
    cleanup  OUT/model: the AudioPaLM folder (LoRA adapters merged)
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from audiopalm.data.shards import default_shards, load_tokens, tokenize_manifests
from audiopalm.data.languages import Languages
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.multitask import MixtureConfig, build_mixture, group_utterances
from audiopalm.data.tasks import Sequence
from audiopalm.config import build, help_field, load_yaml
from audiopalm.errors import AudiopalmError
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.models.audiopalm import FORMAT, AudioPaLM
from audiopalm.models.lora import LoraSettings, add_lora, merge_lora
from audiopalm.text.langid import CharNgramLid
from audiopalm.training import distributed
from audiopalm.training.lm import LmTrainConfig, train_lm


@dataclass
class FinetuneConfig:
    """`audiopalm train`: multitask finetuning of a text LM with its vocabulary extended by audio tokens."""

    data: str = help_field("world folder (manifests + world.json)")
    audio_tokenizer: str = help_field("audio tokenizer folder")
    text_lm: str = help_field("LMDIR from pretrain-text, a Hugging Face causal LM id or folder, or an AudioPaLM model "
                              "folder to finetune further (on a larger world, say)")
    out: str = help_field("output folder: checkpoints/, log.csv, model/")
    from_scratch: bool = help_field("ablation: same architecture and tokenizer, random weights", False)
    init: str = help_field("initialisation of the audio rows", "mean", choices=("mean", "normal"))
    mixture: dict[str, float] = help_field("expected examples per utterance of each task", dict(MixtureConfig().weights))
    joined: float = help_field("multi-sentence groups per utterance: 2 to join_max sentences of one speaker said one "
                               "after another, every task drawn on them too (0: single sentences only)", 0.0, min=0)
    join_max: int = help_field("sentences in a multi-sentence group, at most", 3, min=2)
    dev_utterances: int = help_field("dev sequences (ASR and AST) for the dev loss", 300, min=1)
    train_fraction: float = help_field("share of the train sentences used (nested: 0.25 is a subset of 0.5)", 1.0,
                                       min=0, max=1)
    train: dict = help_field("LmTrainConfig fields (steps, batch_tokens, lr, ...)", {})
    lora: dict | None = help_field("LoraSettings fields ({} for the defaults): LoRA instead of full finetuning", None)
    jobs: int = help_field("tokenization processes", 2, min=1)
    reuse_tokens: list[str] = help_field("other world folders whose recordings data's audio links (hard links, as a "
                                         "larger preset links a smaller one's): the tokens the audio tokenizer made of "
                                         "them there are read, not computed again", [])
    seed: int = help_field("random seed (also the training seed unless train.seed is set)", 0)
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)

    def __post_init__(self):
        self.train_config()  # an unknown or mistyped training key fails here, before any model is built

    def train_config(self) -> LmTrainConfig:
        return build(LmTrainConfig, {"seed": self.seed, **(self.train or {})}, prefix="train.")

    @classmethod
    def from_dict(cls, d: dict) -> FinetuneConfig:
        return build(cls, d)


def load_config(path: Path) -> FinetuneConfig:
    return FinetuneConfig.from_dict(load_yaml(path))


def run(cfg: FinetuneConfig) -> Path:
    """Finetune (or resume); OUT/model once complete (missing while paused)."""
    return finetune(cfg, cfg.max_minutes)


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
    out = default_shards(data, tok_dir)
    if d.main:  # the others wait, then read the shards
        tokenize_manifests(tok_dir, data, out, [split], cfg.jobs, progress=True,
                           reuse=[Path(w) for w in cfg.reuse_tokens])
    distributed.barrier(d)
    return load_tokens(out, split)


def is_model_folder(path: str) -> bool:
    """Whether PATH is an AudioPaLM model folder (config.json of format audiopalm), not a text LM."""
    config = Path(path) / "config.json"
    try:
        return config.is_file() and json.loads(config.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):  # unreadable or not an object: not ours (the loader will say why)
        return False


def continued_model(cfg: FinetuneConfig) -> AudioPaLM:
    """A finetuned AudioPaLM to train further: its LM, vocabulary and languages; its speech stage left out.
    The audio tokens must come from its own tokenizer, so `audio_tokenizer` must quantise like it."""
    if cfg.from_scratch:
        raise AudiopalmError(f"from_scratch trains random weights; {cfg.text_lm} is a trained model folder")
    model = AudioPaLM.from_pretrained(cfg.text_lm)
    model.speech_out = None
    tok = AudioTokenizer.from_pretrained(cfg.audio_tokenizer)
    if tok.centroids.shape != model.audio_tokenizer.centroids.shape or not torch.allclose(
            tok.centroids, model.audio_tokenizer.centroids, atol=1e-2):
        raise AudiopalmError(f"{cfg.audio_tokenizer} is not the audio tokenizer of {cfg.text_lm}: its tokens would "
                             f"mean other sounds to the model")
    missing = set(Languages.of_dataset(Path(cfg.data)).names) - set(model.languages.names)
    if missing:
        raise AudiopalmError(f"{cfg.text_lm} was not trained on {', '.join(sorted(missing))}: its tags would be new")
    return model


def build_model(cfg: FinetuneConfig) -> AudioPaLM:
    if is_model_folder(cfg.text_lm):
        return continued_model(cfg)
    model = AudioPaLM.from_text_lm(cfg.text_lm, cfg.audio_tokenizer, Languages.of_dataset(Path(cfg.data)), cfg.init)
    if cfg.from_scratch:  # same architecture, vocabulary and tokenizer; random weights
        from transformers import AutoModelForCausalLM

        torch.manual_seed(cfg.seed)
        model.lm = AutoModelForCausalLM.from_config(model.lm.config).eval()
    return model


@dataclass
class Prepared:
    """What finetuning trains: the model, the module whose weights train (its LM, with LoRA adapters when
    asked), the training and dev sequences, and this process's place in the run."""

    model: AudioPaLM
    lm: torch.nn.Module
    train: list[Sequence]
    dev: list[Sequence]
    dist: distributed.Dist


def prepare(cfg: FinetuneConfig) -> Prepared:
    """Build the model and the mixture (tokenizing the manifests where their tokens are missing)."""
    data, out = Path(cfg.data), Path(cfg.out)
    world = json.loads((data / "world.json").read_text())
    d = distributed.init(cfg.train_config().distributed)
    model = build_model(cfg)
    mix = MixtureConfig(weights=cfg.mixture, zero_shot_pairs=world.get("zero_shot_pairs", []), seed=cfg.seed,
                        joined=cfg.joined, join_max=cfg.join_max)
    train_rows = sentence_subset(read_jsonl(data / "train.jsonl"), cfg.train_fraction)
    # spelling -> language, saved with the model: identification reads the tokenizer's transcript with it (a model
    # finetuned further keeps its own, fitted on the texts it was first finetuned on)
    if model.langid is None or not is_model_folder(cfg.text_lm):
        model.langid = CharNgramLid.fit((r["text"], r["lang"]) for r in train_rows if r.get("text"))
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
    return Prepared(model, lm, train, dev, d)


def save_finetuned(cfg: FinetuneConfig, p: Prepared) -> Path:
    """OUT/model from the trained weights (gathered from every rank; LoRA adapters merged)."""
    out = Path(cfg.out)
    if p.dist.main:
        lm = distributed.gathered(p.lm, out, lambda: build_model(cfg).lm)
        p.model.lm = merge_lora(lm) if cfg.lora is not None else lm
        p.model.tasks = {task: weight for task, weight in cfg.mixture.items() if weight > 0}  # what it can be asked
        p.model.save_pretrained(out / "model")
    distributed.barrier(p.dist)
    return out / "model"


def finetune(cfg: FinetuneConfig, max_minutes: float | None = None) -> Path:
    p = prepare(cfg)
    train_cfg = cfg.train_config()
    step = train_lm(p.lm, p.train, p.dev, p.model.vocab.pad_id, Path(cfg.out), train_cfg, max_minutes)
    if step >= train_cfg.steps:
        return save_finetuned(cfg, p)
    distributed.barrier(p.dist)
    return Path(cfg.out) / "model"
