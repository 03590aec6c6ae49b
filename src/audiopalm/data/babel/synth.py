"""`audiopalm data synth`: render a Babel world to wav files and JSONL manifests.

Layout of DIR:
    world.json                 languages, speakers, counts, hours, seed, version, config
    sentences.jsonl            one meaning a line with its text in every language
    {train,dev,test}.jsonl     one utterance a line: id, lang, speaker, text, audio, duration, sentence_id
    test-noisy.jsonl           the test utterances with additive noise (when enabled)
    test-unseen-synth.jsonl    the test sentences said by the synthesizer family held out of train and dev
    audio/{split}/{lang}/*.wav 16 kHz mono 16-bit

Re-running skips finished audio; files are written atomically, so an interrupted run never
leaves a truncated file that a later run would count as done.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from audiopalm.audio.io import duration, write_wav
from audiopalm.data.babel import concepts
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.babel.render import NOISE_KINDS, add_noise, check_espeak, check_family, render, synthesize
from audiopalm.data.babel.speakers import SECOND_VOICES, UNSEEN_FAMILY, UNSEEN_SPLIT
from audiopalm.config import help_field
from audiopalm.data.babel.world import (
    GENERATOR_VERSION,
    GENERATOR_VERSIONS,
    PRESETS,
    SPEAKER_BY_ID,
    SPLITS,
    Utterance,
    WorldConfig,
    build_splits,
    plan_utterances,
    preset_config,
)
from audiopalm.data.manifest import write_jsonl, write_text_atomic
from audiopalm.errors import AudiopalmError

CALIBRATION_SENTENCES = 12


# --- one unit of work, run in worker processes ------------------------------------------
def _render_one(job: tuple[str, str, str, str]) -> tuple[str | None, str, float, int]:
    """(text, lang, speaker id, out path) -> (error message or None, family, seconds, missing diphones)."""
    text, lang, speaker_id, path = job
    speaker = SPEAKER_BY_ID[speaker_id]
    start = time.perf_counter()
    try:
        rendered = render(text, lang, speaker)
        write_wav(path, rendered.wav)
        return None, speaker.family, time.perf_counter() - start, rendered.missing_diphones
    except Exception as e:  # one bad utterance is reported, the batch goes on
        return f"{path}: {e}", speaker.family, time.perf_counter() - start, 0


def noisy_version(wav: np.ndarray, utterance_id: str, snr_db: float) -> np.ndarray:
    """wav [T] -> wav [T] with test-noisy's noise for that utterance: its kind and samples drawn from the id."""
    seed = zlib.crc32(utterance_id.encode())
    return add_noise(wav, snr_db, np.random.default_rng(seed), kind=NOISE_KINDS[seed % len(NOISE_KINDS)])


def _noisy_one(job: tuple[str, str, float, str]) -> tuple[str | None, str, float, int]:
    """(clean path, noisy path, SNR dB, utterance id) -> None, or an error message."""
    clean, noisy, snr_db, utterance_id = job
    try:
        wav, sr = sf.read(clean, dtype="float32")
        write_wav(noisy, noisy_version(wav, utterance_id, snr_db), sr)
        return None, "noise", 0.0, 0
    except Exception as e:
        return f"{noisy}: {e}", "noise", 0.0, 0


def _run_parallel(fn, jobs: list, n_jobs: int, desc: str, progress: bool,
                  stats: dict[str, Counter] | None = None) -> list[str]:
    """Run `fn` over `jobs` in `n_jobs` processes with a progress bar; return the errors. Each result is
    (error, family, seconds, missing diphones); `stats[family]` sums the seconds, files and diphones."""
    if not jobs:
        return []
    bar = tqdm(total=len(jobs), desc=desc, unit="utt", disable=not progress, dynamic_ncols=True)
    errors = []
    if n_jobs <= 1:
        results = map(fn, jobs)
        pool = None
    else:
        # spawn, not fork: forking a process that already ran torch ops can deadlock in OpenMP.
        pool = ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(fn, jobs, chunksize=16)
    try:
        for err, family, seconds, missing in results:
            if err:
                errors.append(err)
            if stats is not None:
                stats[family].update(seconds=seconds, files=1, missing_diphones=missing,
                                     files_missing_diphones=int(missing > 0))
            bar.update()
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
    return errors


# --- calibration and configuration checks ----------------------------------------------
def calibrate_seconds_per_char(config: WorldConfig, texts: list[dict[str, str]]) -> dict[str, float]:
    """Measure espeak-ng's speaking rate per language on a few sentences (about 10 ms each)."""
    speakers = config.speakers()["train"][:2]  # espeak-ng voices, one of each prosody setting
    out = {}
    for lang in config.languages:
        seconds = chars = 0.0
        for k, t in enumerate(texts[:CALIBRATION_SENTENCES]):
            wav = synthesize(t[lang], lang, speakers[k % 2])
            seconds += len(wav) / 16_000
            chars += len(t[lang])
        out[lang] = seconds / max(chars, 1.0)
    return out


