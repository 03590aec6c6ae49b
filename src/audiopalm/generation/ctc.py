"""CTC prefix scores: how well a transcript written so far agrees with a CTC character head's reading of the audio.

The language model reads quantised audio tokens; a CTC encoder (the audio tokenizer's, whose features the tokens
were cut from, or a listener beside it) reads the recording, and its character head spells what it heard. Beam
search adds the two opinions (joint CTC/attention decoding, Watanabe et al. 2017): each hypothesis is ranked by
(1 - w) x its log-probability under the language model + w x the CTC log-probability that the audio begins with
its characters (the prefix score); a finished transcript counts the CTC log-probability of exactly its
characters.

    scorer = CtcPrefixScorer(log_probs, codec, "fr", text_of)     # log_probs [T, V] of one recording
    scorer.prefix(ids)        # log p(the audio's transcript starts with text_of(ids)'s characters)
    scorer.full(ids)          # log p(the audio's transcript is exactly them)
    scorer.read_ahead([ids, ...])   # many at once: a beam step's candidates
    scorer.mute_run(ids)      # how many of its last tokens add no character
    scorer.full_chars(chars)  # log p(the audio's transcript is exactly these character ids)
    spellings = TokenSpellings.of(text_of, codec, "fr", n_text, reference)
    spellings.fitting(rest, start, after), spellings.between(rest, start, after)   # tokens that may write the rest

Every prefix's forward variables are kept, so a hypothesis one token longer than its parent costs one step per
new character, each a few vector operations over the T frames; `read_ahead` does the steps of many candidates
together, one batched pass per character position.

`best_spelling` is the other way round: a prefix beam search over the head's frames alone, with a character
language model beside it, for the spelling y that maximises log p_ctc(y | audio) + weight x log p_lm(y) (language
identification reads a recording once per language this way, models/audiopalm.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from audiopalm.text.chars import CharCodec

NEG_INF = float("-inf")
SPELLING_BEAM = 8  # prefixes `best_spelling` keeps after each frame
SPELLING_PRUNE = -8.0  # a frame offers the characters whose log-probability there is above this
SPELLING_CHARS = 16  # and at most this many of them, the likeliest


# Punctuation a transcript bound to a spelling may write: opening marks at its start, closing ones at its end (after a
# bare space too, as French writes "?"); between words none, the model's commas there being as unsure as its words.
OPENING_MARKS, CLOSING_MARKS = "¿¡", ".?!"


@dataclass(frozen=True)
class TokenSpellings:
    """How text tokens (ids 0..n-1) can write a given spelling in a language. `after` maps the characters a token
    adds after a word (a space first where it starts one) to the tokens, `start` the same at the start of a
    transcript. A token that begins a word may write it capitalised (a name, a German noun); one that goes on
    writing a word, or one written in capitals, is offered lowercase only. A transcript's first word begins with a
    capital (`capitals`: the tokens that write one first); any other word in the case the language's casing writes
    it (`cased`: a word's spelling -> whether it is written capitalised: "Lehrerin" but "der"), either way where the
    casing does not know it, and where no token writes a word's case, in the other. Tokens that add no
    character: `marks`, the punctuation each place allows ("opening", "closing"), `spaces`, the bare spaces, and
    `joiners`, the apostrophe and hyphen tokens by the character they write between two letters. Other tokens
    (digits, symbols) are never offered."""

    after: dict[tuple[int, ...], list[int]]
    start: dict[tuple[int, ...], list[int]]
    marks: dict[str, list[int]]
    spaces: list[int]
    joiners: dict[int, list[int]]
    space: int  # the space's character id
    capitals: frozenset[int] = frozenset()  # the tokens that write a capital first
    cased: dict[tuple[int, ...], bool] = field(default_factory=dict)  # a word's spelling -> written capitalised

    @classmethod
    def of(cls, text_of: Callable[[list[int]], str], codec: CharCodec, lang: str, n: int,
           reference: int, casing: dict[str, bool] | None = None) -> TokenSpellings:
        """Each token's text after `reference` (a token that writes a word; its own text is cut away), spelt by
        `codec` for `lang`; `casing`: the language's normalised words -> whether each is written capitalised away
        from a sentence's start (text/words.py)."""
        base, space = text_of([reference]), tuple(codec.encode("a a", lang))[1:2]
        after: dict[tuple[int, ...], list[int]] = {}
        start: dict[tuple[int, ...], list[int]] = {}
        marks: dict[str, list[int]] = {"opening": [], "closing": []}
        spaces: list[int] = []
        joiners: dict[int, list[int]] = {}
        capitals: set[int] = set()
        for t in range(n):
            text = text_of([reference, t])
            tail = text[len(base):] if text.startswith(base) else text_of([t])
            word, mark = tail.strip(), tail.strip(" ")
            if spelt := tuple(codec.encode(tail, lang)):
                if word.isalpha() and word[1:] == word[1:].lower():
                    begins_word = tail[:1].isspace()
                    if word == word.lower() or begins_word:  # a capital may begin any word
                        after.setdefault((space if begins_word else ()) + spelt, []).append(t)
                    if word[0].isupper():
                        capitals.add(t)
                    start.setdefault(spelt, []).append(t)
            elif tail and not mark:
                spaces.append(t)
            elif len(mark) == 1 and mark == tail:
                for place, allowed in zip(marks, (OPENING_MARKS, CLOSING_MARKS)):
                    if mark in allowed:
                        marks[place].append(t)
                if (joined := codec.encode(f"a{mark}a", lang)[1:-1]) and joined[0] not in space:
                    joiners.setdefault(joined[0], []).append(t)
        cased = {tuple(codec.encode(w, lang)): up for w, up in (casing or {}).items()}
        return cls(after, start, marks, spaces, joiners, space[0], frozenset(capitals), cased)

    def fitting(self, rest: tuple[int, ...], start: bool, after: list[int]) -> list[int]:
        """The word tokens whose characters begin `rest` (at the start of a transcript with `start`); `after` the
        tokens that added no character just before: an apostrophe or hyphen written there (its character spelt
        only once a letter follows it) is skipped. A word's first token writes its case (the class docstring)."""
        if after and rest and after[-1] in self.joiners.get(rest[0], ()):
            rest = rest[1:]
        table = self.start if start else self.after
        found = [t for k in range(1, len(rest) + 1) for t in table.get(rest[:k], ())]
        if start:
            capital: bool | None = True
        elif rest[:1] == (self.space,):  # a word begins: the next word is rest[1:end]
            end = rest.index(self.space, 1) if self.space in rest[1:] else len(rest)
            capital = self.cased.get(rest[1:end])
        else:
            return found
        cased = [t for t in found if (t in self.capitals) == capital]
        return found if capital is None else cased or found  # a case no token writes: the other

    def between(self, rest: tuple[int, ...], start: bool, after: list[int]) -> list[int]:
        """The tokens that add no character and may stand before `rest`, `after` the tokens that added none just
        before: an opening mark at the start, a closing one (or a bare space before it) at the end, the joiner of
        an apostrophe or hyphen before one; one a place (a bare space and its mark two)."""
        if after:
            return self.marks["closing"] if not rest and after == [after[-1]] and after[-1] in self.spaces else []
        if start:
            return self.marks["opening"]
        if not rest:
            return self.marks["closing"] + self.spaces
        return self.joiners.get(rest[0], [])


class CtcPrefixScorer:
    """CTC prefix and full-sequence log-probabilities of token-id prefixes, for one recording. The frame
    recursions are numpy running log-sums (`np.logaddexp.accumulate`): over a hundred frames they cost less than
    the tensor calls they replace."""

    def __init__(self, log_probs: torch.Tensor, codec: CharCodec, lang: str, text_of: Callable[[list[int]], str]):
        """log_probs [T, V]: the character head's log-softmax for one recording (blank at index 0); `text_of`
        turns vocabulary ids into text, which `codec` normalises for `lang` and spells."""
        self.x = np.ascontiguousarray(log_probs.double().numpy().T)  # [V, T]: each symbol's row over the frames
        self.codec, self.lang, self.text_of = codec, lang, text_of
        self.cum = self.x.cumsum(1)  # [V, T]: log-probabilities summed up to each frame
        self.cum_before = np.concatenate([np.zeros_like(self.cum[:, :1]), self.cum[:, :-1]], 1)  # to the frame before
        empty = (np.full(self.x.shape[1], NEG_INF), self.cum[0])  # (ends in a character, ends in blank)
        self.states: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {(): empty}
        self.prefix_scores: dict[tuple[int, ...], float] = {(): 0.0}
        self.chars: dict[tuple[int, ...], tuple[int, ...]] = {}
        self.runs: dict[tuple[int, ...], int] = {}  # token-id prefix -> `mute_run`

    def spell(self, ids: list[int]) -> tuple[int, ...]:
        """Vocabulary ids -> the character ids of their normalised text (memoised)."""
        key = tuple(ids)
        if key not in self.chars:
            self.chars[key] = tuple(self.codec.encode(self.text_of(list(ids)), self.lang))
        return self.chars[key]

    def mute_run(self, ids: list[int]) -> int:
        """How many of the last tokens of `ids` add no character to its spelling (punctuation, a bare space);
        memoised, each prefix's from its parent's."""
        todo, key = [], tuple(ids)
        while key and key not in self.runs:
            todo.append(key)
            key = key[:-1]
        for prefix in reversed(todo):
            still = self.spell(prefix) == self.spell(prefix[:-1])
            self.runs[prefix] = self.runs.get(prefix[:-1], 0) + 1 if still else 0
        return self.runs.get(tuple(ids), 0)

    def prefix(self, ids: list[int]) -> float:
        """log p(the transcript begins with the characters of `ids`)."""
        chars = self.spell(ids)
        self.read([chars])
        return self.prefix_scores[chars]

    def full(self, ids: list[int]) -> float:
        """log p(the transcript is exactly the characters of `ids`)."""
        return self.full_chars(self.spell(ids))

    def full_chars(self, chars: tuple[int, ...]) -> float:
        """log p(the transcript is exactly these character ids)."""
        self.read([chars], states=True)
        r_char, r_blank = self.states[chars]
        return float(np.logaddexp(r_char[-1], r_blank[-1]))

    def read_ahead(self, many: list[list[int]]) -> None:
        """Score every prefix of each of `many` (token-id lists) now, together (a beam step's candidates: one
        batched pass per character position instead of one small pass per candidate and character)."""
        self.read([self.spell(ids) for ids in many])

    def read(self, spellings: list[tuple[int, ...]], states: bool = False) -> None:
        """Prefix scores of every prefix of each spelling not yet known, a character position at a time for all
        of them. A prefix's score needs only its parent's forward variables, so a spelling's own are computed
        when something longer or its full score needs them (`states`): most of a beam step's candidates are
        never extended. The states stay closed under prefixes: each spelling's longest prefix with states is
        found walking back from its end."""
        todo: dict[int, set[tuple[int, ...]]] = {}  # prefix length -> the prefixes of that length to compute
        last: set[tuple[int, ...]] = set()  # spellings whose score alone is wanted
        for chars in spellings:
            known = len(chars)
            while chars[:known] not in self.states:
                known -= 1
            for end in range(known + 1, len(chars) + (1 if states else 0)):
                todo.setdefault(end, set()).add(chars[:end])
            if not states and known < len(chars) and chars not in self.prefix_scores:
                last.add(chars)
        for end in sorted(todo):
            self._steps(sorted(todo[end]))
        last = {chars for chars in last if chars not in todo.get(len(chars), ())}  # read with states already
        if last:
            self._scores(sorted(last))

    def _into(self, children: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Children = parent + c (N of one length) -> (c [N], into [N, T]): into[s] is the log-probability of
        having read the parent by frame s - 1 and being free to start c at s."""
        parents = [child[:-1] for child in children]
        c = np.array([child[-1] for child in children])
        p_char = np.stack([self.states[p][0] for p in parents])
        p_blank = np.stack([self.states[p][1] for p in parents])
        # a repeated character needs a blank between the two; the first may start at frame 0
        repeat = np.array([bool(p) and p[-1] == child[-1] for p, child in zip(parents, children)])
        before = np.where(repeat[:, None], p_blank, np.logaddexp(p_blank, p_char))
        first = np.array([[0.0 if not p else NEG_INF] for p in parents])
        return c, np.concatenate([first, before[:, :-1]], 1)

    def _scores(self, children: list[tuple[int, ...]]) -> None:
        """Prefix scores of children whose parents' states are known: logsumexp_s (into[s] + x[s, c])."""
        c, into = self._into(children)
        for child, score in zip(children, np.logaddexp.reduce(into + self.x[c], axis=1)):
            self.prefix_scores[child] = float(score)

    def _steps(self, children: list[tuple[int, ...]]) -> None:
        """States and prefix scores of each child = parent + c (N of one length) from their parents', in closed
        form over the frames: r_char[t] = logsumexp_{s<=t} (into[s] + x[s..t, c]), r_blank[t] =
        logsumexp_{1<=s<=t} (r_char[s-1] + x[s..t, blank]). Arrays [N, T]."""
        c, into = self._into(children)
        r_char = self.cum[c] + np.logaddexp.accumulate(into - self.cum_before[c], axis=1)
        from_char = np.concatenate([np.full_like(into[:, :1], NEG_INF), r_char[:, :-1]], 1)
        r_blank = self.cum[0] + np.logaddexp.accumulate(from_char - self.cum_before[0], axis=1)
        scores = np.logaddexp.reduce(into + self.x[c], axis=1)
        for i, child in enumerate(children):
            self.states[child] = (r_char[i], r_blank[i])
            self.prefix_scores[child] = float(scores[i])


def _add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) of two Python floats (a few times faster than numpy's on scalars)."""
    if a < b:
        a, b = b, a
    return a if b == NEG_INF else a + math.log1p(math.exp(b - a))


def best_spelling(log_probs: np.ndarray, vocab: list[str], char_log_prob: Callable[[str, str], float], weight: float,
                  beam: int = SPELLING_BEAM, prune: float = SPELLING_PRUNE, chars: int = SPELLING_CHARS,
                  bonus: float = 0.0) -> tuple[float, str]:
    """log_probs [T, V] (a CTC character head's, blank at 0; `vocab` its symbols) -> (score, spelling) of the best
    spelling found: log p_ctc(spelling | audio) + weight x log p_lm(spelling) + bonus x its words, where
    `char_log_prob(history, char)` is the language model's log p(char | history), a text beginning and ending with
    a space (spaces never repeat or begin it). The bonus, paid at each word's end, offsets the language model's
    cost of one more word, which otherwise lets a search drop words the head hears faintly. Prefix beam search:
    each prefix keeps its probability of ending in a blank and in its last character, summed over alignments, and
    its language-model score; a frame offers the characters above `prune`, at most `chars` of them (an untrained
    head offers every one)."""
    prefixes: dict[str, tuple[float, float, float]] = {"": (0.0, NEG_INF, 0.0)}  # (ends in blank, in char, lm)
    for row in log_probs.tolist():
        offered = [v for v, p in enumerate(row) if p > prune and v != 0]
        if len(offered) > chars:  # the likeliest `chars` of them, still in vocabulary order
            offered = sorted(sorted(offered, key=lambda v: -row[v])[:chars])
        grown: dict[str, tuple[float, float, float]] = {}

        def add(prefix: str, blank: float, char: float, lm: float) -> None:
            old_blank, old_char, _ = grown.get(prefix, (NEG_INF, NEG_INF, lm))
            grown[prefix] = (_add(old_blank, blank), _add(old_char, char), lm)

        for prefix, (blank, char, lm) in prefixes.items():
            both = _add(blank, char)
            add(prefix, both + row[0], NEG_INF, lm)
            last = prefix[-1] if prefix else None
            for v in offered:
                c = vocab[v]
                if c == last:  # still the last character; or, after a blank, the same one again (not a space)
                    add(prefix, NEG_INF, char + row[v], lm)
                    if c != " ":
                        add(prefix + c, NEG_INF, blank + row[v], lm + weight * char_log_prob(" " + prefix, c))
                elif c != " " or prefix:
                    paid = bonus if c == " " else 0.0
                    add(prefix + c, NEG_INF, both + row[v], lm + weight * char_log_prob(" " + prefix, c) + paid)
        prefixes = dict(sorted(grown.items(), key=lambda kv: -(_add(kv[1][0], kv[1][1]) + kv[1][2]))[:beam])

    def final(item: tuple[str, tuple[float, float, float]]) -> float:
        prefix, (blank, char, lm) = item
        last = bonus if prefix[-1:].strip() else 0.0  # the last word's bonus (a space was paid for already)
        return _add(blank, char) + lm + weight * char_log_prob(" " + prefix, " ") + last

    best = max(prefixes.items(), key=final)
    return final(best), best[0]
