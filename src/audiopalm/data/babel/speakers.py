"""Babel speakers: a synthesizer family, a voice of that family, and a prosody.

Families (each a Debian package; `render.py` drives them):
    espeak  espeak-ng voice variants (`fr+f2`): formant synthesis, every Babel language
    mbrola  MBROLA diphone voices driven by espeak-ng (`mb-fr1`): concatenated recordings of human
            speech, one language per voice
    pico    SVOX Pico (`pico2wave`): one voice per language, en de es fr it
    flite   Flite (`flite`): statistical parametric (clustergen) and diphone voices of English
    festival  Festival (one `festival --pipe` per process): diphone voices of Spanish (el) and Italian (lp, pc)

A speaker says a sentence in every language its voice covers. espeak variants cover all six
languages, so an espeak speaker gives S2ST a reference in the source speaker's own voice; MBROLA and
Pico voices cover one language, and a sentence they cannot say in another language is said by a
voice of the same family that can (`world.plan_utterances`).

Speaker tables are versioned with the generator: version 1.0 (espeak only) stays reproducible.
Version 2.0 adds MBROLA voices to train/dev/test and keeps Pico out of train and dev entirely: its
voices form the `test-unseen-synth` split, the measure of generalisation to a synthesizer nothing
was trained on. Version 2.1 keeps 2.0's dev, test and unseen speakers and widens train where 2.0's
tokenizer failed to generalise (too few voices that are not espeak-ng): MBROLA's German and French
voices also speak English through espeak-ng's cross-language voice files (`mb-de4-en`), every MBROLA
train voice speaks at three prosody settings instead of two, and a fourth family, Flite, adds English
voices of another synthesizer to train. Version 2.2 keeps 2.1's speakers and every 2.1 utterance, file for file, and
adds second voices to train: Festival's Spanish and Italian voices say the first train sentences of their language
again (`SECOND_VOICE_SHARE` of its train hours), since no MBROLA voice of either passes the diphone check and their
train speech was otherwise espeak-ng's alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

FAMILIES = ("espeak", "mbrola", "pico", "flite", "festival")
# The family whose voices no model hears in training (generator 2.0): Pico covers 5 of the 6
# languages, and its one voice per language cannot be split into train and test speakers anyway.
UNSEEN_FAMILY = "pico"
UNSEEN_SPLIT = "test-unseen-synth"
# Speakers that say train sentences a second time, in the languages they cover (generator 2.2): the split's
# utterances stay as they are and these add to them, until SECOND_VOICE_SHARE of the language's train hours.
SECOND_VOICES = "train-second"
SECOND_VOICE_SHARE = 0.7

# espeak-ng variant files from espeak-ng-data/voices/!v, chosen for natural-sounding, language-neutral
# voices (no robots, whisper or croak; none of these sets its own language).
TRAIN_VARIANTS = (
    "f1 f2 f3 Alicia Andrea Annie anika aunty grandma linda steph shelby "
    "m1 m2 m3 m4 m8 Andy Denis Henrique michel miguel travis antonio"
).split()
DEV_VARIANTS = ("f4", "m6", "Diogo")
TEST_VARIANTS = ("f5", "belinda", "m7")
# Two prosody settings per espeak or MBROLA voice: (pitch 0-99, speed in words per minute, word gap in 10 ms).
SETTINGS = ((38, 150, 1), (62, 178, 0))

# MBROLA voices by language and split, kept by a check on 20 Babel dev sentences a voice: a voice stays
# when at most 1 in 10 of its utterances asks for a diphone it lacks (mbrola then inserts silence).
# Left out: es1-es4, mx1, mx2, vz1 (19 of 20 utterances miss stressed-vowel diphones with espeak-ng
# 1.51's Spanish phonemes), it1-it4 (11-17 of 20), us3 (3 of 20), pt1 (5 of 20), br4 (8 of 20).
MBROLA_VOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "train": {"en": ("us1",), "fr": ("fr1", "fr4", "fr6"), "de": ("de1", "de2", "de4", "de6", "de7"), "pt": ("br1", "br3")},
    "dev": {"en": ("en1",), "fr": ("fr3",), "de": ("de5",)},
    "test": {"en": ("us2",), "fr": ("fr2",), "de": ("de3",), "pt": ("br2",)},
}
# Generator 2.1: German and French train voices speaking English through espeak-ng's `mb-XX-en` files,
# kept by the same check (`mb-de1-en` and `mb-de2-en` miss a diphone in 1 of 5 sentences; de3 and de5 are
# dev/test voices), and a third, slow prosody setting for every MBROLA train voice.
MBROLA_CROSS_VOICES = {"train": {"en": ("de4-en", "de6-en", "fr1-en", "fr4-en")}}
MBROLA_SETTINGS_2_1 = SETTINGS + ((50, 132, 2),)
# Flite voices (generator 2.1, train only): a voice file name; prosody is the voice's own pitch and a
# duration stretch in percent (kal is kal16 at 8 kHz, left out).
FLITE_VOICES = ("kal16", "awb", "rms", "slt")
FLITE_SETTINGS = ((0, 92), (0, 110))  # (pitch: the voice's own, duration stretch %)
# Festival's diphone voices of the languages whose train speech is otherwise espeak-ng's alone (no MBROLA voice of
# Spanish or Italian passes the diphone check above); prosody is a duration stretch in percent.
FESTIVAL_VOICES = {"es": ("el_diphone",), "it": ("lp_diphone", "pc_diphone")}
FESTIVAL_SETTINGS = ((0, 92), (0, 110))  # (pitch: the voice's own, duration stretch %)
# SVOX Pico: a voice is its language tag; prosody in Pico's own markup (percent of the default).
PICO_VOICES = {"en": ("en-US", "en-GB"), "de": ("de-DE",), "es": ("es-ES",), "fr": ("fr-FR",), "it": ("it-IT",)}
PICO_SETTINGS = ((88, 92), (114, 108))  # (pitch %, speed %)


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker; `render.synthesize` turns (text, language, speaker) into speech."""

    id: str
    variant: str  # espeak: a variant file (f2); mbrola: a voice (fr1); pico: a language tag (fr-FR)
    pitch: int  # espeak/mbrola: espeak-ng -p, 0..99; pico: percent of the voice's pitch
    speed: int  # espeak/mbrola: words per minute; pico: percent of the voice's rate
    gap: int = 0  # espeak/mbrola: extra pause between words in units of 10 ms
    family: str = "espeak"
    languages: tuple[str, ...] = field(default=())  # languages the voice speaks; () = all six

    def covers(self, lang: str) -> bool:
        return not self.languages or lang in self.languages

    @property
    def mbrola_voice(self) -> str:
        """The MBROLA voice folder of an mbrola speaker: `de4` for the cross-language `de4-en`."""
        return self.variant.split("-")[0]

    def voice(self, lang_voice: str) -> str:
        """The espeak-ng -v argument for a language's voice file (espeak and mbrola families)."""
        if self.family == "mbrola":
            return f"mb-{self.variant}"
        # The language part must be a voice file name: "fr+f2" works, "fr-fr+f2" drops the variant.
        return f"{lang_voice}+{self.variant}"

    def espeak_args(self, lang_voice: str) -> list[str]:
        return ["-v", self.voice(lang_voice), "-p", str(self.pitch), "-s", str(self.speed), "-g", str(self.gap)]

    def render_key(self, lang_voice: str) -> list[str]:
        """Everything that determines how this speaker sounds (for file names that change with the voice)."""
        if self.family in ("pico", "flite", "festival"):
            return [self.family, self.variant, f"pitch={self.pitch}", f"speed={self.speed}"]
        return self.espeak_args(lang_voice)

    def to_dict(self) -> dict:
        return asdict(self)


