"""The Babel languages: code -> (name, espeak-ng voice file, realizer module)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from audiopalm.data.babel.languages import de, en, es, fr, it, pt
from audiopalm.data.babel.meaning import Sentence
from audiopalm.errors import AudiopalmError
from audiopalm.text.phonemes import espeak_voice


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1
    name: str  # as written in task tags: "[ASR French]"
    espeak_voice: str  # espeak-ng voice *file* name; "fr-fr" would silently drop "+f2" variants
    module: ModuleType

    def realize(self, sentence: Sentence) -> str:
        return self.module.realize(sentence)


LANGUAGES: dict[str, Language] = {
    m.CODE: Language(m.CODE, m.NAME, espeak_voice(m.CODE), m) for m in (en, fr, es, de, it, pt)
}


def get_language(code: str) -> Language:
    if code not in LANGUAGES:
        raise AudiopalmError(f"unknown language {code!r}; supported: {', '.join(LANGUAGES)}")
    return LANGUAGES[code]


def language_by_name(name: str) -> Language:
    """'French' -> the French Language (task tags name languages in English)."""
    for lang in LANGUAGES.values():
        if lang.name == name:
            return lang
    raise AudiopalmError(f"unknown language name {name!r}; supported: {', '.join(l.name for l in LANGUAGES.values())}")
