"""Language identification from spelling: a character n-gram model of each language's text (naive Bayes).

The unified model reads it beside its `[LID]` task: its CTC head (the listener's, else the tokenizer's) spells
what it heard (a few characters in five wrong on unfamiliar voices), and which language that spelling looks like
is evidence the audio tokens alone lose (docs/model.md, "Language identification"). `log_likelihoods` scores one
given spelling (naive Bayes); the model itself lets each language spell the recording with `next_char_log_prob`.

    lid = CharNgramLid.fit([("Le chat dort.", "fr"), ("The cat sleeps.", "en"), ...])
    lid.log_likelihoods("le sha dor")   # {"fr": -41.2, "en": -55.0, ...}
    lid.next_char_log_prob("fr", " le ch", "a")   # log p("a" | "e ch") under French's character model
    lid.save(path); CharNgramLid.load(path)

The same counts make each language a character language model (`next_char_log_prob`): p(c | the last ORDER - 1
characters) interpolated down to the unigram, p_k(c | h) = (N(hc) + GAMMA p_{k-1}(c | h')) / (sum_a N(ha) + GAMMA),
h' being h without its first character. A CTC head's beam search reads a recording with it, once per language
(generation/ctc.py, `best_spelling`), so each language gets its own best spelling of what was heard.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audiopalm.errors import AudiopalmError
from audiopalm.text.normalize import normalize

ORDER = 4  # n-grams of 1..ORDER characters
SMOOTHING = 0.1  # added to every count
GAMMA = 2.0  # weight of the shorter context in the character language model's interpolation


def char_ngrams(text: str, order: int = ORDER) -> list[str]:
    """Every n-gram of 1..order characters of ` text ` (the spaces mark the edges of the first and last word)."""
    t = f" {text} "
    return [t[i: i + n] for n in range(1, order + 1) for i in range(len(t) - n + 1)]


@dataclass
class CharNgramLid:
    counts: dict[str, dict[str, int]]  # language code -> n-gram -> count
    order: int = ORDER
    _totals: dict[str, int] = field(init=False, repr=False)
    _types: int = field(init=False, repr=False)
    alphabet: list[str] = field(init=False, repr=False)  # the characters of every language

    def __post_init__(self):
        self._totals = {lang: sum(c.values()) for lang, c in self.counts.items()}
        self._types = len({g for c in self.counts.values() for g in c})
        self.alphabet = sorted({g for c in self.counts.values() for g in c if len(g) == 1})
        self._next: dict[tuple[str, str, str], float] = {}  # (lang, context, char) -> log-probability
        self._context: dict[tuple[str, str], int] = {}  # (lang, context) -> sum over the alphabet of N(context a)

    @classmethod
    def fit(cls, texts: Iterable[tuple[str, str]], order: int = ORDER, min_count: int = 2) -> CharNgramLid:
        """(text, language code) pairs -> the model; texts are normalised as the CTC encoder's targets are
        (lowercase, no punctuation), n-grams seen fewer than `min_count` times in a language are dropped."""
        counts: dict[str, Counter] = {}
        for text, lang in texts:
            counts.setdefault(lang, Counter()).update(char_ngrams(normalize(text, lang), order))
        if not counts:
            raise AudiopalmError("no texts to fit the language identifier on")
        return cls({lang: {g: n for g, n in c.items() if n >= min_count} for lang, c in sorted(counts.items())}, order)

    @property
    def languages(self) -> list[str]:
        return list(self.counts)

    def log_likelihoods(self, text: str) -> dict[str, float]:
        """log p(text | language) for every language: the sum over its n-grams of all orders (each character
        counted once per order), add-SMOOTHING estimates."""
        grams = char_ngrams(text, self.order)
        return {lang: sum(math.log((c.get(g, 0) + SMOOTHING) / (self._totals[lang] + SMOOTHING * self._types))
                          for g in grams)
                for lang, c in self.counts.items()}

    def next_char_log_prob(self, lang: str, history: str, char: str) -> float:
        """log p(`char` | `history`) under `lang`'s character model (normalised text; a space begins and ends a
        text, as in `char_ngrams`). Over the alphabet of every language the probabilities sum to 1; a character
        outside it gets the unigram smoothing's share."""
        context = history[max(0, len(history) - self.order + 1):] if self.order > 1 else ""
        key = (lang, context, char)
        if key not in self._next:
            counts, alphabet = self.counts[lang], self.alphabet
            p = (counts.get(char, 0) + SMOOTHING) / (self._following(lang, "") + SMOOTHING * len(alphabet))
            for k in range(1, len(context) + 1):
                h = context[len(context) - k:]
                p = (counts.get(h + char, 0) + GAMMA * p) / (self._following(lang, h) + GAMMA)
            self._next[key] = math.log(p)
        return self._next[key]

    def _following(self, lang: str, context: str) -> int:
        """sum over the alphabet of N(context a) in `lang` (memoised; the empty context: its unigram total)."""
        if (lang, context) not in self._context:
            counts = self.counts[lang]
            self._context[lang, context] = sum(counts.get(context + a, 0) for a in self.alphabet)
        return self._context[lang, context]

    def save(self, path: str | Path) -> None:
        """One JSON file (part of a model folder, written with the rest of it by `save_pretrained`)."""
        Path(path).write_text(json.dumps({"order": self.order, "counts": self.counts}, ensure_ascii=False,
                                         separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> CharNgramLid:
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls({lang: dict(c) for lang, c in d["counts"].items()}, int(d["order"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise AudiopalmError(f"{path}: not a language identifier ({type(e).__name__}: {e})") from None