def _espeak(split: str, variants: tuple[str, ...] | list[str]) -> list[Speaker]:
    return [Speaker(f"{split}-{v.lower()}-{k}", v, pitch, speed, gap)
            for v in variants for k, (pitch, speed, gap) in enumerate(SETTINGS)]


def _mbrola(split: str, voices: dict[str, dict[str, tuple[str, ...]]] = MBROLA_VOICES,
            settings: tuple[tuple[int, int, int], ...] = SETTINGS) -> list[Speaker]:
    return [Speaker(f"{split}-mb-{v}-{k}", v, pitch, speed, gap, "mbrola", (lang,))
            for lang, names in voices.get(split, {}).items() for v in names
            for k, (pitch, speed, gap) in enumerate(settings)]


def _flite(split: str) -> list[Speaker]:
    return [Speaker(f"{split}-flite-{v}-{k}", v, pitch, speed, 0, "flite", ("en",))
            for v in FLITE_VOICES for k, (pitch, speed) in enumerate(FLITE_SETTINGS)]


def festival_speakers(split: str) -> list[Speaker]:
    """Festival's voices at each of FESTIVAL_SETTINGS, one language each."""
    return [Speaker(f"{split}-festival-{v.split('_')[0]}-{k}", v, pitch, speed, 0, "festival", (lang,))
            for lang, voices in FESTIVAL_VOICES.items() for v in voices
            for k, (pitch, speed) in enumerate(FESTIVAL_SETTINGS)]


