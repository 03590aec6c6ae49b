"""Error rates (speech recognition) and translation scores.

Error rates compare normalised text (text/normalize.py, applied to reference and hypothesis alike).
Translation scores (BLEU, chrF) are sacrebleu's corpus scores on the raw text, with its signatures,
so they compare with published numbers.
"""

from __future__ import annotations

import jiwer

from audiopalm.text.normalize import normalize


def error_rates(refs: list[str], hyps: list[str], lang: str = "en") -> dict[str, float]:
    """Corpus WER and CER after normalisation; an empty hypothesis counts as all deletions."""
    r = [normalize(t, lang) for t in refs]
    h = [normalize(t, lang) for t in hyps]
    return {"wer": jiwer.wer(r, h), "cer": jiwer.cer(r, h)}


def word_errors(ref: str, hyp: str, lang: str = "en") -> int:
    """Word edits (substitutions, deletions, insertions) from `ref` to `hyp` after normalisation."""
    r, h = normalize(ref, lang), normalize(hyp, lang)
    if not r:
        return len(h.split())
    out = jiwer.process_words(r, h)
    return out.substitutions + out.deletions + out.insertions


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
