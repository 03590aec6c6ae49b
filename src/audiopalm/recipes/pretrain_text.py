"""Recipe: the text LM in PaLM-2's role, pretrained on the Babel world's text.

    setup    corpus = the world's train sentences + `extra` new meanings (never a dev/test text),
             in all six languages; a SentencePiece tokenizer (with <sep>) trained on it
    train    a Llama-architecture LM on monolingual text and on MT between every language pair,
             "[MT French English] source <sep> target", including pairs that speech training holds out
    cleanup  LMDIR/model (Hugging Face folder, safetensors) and LMDIR/text_tokenizer
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import torch

from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.babel.world import SentenceStream, WorldConfig
from audiopalm.config import help_field
from audiopalm.data.languages import Languages
from audiopalm.data.tasks import Sequence, build_sequence, tag, task_tag
from audiopalm.errors import AudiopalmError
from audiopalm.models.lm import build_llama
from audiopalm.text.tokenizer import SentencePieceTokenizer, TextTokenizer
from audiopalm.text.vocab import UnifiedVocab
from audiopalm.training import distributed
from audiopalm.training.lm import LmTrainConfig, train_lm


@dataclass
class PretrainTextConfig:
    preset: str = help_field("LM size: tiny, mini, base, small or medium (models.lm.LM_PRESETS)", "small")
    text_vocab: int = help_field("SentencePiece vocabulary size", 4000, min=16)
    extra_sentences: int = help_field("meanings beyond the world's train split", 20_000, min=0)
    mt_per_sentence: int = help_field("MT examples drawn per meaning (random directions)", 2, min=0)


@dataclass
class PretrainTextStage:
    """`audiopalm pretrain-text`: the text LM of a Babel world's text (PaLM-2's role)."""

    data: str = help_field("Babel world folder (its sentences.jsonl)")
    out: str = help_field("LM folder: model/, text_tokenizer/, checkpoints/, log.csv")
    lm: PretrainTextConfig = help_field("the LM and its corpus", PretrainTextConfig, flat=True)
    train: LmTrainConfig = help_field("training settings (seed: also the corpus draw)", LmTrainConfig, flat=True)
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)


def run(cfg: PretrainTextStage) -> Path:
    """Train (or resume) the text LM; OUT/model once complete (missing while paused)."""
    return pretrain_text(Path(cfg.data), Path(cfg.out), cfg.lm, cfg.train, cfg.max_minutes)


def corpus(world: Path, extra: int, seed: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """-> (train texts, dev texts): each a dict lang -> text of one meaning.

    Train = the world's train meanings + `extra` new ones from another seed; any meaning whose text
    (in any language) is a dev or test text of the world is dropped, so no evaluation sentence leaks."""
    from audiopalm.data.manifest import read_jsonl

    path = world / "sentences.jsonl"
    if not path.exists():
        raise AudiopalmError(f"{path} not found: build a world first with `audiopalm data synth`")
    rows = read_jsonl(path, keys=())
    held = {t for r in rows if r["split"] != "train" for t in r["texts"].values()}
    train = [r["texts"] for r in rows if r["split"] == "train"]
    dev = [r["texts"] for r in rows if r["split"] == "dev"]
    stream = SentenceStream(WorldConfig(seed=seed + 1))
    wanted = len(train) + extra
    while len(train) < wanted:
        item = next(stream)
        if not held & set(item.texts.values()):
            train.append(item.texts)
    return train, dev


def text_sequences(items: list[dict[str, str]], tok: TextTokenizer, mt_per_item: int, seed: int) -> list[Sequence]:
    """Each meaning -> one monolingual sequence (random language) + `mt_per_item` MT sequences."""
    rng = random.Random(seed)
    langs = list(LANGUAGES)
    out = []
    for texts in items:
        lang = rng.choice(langs)
        ids = torch.tensor([tok.bos_id, *tok.encode(texts[lang]), tok.eos_id])
        out.append((ids, torch.ones(len(ids), dtype=torch.bool)))
        for _ in range(mt_per_item):
            src, tgt = rng.sample(langs, 2)
            out.append(mt_sequence(tok, texts, src, tgt))
    return out


BABEL_LANGUAGES = Languages({code: lang.name for code, lang in LANGUAGES.items()})


def mt_sequence(tok: TextTokenizer, texts: dict[str, str], src: str, tgt: str) -> Sequence:
    """BOS [MT Src Tgt] source <sep> target EOS, with the loss on the target and EOS: the prompt layout of
    data/tasks.py, so the finetuned model reads MT as its text LM learnt it."""
    tag_ids = tok.encode(task_tag(BABEL_LANGUAGES, "MT", src, tgt))
    source = torch.tensor(tok.encode(texts[src]), dtype=torch.long)
    return build_sequence(UnifiedVocab.of_text(tok), tag_ids, source, [torch.tensor(tok.encode(texts[tgt]), dtype=torch.long)])


def train_text_tokenizer(items: list[dict[str, str]], folder: Path, vocab_size: int) -> SentencePieceTokenizer:
    """SentencePiece on every text of the corpus and on every task tag (so that a tag is a few pieces)."""
    texts = [t for item in items for t in item.values()]
    texts += [tag(task, a.name, b.name) for task in ("MT", "ASR", "AST", "S2ST", "TTS", "ASR AST", "ASR AST S2ST")
              for a in LANGUAGES.values() for b in LANGUAGES.values() if a != b]
    return SentencePieceTokenizer.train(texts, folder, vocab_size)


def pretrain_text(world: Path, out: Path, cfg: PretrainTextConfig, train_cfg: LmTrainConfig,
                  max_minutes: float | None = None) -> Path:
    """Train (or resume) the text LM; returns OUT/model once training is complete."""
    train_items, dev_items = corpus(world, cfg.extra_sentences, train_cfg.seed)
    tok_dir = out / "text_tokenizer"
    d = distributed.init(train_cfg.distributed)
    if not d.main:  # rank 0 trains the tokenizer; the others load it
        distributed.barrier(d)
    if (tok_dir / SentencePieceTokenizer.MODEL).exists():
        tok = SentencePieceTokenizer(tok_dir / SentencePieceTokenizer.MODEL)
    else:
        tok = train_text_tokenizer(train_items, tok_dir, cfg.text_vocab)
    if d.main:
        distributed.barrier(d)
    torch.manual_seed(train_cfg.seed)
    model = build_llama(cfg.preset, tok.vocab_size, tok.bos_id, tok.eos_id, tok.pad_id)
    train = text_sequences(train_items, tok, cfg.mt_per_sentence, train_cfg.seed)
    dev = [mt_sequence(tok, t, *random.Random(i).sample(list(LANGUAGES), 2)) for i, t in enumerate(dev_items)]
    step = train_lm(model, train, dev, tok.pad_id, out, train_cfg, max_minutes)
    if step >= train_cfg.steps and d.main:
        fresh = lambda: build_llama(cfg.preset, tok.vocab_size, tok.bos_id, tok.eos_id, tok.pad_id)  # noqa: E731
        distributed.gathered(model, out, fresh).save_pretrained(str(out / "model"))
        (out / "pretrain_config.json").write_text(json.dumps({"recipe": cfg.__dict__, "train": train_cfg.__dict__,
                                                              "sentences": len(train_items)}, indent=2))
    return out / "model"
