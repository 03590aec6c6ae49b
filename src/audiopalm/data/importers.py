"""Real corpora into the dataset format (data/manifest.py): FLEURS and CoVoST 2 through `datasets`,
CVSS from its release files with the Common Voice clips it translates.

    audiopalm data import fleurs --source google/fleurs --config fr_fr --lang fr --out data/real
    audiopalm data import fleurs --source google/fleurs --config en_us --lang en --out data/real
    audiopalm data import covost2 --source DIR --config fr_en --lang fr --target-lang en --out data/real
    audiopalm data import cvss --source cvss_c_v1.0/fr-en --common-voice cv-corpus-4/fr --lang fr \\
        --target-lang en --out data/real

Each command adds one language (or pair) to OUT and keeps what is there: rows are merged split by
split (train, dev, test; a row of the same id is replaced), world.json gains the languages. Clips are
written once as 16 kHz FLAC under OUT/audio/, so a re-run skips them and an interrupted import
resumes; an unreadable clip is reported on one line and skipped.

How each corpus maps (ids prefixed by the corpus, so corpora share a folder):
    FLEURS   one row per reading; sentence_id = the FLoRes sentence id, shared by every language, so
             translation pairs join readings by different speakers (speaker: the `speaker_id` column
             where the copy has one, else each reading its own).
    CoVoST 2 the source clip (speaker: Common Voice client id) and a text-only row for its
             translation, so AST and MT train on it and S2ST does not.
    CVSS     the source clip and the translation's synthetic speech (CVSS-C: one canonical voice;
             `--variant t`: the source speaker's voice, so the pair also trains voice-preserving S2ST).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiopalm.audio.io import (
    SAMPLE_RATE,
    AudioError,
    check_wav,
    decode_wav_bytes,
    duration,
    load_audio,
    resample,
    write_wav,
)
from audiopalm.config import help_field
from audiopalm.data.manifest import read_jsonl, write_jsonl, write_text_atomic
from audiopalm.data.languages import ISO_NAMES
from audiopalm.errors import AudiopalmError

SPLITS = {"train": "train", "validation": "dev", "dev": "dev", "test": "test"}  # corpus split -> ours


@dataclass
class Clip:
    """One recording to import: where its audio is and what it says."""

    id: str
    lang: str
    text: str
    speaker: str
    sentence_id: str
    audio: dict | str  # {"bytes": ..., "path": ...} (a `datasets` Audio value, undecoded) or a file path


@dataclass
class ImportReport:
    rows: dict[str, int]  # split -> rows written by this import
    failures: list[str]  # "id: reason"


# --- audio ----------------------------------------------------------------------------------
def read_clip(audio: dict | str) -> np.ndarray:
    """A `datasets` Audio value (bytes or path) or a path -> wav [T] float32 mono at 16 kHz."""
    if isinstance(audio, dict) and audio.get("bytes"):
        try:
            wav, sr = decode_wav_bytes(audio["bytes"])
        except Exception as e:  # soundfile raises several types for corrupt data
            raise AudioError(f"cannot decode audio bytes ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
        check_wav(wav, sr, "audio bytes")
        return resample(wav, sr, SAMPLE_RATE)
    path = audio.get("path") if isinstance(audio, dict) else audio
    if not path:
        raise AudioError("no audio (neither bytes nor a path)")
    return load_audio(path)


def write_clip(out: Path, rel: str, audio: dict | str) -> float:
    """Write OUT/rel as 16 kHz FLAC once (atomically); returns its duration in seconds."""
    path = out / rel
    if not path.exists():
        write_wav(path, read_clip(audio))
    return round(duration(path), 3)


def clip_rows(out: Path, split: str, clips: Iterable[Clip], failures: list[str]) -> Iterator[dict]:
    """Clips -> manifest rows with their audio written; a clip that cannot be read is reported and skipped."""
    for c in clips:
        rel = f"audio/{split}/{c.lang}/{c.id}.flac"
        try:
            dur = write_clip(out, rel, c.audio)
        except AudioError as e:
            failures.append(f"{c.id}: {e}")
            print(f"skipped {c.id}: {e}")
            continue
        yield {"id": c.id, "lang": c.lang, "speaker": c.speaker, "text": c.text, "audio": rel, "duration": dur,
               "sentence_id": c.sentence_id}


def text_row(id_: str, lang: str, text: str, sentence_id: str) -> dict:
    """A translation without a recording."""
    return {"id": id_, "lang": lang, "speaker": None, "text": text, "audio": None, "duration": 0.0,
            "sentence_id": sentence_id}


# --- the folder -----------------------------------------------------------------------------
def merge_split(out: Path, split: str, rows: list[dict]) -> None:
    """OUT/split.jsonl := its rows with these added (same id: replaced), written atomically."""
    path = out / f"{split}.jsonl"
    new = {r["id"] for r in rows}
    kept = [r for r in read_jsonl(path) if r["id"] not in new] if path.exists() else []
    write_jsonl(path, kept + rows)


def update_world(out: Path, langs: list[str], corpus: str) -> None:
    """OUT/world.json gains `langs` (named as task tags name them) and the corpus."""
    path = out / "world.json"
    world = json.loads(path.read_text()) if path.exists() else {"status": "complete", "zero_shot_pairs": []}
    world.setdefault("languages", {})
    for lang in langs:
        world["languages"].setdefault(lang, {"name": ISO_NAMES.get(lang, lang)})
    world["corpora"] = sorted(set(world.get("corpora", [])) | {corpus})
    write_text_atomic(path, json.dumps(world, indent=2, ensure_ascii=False))


def check_out(out: Path) -> None:
    """Importing never writes into a Babel world (its manifests are generated)."""
    world = out / "world.json"
    if world.exists() and "generator_version" in json.loads(world.read_text()):
        raise AudiopalmError(f"{out} holds a Babel world; import into another folder")


def write_import(out: Path, corpus: str, langs: list[str], by_split: dict[str, list[dict]],
                 failures: list[str]) -> ImportReport:
    out.mkdir(parents=True, exist_ok=True)
    for split, rows in by_split.items():
        merge_split(out, split, rows)
    update_world(out, langs, corpus)
    return ImportReport({s: len(r) for s, r in by_split.items()}, failures)


# --- Hugging Face datasets ------------------------------------------------------------------
def load_hf_splits(source: str, config: str | None, splits: list[str]) -> dict[str, object]:
    """{our split: datasets.Dataset} with audio left undecoded: a `save_to_disk` folder, or anything
    `datasets.load_dataset` opens (a hub name, a local folder of parquet/arrow files)."""
    try:
        import datasets
    except ImportError:
        raise AudiopalmError("importing from `datasets` needs it: pip install 'audiopalm[data]'") from None
    if (Path(source) / "dataset_dict.json").exists():
        dd = datasets.load_from_disk(source)
    else:
        try:
            dd = datasets.load_dataset(source, config)
        except Exception as e:
            raise AudiopalmError(f"cannot load dataset {source!r} (config {config!r}): {str(e).splitlines()[0]}") from None
    out = {}
    for name, ds in dd.items():
        ours = SPLITS.get(name)
        if ours is None or ours not in splits:
            continue
        if "audio" in ds.features and isinstance(ds.features["audio"], datasets.Audio):
            ds = ds.cast_column("audio", datasets.Audio(decode=False))
        out[ours] = ds
    if not out:
        raise AudiopalmError(f"{source}: none of the splits {', '.join(splits)} (found: {', '.join(dd)})")
    return out


def _need(ds, columns: tuple[str, ...], source: str) -> None:
    if missing := [c for c in columns if c not in ds.column_names]:
        raise AudiopalmError(f"{source}: no column {', '.join(missing)} (columns: {', '.join(ds.column_names)})")


def import_fleurs(source: str, config: str | None, lang: str, out: Path, splits: list[str],
                  limit: int | None = None) -> ImportReport:
    failures: list[str] = []
    by_split = {}
    for split, ds in load_hf_splits(source, config, splits).items():
        text_col = "raw_transcription" if "raw_transcription" in ds.column_names else "transcription"
        _need(ds, ("id", "audio", text_col), source)
        speaker_col = "speaker_id" if "speaker_id" in ds.column_names else None
        rows = ds.select(range(min(limit, len(ds)))) if limit else ds
        clips = (Clip(id=f"fleurs-{lang}-{split}-{k}", lang=lang, text=r[text_col].strip(),
                      speaker=f"fleurs-{lang}-{r[speaker_col] if speaker_col else f'{split}-{k}'}",
                      sentence_id=f"fleurs-{r['id']}", audio=r["audio"]) for k, r in enumerate(rows))
        by_split[split] = list(clip_rows(out, split, clips, failures))
    return write_import(out, "fleurs", [lang], by_split, failures)


def _covost2_clips(rows: Iterable[dict], lang: str, audio_col: str, translations: dict[str, str]) -> Iterator[Clip]:
    """CoVoST 2 rows -> source clips; each row's translation goes into `translations` by sentence id."""
    for r in rows:
        translations[f"covost2-{r['id']}"] = r["translation"].strip()
        yield Clip(id=f"covost2-{lang}-{r['id']}", lang=lang, text=r["sentence"].strip(),
                   speaker=f"cv-{r['client_id']}", sentence_id=f"covost2-{r['id']}", audio=r[audio_col])


