"""Text normalisation, error rates (speech recognition) and translation scores.

Normalisation (applied to reference and hypothesis alike): Unicode NFKC, lowercase,
punctuation removed (apostrophes and hyphens inside a word are kept), English digits 0-99
spelled out (recognisers write "13 dogs" for "thirteen dogs"), whitespace collapsed.
Translation scores (BLEU, chrF) are sacrebleu's corpus scores on the raw text, with its signatures,
so they compare with published numbers.
"""

from __future__ import annotations

import re
import unicodedata

import jiwer

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


def error_rates(refs: list[str], hyps: list[str], lang: str = "en") -> dict[str, float]:
    """Corpus WER and CER after normalisation; an empty hypothesis counts as all deletions."""
    r = [normalize(t, lang) for t in refs]
    h = [normalize(t, lang) for t in hyps]
    return {"wer": jiwer.wer(r, h), "cer": jiwer.cer(r, h)}


def bleu(refs: list[str], hyps: list[str]) -> tuple[float, str]:
    """Corpus BLEU (sacrebleu defaults: 13a tokenisation, case-sensitive) and its signature."""
    import sacrebleu

    metric = sacrebleu.metrics.BLEU()
    return metric.corpus_score(hyps, [refs]).score, str(metric.get_signature())


def chrf(refs: list[str], hyps: list[str]) -> tuple[float, str]:
    """Corpus chrF (sacrebleu defaults: character 6-grams, beta 2) and its signature."""
    import sacrebleu

    metric = sacrebleu.metrics.CHRF()
    return metric.corpus_score(hyps, [refs]).score, str(metric.get_signature())


def translation_scores(refs: list[str], hyps: list[str]) -> dict[str, float | str]:
    """{"bleu", "chrf", "signature": "BLEU sig | chrF sig"} of a corpus."""
    b, b_sig = bleu(refs, hyps)
    c, c_sig = chrf(refs, hyps)
    return {"bleu": b, "chrf": c, "signature": f"{b_sig} | {c_sig}"}
