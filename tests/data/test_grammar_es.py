"""Spanish (Spain) realizer: the tricky rules, each on a hand-built meaning."""

import random
import re

import pytest

from audiopalm.data.babel.languages import en, es
from audiopalm.data.babel.meaning import RelClause, Sentence
from audiopalm.data.babel.sampler import sample_sentence
from tests.data.grammar_helpers import N, P, name  # noqa: F401

TABLES = ("NOUNS", "PLACES", "VERBS", "ADJECTIVES", "ADVERBS", "TIMES", "NUMBERS")


def test_module_identity_and_full_lexicon():
    assert (es.CODE, es.NAME) == ("es", "Spanish")
    for table in TABLES:
        assert set(getattr(es, table)) == set(getattr(en, table)), table


@pytest.mark.parametrize("sentence, expected", [
    # articles el/la/los/las, un/una/unos/unas; adjectives follow the noun and agree
    (Sentence(N("dog"), "eat", N("apple", adj="red")), "El perro come la manzana roja."),
    (Sentence(N("girl", "pl"), "see", N("hen", "pl", det="indef", adj="white")),
     "Las niñas ven unas gallinas blancas."),
    (Sentence(N("cat", det="indef"), "find", N("key", det="indef", adj="small")),
     "Un gato encuentra una llave pequeña."),
    (Sentence(N("boy", "pl", det="indef"), "buy", N("hat", "pl", "num", 16, adj="brown")),
     "Unos niños compran dieciséis sombreros marrones."),
    (Sentence(N("woman"), "buy", N("car", "pl", "num", 2, adj="pink")), "La mujer compra dos coches rosa."),
    (Sentence(N("man"), "choose", N("pencil", "pl", adj="grey")), "El hombre elige los lápices grises."),
    (Sentence(N("lion", "pl", "num", 3, adj="young"), "sleep"), "Tres leones jóvenes duermen."),
    # epicene person nouns take the article of the person's sex
    (Sentence(N("student_f", adj="tired"), "read", N("umbrella", "pl", det="indef")),
     "La estudiante cansada lee unos paraguas."),
    # feminine noun with stressed a-: el agua, but the adjective stays feminine
    (Sentence(N("horse"), "drink", N("water", adj="cold")), "El caballo bebe el agua fría."),
    # contractions a + el = al, de + el = del
    (Sentence(N("man"), "go", place="market", place_role="goal"), "El hombre va al mercado."),
    (Sentence(N("man"), "come", place="market", place_role="source", tense="past"), "El hombre vino del mercado."),
    (Sentence(N("girl"), "pull", N("rope"), tense="past"), "La niña tiró de la cuerda."),
    (Sentence(N("boy"), "pull", N("box"), tense="future"), "El niño tirará de la caja."),
    (Sentence(N("boy"), "pull", N("car")), "El niño tira del coche."),
    # personal "a" before persons; animals get it when definite or with call/help/...
    (Sentence(N("dog"), "see", N("woman")), "El perro ve a la mujer."),
    (Sentence(N("dog"), "see", N("boy")), "El perro ve al niño."),
    (Sentence(N("boy"), "see", N("dog")), "El niño ve al perro."),
    (Sentence(N("boy"), "see", N("bird", det="indef")), "El niño ve un pájaro."),
    (Sentence(N("girl"), "help", N("cat", det="indef")), "La niña ayuda a un gato."),
    (Sentence(N("farmer_m"), "sell", N("pig", "pl")), "El granjero vende los cerdos."),
    (Sentence(name("Maria"), "visit", name("Paul")), "Maria visita a Paul."),
    # subject pronouns stay explicit and mark gender
    (Sentence(P("1pl", "f"), "go", place="beach", place_role="goal"), "Nosotras vamos a la playa."),
    (Sentence(P("2pl", "m"), "come", place="park", place_role="source"), "Vosotros venís del parque."),
    (Sentence(P("3pl", "f"), "read", N("letter", "pl")), "Ellas leen las cartas."),
    # present: stem changes and irregular first persons
    (Sentence(P("3sg", "f"), "sleep"), "Ella duerme."),
    (Sentence(P("2sg"), "play"), "Tú juegas."),
    (Sentence(P("1sg"), "hear", N("bird")), "Yo oigo al pájaro."),
    (Sentence(P("1sg"), "take", N("book")), "Yo cojo el libro."),
    (Sentence(P("1sg"), "bring", N("bread")), "Yo traigo el pan."),
    (Sentence(P("1sg"), "meet", N("teacher_f")), "Yo conozco a la profesora."),
    (Sentence(P("1sg"), "choose", N("cake")), "Yo elijo el pastel."),
    (Sentence(P("3sg"), "build", N("boat", det="indef")), "Él construye un barco."),
    (Sentence(P("1sg"), "send", N("letter")), "Yo envío la carta."),
    (Sentence(P("1sg"), "come", place="school", place_role="source"), "Yo vengo del colegio."),
    # reflexive "reírse": the clitic agrees and follows "no"
    (Sentence(P("1sg"), "laugh"), "Yo me río."),
    (Sentence(N("boy", "pl"), "laugh", negated=True), "Los niños no se ríen."),
    # pretérito indefinido, irregular and with 1sg spelling changes
    (Sentence(N("dog"), "eat", N("cake"), tense="past"), "El perro comió el pastel."),
    (Sentence(N("baby"), "bring", N("ball"), tense="past"), "El bebé trajo la pelota."),
    (Sentence(N("cat", "pl"), "sleep", tense="past"), "Los gatos durmieron."),
    (Sentence(N("girl"), "read", N("newspaper"), tense="past"), "La niña leyó el periódico."),
    (Sentence(P("1sg"), "throw", N("ball"), tense="past"), "Yo lancé la pelota."),
    (Sentence(P("1sg"), "play", tense="past"), "Yo jugué."),
    (Sentence(P("3sg", "f"), "hear", N("man"), tense="past"), "Ella oyó al hombre."),
    (Sentence(P("2pl", "f"), "see", N("tree"), tense="past"), "Vosotras visteis el árbol."),
    (Sentence(N("bird", "pl"), "follow", N("boy"), tense="past"), "Los pájaros siguieron al niño."),
    # futuro simple with irregular stems
    (Sentence(N("woman"), "come", tense="future", place="bank", place_role="source"), "La mujer vendrá del banco."),
    (Sentence(N("boy"), "want", N("cake"), tense="future"), "El niño querrá el pastel."),
    (Sentence(P("1pl"), "hold", N("cup"), tense="future"), "Nosotros sostendremos la taza."),
    (Sentence(P("2sg"), "hear", N("bell"), tense="future"), "Tú oirás la campana."),
    # negation, and a fronted time followed by a comma
    (Sentence(N("cat"), "drink", N("milk"), negated=True, tense="past", time="yesterday"),
     "El gato no bebió la leche ayer."),
    (Sentence(N("cat"), "drink", N("milk"), tense="past", time="last_week", topic_time=True),
     "La semana pasada, el gato bebió la leche."),
    (Sentence(name("Anna"), "work", time="every_morning", topic_time=True), "Todas las mañanas, Anna trabaja."),
    # "alone"/"together" agree with the subject
    (Sentence(N("girl"), "eat", adverb="alone"), "La niña come sola."),
    (Sentence(P("3pl", "f"), "sing", adverb="together", place="church"), "Ellas cantan juntas en la iglesia."),
    (Sentence(N("student_f"), "go", adverb="together", place="shop", place_role="goal"),
     "La estudiante va acompañada a la tienda."),
    (Sentence(N("boy"), "play", adverb="together", place="park", companion=N("dog")),
     "El niño juega en el parque junto con el perro."),
    # people are "guapos", things and animals "bonitos"
    (Sentence(N("woman", adj="pretty"), "buy", N("cat", "pl", det="indef", adj="pretty")),
     "La mujer guapa compra unos gatos bonitos."),
    # manner adverb, place, companion and time in order
    (Sentence(N("dog"), "walk", adverb="slowly", place="park", companion=N("man"), time="today"),
     "El perro camina despacio en el parque con el hombre hoy."),
    # numbers
    (Sentence(N("boy"), "count", N("sheep", "pl", "num", 17)), "El niño cuenta diecisiete ovejas."),
])
def test_statements(sentence, expected):
    assert es.realize(sentence) == expected


