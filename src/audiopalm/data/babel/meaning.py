"""The meaning representation shared by every Babel language.

A `Sentence` is language-neutral: each language module turns the same `Sentence` into
its own surface string, so every sentence has an exact translation in all languages.

Concept ids (nouns, verbs, adjectives, ...) are keys of the tables in `concepts.py`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Number = Literal["sg", "pl"]
Gender = Literal["m", "f"]
Person = Literal["1sg", "2sg", "3sg", "1pl", "2pl", "3pl"]
Tense = Literal["present", "past", "future"]
Mood = Literal["statement", "yes_no", "wh"]
WhTarget = Literal["subject", "object", "place", "time"]
Determiner = Literal["def", "indef", "num"]
PlaceRole = Literal["loc", "goal", "source"]


@dataclass(frozen=True)
class RelClause:
    """A restrictive relative clause on a noun, always in the present tense.

    role "subject": the head noun is the relative's subject ("the dog that eats the apple");
    `other` is the relative's object, or None for an intransitive verb.
    role "object": the head noun is the relative's object ("the apple that the dog eats");
    `other` is the relative's subject.
    """

    role: Literal["subject", "object"]
    verb: str
    other: NounPhrase | None = None


@dataclass(frozen=True)
class NounPhrase:
    """A noun, a proper name or a personal pronoun.

    kind "noun": `head` is a noun concept; `det` and `number` apply; "num" uses `count` (2..20,
    always plural); `adj` is an adjective concept or None; `rel` an optional relative clause.
    kind "name": `head` is a name concept (no determiner, singular).
    kind "pronoun": `head` is a person ("1sg" ... "3pl"); `gender` picks he/she, they (m/f).
    """

    kind: Literal["noun", "name", "pronoun"]
    head: str
    number: Number = "sg"
    det: Determiner = "def"
    count: int | None = None
    adj: str | None = None
    rel: RelClause | None = None
    gender: Gender = "m"


@dataclass(frozen=True)
class Sentence:
    """One clause with its arguments and adjuncts.

    `place` is a place concept; `place_role` says how it attaches: "loc" (in the park) for
    any verb, "goal" (to the market) for `go`, "source" (from the market) for `come`.
    `time` is a time concept compatible with `tense`; `topic_time` fronts it ("Yesterday,
    ..."), which puts German in verb-second order. `wh` names the questioned constituent
    when `mood` is "wh"; that constituent is still filled in (it says who/what/where/when
    is asked about, e.g. a person vs a thing) but is not spoken.
    """

    subject: NounPhrase
    verb: str
    obj: NounPhrase | None = None
    tense: Tense = "present"
    negated: bool = False
    mood: Mood = "statement"
    wh: WhTarget | None = None
    adverb: str | None = None
    place: str | None = None
    place_role: PlaceRole = "loc"
    companion: NounPhrase | None = None
    time: str | None = None
    topic_time: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def noun_phrase_from_dict(d: dict | None) -> NounPhrase | None:
    if d is None:
        return None
    rel = d.get("rel")
    if rel is not None:
        rel = RelClause(role=rel["role"], verb=rel["verb"], other=noun_phrase_from_dict(rel["other"]))
    return NounPhrase(**{**d, "rel": rel})


def sentence_from_dict(d: dict) -> Sentence:
    return Sentence(
        **{
            **d,
            "subject": noun_phrase_from_dict(d["subject"]),
            "obj": noun_phrase_from_dict(d["obj"]),
            "companion": noun_phrase_from_dict(d["companion"]),
        }
    )


def person_of(np: NounPhrase) -> Person:
    """The grammatical person and number a noun phrase gives its verb."""
    if np.kind == "pronoun":
        return np.head  # type: ignore[return-value]
    return "3pl" if np.number == "pl" else "3sg"
