"""`audiopalm eval`: one model (or text LM) on a dataset's test conditions, every task asked for.

    report = run(EvalConfig(model="models/babel-small", data="data/babel-small", tasks="asr,ast,lid,s2st"))

ASR, AST, MT and LID on `test` and on every other condition the dataset has (test-noisy,
test-unseen-synth); S2ST and TTS on `test`, S2ST also on test-noisy (noisy sources, clean same-voice
references); `long`: ASR, AST and LID of speech of several sentences (test recordings joined, evaluation/long.py).
Languages and pairs come from the dataset.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.generation.decode import MOOD_WEIGHT, TEXT_BEAMS, SpeechSampling

TASKS = ("asr", "ast", "mt", "lid", "s2st", "tts", "long")


@dataclass
class EvalConfig:
    data: str = help_field("dataset folder (world.json and test manifests)")
    model: str | None = help_field("AudioPaLM folder", None)
    text_lm: str | None = help_field("instead: a pretrain-text folder, scored on MT of the gold test text", None)
    per_language: int = help_field("test utterances per language (and per S2ST pair)", 50, min=1)
    targets: list[str] = help_field("AST/MT/S2ST target languages", ["en"])
    pairs: list[str] = help_field("more pairs, such as de-it", [])
    tasks: str = help_field(f"comma-separated, of {','.join(TASKS)}; s2st and tts need a speech output stage and the "
                            "eval extra (Resemblyzer, DNSMOS, Whisper)", "asr,ast,lid")
    cascade: bool = help_field("also the cascade the model replaces: its ASR, then MT (and for s2st, then TTS)", False)
    ast_task: str | None = help_field("how AST is decoded: AST (the translation alone) or 'ASR AST' (the transcript, "
                                      "then the translation, in one decode); default: as `translate` does (ASR AST "
                                      "when the model was finetuned on it)", None, choices=("AST", "ASR AST"))
    s2st_task: str | None = help_field("how S2ST is decoded: S2ST (the speech alone) or 'ASR AST S2ST' (the transcript "
                                       "and the translation, then the speech, in one decode); default: as "
                                       "`translate --speech` does (the combined task when the model was finetuned "
                                       "on it)", None, choices=("S2ST", "ASR AST S2ST"))
    speech_from: str | None = help_field("s2st, tts: speech from the text-to-unit model speaking the model's text "
                                         "(text) or the language model's own speech tokens (lm); default: as "
                                         "`translate --speech` does (text when the speech stage has a text-to-unit "
                                         "model)", None, choices=("text", "lm"))
    voice_strength: float | None = help_field("s2st, tts: the unit-to-mel model's share of the prompt's voice (0-1; "
                                              "default: the speech stage's)", None, min=0.0)
    beams: int | None = help_field("beam search width for the text tasks (ASR, AST, MT, the cascade); 1: greedy; "
                                   "default: the model's (4)", None, min=1)
    ctc_weight: float | None = help_field("a CTC head's share (the listener's, else the audio tokenizer's) in ranking "
                                          "transcripts (ASR, and the one the combined task writes before its "
                                          "translation; 0: the language model alone; default: the model's for each "
                                          "language)", None, min=0.0, max=1.0)
    no_lid: bool = help_field("skip language identification", False)
    conditions: list[str] | None = help_field("test conditions scored side by side (default: every one the dataset "
                                              "has, of test, test-noisy, test-unseen-synth)", None)
    rtf_utterances: int = help_field("s2st: utterances timed stage by stage", 10, min=0)
    examples: int = help_field("references and hypotheses kept in results.json for each language and pair "
                               "(ASR, AST, MT)", 3, min=0)
    jobs: int = help_field("tokenization processes", os.cpu_count() or 1, min=1)
    out: str | None = help_field("report folder: results.json, results.md and PNG plots", None)
    wavs: str | None = help_field("write the output waveforms under WAVS/s2st/SRC-TGT/ and WAVS/tts/LANG/ (other "
                                  "conditions under WAVS/CONDITION/)", None)
    sampling: SpeechSampling = help_field("speech sampling", SpeechSampling, flat=True)

    def task_set(self) -> set[str]:
        tasks = {t.strip().lower() for t in self.tasks.split(",") if t.strip()} - ({"lid"} if self.no_lid else set())
        if unknown := tasks - set(TASKS):
            raise AudiopalmError(f"unknown evaluation task(s) {', '.join(sorted(unknown))}; choose from {', '.join(TASKS)}")
        return tasks


def _speech(cfg: EvalConfig, tasks: set[str], condition: str = "test") -> dict:
    from audiopalm.data.languages import Languages
    from audiopalm.evaluation.speech import evaluate_speech
    from audiopalm.evaluation.unified import translation_pairs

    languages = Languages.of_dataset(Path(cfg.data)).codes
    pairs = [f"{s}-{t}" for s, t in translation_pairs(languages, tuple(cfg.targets), tuple(cfg.pairs))]
    wavs = Path(cfg.wavs) if cfg.wavs else None
    if wavs is not None and condition != "test":
        wavs = wavs / condition  # beside the test condition's waveforms, not over them
    return evaluate_speech(Path(cfg.model), Path(cfg.data), tuple(pairs) if "s2st" in tasks else (),
                           cfg.per_language, wavs, cfg.rtf_utterances,
                           jobs=cfg.jobs, tts=tuple(languages) if "tts" in tasks else (), cascade=cfg.cascade,
                           sampling=cfg.sampling.sampling(), condition=condition, task=cfg.s2st_task,
                           speech_from=cfg.speech_from, voice_strength=cfg.voice_strength, ctc_weight=cfg.ctc_weight)


def _conditions(cfg: EvalConfig, tasks: set[str], seconds: dict) -> dict:
    """ASR, AST and LID (and S2ST where a same-voice reference exists) on each test condition but `test`; the wall
    seconds of each condition's parts go to seconds[condition]."""
    from audiopalm.data.manifest import available_conditions
    from audiopalm.evaluation.unified import evaluate_unified

    data = Path(cfg.data)
    wanted = available_conditions(data) if cfg.conditions is None else cfg.conditions
    out = {}
    for condition in [c for c in wanted if c != "test"]:
        seconds[condition] = parts = {}
        with timed(parts, "text"):
            report = evaluate_unified(Path(cfg.model), data, cfg.per_language, tuple(cfg.targets), cfg.jobs,
                                      tuple(cfg.pairs), frozenset(tasks & {"asr", "ast", "lid"}),
                                      ast_task=cfg.ast_task, split=condition, beams=cfg.beams,
                                      ctc_weight=cfg.ctc_weight, examples=cfg.examples)
        if "s2st" in tasks and condition == "test-noisy":
            with timed(parts, "speech"):
                report.update(_speech(cfg, {"s2st"}, condition))
        out[condition] = report
    return out


