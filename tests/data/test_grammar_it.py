"""Italian grammar of the Babel world: each case builds a meaning by hand and checks the exact text."""

from __future__ import annotations

import random
import re

import pytest

from audiopalm.data.babel.languages import en, it
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence
from audiopalm.data.babel.sampler import sample_sentence


def N(head: str, number: str = "sg", det: str = "def", **kw) -> NounPhrase:
    return NounPhrase("noun", head, number=number, det=det, **kw)


def P(person: str, gender: str = "m") -> NounPhrase:
    return NounPhrase("pronoun", person, gender=gender)


def NAME(name: str) -> NounPhrase:
    return NounPhrase("name", name)


def test_lexicon_covers_every_concept():
    for table in ("NOUNS", "PLACES", "VERBS", "ADJECTIVES", "ADVERBS", "TIMES", "NUMBERS"):
        assert set(getattr(it, table)) == set(getattr(en, table)), table


@pytest.mark.parametrize("np, expected", [
    # definite articles: il / lo (s+consonant, z) / l' (vowel) / la; i / gli / le
    (N("dog"), "il cane"),
    (N("student_m"), "lo studente"),
    (N("uncle"), "lo zio"),
    (N("man"), "l'uomo"),
    (N("duck"), "l'anatra"),
    (N("student_f"), "la studentessa"),
    (N("dog", "pl"), "i cani"),
    (N("mirror", "pl"), "gli specchi"),
    (N("man", "pl"), "gli uomini"),
    (N("bucket"), "il secchio"),  # s + vowel takes il
    # indefinite articles: un / uno / una / un'
    (N("tree", det="indef"), "un albero"),
    (N("mirror", det="indef"), "uno specchio"),
    (N("girl", det="indef"), "una ragazza"),
    (N("orange", det="indef"), "un'arancia"),
    (N("driver_m", det="indef"), "un autista"),
    (N("driver_f", det="indef"), "un'autista"),
    # indefinite plural = partitive dei / degli / delle; uovo has a feminine plural
    (N("cat", "pl", "indef"), "dei gatti"),
    (N("student_m", "pl", "indef"), "degli studenti"),
    (N("elephant", "pl", "indef"), "degli elefanti"),
    (N("egg", "pl", "indef"), "delle uova"),
    # the article agrees with the FOLLOWING word: a pre-nominal bello or the noun
    (N("tree", det="indef", adj="pretty"), "un bell'albero"),
    (N("mirror", det="indef", adj="pretty"), "un bello specchio"),
    (N("horse", adj="pretty"), "il bel cavallo"),
    (N("duck", det="indef", adj="pretty"), "una bell'anatra"),
    (N("mirror", "pl", adj="pretty"), "i begli specchi"),
    (N("dog", "pl", "indef", adj="pretty"), "dei bei cani"),
    (N("book", det="indef", adj="good"), "un bel libro"),
    # adjectives follow the noun and agree; rosa, viola, blu, marrone are invariable
    (N("shirt", "pl", adj="white"), "le camicie bianche"),
    (N("egg", "pl", adj="fresh"), "le uova fresche"),
    (N("shoe", "pl", adj="pink"), "le scarpe rosa"),
    (N("hat", "pl", adj="purple"), "i cappelli viola"),
    (N("car", adj="blue"), "la macchina blu"),
    (N("snake", "pl", adj="long"), "i serpenti lunghi"),
    (N("poem", det="indef", adj="short"), "una poesia breve"),
    (N("rope", det="indef", adj="short"), "una corda corta"),
    # numbers
    (N("dog", "pl", "num", count=17), "diciassette cani"),
    (N("cow", "pl", "num", count=18), "diciotto mucche"),
    (N("egg", "pl", "num", count=19), "diciannove uova"),
    (N("tree", "pl", "num", count=11, adj="pretty"), "undici begli alberi"),
])
def test_noun_phrases(np, expected):
    # realized as the object of "see" so the whole pipeline (surface pass included) runs
    assert it.realize(Sentence(NAME("Marco"), "see", np)) == f"Marco vede {expected}."


def test_article_sound_classes():
    assert [it.definite_article("m", "sg", w) for w in ("gnomo", "psicologo", "xilofono", "yogurt")] == ["lo"] * 4
    assert [it.definite_article("m", "pl", w) for w in ("gnomi", "psicologi", "zaini", "alberi")] == ["gli"] * 4
    assert it.indefinite_article("m", "zaino") == "uno"
    assert it.indefinite_article("m", "hotel") == "un"
    assert it.definite_article("m", "sg", "hotel") == "l'"
    assert [it.fuse(p, "il") for p in ("di", "a", "da", "in", "su")] == ["del", "al", "dal", "nel", "sul"]
    assert [it.fuse(p, "lo") for p in ("di", "a", "da", "in", "su")] == ["dello", "allo", "dallo", "nello", "sullo"]
    assert [it.fuse(p, "l'") for p in ("di", "in")] == ["dell'", "nell'"]
    assert [it.fuse("in", a) for a in ("la", "i", "gli", "le")] == ["nella", "nei", "negli", "nelle"]


