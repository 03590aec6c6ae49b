"""German realizer: the tricky rules, each checked on a hand-built meaning."""

from __future__ import annotations

import random

import pytest

from audiopalm.data.babel.languages import de, en
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence
from audiopalm.data.babel.sampler import sample_sentence


def n(head: str, number: str = "sg", det: str = "def", count: int | None = None, adj: str | None = None,
      rel: RelClause | None = None) -> NounPhrase:
    return NounPhrase("noun", head, number=number, det=det, count=count, adj=adj, rel=rel)


def pro(person: str, gender: str = "m") -> NounPhrase:
    return NounPhrase("pronoun", person, gender=gender)


def name(head: str) -> NounPhrase:
    return NounPhrase("name", head)


def test_lexicon_covers_every_concept():
    for table in ("NOUNS", "PLACES", "VERBS", "ADJECTIVES", "ADVERBS", "TIMES", "NUMBERS"):
        assert set(getattr(de, table)) == set(getattr(en, table)), table


CASES = [
    # articles and cases: nominative subject, accusative object, nouns capitalised
    (Sentence(n("dog"), "eat", n("apple")), "Der Hund isst den Apfel."),
    (Sentence(n("girl"), "see", n("cat")), "Das Mädchen sieht die Katze."),
    # weak masculine nouns take -(e)n outside the nominative
    (Sentence(n("man"), "see", n("lion")), "Der Mann sieht den Löwen."),
    (Sentence(n("boy"), "call", n("neighbour_m")), "Der Junge ruft den Nachbarn."),
    (Sentence(n("woman"), "play", companion=n("student_m")), "Die Frau spielt mit dem Studenten."),
    (Sentence(n("woman"), "feed", n("monkey", det="indef")), "Die Frau füttert einen Affen."),
    # dative objects of helfen/folgen; dative plural -n
    (Sentence(n("man"), "help", n("baby")), "Der Mann hilft dem Baby."),
    (Sentence(n("woman"), "help", n("man", "pl")), "Die Frau hilft den Männern."),
    (Sentence(n("cat"), "follow", n("farmer_m")), "Die Katze folgt dem Bauern."),
    # adjective declension: weak after der, mixed after ein, strong without article / after numerals
    (Sentence(n("dog", adj="small"), "see", n("woman", adj="old")), "Der kleine Hund sieht die alte Frau."),
    (Sentence(n("dog", det="indef", adj="big"), "sleep"), "Ein großer Hund schläft."),
    (Sentence(n("girl"), "read", n("book", det="indef", adj="new")), "Das Mädchen liest ein neues Buch."),
    (Sentence(n("boy"), "buy", n("apple", "pl", det="indef", adj="fresh")), "Der Junge kauft frische Äpfel."),
    (Sentence(n("boy"), "buy", n("apple", "pl", det="num", count=3, adj="fresh")),
     "Der Junge kauft drei frische Äpfel."),
    (Sentence(n("woman"), "walk", companion=n("dog", "pl", det="num", count=3, adj="small")),
     "Die Frau geht mit drei kleinen Hunden spazieren."),
    (Sentence(n("man"), "buy", n("flower", det="indef", adj="pink")), "Der Mann kauft eine rosa Blume."),
    (Sentence(n("man"), "buy", n("bag", "pl", adj="expensive")), "Der Mann kauft die teuren Taschen."),
    # negation: kein for indefinites, nicht after a definite object and before the verb forms
    (Sentence(n("man"), "eat", n("apple", det="indef"), negated=True), "Der Mann isst keinen Apfel."),
    (Sentence(n("man"), "buy", n("apple", "pl", det="indef", adj="red"), negated=True),
     "Der Mann kauft keine roten Äpfel."),
    (Sentence(n("man"), "help", n("boy", "pl", det="indef"), negated=True), "Der Mann hilft keinen Jungen."),
    (Sentence(n("man"), "eat", n("apple"), negated=True), "Der Mann isst den Apfel nicht."),
    (Sentence(n("man"), "eat", n("apple"), tense="past", negated=True), "Der Mann hat den Apfel nicht gegessen."),
    (Sentence(n("man"), "open", n("door"), negated=True), "Der Mann macht die Tür nicht auf."),
    (Sentence(n("dog"), "go", place="park", place_role="goal", negated=True, tense="future"),
     "Der Hund wird nicht in den Park gehen."),
    (Sentence(n("dog"), "sleep", place="garden", negated=True, time="every_day"),
     "Der Hund schläft nicht jeden Tag im Garten."),
    # verb second with a fronted time (no comma), verb first in yes/no questions
    (Sentence(n("dog"), "eat", n("apple"), tense="past", time="yesterday", topic_time=True),
     "Gestern hat der Hund den Apfel gegessen."),
    (Sentence(n("dog"), "eat", n("apple"), time="monday", topic_time=True), "Am Montag isst der Hund den Apfel."),
    (Sentence(n("dog"), "eat", n("apple"), mood="yes_no"), "Isst der Hund den Apfel?"),
    (Sentence(pro("2sg"), "close", n("window"), mood="yes_no", tense="past"), "Hast du das Fenster zugemacht?"),
    # wh-questions: wer/wen/wem/was, wo/wohin/woher/wann, verb second
    (Sentence(n("man"), "eat", n("apple"), mood="wh", wh="subject"), "Wer isst den Apfel?"),
    (Sentence(n("man", "pl"), "eat", n("apple"), mood="wh", wh="subject", tense="past"),
     "Wer hat den Apfel gegessen?"),
    (Sentence(n("dog"), "see", n("woman"), mood="wh", wh="object"), "Wen sieht der Hund?"),
    (Sentence(n("dog"), "eat", n("apple"), mood="wh", wh="object"), "Was isst der Hund?"),
    (Sentence(n("man"), "help", n("woman"), mood="wh", wh="object"), "Wem hilft der Mann?"),
    (Sentence(n("dog"), "sleep", place="kitchen", mood="wh", wh="place"), "Wo schläft der Hund?"),
    (Sentence(n("dog"), "go", place="park", place_role="goal", mood="wh", wh="place", tense="past"),
     "Wohin ist der Hund gegangen?"),
    (Sentence(n("dog"), "come", place="market", place_role="source", mood="wh", wh="place"), "Woher kommt der Hund?"),
    (Sentence(n("dog"), "come", place="beach", place_role="source", mood="wh", wh="time", time="today",
              tense="future"), "Wann wird der Hund vom Strand kommen?"),
    # Perfekt: haben or sein, ge- participles, none for be-/ver-/-ieren, separable aufgemacht
    (Sentence(n("dog"), "go", place="cinema", place_role="goal", tense="past"), "Der Hund ist ins Kino gegangen."),
    (Sentence(n("dog"), "follow", n("man"), tense="past"), "Der Hund ist dem Mann gefolgt."),
    (Sentence(n("dog"), "walk", place="forest", tense="past"), "Der Hund ist im Wald spazieren gegangen."),
    (Sentence(n("woman"), "swim", place="lake", tense="past"), "Die Frau ist am See geschwommen."),
    (Sentence(n("woman"), "visit", n("aunt"), tense="past"), "Die Frau hat die Tante besucht."),
    (Sentence(n("woman"), "sell", n("car"), tense="past"), "Die Frau hat das Auto verkauft."),
    (Sentence(n("woman"), "forget", n("key"), tense="past"), "Die Frau hat den Schlüssel vergessen."),
    (Sentence(n("woman"), "repair", n("clock"), tense="past"), "Die Frau hat die Uhr repariert."),
    (Sentence(n("woman"), "study", tense="past"), "Die Frau hat studiert."),
    (Sentence(n("woman"), "open", n("box"), tense="past"), "Die Frau hat die Kiste aufgemacht."),
    # Futur: werden + infinitive at the end, separable verbs joined
    (Sentence(n("man"), "open", n("door"), tense="future"), "Der Mann wird die Tür aufmachen."),
    (Sentence(n("man"), "open", n("door")), "Der Mann macht die Tür auf."),
    # relative clauses: pronoun in the head's gender and the relative's case, verb last, commas
    (Sentence(n("dog", rel=RelClause("subject", "eat", n("apple"))), "sleep"),
     "Der Hund, der den Apfel isst, schläft."),
    (Sentence(n("man", rel=RelClause("subject", "open", n("door"))), "laugh"),
     "Der Mann, der die Tür aufmacht, lacht."),
    (Sentence(n("woman", rel=RelClause("object", "follow", n("dog"))), "laugh"),
     "Die Frau, der der Hund folgt, lacht."),
    (Sentence(n("man", "pl", rel=RelClause("object", "help", n("woman"))), "sing"),
     "Die Männer, denen die Frau hilft, singen."),
    (Sentence(n("girl", rel=RelClause("subject", "rest")), "smile"), "Das Mädchen, das sich ausruht, lächelt."),
    (Sentence(n("man"), "eat", n("apple", rel=RelClause("object", "want", n("dog"))), tense="past"),
     "Der Mann hat den Apfel gegessen, den der Hund will."),
    (Sentence(n("man"), "see", n("dog", rel=RelClause("subject", "walk"))),
     "Der Mann sieht den Hund, der spazieren geht."),
    # pronouns, person agreement, reflexive "sich ausruhen"
    (Sentence(pro("1sg"), "smile"), "Ich lächle."),
    (Sentence(pro("2sg"), "read", n("newspaper")), "Du liest die Zeitung."),
    (Sentence(pro("3sg", "f"), "work"), "Sie arbeitet."),
    (Sentence(pro("2pl"), "eat", n("soup")), "Ihr esst die Suppe."),
    (Sentence(pro("2sg"), "dance"), "Du tanzt."),
    (Sentence(pro("1pl"), "rest", time="now"), "Wir ruhen uns jetzt aus."),
    (Sentence(pro("2sg"), "rest", mood="yes_no"), "Ruhst du dich aus?"),
    (Sentence(n("bird", "pl"), "rest", tense="past", time="today", topic_time=True),
     "Heute haben sich die Vögel ausgeruht."),
    (Sentence(name("Anna"), "want", n("cake")), "Anna will den Kuchen."),
]