@contextmanager
def timed(seconds: dict[str, float], part: str) -> Iterator[None]:
    """Add the wall seconds the block takes to seconds[part] (rounded to 0.1 s)."""
    started = time.time()
    try:
        yield
    finally:
        seconds[part] = round(seconds.get(part, 0.0) + time.time() - started, 1)


def text_decoding(beams: int, ctc_weights: dict[str, float], listener: bool = False, question: bool = False,
                  spelt: bool = False, words: bool = False) -> str:
    """How the report's text was decoded, in words (`ctc_weights`: language -> the CTC head's weight; `listener`:
    the head is the model's listener's, not its tokenizer's; `question`: the model's question head ranked each
    transcript's mood too; `spelt`: the model has character models to bind transcripts to the head's spelling,
    `AudioPaLM.spelt_instead`; `words`: and word models that its spelling search reads with them)."""
    from audiopalm.models.audiopalm import SPELT_MARGIN

    how = "greedy" if beams == 1 else f"beam search, {beams} beams"
    mood = f", each transcript's mood ranked with the question head's reading (weight {MOOD_WEIGHT:g})"
    if not any(ctc_weights.values()):
        return how + (mood if question else "")
    weights = ", ".join(f"{k} {v:g}" for k, v in sorted(ctc_weights.items()))
    head = f"transcripts with the {'listener' if listener else 'tokenizer'}'s CTC head ({weights})"
    models = "character and word models" if words else "character model"
    bound = (f", written again bound to the head's spelling under each language's {models} where that reads "
             f"more than {SPELT_MARGIN:g} a frame better" if spelt else "")
    return f"{how}, {head}{mood if question else ''}{bound}"


