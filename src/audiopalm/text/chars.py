"""Character vocabularies for CTC: the normalised text of every language, one symbol per character."""

from __future__ import annotations

from collections.abc import Iterable

from audiopalm.text.normalize import normalize

BLANK = "<blank>"  # CTC blank, always id 0


def build_char_vocab(texts: Iterable[tuple[str, str]]) -> list[str]:
    """(text, lang) pairs -> [BLANK, ' ', 'a', ...]: every character of the normalised texts."""
    chars = set()
    for text, lang in texts:
        chars.update(normalize(text, lang))
    return [BLANK, *sorted(chars)]


class CharCodec:
    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.index = {c: i for i, c in enumerate(vocab)}

    def encode(self, text: str, lang: str) -> list[int]:
        """Normalised characters -> ids; characters outside the vocabulary are dropped."""
        return [self.index[c] for c in normalize(text, lang) if c in self.index]

    def decode_ctc(self, ids: Iterable[int]) -> str:
        """Greedy CTC collapse: merge repeats, drop blanks."""
        out, prev = [], None
        for i in ids:
            if i != prev and i != 0:
                out.append(self.vocab[i])
            prev = i
        return " ".join("".join(out).split())
