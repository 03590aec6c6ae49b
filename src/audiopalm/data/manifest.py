"""The dataset folder every command reads: world.json and one JSON line per utterance.

    DATA/world.json        {"languages": {"fr": {"name": "French"}, ...}, "zero_shot_pairs": [["de", "it"]]}
    DATA/{train,dev,test}.jsonl
        {"id": "u1", "lang": "fr", "speaker": "s7", "text": "...", "audio": "audio/u1.flac",
         "duration": 3.2, "sentence_id": "42"}

`audio` is relative to DATA (any rate; read at 16 kHz). A row with `"audio": null` is text only: a
translation without a recording (CoVoST2's targets) that translation tasks use as a text target.
Rows sharing a `sentence_id` say one meaning in several languages.
"""

from __future__ import annotations


def audio_rows(rows: list[dict]) -> list[dict]:
    """The rows that have a recording."""
    return [r for r in rows if r.get("audio")]


def spread(rows: list[dict], n: int) -> list[dict]:
    """At most `n` rows taken evenly across a manifest (so every language and voice is represented)."""
    if len(rows) <= n:
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]