@pytest.mark.parametrize("place, role, verb, expected", [
    ("park", "loc", "sleep", "Il gatto dorme nel parco."),
    ("zoo", "loc", "sleep", "Il gatto dorme allo zoo."),
    ("beach", "loc", "sleep", "Il gatto dorme sulla spiaggia."),
    ("kitchen", "loc", "sleep", "Il gatto dorme in cucina."),
    ("house", "loc", "sleep", "Il gatto dorme a casa."),
    ("market", "goal", "go", "Il gatto va al mercato."),
    ("library", "goal", "go", "Il gatto va in biblioteca."),
    ("airport", "goal", "go", "Il gatto va all'aeroporto."),
    ("market", "source", "come", "Il gatto viene dal mercato."),
    ("zoo", "source", "come", "Il gatto viene dallo zoo."),
    ("hospital", "source", "come", "Il gatto viene dall'ospedale."),
    ("kitchen", "source", "come", "Il gatto viene dalla cucina."),
    ("school", "source", "come", "Il gatto viene da scuola."),
])
def test_places_and_articulated_prepositions(place, role, verb, expected):
    assert it.realize(Sentence(N("cat"), verb, place=place, place_role=role)) == expected


@pytest.mark.parametrize("person, gender, expected", [
    ("1sg", "m", "Io dormo."), ("2sg", "m", "Tu dormi."), ("3sg", "m", "Lui dorme."),
    ("3sg", "f", "Lei dorme."), ("1pl", "m", "Noi dormiamo."), ("2pl", "m", "Voi dormite."),
    ("3pl", "f", "Loro dormono."),
])
def test_explicit_subject_pronouns(person, gender, expected):
    assert it.realize(Sentence(P(person, gender), "sleep")) == expected


@pytest.mark.parametrize("subject, verb, obj, place, expected", [
    (P("3sg"), "clean", N("chair"), None, "Lui pulisce la sedia."),  # -isc-
    (P("3pl"), "build", N("boat", det="indef"), None, "Loro costruiscono una barca."),
    (P("1sg"), "go", None, "market", "Io vado al mercato."),
    (P("2sg"), "come", None, "park", "Tu vieni dal parco."),
    (P("2pl"), "drink", N("milk"), None, "Voi bevete il latte."),
    (P("1sg"), "want", N("cake"), None, "Io voglio la torta."),
    (P("1sg"), "choose", N("wine"), None, "Io scelgo il vino."),
    (P("2sg"), "play", None, None, "Tu giochi."),  # giocare keeps its hard c: giochi
    (P("1pl"), "eat", None, None, "Noi mangiamo."),  # mangiare: no double i
])
def test_present_tense_irregular_and_isc(subject, verb, obj, place, expected):
    role = {"go": "goal", "come": "source"}.get(verb, "loc")
    assert it.realize(Sentence(subject, verb, obj, place=place, place_role=role)) == expected


@pytest.mark.parametrize("sentence, expected", [
    (Sentence(NAME("Marco"), "eat", N("apple"), tense="past"), "Marco ha mangiato la mela."),
    (Sentence(P("1pl"), "see", N("cat"), tense="past"), "Noi abbiamo visto il gatto."),
    (Sentence(P("3sg", "f"), "go", place="market", place_role="goal", tense="past"), "Lei è andata al mercato."),
    (Sentence(P("3pl"), "come", place="park", place_role="source", tense="past"), "Loro sono venuti dal parco."),
    (Sentence(N("girl", "pl"), "go", place="library", place_role="goal", tense="past"),
     "Le ragazze sono andate in biblioteca."),
    (Sentence(N("fox"), "come", place="forest", place_role="source", tense="past"),
     "La volpe è venuta dal bosco."),
    (Sentence(P("1sg", "f"), "go", place="school", place_role="goal", tense="past"), "Io sono andata a scuola."),
])
def test_passato_prossimo_with_avere_and_essere(sentence, expected):
    assert it.realize(sentence) == expected


@pytest.mark.parametrize("subject, verb, obj, expected", [
    (N("dog"), "drink", N("water"), "Il cane berrà l'acqua."),
    (P("1pl"), "see", N("cat"), "Noi vedremo il gatto."),
    (NAME("Anna"), "want", N("cake"), "Anna vorrà la torta."),
    (P("2sg"), "hold", N("key"), "Tu terrai la chiave."),
    (P("3pl"), "eat", N("pizza"), "Loro mangeranno la pizza."),
    (P("1sg"), "play", None, "Io giocherò."),
    (NAME("Leo"), "study", None, "Leo studierà."),
])
def test_future(subject, verb, obj, expected):
    assert it.realize(Sentence(subject, verb, obj, tense="future")) == expected


def test_future_of_motion_verbs():
    assert it.realize(Sentence(NAME("Anna"), "go", place="bank", place_role="goal", tense="future")) == \
        "Anna andrà in banca."
    assert it.realize(Sentence(NAME("Anna"), "come", place="bank", place_role="source", tense="future")) == \
        "Anna verrà dalla banca."