def check_existing(out: Path, config: WorldConfig, force: bool) -> None:
    """Refuse to mix two configurations in one folder unless `force`, which clears its manifests and noisy audio
    and keeps the rest: a file's name carries a digest of its text, voice and prosody, so the new plan reuses the
    files it says the same way and `remove_stale_audio` deletes the others once it has rendered."""
    world = out / "world.json"
    if not world.exists():
        return
    old = json.loads(world.read_text(encoding="utf-8")).get("config", {})
    new = config.to_dict()
    if old == new:
        return
    if not force:
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise AudiopalmError(
            f"{out} holds a Babel world with a different configuration (differs in: {', '.join(diff)}); "
            "use --force to replace it, or choose another --out"
        )
    for name in ("audio/test-noisy", *(f"{s}.jsonl" for s in (*SPLITS, "test-noisy", UNSEEN_SPLIT)), "sentences.jsonl",
                 "world.json"):
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


# --- the whole job ---------------------------------------------------------------------------
@dataclass
class SynthConfig:
    """`audiopalm data synth`: a Babel world from a preset, with a few settings overridden."""

    out: str = help_field("output folder (manifests, audio, world.json)")
    preset: str = help_field("tiny (seconds), small (>= 2 h/language), medium (small's dev and test, 4x its train), full (10 h/language)", "tiny",
                             choices=tuple(PRESETS))
    languages: list[str] | None = help_field("language codes (default: all six: en fr es de it pt)", None)
    hours_per_language: list[str] | None = help_field("train hours: one number for all, or LANG=H pairs "
                                                      "(e.g. en=2 pt=0.2)", None)
    jobs: int = help_field("parallel rendering processes", os.cpu_count() or 1, min=1)
    seed: int | None = help_field("random seed (default: the preset's, 0)", None)
    noise_snr: float | None = help_field("SNR in dB of test-noisy (default 10)", None)
    noise: bool = help_field("write test-noisy", True)
    force: bool = help_field("replace a world with another configuration in --out (keeping the audio files the new "
                             "one says the same way)", False)
    generator_version: str | None = help_field(f"generator version (default {GENERATOR_VERSION}; "
                                               f"{', '.join(GENERATOR_VERSIONS)})", None)
    quiet: bool = help_field("no progress bar", False)

    def world(self) -> WorldConfig:
        overrides = {"seed": self.seed, "languages": self.languages, "noisy_snr_db": self.noise_snr,
                     "version": self.generator_version, **parse_hours(self.hours_per_language)}
        config = preset_config(self.preset, **overrides)
        if not self.noise:
            config.noisy_snr_db = None
        return config


def parse_hours(values: list[str] | None) -> dict:
    """['2'] -> {'default_hours': 2.0}; ['en=2', 'pt=0.2'] -> {'hours_per_language': {...}}."""
    out: dict = {}
    per_lang = {}
    for v in values or []:
        try:
            if "=" in v:
                lang, h = v.split("=", 1)
                per_lang[lang] = float(h)
            else:
                out["default_hours"] = float(v)
        except ValueError:
            raise AudiopalmError(f"hours_per_language: cannot read {v!r}; use a number or LANG=HOURS") from None
    if per_lang:
        out["hours_per_language"] = per_lang
    return out


def run(cfg: SynthConfig) -> dict:
    """Render (or finish) the world; its world.json summary."""
    return synth(cfg.out, cfg.world(), jobs=cfg.jobs, force=cfg.force, progress=not cfg.quiet)


