"""Speech of several sentences: ASR, AST and LID on test recordings of one speaker joined end to end, beside the
same recordings one sentence at a time.

    report = evaluate_long(AudioPaLM.from_pretrained("models/babel-small"), Path("data/babel-small"), 10)

People rarely stop after one sentence. A long utterance here is 2 or 3 (in turn) consecutive test recordings of one
speaker in one language, joined with PAUSE seconds of silence between them; its references are the sentences'
texts joined with a space (the transcript, and each translation: from the world's sentences.jsonl or the split's
rows of the same sentence). The model decodes it as
`transcribe`, `translate` and `identify_language` do (with its own beams and CTC weights unless asked for others),
and the same recordings one by one, so both ways read against the same sentences.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from audiopalm.audio.io import SAMPLE_RATE, AudioError, load_audio
from audiopalm.data.manifest import audio_rows, read_jsonl
from audiopalm.evaluation.text import bleu, error_rates
from audiopalm.models.audiopalm import AudioPaLM

PAUSE = 0.3  # seconds of silence between two sentences of a long utterance


def long_utterances(rows: list[dict], lang: str, n: int) -> list[list[dict]]:
    """The first n runs of 2 or 3 (in turn) consecutive rows of one speaker in `lang`, manifest order, speakers in
    turn; a speaker's last run may be 2 where 3 was next."""
    queues: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["lang"] == lang:
            queues[r["speaker"]].append(r)
    out: list[list[dict]] = []
    while len(out) < n and any(len(q) >= 2 for q in queues.values()):
        for queue in queues.values():
            size = min(2 + len(out) % 2, len(queue))  # 2 where 3 would be next but only 2 are left
            if size >= 2 and len(out) < n:
                out.append(queue[:size])
                del queue[:size]
    return out


def joined(wavs: list[np.ndarray], pause: float = PAUSE) -> np.ndarray:
    """Recordings [N_i] -> one [sum N_i + pauses] with `pause` seconds of silence between each two."""
    gap = np.zeros(round(pause * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([p for w in wavs for p in (w.astype(np.float32), gap)][:-1])


def score(model: AudioPaLM, wavs: list[np.ndarray], lang: str, refs: list[str],
          translations: dict[str, list[str]], beams: int | None = None, ctc_weight: float | None = None) -> dict:
    """ASR WER / CER, LID accuracy and AST BLEU into each target of `translations` (target -> references) of
    recordings in `lang`, each heard once for every task (`beams`, `ctc_weight`: as `transcribe` takes them)."""
    heard = model.listen_batch(wavs)
    texts = model.transcribe(heard, lang=lang, beams=beams, ctc_weight=ctc_weight)
    rates = error_rates(refs, texts, lang)
    return {"wer": rates["wer"], "cer": rates["cer"],
            "lid": float(np.mean([model.identify_language(h) == lang for h in heard])),
            "bleu": {tgt: bleu(ref, [model.translate(h, tgt, lang=lang, beams=beams, ctc_weight=ctc_weight)
                                     for h in heard])[0]
                     for tgt, ref in translations.items()},
            "examples": [{"ref": r, "hyp": h} for r, h in list(zip(refs, texts))[:2]]}


def sentence_texts(data: Path, rows: list[dict]) -> dict[str, dict[str, str]]:
    """{sentence id: {language: text}}: from the world's sentences.jsonl where it has one, and the rows' own."""
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    if (data / "sentences.jsonl").is_file():
        for r in read_jsonl(data / "sentences.jsonl", keys=()):
            texts[r["sentence_id"]].update(r["texts"])
    for r in rows:
        texts[r["sentence_id"]].setdefault(r["lang"], r["text"])
    return texts


def evaluate_long(model: AudioPaLM, data: Path, per_language: int = 10, targets: tuple[str, ...] = ("en",),
                  split: str = "test", pause: float = PAUSE, beams: int | None = None,
                  ctc_weight: float | None = None) -> dict:
    """{language: {"n", "seconds" (mean of a long utterance), "joined": scores, "one by one": scores}} for every
    language of `split` the model knows (`score`: AST into each target but the language itself; `beams`,
    `ctc_weight`: None, the model's own). An unreadable recording loses its long utterance, named under "skipped"."""
    rows = read_jsonl(data / f"{split}.jsonl")
    texts = sentence_texts(data, rows)
    rows = audio_rows(rows)  # text-only rows give references, not speech
    langs = [lang for lang in dict.fromkeys(r["lang"] for r in rows) if lang in model.languages.codes]
    report: dict = {"pause": pause, "skipped": [], "languages": {}}
    for lang in tqdm(sorted(langs), desc="long utterances", dynamic_ncols=True, mininterval=5):
        groups, wavs = [], []
        for group in long_utterances(rows, lang, per_language):
            try:
                wavs.append([load_audio(data / r["audio"]) for r in group])
                groups.append(group)
            except AudioError as e:
                report["skipped"].append(str(e))
        if not groups:
            continue
        wanted = [t for t in targets if t != lang and all(t in texts[r["sentence_id"]] for g in groups for r in g)]
        singles = [r for g in groups for r in g]
        refs = [" ".join(r["text"] for r in g) for g in groups]
        translations = {t: [" ".join(texts[r["sentence_id"]][t] for r in g) for g in groups] for t in wanted}
        report["languages"][lang] = {
            "n": len(groups),
            "seconds": float(np.mean([sum(len(w) for w in ws) for ws in wavs])) / SAMPLE_RATE,
            "joined": score(model, [joined(ws, pause) for ws in wavs], lang, refs, translations, beams, ctc_weight),
            "one by one": score(model, [w for ws in wavs for w in ws], lang, [r["text"] for r in singles],
                                {t: [texts[r["sentence_id"]][t] for r in singles] for t in wanted}, beams, ctc_weight),
        }
    return report
