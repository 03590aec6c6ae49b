"""The Babel world: its configuration, its sentences split into train/dev/test, and the
utterance plan (which speaker says which sentence in which language).

Data flows one way: config -> sentences -> utterance plan; `synth.py` renders the plan.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field, fields

from audiopalm.data.babel import concepts as C
from audiopalm.data.babel.languages import LANGUAGES, get_language
from audiopalm.data.babel.meaning import NounPhrase, Sentence
from audiopalm.data.babel.sampler import sample_sentence
from audiopalm.data.babel.speakers import (SECOND_VOICE_SHARE, SECOND_VOICES, UNSEEN_SPLIT, Speaker, all_speakers,
                                          speaker_table)
from audiopalm.errors import AudiopalmError

# 2.0: speakers from three synthesizer families (espeak-ng, MBROLA, SVOX Pico) and the
# test-unseen-synth split; 2.1: 2.0's dev and test, more voices in train (speakers.py); 2.2: 2.1's utterances and
# Festival's second voices for Spanish and Italian train sentences; older versions stay reproducible with
# --generator-version.
GENERATOR_VERSION = "2.2"
GENERATOR_VERSIONS = ("1.0", "2.0", "2.1", "2.2")
SPLITS = ("train", "dev", "test")
N_HELD_OUT_COMBOS = 12  # per kind: (adjective, noun) and (verb, object) pairs kept out of train


@dataclass
class WorldConfig:
    """Everything that determines a Babel world; two runs with equal configs write equal data."""

    preset: str = "tiny"
    seed: int = 0
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    hours_per_language: dict[str, float] = field(default_factory=dict)  # train hours; default for missing
    default_hours: float = 0.02  # train hours for a language not in hours_per_language
    dev_sentences: int = 6  # each rendered in every language by one dev speaker
    test_sentences: int = 8  # each rendered in every language by `test_speakers_per_sentence` speakers
    test_speakers_per_sentence: int = 2  # two voices per sentence measure speaker invariance
    compositional_share: float = 0.25  # share of test sentences that use a held-out combination
    noisy_snr_db: float | None = 10.0  # test-noisy: pink/white/brown noise at this SNR (dB); None: off
    zero_shot_pairs: list[list[str]] = field(default_factory=lambda: [["de", "it"], ["it", "de"], ["pt", "fr"], ["fr", "pt"]])
    min_words: int = 3
    max_words: int = 20
    version: str = GENERATOR_VERSION

    def hours(self, lang: str) -> float:
        return self.hours_per_language.get(lang, self.default_hours)

    def speakers(self) -> dict[str, list[Speaker]]:
        """The speaker table of this generator version: split -> speakers."""
        return speaker_table(self.version)

    def validate(self) -> None:
        if self.version not in GENERATOR_VERSIONS:
            raise AudiopalmError(f"unknown generator version {self.version!r}; choose from {', '.join(GENERATOR_VERSIONS)}")
        for code in self.languages:
            get_language(code)
        for code in self.hours_per_language:
            get_language(code)
        for pair in self.zero_shot_pairs:
            for code in pair:
                get_language(code)
        n_test = len(self.speakers()["test"])
        if self.test_speakers_per_sentence > n_test:
            raise AudiopalmError(f"test_speakers_per_sentence must be at most {n_test}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> WorldConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


PRESETS: dict[str, dict] = {
    # Builds in seconds: for tests and smoke runs.
    "tiny": dict(default_hours=0.02, dev_sentences=6, test_sentences=8),
    # At least 2 hours of training speech per language; the default for experiments.
    "small": dict(default_hours=2.1, dev_sentences=150, test_sentences=300),
    # `small`'s dev and test (the same utterances), four times its training speech: ~4x the sentences.
    "medium": dict(default_hours=8.4, dev_sentences=150, test_sentences=300),
    "full": dict(default_hours=10.0, dev_sentences=400, test_sentences=800),
}


def preset_config(name: str, **overrides) -> WorldConfig:
    if name not in PRESETS:
        raise AudiopalmError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return WorldConfig(preset=name, **{**PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}})


# --- sentences -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One meaning with its text in every language."""

    sentence_id: str
    sentence: Sentence
    texts: dict[str, str]
    novel: bool = False  # uses a combination held out of train