def synth(out: str | Path, config: WorldConfig, jobs: int = 1, force: bool = False, progress: bool = True) -> dict:
    """Render the world described by `config` into `out`; returns the world.json summary."""
    config.validate()
    check_espeak()
    voices = {(s.family, s.variant): s for speakers in config.speakers().values() for s in speakers}
    for speaker in voices.values():  # one clear line before rendering, not one failure per file
        check_family(speaker)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_existing(out, config, force)
    write_text_atomic(out / "world.json", json.dumps({"status": "rendering", "config": config.to_dict()}, indent=2))
    start = time.perf_counter()

    probe = build_splits(config, n_train=0)
    calibration = [it.texts for it in probe["dev"] + probe["test"]]
    seconds_per_char = calibrate_seconds_per_char(config, calibration)
    mean_chars = {lang: np.mean([len(t[lang]) for t in calibration]) for lang in config.languages}
    n_train = max(
        int(np.ceil(config.hours(lang) * 3600 / (mean_chars[lang] * seconds_per_char[lang]) * 1.1))
        for lang in config.languages
    )
    splits = build_splits(config, n_train)
    utterances = plan_utterances(config, splits, seconds_per_char)

    todo = [(u.text, u.lang, u.speaker, str(out / u.audio)) for u in utterances if not (out / u.audio).exists()]
    second = {s.id for s in config.speakers().get(SECOND_VOICES, [])}
    family_stats: dict[str, Counter] = defaultdict(Counter)
    errors = _run_parallel(_render_one, [j for j in todo if j[2] not in second], jobs, "render", progress, family_stats)
    # A second voice adds to train: an utterance it cannot say (Festival's Italian spells no "x") is left out and
    # listed, the world goes on.
    skipped = _run_parallel(_render_one, [j for j in todo if j[2] in second], jobs, "second voices", progress,
                            family_stats)
    noisy_rows = []
    if config.noisy_snr_db is not None:
        noisy_jobs = []
        for u in utterances:
            if u.split != "test":
                continue
            path = u.audio.replace("audio/test/", "audio/test-noisy/", 1)
            noisy_rows.append((u, path))
            if not (out / path).exists() and (out / u.audio).exists():
                noisy_jobs.append((str(out / u.audio), str(out / path), config.noisy_snr_db, u.id))
        errors += _run_parallel(_noisy_one, noisy_jobs, jobs, "noise", progress)
    wall = time.perf_counter() - start
    remove_stale_audio(out, {u.audio for u in utterances} | {p for _, p in noisy_rows})

    summary, rows = write_manifests(out, config, splits, utterances, noisy_rows, seconds_per_char)
    rendered = {job[3] for job in todo}
    rendered_seconds = sum(r["duration"] for split in SPLITS for r in rows[split] if str(out / r["audio"]) in rendered)
    summary["render"] = {
        "wall_seconds_this_run": round(wall, 2),
        "rendered_this_run": len(todo),
        "audio_seconds_per_wall_second": round(rendered_seconds / wall, 1),
        "jobs": jobs,
        "failed": errors,
        "second_voices_skipped": skipped,
    }
    summary["families"] = family_summary(rows, config, family_stats)
    write_text_atomic(out / "world.json", json.dumps(summary, indent=2, ensure_ascii=False))
    if skipped:
        print(f"{len(skipped)} second-voice utterances left out (listed in {out / 'world.json'}); first: {skipped[0]}",
              file=sys.stderr)
    if errors:
        raise AudiopalmError(f"{len(errors)} utterances failed to render (listed in {out / 'world.json'}); first: {errors[0]}")
    return summary


def remove_stale_audio(out: Path, keep: set[str]) -> None:
    """Delete wav files under OUT/audio that the current plan does not use (older texts or voices)."""
    for path in (out / "audio").rglob("*.wav"):
        if path.relative_to(out).as_posix() not in keep:
            path.unlink()


def family_summary(rows: dict[str, list[dict]], config: WorldConfig, stats: dict[str, Counter]) -> dict:
    """Per synthesizer family: hours and voices per split, languages, and this run's render time
    (process seconds, summed over workers) and missing MBROLA diphones."""
    family_of = {s.id: s for split in config.speakers().values() for s in split}
    out: dict[str, dict] = {}
    for split, split_rows in rows.items():
        for r in split_rows:
            spk = family_of.get(r["speaker"])
            if spk is None:
                continue
            f = out.setdefault(spk.family, {"hours": Counter(), "voices": defaultdict(set), "languages": set()})
            f["hours"][split] += r["duration"] / 3600
            f["voices"][split].add(spk.variant)
            f["languages"].add(r["lang"])
    for family, f in out.items():
        st = stats.get(family, Counter())
        f["hours"] = {k: round(v, 3) for k, v in f["hours"].items()}
        f["voices"] = {k: sorted(v) for k, v in f["voices"].items()}
        f["languages"] = [lang for lang in config.languages if lang in f["languages"]]
        f["rendered_this_run"] = {"files": st["files"], "process_seconds": round(st["seconds"], 1),
                                  "files_with_missing_diphones": st["files_missing_diphones"],
                                  "missing_diphones": st["missing_diphones"]}
        f["held_out"] = family == UNSEEN_FAMILY and UNSEEN_SPLIT in config.speakers()
    return out


def _words(text: str) -> list[str]:
    return [w.strip(".,?¿!¡").lower() for w in text.split() if w.strip(".,?¿!¡")]