def test_negation():
    assert it.realize(Sentence(N("cat"), "sleep", negated=True)) == "Il gatto non dorme."
    assert it.realize(Sentence(NAME("Anna"), "read", N("book"), tense="past", negated=True)) == \
        "Anna non ha letto il libro."
    # a negated verb drops the partitive: "non compra mele", not "non compra delle mele"
    assert it.realize(Sentence(NAME("Marco"), "buy", N("apple", "pl", "indef"), negated=True)) == \
        "Marco non compra mele."


def test_yes_no_questions_keep_declarative_order():
    assert it.realize(Sentence(N("dog"), "eat", N("apple"), mood="yes_no")) == "Il cane mangia la mela?"
    assert it.realize(Sentence(P("2sg"), "go", place="zoo", place_role="goal", tense="past", mood="yes_no")) == \
        "Tu sei andato allo zoo?"


def test_wh_questions():
    def wh(target: str, **kw) -> str:
        return it.realize(Sentence(mood="wh", wh=target, **kw))

    # chi takes 3sg and masculine agreement, whoever the meaning had in mind
    assert wh("subject", subject=N("girl", "pl"), verb="go", place="market", place_role="goal", tense="past") == \
        "Chi è andato al mercato?"
    assert wh("object", subject=N("dog"), verb="eat", obj=N("apple")) == "Cosa mangia il cane?"
    assert wh("object", subject=N("boy"), verb="see", obj=N("girl"), tense="past") == "Chi ha visto il ragazzo?"
    assert wh("place", subject=N("cat"), verb="sleep", place="park") == "Dove dorme il gatto?"
    assert wh("place", subject=NAME("Marco"), verb="go", place="park", place_role="goal") == "Dove va Marco?"
    assert wh("place", subject=NAME("Marco"), verb="come", place="park", place_role="source") == \
        "Da dove viene Marco?"
    # the subject follows the object: Quando legge il libro Marco?
    assert wh("time", subject=NAME("Marco"), verb="read", obj=N("book"), time="tomorrow", tense="future") == \
        "Quando leggerà il libro Marco?"
    assert wh("time", subject=P("2sg"), verb="read", obj=N("book"), time="today") == "Quando leggi tu il libro?"
    obj = N("apple", rel=RelClause("object", "buy", NAME("Anna")))
    assert wh("place", subject=N("boy"), verb="eat", obj=obj, place="park") == \
        "Dove mangia il ragazzo la mela che Anna compra?"
    assert wh("place", subject=P("3pl", "f"), verb="go", place="zoo", place_role="goal", tense="past") == \
        "Dove sono andate loro?"


def test_relative_clauses_with_che():
    subj = N("dog", rel=RelClause("subject", "eat", N("apple")))
    assert it.realize(Sentence(subj, "sleep")) == "Il cane che mangia la mela dorme."
    obj = N("apple", rel=RelClause("object", "eat", NAME("Marco")))
    assert it.realize(Sentence(N("boy"), "see", obj)) == "Il ragazzo vede la mela che Marco mangia."
    people = N("woman", "pl", rel=RelClause("subject", "sing"))
    assert it.realize(Sentence(people, "go", place="church", place_role="goal", tense="past")) == \
        "Le donne che cantano sono andate in chiesa."


@pytest.mark.parametrize("time, tense, expected", [
    ("yesterday", "past", "Ieri il cane ha dormito."),
    ("last_year", "past", "L'anno scorso il cane ha dormito."),
    ("next_week", "future", "La settimana prossima il cane dormirà."),
    ("monday", "present", "Lunedì il cane dorme."),
    ("every_day", "present", "Ogni giorno il cane dorme."),
])
def test_fronted_times(time, tense, expected):
    assert it.realize(Sentence(N("dog"), "sleep", tense=tense, time=time, topic_time=True)) == expected


def test_adjunct_order_and_agreeing_adverbs():
    s = Sentence(N("girl", "pl"), "work", adverb="alone", place="office", companion=N("dog"), time="this_morning")
    assert it.realize(s) == "Le ragazze lavorano da sole in ufficio con il cane stamattina."
    # bene/male sit right after the verb
    assert it.realize(Sentence(NAME("Anna"), "cook", N("meat"), tense="past", adverb="well")) == \
        "Anna ha cucinato bene la carne."
    assert it.realize(Sentence(N("uncle"), "play", companion=N("uncle", "pl", "indef"))) == \
        "Lo zio gioca con degli zii."


def test_sampled_sentences_are_well_formed():
    rng = random.Random(20240501)
    leftovers = re.compile(r"[{}<>_|+@]|None|Agree|  ")
    for _ in range(3000):
        s = sample_sentence(rng)
        text = it.realize(s)
        words = text[:-1].split(" ")
        assert text[0].isupper() and text[-1] in ".?", text
        assert not leftovers.search(text), text
        assert all(words), text
        assert 2 <= len(text.split()) <= 25, text
        assert "' " not in text and not re.search(r"\b(il|lo|la|uno|una) [aeiou]", text), text
