"""Babel speakers: an espeak-ng voice variant plus pitch, speed and word gap.

A speaker is language-independent, so the same speaker can say any sentence in any
language (`fr+f2`, `de+f2`, ... share the f2 variant). Train, dev and test speakers use
disjoint variants, so held-out speakers differ in timbre, not only in pitch and rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Variant files from espeak-ng-data/voices/!v, chosen for natural-sounding, language-neutral
# voices (no robots, whisper or croak; none of these sets its own language).
TRAIN_VARIANTS = (
    "f1 f2 f3 Alicia Andrea Annie anika aunty grandma linda steph shelby "
    "m1 m2 m3 m4 m8 Andy Denis Henrique michel miguel travis antonio"
).split()
DEV_VARIANTS = ("f4", "m6", "Diogo")
TEST_VARIANTS = ("f5", "belinda", "m7")
# Two prosody settings per variant: (pitch 0-99, speed in words per minute, word gap in 10 ms).
SETTINGS = ((38, 150, 1), (62, 178, 0))


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker; `voice(lang_voice)` gives the espeak-ng -v argument."""

    id: str
    variant: str
    pitch: int  # espeak-ng -p, 0..99
    speed: int  # espeak-ng -s, words per minute
    gap: int  # espeak-ng -g, extra pause between words in units of 10 ms

    def voice(self, lang_voice: str) -> str:
        # The language part must be a voice file name: "fr+f2" works, "fr-fr+f2" drops the variant.
        return f"{lang_voice}+{self.variant}"

    def espeak_args(self, lang_voice: str) -> list[str]:
        return ["-v", self.voice(lang_voice), "-p", str(self.pitch), "-s", str(self.speed), "-g", str(self.gap)]

    def to_dict(self) -> dict:
        return asdict(self)


def _speakers(split: str, variants: tuple[str, ...] | list[str]) -> list[Speaker]:
    out = []
    for variant in variants:
        for k, (pitch, speed, gap) in enumerate(SETTINGS):
            out.append(Speaker(f"{split}-{variant.lower()}-{k}", variant, pitch, speed, gap))
    return out


SPEAKERS: dict[str, list[Speaker]] = {
    "train": _speakers("train", TRAIN_VARIANTS),
    "dev": _speakers("dev", DEV_VARIANTS),
    "test": _speakers("test", TEST_VARIANTS),
}


def all_speakers() -> list[Speaker]:
    return [s for split in SPEAKERS.values() for s in split]
