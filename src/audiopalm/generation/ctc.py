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

Every prefix's forward variables are kept, so a hypothesis one token longer than its parent costs one step per
new character, each a few vector operations over the T frames.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from audiopalm.text.chars import CharCodec

NEG_INF = float("-inf")


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

    def spell(self, ids: list[int]) -> tuple[int, ...]:
        """Vocabulary ids -> the character ids of their normalised text (memoised)."""
        key = tuple(ids)
        if key not in self.chars:
            self.chars[key] = tuple(self.codec.encode(self.text_of(list(ids)), self.lang))
        return self.chars[key]

    def prefix(self, ids: list[int]) -> float:
        """log p(the transcript begins with the characters of `ids`)."""
        chars = self.spell(ids)
        self._extend(chars)
        return self.prefix_scores[chars]

    def full(self, ids: list[int]) -> float:
        """log p(the transcript is exactly the characters of `ids`)."""
        chars = self.spell(ids)
        self._extend(chars)
        r_char, r_blank = self.states[chars]
        return float(np.logaddexp(r_char[-1], r_blank[-1]))

    def _extend(self, chars: tuple[int, ...]) -> None:
        """Forward variables of every prefix of `chars` not yet known, one character at a time (the states
        stay closed under prefixes, so the longest known prefix is found walking forward)."""
        k = 0
        while k < len(chars) and chars[: k + 1] in self.states:
            k += 1
        for end in range(k + 1, len(chars) + 1):
            self._step(chars[: end - 1], chars[end - 1])

    def _step(self, parent: tuple[int, ...], c: int) -> None:
        """States and prefix score of parent + c from the parent's, in closed form over the frames:
        r_char[t] = logsumexp_{s<=t} (into[s] + x[s..t, c]), r_blank[t] = logsumexp_{1<=s<=t} (r_char[s-1] +
        x[s..t, blank]), where into[s] is the log-probability of having read the parent by frame s - 1 and
        being free to start c at s."""
        p_char, p_blank = self.states[parent]
        # a repeated character needs a blank between the two; the first may start at frame 0
        before = p_blank if parent and parent[-1] == c else np.logaddexp(p_blank, p_char)
        into = np.concatenate(([0.0 if not parent else NEG_INF], before[:-1]))
        r_char = self.cum[c] + np.logaddexp.accumulate(into - self.cum_before[c])
        from_char = np.concatenate(([NEG_INF], r_char[:-1]))
        r_blank = self.cum[0] + np.logaddexp.accumulate(from_char - self.cum_before[0])
        child = (*parent, c)
        self.states[child] = (r_char, r_blank)
        self.prefix_scores[child] = float(np.logaddexp.reduce(into + self.x[c]))