def import_covost2(source: str, config: str | None, lang: str, target: str, out: Path, splits: list[str],
                   limit: int | None = None) -> ImportReport:
    failures: list[str] = []
    by_split = {}
    for split, ds in load_hf_splits(source, config, splits).items():
        audio_col = "audio" if "audio" in ds.column_names else "file"
        _need(ds, ("id", "client_id", "sentence", "translation", audio_col), source)
        translations: dict[str, str] = {}  # sentence id -> translation, filled as the clips stream past
        rows = ds.select(range(min(limit, len(ds)))) if limit else ds
        spoken = list(clip_rows(out, split, _covost2_clips(rows, lang, audio_col, translations), failures))
        texts = [text_row(f"{r['sentence_id'].replace('covost2-', f'covost2-{target}-', 1)}", target,
                          translations[r["sentence_id"]], r["sentence_id"]) for r in spoken]
        by_split[split] = spoken + texts
    return write_import(out, "covost2", [lang, target], by_split, failures)


# --- CVSS release files ---------------------------------------------------------------------
def common_voice_index(cv: Path) -> dict[str, tuple[str, str]]:
    """Clip file name -> (client id, sentence), from the Common Voice folder's TSVs."""
    index = {}
    for tsv in sorted(cv.glob("*.tsv")):
        with tsv.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            if not {"client_id", "path", "sentence"} <= set(reader.fieldnames or []):
                continue
            for r in reader:
                index.setdefault(r["path"], (r["client_id"], r["sentence"]))
    if not index:
        raise AudiopalmError(f"{cv}: no Common Voice TSV with client_id, path and sentence columns")
    return index