def write_manifests(
    out: Path, config: WorldConfig, splits, utterances: list[Utterance], noisy_rows, seconds_per_char
) -> tuple[dict, dict[str, list[dict]]]:
    """Write sentences.jsonl and the split manifests; return the world summary and the rows."""
    sentence_rows = [
        {"sentence_id": it.sentence_id, "split": split, "novel_combination": it.novel, "texts": it.texts,
         "meaning": it.sentence.to_dict()}
        for split in SPLITS for it in splits[split]
    ]
    write_jsonl(out / "sentences.jsonl", sentence_rows)

    rows: dict[str, list[dict]] = defaultdict(list)
    seconds: dict[str, Counter] = defaultdict(Counter)
    for u in utterances:
        path = out / u.audio
        if not path.exists():
            continue
        d = round(duration(path), 3)
        rows[u.split].append({"id": u.id, "lang": u.lang, "speaker": u.speaker, "text": u.text, "audio": u.audio,
                              "duration": d, "sentence_id": u.sentence_id})
        seconds[u.split][u.lang] += d
    for u, path in noisy_rows:
        if (out / path).exists():
            row = {"id": u.id, "lang": u.lang, "speaker": u.speaker, "text": u.text, "audio": path,
                   "duration": round(duration(out / path), 3), "sentence_id": u.sentence_id, "snr_db": config.noisy_snr_db}
            rows["test-noisy"].append(row)
    manifests = (*SPLITS, *(["test-noisy"] if noisy_rows else []), *([UNSEEN_SPLIT] if rows[UNSEEN_SPLIT] else []))
    for split in manifests:
        write_jsonl(out / f"{split}.jsonl", rows[split])

    vocab = {lang: sorted({w for it in sentence_rows for w in _words(it["texts"][lang])}) for lang in config.languages}
    summary = {
        "status": "complete",
        "generator_version": config.version,
        "seed": config.seed,
        "preset": config.preset,
        "config": config.to_dict(),
        "languages": {c: {"name": LANGUAGES[c].name, "espeak_voice": LANGUAGES[c].espeak_voice} for c in config.languages},
        "speakers": {split: [s.to_dict() for s in spk] for split, spk in config.speakers().items()},
        "held_out_family": ({"family": UNSEEN_FAMILY, "split": UNSEEN_SPLIT,
                             "why": "a whole synthesizer family that train and dev never hear: generalisation to "
                                    "voices nothing was trained on"}
                            if UNSEEN_SPLIT in config.speakers() else None),
        "zero_shot_pairs": config.zero_shot_pairs,
        "concepts": concepts.concept_count(),
        "sentences": {split: len(splits[split]) for split in SPLITS},
        "novel_combination_test_sentences": sum(it.novel for it in splits["test"]),
        "utterances": {split: dict(Counter(r["lang"] for r in rows[split])) for split in rows},
        "hours": {split: {lang: round(s / 3600, 4) for lang, s in seconds[split].items()} for split in seconds},
        "vocabulary_size": {lang: len(v) for lang, v in vocab.items()},
        "seconds_per_char": {lang: round(v, 5) for lang, v in seconds_per_char.items()},
    }
    return summary, rows


def summary_text(summary: dict) -> str:
    """A short, human-readable table of a world.json."""
    lines = [f"Babel world (preset {summary['preset']}, seed {summary['seed']}, generator {summary['generator_version']})"]
    lines.append(f"  concepts: {summary['concepts']}   sentences: " + ", ".join(f"{k} {v}" for k, v in summary["sentences"].items()))
    n_spk = {k: len(v) for k, v in summary["speakers"].items()}
    lines.append("  speakers: " + ", ".join(f"{k} {v}" for k, v in n_spk.items()))
    unseen = "test-unseen-synth" in summary["hours"]
    lines.append(f"  {'lang':<6}{'train h':>9}{'dev h':>8}{'test h':>8}" + (f"{'unseen h':>10}" if unseen else "")
                 + f"{'vocab':>7}")
    for lang in summary["languages"]:
        h = [summary["hours"].get(s, {}).get(lang, 0.0) for s in ("train", "dev", "test", "test-unseen-synth")]
        lines.append(f"  {lang:<6}{h[0]:>9.3f}{h[1]:>8.3f}{h[2]:>8.3f}" + (f"{h[3]:>10.3f}" if unseen else "")
                     + f"{summary['vocabulary_size'][lang]:>7}")
    for family, f in summary.get("families", {}).items():
        hours = ", ".join(f"{k} {v:.2f} h" for k, v in f["hours"].items())
        voices = len({v for vs in f["voices"].values() for v in vs})
        lines.append(f"  {family:<7} {voices} voices, {' '.join(f['languages'])}: {hours}"
                     + ("  (held out of train and dev)" if f.get("held_out") else ""))
    render = summary.get("render", {})
    if render.get("rendered_this_run"):
        lines.append(f"  rendered {render['rendered_this_run']} files in {render['wall_seconds_this_run']:.1f} s "
                     f"({render.get('audio_seconds_per_wall_second', 0):.0f} audio s per wall s, {render['jobs']} jobs)")
    return "\n".join(lines)
