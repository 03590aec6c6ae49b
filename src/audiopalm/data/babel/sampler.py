"""Random meanings under the selectional restrictions of `concepts.py`.

`sample_sentence(rng)` draws one `Sentence`; the probabilities below set how often each
construction appears (roughly a third of sentences carry a question, negation, a relative
clause or a fronted time).
"""

from __future__ import annotations

import random

from audiopalm.data.babel import concepts as C
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence

P_PRONOUN_SUBJECT = 0.2
P_NAME = 0.15
P_ADJECTIVE = 0.3
P_RELATIVE = 0.12
P_OPTIONAL_OBJECT = 0.6
P_NEGATION = 0.2
P_ADVERB = 0.2
P_PLACE = 0.25
P_COMPANION = 0.1
P_TIME = 0.3
P_TOPIC_TIME = 0.4
MOODS = (("statement", 0.7), ("yes_no", 0.15), ("wh", 0.15))
DETERMINERS = (("def", 0.5), ("indef", 0.3), ("num", 0.2))


def _weighted(rng: random.Random, table) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _nouns_for(classes: frozenset[str], only: frozenset[str] | None = None) -> list[str]:
    return sorted(n for n, c in C.NOUN_CLASS.items() if c in classes and (only is None or n in only))


def _adjective_for(rng: random.Random, noun: str) -> str | None:
    cls = C.NOUN_CLASS[noun]
    fits = [a for a, (classes, only) in C.ADJECTIVES.items() if cls in classes and (only is None or noun in only)]
    return rng.choice(fits) if fits else None


def sample_noun(rng: random.Random, classes: frozenset[str], only=None, relative_ok: bool = False) -> NounPhrase:
    """A noun phrase headed by a noun of one of `classes` (optionally from `only`)."""
    noun = rng.choice(_nouns_for(classes, only))
    if noun in C.MASS_NOUNS:
        det, number, count = "def", "sg", None
    else:
        det = _weighted(rng, DETERMINERS)
        count = rng.choice(C.NUMBERS) if det == "num" else None
        number = "pl" if det == "num" or rng.random() < 0.3 else "sg"
    adj = _adjective_for(rng, noun) if rng.random() < P_ADJECTIVE else None
    rel = sample_relative(rng, noun) if relative_ok and rng.random() < P_RELATIVE else None
    return NounPhrase("noun", noun, number=number, det=det, count=count, adj=adj, rel=rel)


def sample_argument(rng: random.Random, classes: frozenset[str], only=None, relative_ok: bool = False,
                    pronoun_ok: bool = False) -> NounPhrase:
    """A subject or object: a pronoun, a name (for people) or a noun phrase."""
    if pronoun_ok and "person" in classes and rng.random() < P_PRONOUN_SUBJECT:
        return NounPhrase("pronoun", rng.choice(C.PRONOUNS), number="sg", gender=rng.choice("mf"))
    if "person" in classes and only is None and rng.random() < P_NAME:
        return NounPhrase("name", rng.choice(sorted(C.NAMES)))
    return sample_noun(rng, classes, only, relative_ok)


def sample_relative(rng: random.Random, head: str) -> RelClause | None:
    """A present-tense relative clause in which `head` is the subject or the object."""
    cls = C.NOUN_CLASS[head]
    as_subject = [v for v, c in C.VERBS.items() if cls in c.subject and c.place_role is None]
    as_object = [v for v, c in C.VERBS.items() if cls in c.objects and (c.only is None or head in c.only)]
    if as_object and rng.random() < 0.5:
        verb = rng.choice(as_object)
        return RelClause("object", verb, sample_argument(rng, C.VERBS[verb].subject))
    if not as_subject:
        return None
    verb = rng.choice(as_subject)
    vc = C.VERBS[verb]
    other = None
    if vc.objects and (vc.object_required or rng.random() < P_OPTIONAL_OBJECT):
        other = sample_argument(rng, vc.objects, vc.only)
    return RelClause("subject", verb, other)


def sample_sentence(rng: random.Random) -> Sentence:
    verb = rng.choice(sorted(C.VERBS))
    vc = C.VERBS[verb]
    subject = sample_argument(rng, vc.subject, relative_ok=True, pronoun_ok=True)
    obj = None
    if vc.objects and (vc.object_required or rng.random() < P_OPTIONAL_OBJECT):
        obj = sample_argument(rng, vc.objects, vc.only, relative_ok=subject.rel is None)
    tense = rng.choice(("present", "past", "future"))
    place, place_role = None, "loc"
    if vc.place_role:
        place, place_role = rng.choice(C.PLACES), vc.place_role
    elif rng.random() < P_PLACE:
        place = rng.choice(C.PLACES)
    time = None
    if rng.random() < P_TIME:
        time = rng.choice(sorted(t for t, tenses in C.TIMES.items() if tense in tenses))
    mood = _weighted(rng, MOODS)
    wh = None
    if mood == "wh":
        targets = [t for t, ok in (
            ("subject", subject.kind != "pronoun" and C.is_person(subject) and subject.rel is None),
            ("object", obj is not None and obj.rel is None),
            ("place", place is not None),
            ("time", time is not None),
        ) if ok]
        if targets:
            wh = rng.choice(targets)
        else:
            mood = "yes_no"
    statement = mood == "statement"
    return Sentence(
        subject=subject,
        verb=verb,
        obj=obj,
        tense=tense,
        negated=statement and rng.random() < P_NEGATION and not (obj and obj.det == "num"),
        mood=mood,
        wh=wh,
        adverb=rng.choice(C.ADVERBS) if rng.random() < P_ADVERB else None,
        place=place,
        place_role=place_role,
        companion=sample_noun(rng, C.ANIMATE) if rng.random() < P_COMPANION else None,
        time=time,
        topic_time=statement and time is not None and rng.random() < P_TOPIC_TIME,
    )
