"""The dataset folder every command reads: world.json and one JSON line per utterance.

    DATA/world.json        {"languages": {"fr": {"name": "French"}, ...}, "zero_shot_pairs": [["de", "it"]]}
    DATA/{train,dev,test}.jsonl
        {"id": "u1", "lang": "fr", "speaker": "s7", "text": "...", "audio": "audio/u1.flac",
         "duration": 3.2, "sentence_id": "42"}

`audio` is relative to DATA (any rate; read at 16 kHz). A row with `"audio": null` is text only: a
translation without a recording (CoVoST2's targets) that translation tasks use as a text target.
Rows sharing a `sentence_id` say one meaning in several languages.

Reading a manifest skips, and reports as FILE:LINE, a line that is not a JSON object, a row without a
text value for one of MANIFEST_KEYS (and, with a recording, `speaker`), and a row whose `audio` leaves
DATA (an absolute path or `..`; AUDIOPALM_ALLOW_OUTSIDE_AUDIO=1 allows them); then says how many lines
it skipped. Two rows with one `id` are an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from audiopalm.errors import AudiopalmError, first_line


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically (`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, so a reader never sees half of it;
    refuses to replace what is not a regular file, and a failed write leaves no temporary file."""
    if path.exists() and not path.is_file():
        raise AudiopalmError(f"{path}: exists and is not a regular file; choose another output")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def json_output(path: str | Path) -> Path:
    """Refuse, with one line, a JSON report path that is not named .json (so a report never replaces a
    manifest, a recording or a model file) or that exists and is not a regular file. Check it before the work."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise AudiopalmError(f"{path}: a JSON report is written to a file named .json; choose another output")
    if path.exists() and not path.is_file():
        raise AudiopalmError(f"{path}: exists and is not a regular file; choose another output")
    return path


def write_json(path: str | Path, obj) -> None:
    """A JSON report to `path` (checked by `json_output`), written atomically."""
    path = json_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False))


def write_jsonl(path: Path, rows: list[dict]) -> None:
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


MANIFEST_KEYS = ("id", "lang", "text", "sentence_id")  # every row of a manifest has each, as text


def read_jsonl(path: str | Path, keys: tuple[str, ...] = MANIFEST_KEYS) -> list[dict]:
    """The JSON objects of a JSONL file; bad lines, rows without `keys` (pass () for other JSONL files) and
    rows pointing outside the file's folder are reported and skipped (see above), duplicate utterance ids
    raise AudiopalmError."""
    path = Path(path)
    rows, seen, skipped = [], {}, 0
    allow_outside = os.environ.get("AUDIOPALM_ALLOW_OUTSIDE_AUDIO", "") not in ("", "0")
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            problem = _row_problem(line, keys, allow_outside)
            if isinstance(problem, str):
                print(f"skipped: {path}:{number}: {problem}")
                skipped += 1
                continue
            row, audio = problem, problem.get("audio")
            if audio is not None and "id" in row:
                if row["id"] in seen:
                    raise AudiopalmError(f"{path}:{number}: id {row['id']!r} already used on line {seen[row['id']]}")
                seen[row["id"]] = number
            rows.append(row)
    if skipped:
        print(f"{path}: {skipped} line(s) skipped, {len(rows)} read")
    return rows


def _row_problem(line: str, keys: tuple[str, ...], allow_outside: bool) -> dict | str:
    """One JSONL line -> its row, or what is wrong with it."""
    try:
        row = json.loads(line)
    except ValueError as e:
        return f"not JSON ({first_line(e)})"
    if not isinstance(row, dict):
        return "not a JSON object"
    audio = row.get("audio")
    needed = keys + (("speaker",) if audio and keys else ())
    missing = [k for k in needed if not isinstance(row.get(k), str)]
    if missing:
        return f"no text value for {', '.join(repr(k) for k in missing)}"
    if audio and not allow_outside and not _inside(audio):
        return f"audio {audio!r} is outside the dataset folder"
    return row


def _inside(audio) -> bool:
    """True for a relative path that stays inside the folder it is relative to."""
    if not isinstance(audio, str) or not audio:
        return False
    parts = Path(audio).parts
    return not Path(audio).is_absolute() and ".." not in parts


def audio_rows(rows: list[dict]) -> list[dict]:
    """The rows that have a recording."""
    return [r for r in rows if r.get("audio")]


def first_per_language(rows: Iterable[dict], n: int) -> list[dict]:
    """The first `n` rows of each language, in their order (the utterances `audiopalm eval` reads)."""
    taken: dict[str, int] = {}
    out = []
    for r in rows:
        if taken.get(r["lang"], 0) < n:
            taken[r["lang"]] = taken.get(r["lang"], 0) + 1
            out.append(r)
    return out


def spread(rows: list[dict], n: int) -> list[dict]:
    """At most `n` rows taken evenly across a manifest (so every language and voice is represented)."""
    if len(rows) <= n:
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


# Test conditions a world may have: held-out speakers, the same with noise, a synthesizer family no
# model heard in training (Babel generator 2.0).
CONDITIONS = ("test", "test-noisy", "test-unseen-synth")


def available_conditions(data: Path) -> list[str]:
    """The test conditions whose manifests DATA has, `test` first."""
    found = [c for c in CONDITIONS if (data / f"{c}.jsonl").exists()]
    if "test" not in found:
        raise AudiopalmError(f"{data / 'test.jsonl'} not found")
    return found


def speaker_families(data: Path) -> dict[str, str] | None:
    """Speaker id -> synthesizer family, from a Babel world.json (None for other datasets)."""
    path = data / "world.json"
    if not path.exists():
        return None
    world = json.loads(path.read_text(encoding="utf-8"))
    return {s["id"]: s.get("family", "espeak") for split in world.get("speakers", {}).values() for s in split}