@pytest.mark.parametrize("sentence,expected", CASES, ids=[e for _, e in CASES])
def test_rule(sentence: Sentence, expected: str):
    assert de.realize(sentence) == expected


@pytest.mark.parametrize("place,role,phrase", [
    ("park", "loc", "im Park"), ("kitchen", "loc", "in der Küche"), ("beach", "loc", "am Strand"),
    ("market", "loc", "auf dem Markt"), ("cinema", "loc", "im Kino"), ("school", "loc", "in der Schule"),
    ("farm", "loc", "auf dem Bauernhof"), ("park", "goal", "in den Park"), ("cinema", "goal", "ins Kino"),
    ("beach", "goal", "an den Strand"), ("market", "goal", "auf den Markt"), ("station", "goal", "zum Bahnhof"),
    ("school", "goal", "zur Schule"), ("park", "source", "aus dem Park"), ("market", "source", "vom Markt"),
    ("kitchen", "source", "aus der Küche"),
])
def test_place_prepositions_and_contractions(place: str, role: str, phrase: str):
    verb = {"loc": "sleep", "goal": "go", "source": "come"}[role]
    s = Sentence(n("dog"), verb, place=place, place_role=role)
    assert de.realize(s).endswith(f" {phrase}.")


@pytest.mark.parametrize("time,phrase", [
    ("monday", "am Montag"), ("sunday", "am Sonntag"), ("this_morning", "heute Morgen"),
    ("this_evening", "heute Abend"), ("every_week", "jede Woche"), ("last_year", "letztes Jahr"),
    ("next_week", "nächste Woche"),
])
def test_times(time: str, phrase: str):
    assert de.realize(Sentence(n("dog"), "sleep", time=time)) == f"Der Hund schläft {phrase}."


def test_numbers():
    assert de.NUMBERS[2] == "zwei" and de.NUMBERS[12] == "zwölf" and de.NUMBERS[20] == "zwanzig"
    s = Sentence(n("woman"), "count", n("bird", "pl", det="num", count=17))
    assert de.realize(s) == "Die Frau zählt siebzehn Vögel."


def test_sampled_sentences_are_well_formed():
    rng = random.Random(1234)
    for _ in range(3000):
        s = sample_sentence(rng)
        text = de.realize(s)
        words = text.split(" ")
        assert "  " not in text and all(words), text
        assert not any(c in text for c in "{}|_<>") and "None" not in text, text
        assert text[0].isupper() and text[-1] in ".?" and text[-2] not in " ,", text
        assert ",," not in text and ", ." not in text, text
        assert 2 <= len(words) <= 25, text