def run(cfg: EvalConfig) -> dict:
    """The report (evaluation/report.py writes and renders it)."""
    import torch

    from audiopalm.data.manifest import CONDITIONS
    from audiopalm.evaluation.unified import _parse_pairs, evaluate_text_mt, evaluate_unified
    from audiopalm.models.audiopalm import LANGID, WORDS
    from audiopalm.models.listener import LISTENER
    from audiopalm.models.question import QUESTION_HEAD

    if unknown := set(cfg.conditions or ()) - set(CONDITIONS):  # settings are checked before any work
        raise AudiopalmError(f"unknown condition(s) {', '.join(sorted(unknown))}; choose from {', '.join(CONDITIONS)}")
    _parse_pairs(tuple(cfg.pairs))
    started = time.time()
    if cfg.text_lm:
        report = {"mt": evaluate_text_mt(Path(cfg.text_lm), Path(cfg.data), cfg.per_language, tuple(cfg.targets),
                                         pairs=tuple(cfg.pairs))}
        report["meta"] = {"text LM": cfg.text_lm, "data": cfg.data}
    elif cfg.model:
        tasks = cfg.task_set()
        cfg.sampling.sampling()  # a bad sampling setting fails before anything is decoded
        seconds: dict = {}  # where the wall time went: text tasks, speech, long, then each other condition's
        with timed(seconds, "text"):
            report = evaluate_unified(Path(cfg.model), Path(cfg.data), cfg.per_language, tuple(cfg.targets),
                                      cfg.jobs, tuple(cfg.pairs), frozenset(tasks - {"long"}), cfg.cascade,
                                      cfg.ast_task, beams=cfg.beams, ctc_weight=cfg.ctc_weight, examples=cfg.examples)
        if tasks & {"s2st", "tts"}:
            with timed(seconds, "speech"):
                report.update(_speech(cfg, tasks))
        if "long" in tasks:
            from audiopalm.evaluation.long import evaluate_long
            from audiopalm.models.audiopalm import AudioPaLM

            with timed(seconds, "long"):
                report["long"] = evaluate_long(AudioPaLM.from_pretrained(cfg.model), Path(cfg.data),
                                               cfg.per_language, tuple(cfg.targets), beams=cfg.beams,
                                               ctc_weight=cfg.ctc_weight)
        report["conditions"] = _conditions(cfg, tasks, seconds)
        report["meta"] = {"model": cfg.model, "data": cfg.data, "tasks": ",".join(sorted(tasks)),
                          "cascade": cfg.cascade, "utterances per language": cfg.per_language,
                          "wall seconds by part": seconds}
        moods = cfg.ctc_weight != 0 and (Path(cfg.model) / QUESTION_HEAD).is_dir()  # weight 0: the LM alone
        report["meta"]["text decoding"] = text_decoding(cfg.beams or TEXT_BEAMS, report.get("ctc_weight", {}),
                                                      (Path(cfg.model) / LISTENER).is_dir(), moods,
                                                      (Path(cfg.model) / LANGID).is_file(),
                                                      (Path(cfg.model) / WORDS).is_file())
    else:
        raise AudiopalmError("give --model (an AudioPaLM folder) or --text-lm (a pretrain-text folder)")
    report["meta"].update({"wall seconds": round(time.time() - started, 1), "threads": torch.get_num_threads(),
                           "machine": platform.processor() or platform.machine()})
    return report
