"""Languages by code and by name: what a model can be asked for and what a dataset holds.

A model stores its languages in its config.json and a dataset in its world.json, both as
code -> English name; the names are those the task tags write ("[AST French English]").
"""

from __future__ import annotations

import json
from pathlib import Path

from audiopalm.errors import AudiopalmError

# English names (as task tags write them) of the languages of CoVoST 2, CVSS and FLEURS' larger sets,
# for datasets whose world.json does not name a language (importers add them under these names).
ISO_NAMES = {
    "ar": "Arabic", "ca": "Catalan", "cy": "Welsh", "de": "German", "en": "English", "es": "Spanish",
    "et": "Estonian", "fa": "Persian", "fr": "French", "hi": "Hindi", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "lv": "Latvian", "mn": "Mongolian", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "sl": "Slovenian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}


class Languages:
    """The languages a model or a dataset knows: code (`lang` of the manifests) -> English name, as the
    task tags write it ("[ASR French]"). A language is asked for by code or by name, in any case."""

    def __init__(self, names: dict[str, str]):
        if not names:
            raise AudiopalmError("a model or dataset needs at least one language")
        self.names = dict(names)
        self._lookup = {k.casefold(): code for code, name in self.names.items() for k in (code, name)}

    def code(self, lang: str) -> str:
        """'fr', 'FR', 'French' or 'french' -> 'fr'; an unknown language is one clear error."""
        code = self._lookup.get(str(lang).strip().casefold())
        if code is None:
            known = ", ".join(f"{c} ({n})" for c, n in self.names.items())
            raise AudiopalmError(f"unknown language {lang!r}; this model knows {known}")
        return code

    def name(self, lang: str) -> str:
        """'fr' or 'French' -> 'French'."""
        return self.names[self.code(lang)]

    @property
    def codes(self) -> list[str]:
        return list(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Languages) and other.names == self.names

    def __repr__(self) -> str:
        return f"Languages({self.names})"

    @classmethod
    def of_dataset(cls, data: Path) -> Languages:
        """DATA/world.json's languages (code -> {"name": ...}); without them, the `lang` of the rows of
        DATA's train, dev and test manifests, named by ISO_NAMES (else by their code)."""
        world = data / "world.json"
        if world.exists():
            langs = json.loads(world.read_text(encoding="utf-8")).get("languages", {})
            if langs:
                return cls({code: (v.get("name") if isinstance(v, dict) else v) or ISO_NAMES.get(code, code)
                            for code, v in langs.items()})
        from audiopalm.data.manifest import read_jsonl

        codes: dict[str, None] = {}
        for split in ("train", "dev", "test"):
            if (data / f"{split}.jsonl").exists():
                codes.update((r["lang"], None) for r in read_jsonl(data / f"{split}.jsonl", keys=("lang",)))
        if not codes:
            raise AudiopalmError(f"{data}: no world.json languages and no manifest rows to read them from")
        return cls({code: ISO_NAMES.get(code, code) for code in codes})
