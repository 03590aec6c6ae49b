"""European Portuguese realizer: the tricky rules, each on a hand-built meaning."""

import random
import re

import pytest

from audiopalm.data.babel.languages import en, pt
from audiopalm.data.babel.meaning import RelClause, Sentence
from audiopalm.data.babel.sampler import sample_sentence
from tests.data.grammar_helpers import N, P, name  # noqa: F401

TABLES = ("NOUNS", "PLACES", "VERBS", "ADJECTIVES", "ADVERBS", "TIMES", "NUMBERS")


def test_module_identity_and_full_lexicon():
    assert (pt.CODE, pt.NAME) == ("pt", "Portuguese")
    for table in TABLES:
        assert set(getattr(pt, table)) == set(getattr(en, table)), table


@pytest.mark.parametrize("sentence, expected", [
    # articles agree in gender and number; adjectives follow the noun and agree
    (Sentence(N("dog"), "eat", N("apple", adj="red")), "O cão come a maçã vermelha."),
    (Sentence(N("girl", "pl"), "see", N("hen", "pl", det="indef", adj="white")),
     "As raparigas veem umas galinhas brancas."),
    (Sentence(N("cat", det="indef"), "drink", N("milk", adj="cold")), "Um gato bebe o leite frio."),
    # numbers: dois/duas agree; irregular plurals and adjective forms
    (Sentence(N("boy"), "buy", N("apple", "pl", "num", 2, adj="red")), "O rapaz compra duas maçãs vermelhas."),
    (Sentence(N("lion", "pl", "num", 2, adj="happy"), "eat"), "Dois leões felizes comem."),
    (Sentence(N("man"), "buy", N("hat", "pl", "num", 16, adj="blue")), "O homem compra dezasseis chapéus azuis."),
    (Sentence(N("woman"), "sell", N("soup", adj="good")), "A mulher vende a sopa boa."),
    (Sentence(N("student_f", adj="famous"), "read", N("book", adj="bad")), "A estudante famosa lê o livro mau."),
    # names take the article in European Portuguese
    (Sentence(name("Maria"), "visit", name("Paul")), "A Maria visita o Paul."),
    # present-tense irregulars
    (Sentence(P("1sg"), "sleep"), "Eu durmo."),
    (Sentence(P("1sg"), "hear", N("bird")), "Eu ouço o pássaro."),
    (Sentence(P("1sg"), "bring", N("bread")), "Eu trago o pão."),
    (Sentence(P("3sg", "f"), "build", N("boat", det="indef")), "Ela constrói um barco."),
    (Sentence(P("3pl", "f"), "read", N("letter", "pl")), "Elas leem as cartas."),
    (Sentence(P("1sg"), "meet", N("teacher_f")), "Eu conheço a professora."),
    # "vocês" takes third-person plural forms
    (Sentence(P("2pl"), "come", place="market", place_role="source"), "Vocês vêm do mercado."),
    (Sentence(P("2sg"), "go", place="beach", place_role="goal"), "Tu vais à praia."),
    # pretérito perfeito simples, regular and irregular, with 1sg spelling changes
    (Sentence(N("dog"), "eat", N("cake"), tense="past"), "O cão comeu o bolo."),
    (Sentence(N("baby"), "bring", N("ball"), tense="past"), "O bebé trouxe a bola."),
    (Sentence(N("cat", "pl"), "come", tense="past", place="garden", place_role="source"), "Os gatos vieram do jardim."),
    (Sentence(P("1pl"), "go", tense="past", place="park", place_role="goal"), "Nós fomos ao parque."),
    (Sentence(P("1pl"), "buy", N("newspaper"), tense="past"), "Nós comprámos o jornal."),
    (Sentence(P("1sg"), "play", tense="past"), "Eu brinquei."),
    (Sentence(P("1sg"), "dance", tense="past"), "Eu dancei."),
    (Sentence(N("mother"), "see", N("fox"), tense="past"), "A mãe viu a raposa."),
    (Sentence(N("king"), "want", N("gift"), tense="past"), "O rei quis o presente."),
    # futuro simples with the short stem of trazer
    (Sentence(N("aunt"), "bring", N("cup", "pl", "num", 2), tense="future"), "A tia trará duas chávenas."),
    (Sentence(P("3pl"), "go", tense="future", place="house", place_role="goal"), "Eles irão para casa."),
    # negation before the verb
    (Sentence(N("cook_m"), "cook", N("rice"), negated=True), "O cozinheiro não cozinha o arroz."),
    (Sentence(P("1sg"), "read", N("newspaper"), tense="past", negated=True), "Eu não li o jornal."),
    # contractions em/de/a + article; house is "em/para/de casa" without article
    (Sentence(N("horse"), "sleep", place="farm"), "O cavalo dorme na quinta."),
    (Sentence(N("horse"), "sleep", place="park"), "O cavalo dorme no parque."),
    (Sentence(N("hen"), "go", place="station", place_role="goal"), "A galinha vai à estação."),
    (Sentence(N("hen"), "come", place="church", place_role="source"), "A galinha vem da igreja."),
    (Sentence(N("pig"), "sleep", place="house"), "O porco dorme em casa."),
    # time expressions, fronted with a comma; days with na/no
    (Sentence(N("teacher_m"), "work", time="sunday"), "O professor trabalha no domingo."),
    (Sentence(N("teacher_m"), "work", tense="past", time="last_week", topic_time=True),
     "Na semana passada, o professor trabalhou."),
    (Sentence(N("teacher_m"), "work", tense="future", time="next_year"), "O professor trabalhará no próximo ano."),
    # manner adverbs: after the object; bem/mal right after the verb; sozinho/juntos agree
    (Sentence(N("boy"), "eat", N("pear"), adverb="slowly", place="kitchen"), "O rapaz come a pera devagar na cozinha."),
    (Sentence(N("boy"), "read", N("poem"), adverb="well"), "O rapaz lê bem o poema."),
    (Sentence(N("girl"), "eat", adverb="alone"), "A rapariga come sozinha."),
    (Sentence(P("3pl", "f"), "sing", adverb="together"), "Elas cantam juntas."),
    (Sentence(N("boy"), "sing", adverb="together"), "O rapaz canta em conjunto."),
    # companion: "com" does not contract in standard writing
    (Sentence(N("boy"), "walk", companion=N("dog")), "O rapaz caminha com o cão."),
    # relative clauses with "que"
    (Sentence(N("dog", rel=RelClause("subject", "eat", N("apple"))), "sleep"), "O cão que come a maçã dorme."),
    (Sentence(N("boy"), "see", N("apple", rel=RelClause("object", "eat", N("dog", "pl")))),
     "O rapaz vê a maçã que os cães comem."),
    (Sentence(N("woman", rel=RelClause("subject", "read")), "laugh", tense="past"), "A mulher que lê riu."),
    # yes/no questions keep the declarative order
    (Sentence(P("2sg"), "eat", N("orange"), mood="yes_no"), "Tu comes a laranja?"),
    (Sentence(N("driver_f"), "come", tense="future", place="airport", place_role="source", mood="yes_no"),
     "A motorista virá do aeroporto?"),
    # wh-questions
    (Sentence(N("man"), "eat", N("apple"), mood="wh", wh="subject"), "Quem come a maçã?"),
    (Sentence(N("man", "pl"), "eat", N("apple"), tense="past", mood="wh", wh="subject"), "Quem comeu a maçã?"),
    (Sentence(N("dog"), "eat", N("apple"), mood="wh", wh="object"), "O que é que o cão come?"),
    (Sentence(N("dog"), "see", N("man"), mood="wh", wh="object"), "Quem é que o cão vê?"),
    (Sentence(P("2sg"), "sleep", place="park", mood="wh", wh="place"), "Onde é que tu dormes?"),
    (Sentence(N("dog"), "go", place="market", place_role="goal", mood="wh", wh="place"),
     "Para onde é que o cão vai?"),
    (Sentence(N("dog"), "come", place="market", place_role="source", tense="past", mood="wh", wh="place"),
     "De onde é que o cão veio?"),
    (Sentence(name("Hugo"), "sing", tense="future", time="tomorrow", mood="wh", wh="time"),
     "Quando é que o Hugo cantará?"),
])
def test_realize(sentence, expected):
    assert pt.realize(sentence) == expected