@pytest.mark.parametrize("sentence, expected", [
    # yes/no questions keep the declarative order inside ¿...?
    (Sentence(N("dog"), "eat", N("apple"), mood="yes_no"), "¿El perro come la manzana?"),
    (Sentence(P("2sg"), "go", place="station", place_role="goal", tense="future", mood="yes_no"),
     "¿Tú irás a la estación?"),
    # wh-questions invert subject and verb
    (Sentence(N("man"), "eat", N("apple"), mood="wh", wh="subject"), "¿Quién come la manzana?"),
    (Sentence(N("dog"), "eat", N("apple"), mood="wh", wh="object"), "¿Qué come el perro?"),
    (Sentence(N("dog"), "see", N("woman"), mood="wh", wh="object"), "¿A quién ve el perro?"),
    (Sentence(N("cat"), "see", N("mouse"), mood="wh", wh="object"), "¿Qué ve el gato?"),
    (Sentence(N("boy"), "call", N("dog"), mood="wh", wh="object", tense="past"), "¿A qué animal llamó el niño?"),
    (Sentence(N("boy"), "pull", N("rope"), mood="wh", wh="object"), "¿De qué tira el niño?"),
    (Sentence(N("cat"), "sleep", place="garden", mood="wh", wh="place"), "¿Dónde duerme el gato?"),
    (Sentence(N("man"), "go", place="market", place_role="goal", mood="wh", wh="place"), "¿Adónde va el hombre?"),
    (Sentence(N("man"), "come", place="market", place_role="source", mood="wh", wh="place"),
     "¿De dónde viene el hombre?"),
    (Sentence(P("2sg"), "read", N("book"), tense="past", time="yesterday", mood="wh", wh="time"),
     "¿Cuándo leíste tú el libro?"),
    (Sentence(N("boy"), "laugh", tense="past", time="monday", mood="wh", wh="time"), "¿Cuándo se rio el niño?"),
    # a subject with a relative clause is heavy and goes last
    (Sentence(N("dog", rel=RelClause("subject", "see", N("cat"))), "eat", N("apple"), place="park",
              mood="wh", wh="place"), "¿Dónde come la manzana el perro que ve al gato?"),
])
def test_questions(sentence, expected):
    assert es.realize(sentence) == expected


