"""Phoneme targets from espeak-ng's phonemizer: text -> IPA, one CTC symbol per IPA character.

Phonemes name sounds, not spellings, so an encoder trained to emit them keeps what was said in a
form shared by every language and voice (French "eau", "au" and "o" are all /o/). espeak-ng
phonemizes any language it speaks, so the targets exist for Babel and for real corpora alike.

    "Vous laverez quinze cerises." (fr) -> "vu lavʁe kɛ̃z səʁiz"
Stress marks and espeak-ng's word-link hyphens are dropped; words stay separated by one space.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audiopalm.errors import AudiopalmError
from audiopalm.text.chars import BLANK, CharCodec
_STRESS = "ˈˌ"  # primary and secondary stress: prosody, not phonemes


# espeak-ng voice *files* whose name is not the language code ("fr-fr" would silently drop "+f2" variants).
ESPEAK_VOICES = {"en": "en-us"}


def espeak_voice(lang: str) -> str:
    """The espeak-ng voice file that speaks and phonemizes the ISO 639-1 code `lang`."""
    return ESPEAK_VOICES.get(lang, lang)


def phonemize_one(text: str, lang: str) -> str:
    """One text -> its IPA string (words separated by single spaces)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise AudiopalmError("espeak-ng was not found on PATH: phoneme targets need it (apt-get install espeak-ng)")
    proc = subprocess.run([exe, "-q", "--ipa", "-v", espeak_voice(lang)], input=text.encode("utf-8"),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudiopalmError(f"espeak-ng could not phonemize {lang!r}: {proc.stderr.decode(errors='replace').strip()}")
    # espeak-ng writes one line per clause; clause breaks are word breaks. Punctuation (its word-link
    # hyphens, a "?" it copies through) is not a sound.
    ipa = "".join(c for c in proc.stdout.decode("utf-8") if c not in _STRESS and not unicodedata.category(c).startswith("P"))
    return " ".join(ipa.split())


def phonemize(items: Iterable[tuple[str, str]], cache: Path | None = None, jobs: int | None = None) -> dict[tuple[str, str], str]:
    """(text, lang) pairs -> {(text, lang): IPA}; `cache` (JSONL) keeps earlier results across runs."""
    known: dict[tuple[str, str], str] = {}
    if cache is not None and cache.exists():
        with open(cache, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    known[(r["text"], r["lang"])] = r["ipa"]
    todo = sorted({it for it in items if it not in known})
    if todo:
        # espeak-ng runs as a subprocess, so threads overlap its calls (about 5 ms each).
        with ThreadPoolExecutor(jobs or min(8, 2 * (os.cpu_count() or 1))) as pool:
            results = list(pool.map(lambda it: phonemize_one(*it), todo))
        known.update(zip(todo, results))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.tmp")
            tmp.write_text("".join(json.dumps({"text": t, "lang": lang, "ipa": known[(t, lang)]}, ensure_ascii=False) + "\n"
                                   for t, lang in sorted(known)), encoding="utf-8")
            os.replace(tmp, cache)
    return known


def build_phone_vocab(ipa: Iterable[str]) -> list[str]:
    """IPA strings -> [BLANK, ' ', ...]: every character that occurs."""
    symbols = set()
    for s in ipa:
        symbols.update(s)
    return [BLANK, *sorted(symbols)]


class PhoneCodec(CharCodec):
    """IPA string <-> CTC ids: one id per character, characters outside the vocabulary dropped; the
    IPA is used as it is (no text normalisation). Decoding is CharCodec's greedy CTC collapse."""

    def encode(self, ipa: str, lang: str | None = None) -> list[int]:
        return [self.index[c] for c in ipa if c in self.index]