def test_contraction_pass_by_rule():
    assert pt.contract(["em+", "o", "parque"]) == ["no", "parque"]
    assert pt.contract(["a+", "as", "praias"]) == ["às", "praias"]
    assert pt.contract(["a+", "os", "mercados"]) == ["aos", "mercados"]
    assert pt.contract(["de+", "os", "mercados"]) == ["dos", "mercados"]
    assert pt.contract(["por+", "o", "parque"]) == ["pelo", "parque"]
    assert pt.contract(["em+", "um", "parque"]) == ["num", "parque"]  # standard European choice
    assert pt.contract(["em+", "uma", "praia"]) == ["numa", "praia"]
    assert pt.contract(["de+", "um", "parque"]) == ["de", "um", "parque"]
    assert pt.contract(["para", "casa"]) == ["para", "casa"]
    # unmarked words are never fused: "que o", "com a"
    assert pt.contract(["que", "o", "cão"]) == ["que", "o", "cão"]
    assert pt.contract(["com", "a", "mãe"]) == ["com", "a", "mãe"]


def test_numbers_spelling():
    assert [pt.NUMBERS[n][0] for n in (14, 16, 17, 19)] == ["catorze", "dezasseis", "dezassete", "dezanove"]
    assert pt.NUMBERS[2] == ("dois", "duas")


def test_sampled_sentences_are_well_formed():
    rng = random.Random(2024)
    for _ in range(3000):
        s = sample_sentence(rng)
        text = pt.realize(s)
        assert "  " not in text, text
        assert "+" not in text and "{" not in text and "_" not in text, text
        words = text.split(" ")
        assert all(words), text
        assert 2 <= len(words) <= 25, text
        assert text[0].isupper() and text[-1] in ".?", text
        assert text.endswith("?") == (s.mood != "statement"), text
        assert not re.search(r"\b(em|de|a|por) (o|a|os|as)\b", text.lower()), text
        if s.subject.kind == "name" and s.wh != "subject":
            assert s.subject.head in words, text  # names are written unchanged