@pytest.mark.parametrize("sentence, expected", [
    # subject relatives: "que" + verb agreeing with the head
    (Sentence(N("dog", rel=RelClause("subject", "eat", N("apple"))), "sleep"), "El perro que come la manzana duerme."),
    (Sentence(N("girl", "pl", rel=RelClause("subject", "laugh")), "sing"), "Las niñas que se ríen cantan."),
    # object relatives: "que" for things, "al que/a la que" for persons and animals, inverted order
    (Sentence(N("boy"), "eat", N("apple", rel=RelClause("object", "buy", N("woman")))),
     "El niño come la manzana que compra la mujer."),
    (Sentence(N("woman", rel=RelClause("object", "see", N("dog"))), "sing"), "La mujer a la que ve el perro canta."),
    (Sentence(N("cat", "pl", rel=RelClause("object", "love", N("girl"))), "sleep"),
     "Los gatos a los que ama la niña duermen."),
    (Sentence(N("boy"), "see", N("rope", rel=RelClause("object", "pull", N("man")))),
     "El niño ve la cuerda de la que tira el hombre."),
    (Sentence(N("boy"), "see", N("car", rel=RelClause("object", "pull", N("horse")))),
     "El niño ve el coche del que tira el caballo."),
])
def test_relative_clauses(sentence, expected):
    assert es.realize(sentence) == expected


PLACEHOLDER = re.compile(r"[{}<>_]|\bNone\b")


def test_sampled_sentences_are_well_formed():
    rng = random.Random(0)
    for _ in range(3000):
        s = sample_sentence(rng)
        text = es.realize(s)
        words = text.split(" ")
        assert "  " not in text and "" not in words, text
        assert not PLACEHOLDER.search(text), text
        assert 2 <= len(words) <= 25, text
        assert text[0] in "¿" or text[0].isupper(), text
        assert text.endswith("?" if s.mood != "statement" else "."), text
        if s.mood != "statement":
            assert text.startswith("¿") and text[1].isupper(), text
        # contractions are always made
        assert not re.search(r"\b(a|de) el\b", text), text