def import_cvss(source: Path, common_voice: Path, lang: str, target: str, out: Path, splits: list[str],
                variant: str = "c", limit: int | None = None) -> ImportReport:
    """SOURCE: one CVSS pair folder ({train,dev,test}.tsv: clip name, translation; SPLIT/CLIP.wav:
    the translation's speech); COMMON_VOICE: the Common Voice folder of the source language (clips/,
    *.tsv)."""
    if variant not in ("c", "t"):
        raise AudiopalmError(f"CVSS variant is c or t, not {variant!r}")
    index = common_voice_index(common_voice)
    failures: list[str] = []
    by_split = {}
    for split in splits:
        tsv = source / f"{split}.tsv"
        if not tsv.exists():
            continue
        with tsv.open(encoding="utf-8", newline="") as f:
            pairs = [line for line in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(line) >= 2]
        rows = []
        for name, translation in pairs[:limit]:
            stem = Path(name).stem
            if name not in index:
                failures.append(f"{name}: not in the Common Voice TSVs of {common_voice}")
                continue
            client, sentence = index[name]
            speaker, sid = f"cv-{client}", f"cvss-{stem}"
            target_wav = next((p for p in (source / split / f"{name}.wav", source / split / f"{stem}.wav") if p.exists()),
                              source / split / f"{name}.wav")
            clips = [Clip(f"cvss-{lang}-{stem}", lang, sentence.strip(), speaker, sid, str(common_voice / "clips" / name)),
                     Clip(f"cvss-{variant}-{target}-{stem}", target, translation.strip(),
                          speaker if variant == "t" else f"cvss-{variant}-{target}", sid, str(target_wav))]
            written = list(clip_rows(out, split, clips, failures))
            if len(written) == 2:  # a pair or nothing
                rows += written
        by_split[split] = rows
    if not by_split:
        raise AudiopalmError(f"{source}: none of {', '.join(f'{s}.tsv' for s in splits)}")
    return write_import(out, f"cvss-{variant}", [lang, target], by_split, failures)


@dataclass
class ImportConfig:
    """`audiopalm data import`: one language (or pair) of a real corpus into a dataset folder."""

    corpus: str = help_field("what --source holds", choices=("fleurs", "covost2", "cvss"))
    source: str = help_field("fleurs/covost2: a hub name, a local dataset folder or a save_to_disk folder; cvss: a "
                             "pair folder of the CVSS release (train.tsv, train/...)")
    lang: str = help_field("the (source) language's code")
    out: str = help_field("dataset folder to create or add to")
    config: str | None = help_field("dataset config (fleurs: fr_fr; covost2: fr_en)", None)
    target_lang: str | None = help_field("covost2/cvss: the translation's language", None)
    common_voice: str | None = help_field("cvss: the source language's Common Voice folder (clips/, *.tsv)", None)
    variant: str = help_field("cvss: C (canonical voice) or T (source voice)", "c", choices=("c", "t"))
    splits: list[str] = help_field("splits to import", ["train", "dev", "test"])
    limit: int | None = help_field("at most this many rows per split (a quick look)", None, min=1)


def run(cfg: ImportConfig) -> str:
    """Import, and say what was added."""
    out = Path(cfg.out)
    if cfg.corpus in ("covost2", "cvss") and not cfg.target_lang:
        raise AudiopalmError(f"{cfg.corpus} needs --target-lang")
    check_out(out)
    if cfg.corpus == "fleurs":
        report = import_fleurs(cfg.source, cfg.config, cfg.lang, out, cfg.splits, cfg.limit)
    elif cfg.corpus == "covost2":
        report = import_covost2(cfg.source, cfg.config, cfg.lang, cfg.target_lang, out, cfg.splits, cfg.limit)
    else:
        if not cfg.common_voice:
            raise AudiopalmError("cvss needs --common-voice (the source language's Common Voice folder)")
        report = import_cvss(Path(cfg.source), Path(cfg.common_voice), cfg.lang, cfg.target_lang, out, cfg.splits,
                             cfg.variant, cfg.limit)
    rows = ", ".join(f"{split} {n}" for split, n in report.rows.items())
    return f"{cfg.corpus} -> {out}: rows {rows}; {len(report.failures)} skipped"
