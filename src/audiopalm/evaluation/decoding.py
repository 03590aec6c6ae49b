"""Choosing how a model decodes, on held-out speakers: the CTC head's weight in each language.

    audiopalm tune-ctc --model models/babel-small --data data/babel-small      # dev, 100 per language

Transcripts are decoded with a CTC character head beside the language model (the model's listener's, else its
audio tokenizer's; `AudioPaLM.ctc_guide`). The head spells some languages far better than others (Babel `small`
dev: Spanish, Italian and Portuguese at 3-5% CER, French at 33%, whose spelling is far from its sound), so a
weight that helps one language can hurt another. For each language, the first PER_LANGUAGE utterances of SPLIT
are transcribed at each candidate weight; the weight with the lowest WER (the smaller on a tie) goes into the
model's config.json as "ctc_weights", which `transcribe`, `translate` and `audiopalm eval` then use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from audiopalm.config import help_field
from audiopalm.data.manifest import read_jsonl, write_text_atomic
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.evaluation.unified import decode_task, heard_rows, split_tokens
from audiopalm.generation.decode import TEXT_BEAMS
from audiopalm.models.audiopalm import AudioPaLM


@dataclass
class TuneCtcConfig:
    """`audiopalm tune-ctc`: the CTC head's weight per language, chosen on held-out speakers."""

    model: str = help_field("AudioPaLM folder (its config.json gets the chosen weights)")
    data: str = help_field("dataset folder with the split")
    split: str = help_field("the held-out split to choose on (never a test condition)", "dev")
    per_language: int = help_field("utterances per language (the first of the split)", 100, min=1)
    weights: list[float] = help_field("the candidate weights (0: the language model alone)", [0.0, 0.1, 0.2, 0.3, 0.5])
    beams: int = help_field("beam search width", TEXT_BEAMS, min=1)
    jobs: int = help_field("tokenization processes", 2, min=1)


def word_error_rates(model: AudioPaLM, data: Path, rows: list[dict], tokens: dict, weights: list[float],
                     beams: int) -> dict[float, float]:
    """WER % of `rows` (one language) transcribed at each weight (each recording read, and read by the CTC head,
    once for all of them)."""
    lang = rows[0]["lang"]
    jobs = [(lang, None, tokens[r["id"]]) for r in rows]
    heard = heard_rows(data, rows, tokens)
    refs = [r["text"] for r in rows]
    return {w: 100 * error_rates(refs, decode_task(model, "ASR", jobs, beams=beams, heard=heard, ctc_weight=w),
                                 lang)["wer"] for w in weights}


def choose(table: dict[str, dict[float, float]]) -> dict[str, float]:
    """language -> {weight: WER} -> language -> the weight with the lowest WER (the smaller on a tie)."""
    return {lang: min(sorted(rates), key=lambda w: rates[w]) for lang, rates in table.items()}


def markdown(table: dict[str, dict[float, float]], chosen: dict[str, float]) -> str:
    weights = sorted(next(iter(table.values())))
    lines = ["| language | " + " | ".join(f"WER at {w:g}" for w in weights) + " | chosen |",
             "|---|" + "---|" * (len(weights) + 1)]
    for lang, rates in sorted(table.items()):
        lines.append(f"| {lang} | " + " | ".join(f"{rates[w]:.1f}" for w in weights) + f" | {chosen[lang]:g} |")
    return "\n".join(lines)


def run(cfg: TuneCtcConfig) -> str:
    """Measure, choose, write config.json; -> the table (markdown)."""
    if cfg.split.startswith("test"):
        raise AudiopalmError(f"--split {cfg.split}: choose on held-out speakers (dev), never on a test condition")
    folder, data = Path(cfg.model), Path(cfg.data)
    model = AudioPaLM.from_pretrained(folder)
    if model.char_codec is None:
        raise AudiopalmError(f"{folder}: no listener, and its audio tokenizer ({model.audio_tokenizer.encoder.name}) "
                             "has no CTC head to weigh")
    tokens, _ = split_tokens(folder, data, cfg.split, cfg.jobs)
    by_lang: dict[str, list[dict]] = {}
    for r in read_jsonl(data / f"{cfg.split}.jsonl"):
        if r.get("audio") and r["id"] in tokens and len(by_lang.setdefault(r["lang"], [])) < cfg.per_language:
            by_lang[r["lang"]].append(r)
    if not any(by_lang.values()):
        raise AudiopalmError(f"{data / (cfg.split + '.jsonl')}: no recording to choose on")
    table = {lang: word_error_rates(model, data, rows, tokens, cfg.weights, cfg.beams)
             for lang, rows in sorted(by_lang.items()) if rows}
    chosen = choose(table)
    config = json.loads((folder / "config.json").read_text())
    config["ctc_weights"] = chosen
    write_text_atomic(folder / "config.json", json.dumps(config, indent=2, ensure_ascii=False))
    return (f"{markdown(table, chosen)}\n\n{cfg.split}, first {cfg.per_language} per language, {cfg.beams} beams; "
            f"written to {folder / 'config.json'} (ctc_weights)")
