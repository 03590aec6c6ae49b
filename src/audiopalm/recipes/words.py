"""`audiopalm attach-words`: word models of a model's languages (text/words.py), for the head's spelling searches.

    audiopalm attach-words --model models/babel-small --data data/babel-small
    audiopalm attach-words --model runs/covost/model --data data/covost/train.jsonl

DATA is a Babel world folder, whose text LM's corpus is read (its train sentences and EXTRA_SENTENCES new meanings,
drawn as `audiopalm pretrain-text` draws them: never a dev or test text of the world), or a manifest (JSON lines
with "text" and "lang", such as a real corpus's train split). The fitted models are written to MODEL/words.json.gz.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from audiopalm.config import help_field
from audiopalm.data.manifest import write_bytes_atomic
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import LEGACY_LANGUAGES, WORDS
from audiopalm.text.words import WORD_ORDER, WordNgram


@dataclass
class AttachWordsConfig:
    """`audiopalm attach-words`: give an AudioPaLM folder word models of its languages."""

    model: str = help_field("AudioPaLM folder to extend")
    data: str = help_field("Babel world folder (its text LM's corpus) or a manifest (.jsonl with text and lang)")
    extra_sentences: int = help_field("Babel: meanings beyond the world's train split, as the text LM's corpus",
                                      20_000, min=0)
    seed: int = help_field("Babel: the text LM's seed (its corpus draw)", 0)
    order: int = help_field("words in the longest n-gram", WORD_ORDER, min=1)


def texts_of(data: Path, extra: int, seed: int) -> list[tuple[str, str]]:
    """(text, language code) pairs: a Babel world's text-LM corpus, or a manifest's rows with a text."""
    from audiopalm.data.manifest import read_jsonl

    if data.is_dir():
        from audiopalm.recipes.pretrain_text import corpus

        train, _ = corpus(data, extra, seed)
        return [(text, lang) for item in train for lang, text in item.items()]
    if not data.is_file():
        raise AudiopalmError(f"{data}: neither a Babel world folder nor a manifest")
    return [(r["text"], r["lang"]) for r in read_jsonl(data, keys=("lang",)) if r.get("text")]


def attach_words(cfg: AttachWordsConfig) -> Path:
    """MODEL/words.json.gz, fitted on DATA's texts in the model's languages."""
    folder = Path(cfg.model)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise AudiopalmError(f"{cfg.model} is not an AudioPaLM model folder (no config.json)")
    codes = set(json.loads(config_path.read_text()).get("languages") or LEGACY_LANGUAGES)
    texts = [(t, lang) for t, lang in texts_of(Path(cfg.data), cfg.extra_sentences, cfg.seed) if lang in codes]
    write_bytes_atomic(folder / WORDS, WordNgram.fit(texts, order=cfg.order).to_bytes())  # the model stays whole
    return folder / WORDS
