"""Recipe: give an AudioPaLM folder a question head (models/question.py), learnt from a world's train split.

    audiopalm train-question-head --model models/babel-small --data data/babel-small

    setup   the first `per_language` train utterances of each language whose text shows its mood (a question
            mark, or a final "." or "!"), and the first `dev_per_language` dev ones
    train   one pass of the model's CTC encoder (`char_model`) over each (5 minutes for 12 000 on 2 cores): the
            states of the head's layer around the end of speech; the head trained on them (about 10 s)
    cleanup dev accuracy per language; MODEL/question_head written atomically

The head reads the encoder it was fitted on: attaching another listener removes it (models/listener.py).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from audiopalm.audio.encoders.ctc import mel_for_tokens
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.config import help_field
from audiopalm.data.manifest import first_per_language, read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.generation.mood import mood_of
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.question import (QUESTION_HEAD, QuestionHead, QuestionHeadConfig, char_states, end_window,
                                       fit_question_head, speech_span)


@dataclass
class QuestionHeadStage:
    """`audiopalm train-question-head`: a question head for an AudioPaLM folder, from its CTC encoder's states."""

    model: str = help_field("AudioPaLM folder (gets question_head/)")
    data: str = help_field("dataset folder with train.jsonl and dev.jsonl (texts with their punctuation)")
    per_language: int = help_field("train utterances per language (the first of the split)", 2000, min=1)
    dev_per_language: int = help_field("dev utterances per language to report accuracy on", 150, min=0)
    layer: int = help_field("1-based CTC encoder layer read (the listener's 2nd keeps most of the pitch)", 2, min=1)
    epochs: int = help_field("passes over the train utterances", 10, min=1)
    seed: int = help_field("initialisation and order of the head's training", 0)


def mood_rows(path: Path, per_language: int) -> list[dict]:
    """The first `per_language` rows of each language with audio and a text that shows its mood."""
    return first_per_language((r for r in read_jsonl(path) if r.get("audio") and mood_of(r["text"]) is not None),
                              per_language)


def end_windows(model: AudioPaLM, data: Path, rows: list[dict],
                cfg: QuestionHeadConfig) -> tuple[torch.Tensor, list[dict]]:
    """-> each readable recording's states of the head's layer around its end of speech [N, before + after, D]
    (float16: 12 000 utterances in 0.3 GB) and its row; an unreadable one is reported on stderr and skipped."""
    encoder = model.char_model
    windows, kept = [], []
    for r in rows:
        try:
            wav = load_audio(data / r["audio"])
        except AudioError as e:
            print(f"skipped: {e}", file=sys.stderr)
            continue
        mel = mel_for_tokens(wav, encoder.cfg.n_mels, encoder.cfg.features)[None]
        log_probs, states = char_states(encoder, mel, cfg.layer)
        windows.append(end_window(states, speech_span(log_probs, encoder.cfg.char_rate), cfg).half())
        kept.append(r)
    return (torch.stack(windows) if windows else torch.zeros(0)), kept


def labels(rows: list[dict]) -> torch.Tensor:
    return torch.tensor([bool(mood_of(r["text"])) for r in rows])


def accuracy_table(head: QuestionHead, windows: torch.Tensor, rows: list[dict]) -> str:
    """Dev accuracy per language, as markdown."""
    with torch.inference_mode():
        right = ((head(windows.float()) > 0) == labels(rows)).tolist()
    lines = ["| language | dev utterances | questions | accuracy |", "|---|---|---|---|"]
    for lang in sorted({r["lang"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        questions = sum(bool(mood_of(rows[i]["text"])) for i in idx)
        lines.append(f"| {lang} | {len(idx)} | {questions} | {100 * sum(right[i] for i in idx) / len(idx):.1f}% |")
    return "\n".join(lines)


def run(cfg: QuestionHeadStage) -> str:
    """Fit and write MODEL/question_head; -> the dev accuracy table (markdown)."""
    folder, data = Path(cfg.model), Path(cfg.data)
    model = AudioPaLM.from_pretrained(folder)
    if model.char_model is None:
        raise AudiopalmError(f"{folder}: no listener, and its audio tokenizer ({model.audio_tokenizer.encoder.name}) "
                             "has no CTC encoder for a question head to read")
    if not 1 <= cfg.layer <= model.char_model.cfg.layers:
        raise AudiopalmError(f"--layer {cfg.layer}: the model's CTC encoder has {model.char_model.cfg.layers} layers")
    head_cfg = QuestionHeadConfig(cfg.layer, model.char_model.cfg.dim)
    windows, rows = end_windows(model, data, mood_rows(data / "train.jsonl", cfg.per_language), head_cfg)
    if not rows:
        raise AudiopalmError(f"{data / 'train.jsonl'}: no readable recording whose text shows question or statement")
    head = fit_question_head(windows, labels(rows), head_cfg, cfg.epochs, seed=cfg.seed)
    report = f"trained on {len(rows)} train utterances ({int(labels(rows).sum())} questions), layer {cfg.layer}"
    dev_rows = mood_rows(data / "dev.jsonl", cfg.dev_per_language) if cfg.dev_per_language else []
    if dev_rows:
        dev_windows, dev_rows = end_windows(model, data, dev_rows, head_cfg)
        if dev_rows:
            report = f"{accuracy_table(head, dev_windows, dev_rows)}\n\n{report}"
    out, tmp = folder / QUESTION_HEAD, folder / f"{QUESTION_HEAD}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    head.save(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return f"{report}; written to {out}"