def _pico() -> list[Speaker]:
    return [Speaker(f"{UNSEEN_SPLIT}-pico-{v.lower()}-{k}", v, pitch, speed, 0, "pico", (lang,))
            for lang, voices in PICO_VOICES.items() for v in voices for k, (pitch, speed) in enumerate(PICO_SETTINGS)]


SPEAKER_TABLES: dict[str, dict[str, list[Speaker]]] = {
    "1.0": {"train": _espeak("train", TRAIN_VARIANTS), "dev": _espeak("dev", DEV_VARIANTS),
            "test": _espeak("test", TEST_VARIANTS)},
    "2.0": {"train": _espeak("train", TRAIN_VARIANTS) + _mbrola("train"),
            "dev": _espeak("dev", DEV_VARIANTS) + _mbrola("dev"),
            "test": _espeak("test", TEST_VARIANTS) + _mbrola("test"),
            UNSEEN_SPLIT: _pico()},
    "2.1": {"train": (_espeak("train", TRAIN_VARIANTS) + _mbrola("train", settings=MBROLA_SETTINGS_2_1)
                      + _mbrola("train", MBROLA_CROSS_VOICES, MBROLA_SETTINGS_2_1) + _flite("train")),
            "dev": _espeak("dev", DEV_VARIANTS) + _mbrola("dev"),
            "test": _espeak("test", TEST_VARIANTS) + _mbrola("test"),
            UNSEEN_SPLIT: _pico()},
}
SPEAKER_TABLES["2.2"] = {**SPEAKER_TABLES["2.1"], SECOND_VOICES: festival_speakers("train")}
# The espeak-only speakers of the first generator: tools that need a voice for any language use these.
SPEAKERS: dict[str, list[Speaker]] = SPEAKER_TABLES["1.0"]


def speaker_table(version: str) -> dict[str, list[Speaker]]:
    """Speakers per split of a generator version (versions without their own table use the latest older one)."""
    known = sorted(SPEAKER_TABLES, key=lambda v: tuple(int(x) for x in v.split(".")))
    older = [v for v in known if tuple(int(x) for x in v.split(".")) <= tuple(int(x) for x in version.split("."))]
    return SPEAKER_TABLES[older[-1] if older else known[0]]


def all_speakers() -> list[Speaker]:
    """Every speaker of every table (ids are unique across tables)."""
    seen: dict[str, Speaker] = {}
    for table in SPEAKER_TABLES.values():
        for speakers in table.values():
            for s in speakers:
                seen.setdefault(s.id, s)
    return list(seen.values())
