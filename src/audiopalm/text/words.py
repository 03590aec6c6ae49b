"""A word n-gram model of each language, read one character at a time through its lexicon.

A CTC head's spelling search (generation/ctc.py, `best_spelling`) asks a language model for p(next character |
the text so far). A character model knows which letters go together, not which words exist: on a voice the head
cannot read it spells "uno tista" for "un autista". A word model does know, and the two are mixed:

    p(c | h) = LAMBDA p_words(c | h) + (1 - LAMBDA) p_chars(c | h)        while the word being spelt is a prefix of
                                                                         some word of the lexicon, else p_chars
    p_words(c | previous words, partial word s) = P(words beginning s + c | previous) / P(words beginning s | previous)
    p_words(" " | previous, s) = P(s | previous) / P(words beginning s | previous)        (the word ends)

P(word | previous words) is an interpolated absolute-discounting n-gram (`WORD_ORDER` words, discount `DISCOUNT`,
a sentence's first word after "<s>"); every word beginning with s is one range of the sorted lexicon, so the mass of
the prefix is a difference of two cumulative sums at each order. A word outside the lexicon is still spelt: the
character model alone prices it, after paying (1 - LAMBDA) for the letter that left the lexicon.

    words = WordNgram.fit([("Le chat dort.", "fr"), ...])
    words.char_log_prob("fr", " le ch", "a")              # the word model alone (-inf where no word goes on so)
    spell = SpellingModel(words, langid, "fr")            # the mixture; `spell(history, char)` for best_spelling
    words.save(path); WordNgram.load(path)    # path: words.json.gz
    words.capitalised("de", "lehrerin")                  # True: written "Lehrerin" away from a sentence's start

The model also keeps each word's usual case away from a sentence's start (`casing`), which the normalised n-grams
lose: a transcript bound to a spelling (models/audiopalm.py) writes "Lehrerin" but "der", and a name as a name.
"""

from __future__ import annotations

import bisect
import gzip
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from audiopalm.errors import AudiopalmError
from audiopalm.text.langid import CharNgramLid
from audiopalm.text.normalize import normalize

WORD_ORDER = 3  # n-grams of up to WORD_ORDER words
DISCOUNT = 0.75  # absolute discount of every seen n-gram's count
LAMBDA = 0.999  # the word model's share of a character's probability while the spelling is in the lexicon
START = "<s>"
MEMO_LIMIT = 2_000_000  # prefix masses remembered; past it the memo starts again (a server reads without end)
SENTENCE_ENDS = ".?!"  # a word after one of these starts a sentence, where any word is capitalised


@dataclass
class _Continuations:
    """The words seen after one context, sorted, with the cumulative sums of their discounted counts."""

    words: list[str]
    cumulative: list[float]  # cumulative[i] = sum of max(count - DISCOUNT, 0) over words[:i]
    total: int  # the context's count
    types: int  # how many different words follow it

    @classmethod
    def of(cls, counts: dict[str, int], discount: float) -> _Continuations:
        words = sorted(counts)
        cumulative = list(itertools.accumulate((max(counts[w] - discount, 0.0) for w in words), initial=0.0))
        return cls(words, cumulative, sum(counts.values()), len(words))

    def mass(self, prefix: str, exact: bool) -> float:
        """The discounted count of the words beginning with `prefix` (only `prefix` itself where `exact`)."""
        lo = bisect.bisect_left(self.words, prefix)
        hi = (lo + 1 if lo < len(self.words) and self.words[lo] == prefix else lo) if exact else \
            bisect.bisect_left(self.words, prefix + "\U0010ffff")
        return self.cumulative[hi] - self.cumulative[lo]