def sentence_id(s: Sentence) -> str:
    key = json.dumps(s.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def _noun_phrases(s: Sentence) -> list[NounPhrase]:
    out = []
    for np in (s.subject, s.obj, s.companion):
        if np is not None:
            out.append(np)
            if np.rel and np.rel.other:
                out.append(np.rel.other)
    return out


def combinations(s: Sentence) -> set[tuple[str, str, str]]:
    """The (adjective, noun) and (verb, object) pairs a sentence uses."""
    out = {("adj", np.adj, np.head) for np in _noun_phrases(s) if np.adj}
    if s.obj is not None and s.obj.kind == "noun":
        out.add(("vo", s.verb, s.obj.head))
    for np in _noun_phrases(s):
        if np.rel and np.rel.role == "subject" and np.rel.other is not None and np.rel.other.kind == "noun":
            out.add(("vo", np.rel.verb, np.rel.other.head))
        if np.rel and np.rel.role == "object" and np.kind == "noun":
            out.add(("vo", np.rel.verb, np.head))
    return out


def word_count(text: str) -> int:
    """Words of a sentence; French's detached "?" is punctuation, not a word."""
    return sum(any(ch.isalnum() for ch in w) for w in text.split())


def held_out_combinations(seed: int) -> set[tuple[str, str, str]]:
    """Pairs that never appear together in train, for compositional generalisation tests."""
    rng = random.Random(f"held-out-{seed}")
    colours = "red blue green yellow black white grey brown pink purple".split()
    adj_pairs = sorted({("adj", a, n) for a in colours for n, c in C.NOUN_CLASS.items() if c in ("animal", "thing")})
    vo_pairs = sorted(
        ("vo", v, n)
        for v, vc in C.VERBS.items()
        for n, c in C.NOUN_CLASS.items()
        if c in vc.objects and (vc.only is None or n in vc.only)
    )
    return set(rng.sample(adj_pairs, N_HELD_OUT_COMBOS)) | set(rng.sample(vo_pairs, N_HELD_OUT_COMBOS))


class SentenceStream:
    """Deterministic, de-duplicated stream of meanings realized in every language.

    No text (in any language) repeats, so splits built from one stream are disjoint.
    """

    def __init__(self, config: WorldConfig):
        self.config = config
        self.rng = random.Random(f"babel-{config.seed}")
        self.held_out = held_out_combinations(config.seed)
        self.seen: set[tuple[str, str]] = set()

    def __iter__(self):
        return self

    def __next__(self) -> Item:
        while True:
            s = sample_sentence(self.rng)
            texts = {code: lang.realize(s) for code, lang in LANGUAGES.items()}
            if any(not self.config.min_words <= word_count(t) <= self.config.max_words for t in texts.values()):
                continue
            keys = [(code, t) for code, t in texts.items()]
            if any(k in self.seen for k in keys):
                continue
            self.seen.update(keys)
            return Item(sentence_id(s), s, texts, novel=bool(combinations(s) & self.held_out))


def build_splits(config: WorldConfig, n_train: int) -> dict[str, list[Item]]:
    """Dev and test first (fixed by seed and their sizes), then `n_train` train sentences.

    A sentence with a held-out combination goes to test (up to `compositional_share` of it)
    or nowhere, so train never sees those pairs together.
    """
    stream = SentenceStream(config)
    n_novel = round(config.test_sentences * config.compositional_share)
    n_test_regular = config.test_sentences - n_novel
    splits: dict[str, list[Item]] = {s: [] for s in SPLITS}
    novel: list[Item] = []
    while len(splits["dev"]) < config.dev_sentences or len(splits["test"]) < n_test_regular or len(novel) < n_novel:
        item = next(stream)
        if item.novel:
            if len(novel) < n_novel:
                novel.append(item)
        elif len(splits["dev"]) * n_test_regular <= len(splits["test"]) * config.dev_sentences and len(splits["dev"]) < config.dev_sentences:
            splits["dev"].append(item)
        elif len(splits["test"]) < n_test_regular:
            splits["test"].append(item)
        else:
            splits["train"].append(item)
    splits["test"] += novel
    while len(splits["train"]) < n_train:
        item = next(stream)
        if not item.novel:
            splits["train"].append(item)
    splits["train"] = splits["train"][:n_train]
    return splits


SPEAKER_BY_ID = {s.id: s for s in all_speakers()}


# --- utterances ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Utterance:
    id: str
    split: str
    lang: str
    speaker: str
    text: str
    sentence_id: str

    @property
    def audio(self) -> str:
        """Path relative to the world folder. The name carries a digest of what is said and how, so a
        grammar or voice change gives a new file instead of silently reusing a stale one on resume."""
        speaker = SPEAKER_BY_ID[self.speaker]
        key = "|".join([self.text, *speaker.render_key(LANGUAGES[self.lang].espeak_voice)])
        digest = hashlib.sha1(key.encode()).hexdigest()[:8]
        return f"audio/{self.split}/{self.lang}/{self.id}-{digest}.wav"


def _speaker_order(speakers: list[Speaker], split: str, seed: int) -> list[str]:
    ids = [s.id for s in speakers]
    random.Random(f"speakers-{split}-{seed}").shuffle(ids)
    return ids


def speakers_for(split: str, index: int, seed: int, n: int, speakers: list[Speaker] | None = None) -> list[str]:
    """`n` distinct speakers for the `index`-th sentence of a split, cycling through all of them."""
    order = _speaker_order(speakers if speakers is not None else speaker_table(GENERATOR_VERSION)[split], split, seed)
    first = index % len(order)
    # The second voice's offset varies with the sentence so that all speaker pairs occur.
    step = 1 + (index // len(order)) % (len(order) - 1) if len(order) > 1 else 0
    return [order[(first + k * step) % len(order)] for k in range(n)]


def voice_for(speaker: Speaker, lang: str, split: str, index: int, seed: int, speakers: list[Speaker],
              taken: set[str] = frozenset()) -> Speaker:
    """`speaker` when it speaks `lang`; else a voice of the same family (or, failing that, any voice) that
    does, with the same prosody setting where one exists, chosen by sentence so all of them occur.
    Voices in `taken` (already saying this sentence in `lang`) are not chosen again."""
    if speaker.covers(lang) and speaker.id not in taken:
        return speaker
    family = [s for s in speakers if s.family == speaker.family and s.covers(lang) and s.id not in taken]
    pool = family or [s for s in speakers if s.covers(lang) and s.id not in taken]
    if not pool:
        raise AudiopalmError(f"no {split} speaker speaks {lang}")
    same_prosody = [s for s in pool if (s.pitch, s.speed) == (speaker.pitch, speaker.speed)] or pool
    order = sorted(same_prosody, key=lambda s: s.id)
    return order[(index + seed) % len(order)]


def plan_utterances(
    config: WorldConfig, splits: dict[str, list[Item]], seconds_per_char: dict[str, float]
) -> list[Utterance]:
    """Which speaker says which sentence in which language.

    Train: one speaker per sentence; language L takes sentences in order until its estimated
    audio reaches `config.hours(L)` (so low-resource languages get a prefix of the same
    sentences). Dev: one speaker, every language. Test: `test_speakers_per_sentence` speakers,
    every language. The same speaker says a sentence in every language its voice covers; the
    other languages come from a voice of the same family (`voice_for`). Generator 2.0 adds the
    test sentences said by the held-out synthesizer family (`test-unseen-synth`), one voice per
    language it covers; 2.2 the train sentences said again by second voices (`second_voices`).
    """
    table = config.speakers()
    out = []
    for split in SPLITS:
        n_voices = config.test_speakers_per_sentence if split == "test" else 1
        budget = {lang: config.hours(lang) * 3600 for lang in config.languages}
        for i, item in enumerate(splits[split]):
            primary = [SPEAKER_BY_ID[s] for s in speakers_for(split, i, config.seed, n_voices, table[split])]
            taken: dict[str, set[str]] = {lang: {s.id for s in primary if s.covers(lang)} for lang in config.languages}
            for speaker in primary:
                for lang in config.languages:
                    if split == "train":
                        if budget[lang] <= 0:
                            continue
                        budget[lang] -= len(item.texts[lang]) * seconds_per_char[lang]
                    voice = voice_for(speaker, lang, split, i, config.seed, table[split], taken[lang] - {speaker.id})
                    taken[lang].add(voice.id)
                    utt_id = f"{item.sentence_id}-{lang}-{voice.id}"
                    out.append(Utterance(utt_id, split, lang, voice.id, item.texts[lang], item.sentence_id))
    out += second_voices(config, splits["train"], table.get(SECOND_VOICES, []), seconds_per_char)
    unseen = table.get(UNSEEN_SPLIT, [])
    for i, item in enumerate(splits["test"] if unseen else []):
        for lang in config.languages:
            voices = sorted((s for s in unseen if s.covers(lang)), key=lambda s: s.id)
            if voices:
                voice = voices[(i + config.seed) % len(voices)]
                utt_id = f"{item.sentence_id}-{lang}-{voice.id}"
                out.append(Utterance(utt_id, UNSEEN_SPLIT, lang, voice.id, item.texts[lang], item.sentence_id))
    return out


def second_voices(config: WorldConfig, train: list[Item], voices: list[Speaker],
                  seconds_per_char: dict[str, float]) -> list[Utterance]:
    """Train sentences said again, in order, by the voices that cover their language (taking turns), until
    SECOND_VOICE_SHARE of the language's train hours: utterances besides the split's own, which stay as they are."""
    out = []
    for lang in config.languages:
        mine = sorted((s for s in voices if s.covers(lang)), key=lambda s: s.id)
        budget = config.hours(lang) * 3600 * SECOND_VOICE_SHARE
        for i, item in enumerate(train if mine else []):
            if budget <= 0:
                break
            budget -= len(item.texts[lang]) * seconds_per_char[lang]
            voice = mine[(i + config.seed) % len(mine)]
            out.append(Utterance(f"{item.sentence_id}-{lang}-{voice.id}", "train", lang, voice.id, item.texts[lang],
                                 item.sentence_id))
    return out
