"""Text normalisation for comparing what was said: CTC targets, error rates, listening tests.

Unicode NFKC, lowercase, punctuation removed (apostrophes and hyphens inside a word are kept),
English digits 0-99 spelled out (recognisers write "13 dogs" for "thirteen dogs"), whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata

NORMALISATION = "NFKC, lowercase, punctuation removed, English digits 0-99 spelled out"

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def english_number(n: int) -> str:
    """0..99 -> words: 21 -> 'twenty one'."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens - 2] + (f" {_ONES[ones]}" if ones else "")


def normalize(text: str, lang: str = "en") -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    if lang == "en":
        text = re.sub(r"\b\d{1,2}\b", lambda m: english_number(int(m.group())), text)
    # Keep letters, digits, and apostrophes/hyphens between letters (aujourd'hui, segunda-feira).
    text = re.sub(r"(?<![\w])['’-]|['’-](?![\w])", " ", text)
    text = re.sub(r"[^\w\s'’-]", " ", text)
    return " ".join(text.split())
