"""`audiopalm demo`: the default bundle on fresh clips by held-out speakers.

Each clip is a new sentence, spoken by a test-split voice (never heard in training) in its language;
the bundle identifies the language, transcribes, translates (text), and speaks the translation in the
clip's voice (S2ST). References come from the world's grammar, so every output has its ground truth:
each line says how many words are wrong, and a clip counts as right when its language is found and its
transcript and translation have at most one wrong word each. Spoken English is also heard by a listener
the model was not trained with (Whisper tiny.en, with the asr extra).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

from audiopalm.audio.io import SAMPLE_RATE, write_wav
from audiopalm.config import help_field
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.babel.render import synthesize
from audiopalm.data.babel.sampler import sample_sentence
from audiopalm.data.babel.speakers import SPEAKERS

DEFAULT_BUNDLE = "models/babel-small"
# (source, target) of each clip: three languages into English, and English into French
CLIPS = (("fr", "en"), ("de", "en"), ("es", "en"), ("en", "fr"))


@dataclass
class Clip:
    source: str
    target: str
    speaker: str
    text: str  # what the clip says
    translation: str  # the reference translation
    path: Path


def make_clips(out: Path, seed: int = 2024) -> list[Clip]:
    """New sentences spoken by test-split voices -> OUT/clips/*.wav."""
    rng = random.Random(seed)
    clips = []
    for i, (src, tgt) in enumerate(CLIPS):
        meaning = sample_sentence(rng)
        speaker = SPEAKERS["test"][i % len(SPEAKERS["test"])]
        text = LANGUAGES[src].realize(meaning)
        path = out / "clips" / f"{i}-{src}-{speaker.id}.wav"
        write_wav(path, synthesize(text, src, speaker))
        clips.append(Clip(src, tgt, speaker.id, text, LANGUAGES[tgt].realize(meaning), path))
    return clips


@dataclass
class DemoConfig:
    """`audiopalm demo` (what `make demo` runs)."""

    model: str = help_field("bundle (default: the shipped babel-small)", "models/babel-small")
    out: str = help_field("working folder: clips/ and s2st/ wavs", "runs/demo")
    seed: int = help_field("which new sentences the clips say", 2024)


def run(cfg: DemoConfig) -> list[Path]:
    """The demo on the bundle; without one, the world it would be trained on and how to build it."""
    if (Path(cfg.model) / "config.json").exists():
        return run_demo(Path(cfg.model), Path(cfg.out), cfg.seed)
    from audiopalm.data.babel.synth import summary_text, synth
    from audiopalm.data.babel.world import preset_config
    from audiopalm.data.manifest import read_jsonl

    print(f"no model bundle at {cfg.model}: build one with `audiopalm recipe run babel-small` "
          "(resumable), then run `audiopalm demo` again. Meanwhile, the synthetic world it learns from:\n")
    world_dir = Path(cfg.out) / "babel-tiny"
    summary = synth(world_dir, preset_config("tiny"), jobs=os.cpu_count() or 1, progress=False)
    print(summary_text(summary))
    print("\nOne meaning in every language (test split, held-out speakers):")
    rows = read_jsonl(world_dir / "test.jsonl")
    first = rows[0]["sentence_id"]
    for r in rows:
        if r["sentence_id"] == first and r["speaker"] == rows[0]["speaker"]:
            print(f"  {r['lang']}  {r['text']:<70} {world_dir / r['audio']}")
    return []


RIGHT_MAX_WRONG = 1  # a clip is right with at most this many wrong words in its transcript and its translation


def _wrong(n: int) -> str:
    return "right" if n == 0 else f"{n} word{'s' if n > 1 else ''} wrong"


def _listener() -> object | None:
    """Whisper tiny.en, or None (with the reason printed) when the asr extra is missing."""
    from audiopalm.errors import AudiopalmError
    from audiopalm.evaluation.whisper import load_whisper_tiny_en

    try:
        return load_whisper_tiny_en()
    except AudiopalmError as e:
        print(f"(spoken English not checked: {e})\n")
        return None


def run_demo(bundle: Path, out: Path, seed: int = 2024) -> list[Path]:
    """Print each clip's transcript and translations beside the references, with their wrong words; the
    S2ST wavs written, English ones heard by Whisper tiny.en."""
    from audiopalm.audio.io import load_audio
    from audiopalm.evaluation.text import word_errors
    from audiopalm.evaluation.whisper import transcribe_wav
    from audiopalm.models.audiopalm import AudioPaLM

    t0 = time.time()
    model = AudioPaLM.from_pretrained(bundle)
    clips = make_clips(out, seed)
    listener = _listener() if model.speech_out is not None and any(c.target == "en" for c in clips) else None
    print(f"{bundle}: loaded, {len(clips)} clips by held-out speakers made in {time.time() - t0:.1f} s\n")
    written = []
    right = spoken = spoken_right = 0  # clips right; English translations spoken, and heard right
    for clip in clips:
        wav = load_audio(clip.path)
        heard = model.listen(wav)  # tokenised once; translations identify the language themselves, as a user's call would
        lang = model.identify_language(heard)
        if model.speech_out is not None:  # the texts and the speech that says the translation, decoded once
            transcript, translation, speech = model.spoken_translation(heard, to=clip.target)
        else:
            (transcript, translation), speech = model.transcribe_and_translate(heard, to=clip.target), None
        print(f"[{clip.source} -> {clip.target}] {clip.path}  ({clip.speaker}, {len(wav) / SAMPLE_RATE:.1f} s)")
        print(f"  language    {lang}{'' if lang == clip.source else f'  (it is {clip.source})'}")
        wrong = word_errors(clip.text, transcript, clip.source), word_errors(clip.translation, translation, clip.target)
        right += int(lang == clip.source and max(wrong) <= RIGHT_MAX_WRONG)
        print(f"  said        {clip.text}")
        print(f"  transcript  {transcript}  ({_wrong(wrong[0])})")
        print(f"  reference   {clip.translation}")
        print(f"  translation {translation}  ({_wrong(wrong[1])})")
        if speech is not None:
            path = out / "s2st" / f"{clip.path.stem}-to-{clip.target}.wav"
            write_wav(path, speech)
            written.append(path)
            print(f"  speech      {path}  ({len(speech) / SAMPLE_RATE:.1f} s, in the clip's voice)")
            if listener is not None and clip.target == "en":
                said = transcribe_wav(listener, speech)
                n = word_errors(clip.translation, said)
                spoken, spoken_right = spoken + 1, spoken_right + int(n <= RIGHT_MAX_WRONG)
                print(f"  heard       {said}  (Whisper tiny.en; {_wrong(n)})")
        print()
    print(f"{right} of {len(clips)} clips right (language found; transcript and translation with at most "
          f"{RIGHT_MAX_WRONG} wrong word each)" + (f"; {spoken_right} of {spoken} spoken English translations heard "
                                                   f"right by Whisper tiny.en" if spoken else ""))
    print(f"done in {time.time() - t0:.1f} s; clips under {out / 'clips'}, spoken translations under {out / 's2st'}")
    return written