@dataclass
class WordNgram:
    counts: dict[str, dict[str, int]]  # language code -> n-gram ("<s>"-started, words joined by " ") -> count
    order: int = WORD_ORDER
    discount: float = DISCOUNT
    # language code -> normalised word -> whether it is usually written capitalised away from a sentence's start
    # (words seen only at a sentence's start are not in it)
    casing: dict[str, dict[str, bool]] = field(default_factory=dict)
    _following: dict[str, dict[tuple[str, ...], _Continuations]] = field(init=False, repr=False)
    _memo: dict[tuple, float] = field(init=False, repr=False)

    def __post_init__(self):
        self._following = {}  # language -> context -> its continuations, built when the language is first read
        self._memo = {}

    def _contexts(self, lang: str) -> dict[tuple[str, ...], _Continuations]:
        """`lang`'s contexts (the previous words; () for the unigram) -> the words seen after them."""
        if lang not in self._following:
            grouped: dict[tuple[str, ...], dict[str, int]] = {}
            for gram, n in self.counts.get(lang, {}).items():
                *context, word = gram.split(" ")
                if word != START:
                    grouped.setdefault(tuple(context), {})[word] = n
            self._following[lang] = {k: _Continuations.of(v, self.discount if k else 0.0) for k, v in grouped.items()}
        return self._following[lang]

    @classmethod
    def fit(cls, texts: Iterable[tuple[str, str]], order: int = WORD_ORDER, min_count: int = 1) -> WordNgram:
        """(text, language code) pairs -> the model; texts normalised as a CTC head's targets are (lowercase, no
        punctuation); n-grams of two words or more seen fewer than `min_count` times are dropped."""
        counts: dict[str, Counter] = {}
        forms: dict[str, Counter] = {}  # language -> (word, written capitalised) -> count, away from sentence starts
        for text, lang in texts:
            words = [START] + normalize(text, lang).split()
            grams = counts.setdefault(lang, Counter())
            for n in range(1, order + 1):
                grams.update(" ".join(words[i: i + n]) for i in range(len(words) - n + 1))
            forms.setdefault(lang, Counter()).update(cased_words(text, lang))
        if not counts:
            raise AudiopalmError("no texts to fit the word model on")
        casing = {lang: {w: c[w, True] > c[w, False] for w in sorted({w for w, _ in c})}
                  for lang, c in sorted(forms.items())}
        return cls({lang: {g: n for g, n in sorted(c.items()) if n >= min_count or " " not in g}
                    for lang, c in sorted(counts.items())}, order, casing=casing)

    @property
    def languages(self) -> list[str]:
        return list(self.counts)

    def prefix_mass(self, lang: str, context: tuple[str, ...], prefix: str, exact: bool = False) -> float:
        """P(the next word begins with `prefix` | the previous words `context`) (P(it is `prefix`) where `exact`),
        interpolated down from the last order - 1 words of `context` to the unigram."""
        context = context[max(0, len(context) - self.order + 1):]
        key = (lang, context, prefix, exact)
        if key not in self._memo:
            following = self._contexts(lang)
            unigram = following.get(())
            p = 0.0 if unigram is None or unigram.total == 0 else unigram.mass(prefix, exact) / unigram.total
            for k in range(1, len(context) + 1):
                seen = following.get(context[len(context) - k:])
                if seen is not None:
                    p = (seen.mass(prefix, exact) + self.discount * seen.types * p) / seen.total
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = p
        return self._memo[key]

    def char_log_prob(self, lang: str, history: str, char: str) -> float:
        """log p_words(`char` | `history`): `history` a normalised text that begins with a space (as `best_spelling`
        passes it), its last word (after the last space) the one being spelt; -inf where no word of the lexicon
        goes on so, and for a space before any letter of a word."""
        *previous, partial = history.split(" ")
        context = (START, *(w for w in previous if w))
        within = self.prefix_mass(lang, context, partial)
        if within <= 0 or (char == " " and not partial):
            return -math.inf
        after = self.prefix_mass(lang, context, partial, exact=True) if char == " " else \
            self.prefix_mass(lang, context, partial + char)
        return math.log(after / within) if after > 0 else -math.inf

    def in_lexicon(self, lang: str, history: str) -> bool:
        """Whether the word being spelt at the end of `history` begins some word of `lang`'s lexicon."""
        return self.prefix_mass(lang, (), history.rsplit(" ", 1)[-1]) > 0

    def capitalised(self, lang: str, word: str) -> bool | None:
        """Whether the normalised `word` is usually written capitalised away from a sentence's start in `lang`; None
        where the texts never wrote it there."""
        return self.casing.get(lang, {}).get(word)

    def to_bytes(self) -> bytes:
        """The model as gzipped JSON (a sixth of its plain size)."""
        text = json.dumps({"order": self.order, "discount": self.discount, "counts": self.counts,
                           "casing": self.casing}, ensure_ascii=False, separators=(",", ":"))
        return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)

    def save(self, path: str | Path) -> None:
        """One file (part of a model folder): `to_bytes`."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> WordNgram:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                d = json.load(f)
            return cls({lang: dict(c) for lang, c in d["counts"].items()}, int(d["order"]), float(d["discount"]),
                       {lang: dict(c) for lang, c in d.get("casing", {}).items()})  # older files: no casing
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise AudiopalmError(f"{path}: not a word model ({type(e).__name__}: {e})") from None


def cased_words(text: str, lang: str) -> Iterator[tuple[str, bool]]:
    """The words of `text` away from a sentence's start, normalised (a written word's first normalised word), each
    with whether it is written with a capital first: "Ich sehe die Lehrerin." -> ("sehe", False), ("die", False),
    ("lehrerin", True)."""
    starts = True
    for written in text.split():
        letter = next((c for c in written if c.isalpha()), "")
        if (word := normalize(written, lang).split()) and letter and not starts:
            yield word[0], letter.isupper()
        ends = written.rstrip("\"'»”)")[-1:] in SENTENCE_ENDS
        starts = ends or (starts and not word)  # a mark alone ("¿", French's " ?") leaves it as it was


@dataclass
class SpellingModel:
    """One language's character probabilities for a spelling search: the word model mixed with the character model
    (module docstring); callable as `char_log_prob(history, char)`."""

    words: WordNgram
    chars: CharNgramLid
    lang: str
    share: float = LAMBDA
    _memo: dict[tuple[str, str], float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __call__(self, history: str, char: str) -> float:
        if (key := (history, char)) not in self._memo:  # a search asks again at each frame a prefix lives on
            p_chars = math.exp(self.chars.next_char_log_prob(self.lang, history, char))
            if not self.words.in_lexicon(self.lang, history):
                self._memo[key] = math.log(p_chars)
            else:
                p_words = math.exp(self.words.char_log_prob(self.lang, history, char))
                self._memo[key] = math.log(self.share * p_words + (1 - self.share) * p_chars)
        return self._memo[key]
