"""European Portuguese: lexicon and realizer.

Same shape as `en.py`: lexicon tables keyed by the concept ids of `concepts.py` and
`realize(Sentence) -> str`. European vocabulary and current (AO90) spelling: cão, rapariga,
telemóvel, sumo, chávena, bolacha; dezasseis, dezassete, dezanove.

Grammar in brief:
- Nouns carry a gender; articles (o/a/os/as, um/uma/uns/umas), numbers (dois/duas) and
  adjectives agree with it; adjectives follow the noun ("duas maçãs vermelhas").
- Personal names take the definite article, as is usual in Portugal ("a Maria", "o Paul").
- Prepositions that fuse with a following article (em, de, a, por) are emitted as marked
  tokens ("em+") and a small surface pass contracts them: em+o = no, de+a = da, a+a = à,
  em+um = num (the standard European choice), por+o = pelo.
- Tenses: presente, pretérito perfeito simples ("past") and futuro simples ("future"),
  with the irregular verbs spelled out. "vocês" (2pl) takes third-person plural forms.
- Negation is "não" before the verb. Yes/no questions keep the declarative order;
  wh-questions other than "Quem ...?" use the very common European "é que" frame
  ("O que é que o cão come?", "Onde é que tu dormes?"), which keeps subject-verb order.
"""

from __future__ import annotations

from audiopalm.data.babel.concepts import NAMES, PERSON_SEX, is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "pt"
NAME = "Portuguese"

VOWELS = "aeiouáéíóúâêôãõ"


# --- lexicon helpers -------------------------------------------------------------------
def _plural(word: str) -> str:
    """Regular plural of a one-word noun; irregular ones (-ão, -l, compounds) are spelled out."""
    if word.endswith("ão") or word.endswith("l") or " " in word:
        raise ValueError(f"give the plural of {word!r} explicitly")
    if word[-1] in VOWELS:
        return word + "s"  # maçã -> maçãs, café -> cafés, bebé -> bebés
    if word[-1] in "rz":
        return word + "es"  # flor -> flores, rapaz -> rapazes
    if word[-1] == "m":
        return word[:-1] + "ns"  # homem -> homens
    if word[-1] == "s":
        return word  # unstressed -s is invariable: o lápis / os lápis, a sandes / as sandes
    raise ValueError(f"no plural rule for {word!r}")


def _forms(spec: str) -> tuple[str, str]:
    """'cão/cães' -> ('cão', 'cães'); 'gato' -> ('gato', 'gatos')."""
    sg, _, pl = spec.partition("/")
    return sg, pl or _plural(sg)


def _nouns(gender: str, spec: str) -> dict[str, tuple[str, str, str]]:
    """'dog cão/cães, cat gato' -> {'dog': ('cão', 'cães', gender), 'cat': ('gato', 'gatos', gender)}.

    The Portuguese side may contain spaces ("watch relógio de pulso/relógios de pulso").
    """
    out = {}
    for item in spec.split(","):
        key, word = item.strip().split(" ", 1)
        out[key] = (*_forms(word), gender)
    return out


def _people(spec: str) -> dict[str, tuple[str, str, str]]:
    """'friend amigo amiga' -> friend_m: amigo (m), friend_f: amiga (f).

    Common-gender nouns repeat the word ("student estudante estudante"): the article
    still shows the sex ("o estudante", "a estudante").
    """
    out = {}
    for item in spec.split(","):
        key, masc, fem = item.split()
        out[f"{key}_m"] = (*_forms(masc), "m")
        out[f"{key}_f"] = (*_forms(fem), "f")
    return out


# concept -> (singular, plural, gender)
NOUNS: dict[str, tuple[str, str, str]] = {
    **_nouns(
        "m",
        "dog cão/cães, cat gato, horse cavalo, bird pássaro, fish peixe, mouse rato, rabbit coelho, "
        "pig porco, duck pato, lion leão/leões, tiger tigre, bear urso, wolf lobo, monkey macaco, "
        "elephant elefante, donkey burro, deer veado, camel camelo",
    ),
    **_nouns("f", "cow vaca, sheep ovelha, hen galinha, fox raposa, snake cobra, frog rã, goat cabra, "
                  "owl coruja, turtle tartaruga"),
    # Sex-specific person nouns: the concept's sex fixes the grammatical gender.
    **{k: (sg, pl, PERSON_SEX[k]) for k, (sg, pl) in {
        "man": ("homem", "homens"), "woman": ("mulher", "mulheres"), "boy": ("rapaz", "rapazes"),
        "girl": ("rapariga", "raparigas"), "baby": ("bebé", "bebés"), "king": ("rei", "reis"),
        "queen": ("rainha", "rainhas"), "father": ("pai", "pais"), "mother": ("mãe", "mães"),
        "brother": ("irmão", "irmãos"), "sister": ("irmã", "irmãs"), "son": ("filho", "filhos"),
        "daughter": ("filha", "filhas"), "uncle": ("tio", "tios"), "aunt": ("tia", "tias"),
        "grandfather": ("avô", "avôs"), "grandmother": ("avó", "avós"),
    }.items()},
    **_people(
        "friend amigo amiga, teacher professor professora, doctor médico médica, "
        "student estudante estudante, cook cozinheiro cozinheira, farmer agricultor agricultora, "
        "baker padeiro padeira, singer cantor cantora, neighbour vizinho vizinha, "
        "driver motorista motorista, writer escritor escritora, painter pintor pintora, "
        "nurse enfermeiro enfermeira"
    ),
    **_nouns(
        "m",
        "egg ovo, tomato tomate, cake bolo, strawberry morango, lemon limão/limões, peach pêssego, "
        "melon melão/melões, bread pão/pães, cheese queijo, rice arroz, chocolate chocolate",
    ),
    **_nouns(
        "f",
        "apple maçã, orange laranja, banana banana, pear pera, carrot cenoura, potato batata, "
        "sandwich sandes, pizza pizza, cookie bolacha, onion cebola, cherry cereja, plum ameixa, "
        "sausage salsicha, soup sopa, meat carne, salad salada",
    ),
    **_nouns("m", "milk leite, coffee café, tea chá, juice sumo, wine vinho"),
    **_nouns("f", "water água, beer cerveja, lemonade limonada"),
    **_nouns("m", "book livro, newspaper jornal/jornais, poem poema, map mapa, postcard postal/postais"),
    **_nouns("f", "letter carta, magazine revista, recipe receita"),
    **_nouns(
        "m",
        "glass copo, plate prato, fork garfo, bag saco, car carro, boat barco, hat chapéu, shoe sapato, "
        "dress vestido, coat casaco, umbrella guarda-chuva/guarda-chuvas, clock relógio/relógios, "
        "lamp candeeiro, picture quadro, pencil lápis, phone telemóvel/telemóveis, computer computador, "
        "piano piano, toy brinquedo, kite papagaio de papel/papagaios de papel, gift presente, "
        "ticket bilhete, ring anel/anéis, watch relógio de pulso/relógios de pulso, basket cesto, "
        "blanket cobertor, mirror espelho, bucket balde, envelope envelope, bell sino",
    ),
    **_nouns(
        "f",
        "table mesa, chair cadeira, door porta, window janela, box caixa, bottle garrafa, cup chávena, "
        "knife faca, spoon colher, key chave, ball bola, bicycle bicicleta, shirt camisa, bed cama, "
        "flower flor, tree árvore, stone pedra, pen caneta, guitar guitarra, doll boneca, candle vela, "
        "rope corda, towel toalha, brush escova, wallet carteira",
    ),
}

# place -> (noun, gender or None for no article, preposition of the goal)
# "casa" is used without article: "em casa", "para casa", "de casa" (at/to/from home) is how
# Portuguese says it; "na casa" would ask "whose house?". Everywhere else motion "to" is the
# preposition "a" ("ao mercado", "à praia").
PLACES: dict[str, tuple[str, str | None, str]] = {
    **{k: (v, "m", "a+") for k, v in (item.split(" ", 1) for item in (
        "park parque, market mercado, garden jardim, hospital hospital, museum museu, "
        "restaurant restaurante, cinema cinema, office escritório, bank banco, lake lago, "
        "zoo jardim zoológico, hotel hotel, airport aeroporto, theatre teatro, "
        "supermarket supermercado"
    ).split(", "))},
    **{k: (v, "f", "a+") for k, v in (item.split(" ", 1) for item in (
        "school escola, kitchen cozinha, library biblioteca, station estação, beach praia, "
        "forest floresta, city cidade, church igreja, bakery padaria, shop loja, farm quinta, "
        "village aldeia, mountain montanha, street rua"
    ).split(", "))},
    "house": ("casa", None, "para"),
}


# --- verbs ---------------------------------------------------------------------------------
# Person slots of a conjugation: eu, tu, ele/ela, nós, eles/elas/vocês.
SLOT = {"1sg": 0, "2sg": 1, "3sg": 2, "1pl": 3, "2pl": 4, "3pl": 4}

PRESENT_ENDINGS = {"ar": "o as a amos am", "er": "o es e emos em", "ir": "o es e imos em"}
# European spelling keeps the accent of "-ámos" to tell the past from the present ("comprámos").
PAST_ENDINGS = {"ar": "ei aste ou ámos aram", "er": "i este eu emos eram", "ir": "i iste iu imos iram"}
FUTURE_ENDINGS = "ei ás á emos ão"

# concept -> infinitive
VERBS: dict[str, str] = dict(item.split() for item in (
    "eat comer, drink beber, see ver, watch observar, hear ouvir, love amar, read ler, "
    "write escrever, buy comprar, sell vender, find encontrar, lose perder, take levar, "
    "bring trazer, carry carregar, open abrir, close fechar, wash lavar, clean limpar, "
    "cook cozinhar, cut cortar, paint pintar, draw desenhar, call chamar, help ajudar, "
    "follow seguir, visit visitar, meet conhecer, catch apanhar, throw atirar, push empurrar, "
    "pull puxar, hold segurar, hide esconder, choose escolher, forget esquecer, repair consertar, "
    "build construir, break partir, feed alimentar, want querer, use usar, send enviar, "
    "receive receber, count contar, sleep dormir, dance dançar, sing cantar, work trabalhar, "
    "laugh rir, cry chorar, walk caminhar, swim nadar, run correr, wait esperar, play brincar, "
    "rest descansar, travel viajar, study estudar, jump saltar, smile sorrir, shout gritar, "
    "go ir, come vir"
).split(", "))

# Irregular conjugations, five slots each (eu tu ele nós eles).
IRREGULAR_PRESENT: dict[str, list[str]] = {v: f.split() for v, f in {
    "ver": "vejo vês vê vemos veem",
    "ler": "leio lês lê lemos leem",
    "ouvir": "ouço ouves ouve ouvimos ouvem",
    "dormir": "durmo dormes dorme dormimos dormem",
    "seguir": "sigo segues segue seguimos seguem",
    "perder": "perco perdes perde perdemos perdem",
    "querer": "quero queres quer queremos querem",
    "trazer": "trago trazes traz trazemos trazem",
    "construir": "construo constróis constrói construímos constroem",
    "rir": "rio ris ri rimos riem",
    "sorrir": "sorrio sorris sorri sorrimos sorriem",
    "ir": "vou vais vai vamos vão",
    "vir": "venho vens vem vimos vêm",
}.items()}
IRREGULAR_PAST: dict[str, list[str]] = {v: f.split() for v, f in {
    "ver": "vi viste viu vimos viram",
    "trazer": "trouxe trouxeste trouxe trouxemos trouxeram",
    "querer": "quis quiseste quis quisemos quiseram",
    "construir": "construí construíste construiu construímos construíram",
    "ir": "fui foste foi fomos foram",
    "vir": "vim vieste veio viemos vieram",
}.items()}
# Verbs whose future (and conditional) is built on a short stem: trazer -> trarei.
FUTURE_STEMS = {"trazer": "trar", "fazer": "far", "dizer": "dir"}


def _present_form(inf: str, slot: int) -> str:
    if inf in IRREGULAR_PRESENT:
        return IRREGULAR_PRESENT[inf][slot]
    stem, cls = inf[:-2], inf[-2:]
    if slot == 0 and inf.endswith("cer"):
        stem = stem[:-1] + "ç"  # keep the [s] sound before -o: conheço, esqueço
    return stem + PRESENT_ENDINGS[cls].split()[slot]


def _past_form(inf: str, slot: int) -> str:
    if inf in IRREGULAR_PAST:
        return IRREGULAR_PAST[inf][slot]
    stem, cls = inf[:-2], inf[-2:]
    if slot == 0 and cls == "ar":
        # keep the consonant sound before -ei: brinquei, carreguei, dancei
        for end, repl in (("c", "qu"), ("g", "gu"), ("ç", "c")):
            if stem.endswith(end):
                stem = stem[: -len(end)] + repl
                break
    return stem + PAST_ENDINGS[cls].split()[slot]


def _future_form(inf: str, slot: int) -> str:
    return FUTURE_STEMS.get(inf, inf) + FUTURE_ENDINGS.split()[slot]


def conjugate(verb: str, tense: str, person: str) -> str:
    """The finite form of a verb concept: conjugate('eat', 'past', '3sg') == 'comeu'."""
    form = {"present": _present_form, "past": _past_form, "future": _future_form}[tense]
    return form(VERBS[verb], SLOT[person])


# --- adjectives, adverbs, times, numbers -----------------------------------------------------
def _inflect(masc: str) -> tuple[str, str, str, str]:
    """Regular (m sg, f sg, m pl, f pl) of an adjective from its masculine singular."""
    if masc.endswith("o"):
        return masc, masc[:-1] + "a", masc + "s", masc[:-1] + "as"
    if masc.endswith("e"):
        return masc, masc, masc + "s", masc + "s"
    if masc.endswith("z"):
        return masc, masc, masc + "es", masc + "es"
    if masc.endswith("m"):
        pl = masc[:-1] + "ns"
        return masc, masc, pl, pl
    raise ValueError(f"give the forms of {masc!r} explicitly")


# concept -> (m sg, f sg, m pl, f pl)
ADJECTIVES: dict[str, tuple[str, str, str, str]] = {
    **{k: _inflect(v) for k, v in (item.split() for item in (
        "red vermelho, green verde, yellow amarelo, black preto, white branco, grey cinzento, "
        "brown castanho, purple roxo, big grande, small pequeno, old velho, young jovem, new novo, "
        "pretty bonito, ugly feio, long comprido, short curto, heavy pesado, light leve, "
        "hot quente, cold frio, clean limpo, dirty sujo, happy feliz, sad triste, tired cansado, "
        "fast rápido, slow lento, strong forte, rich rico, poor pobre, kind simpático, "
        "funny engraçado, expensive caro, cheap barato, empty vazio, full cheio, famous famoso, "
        "strange estranho, modern moderno, intelligent inteligente, lazy preguiçoso, "
        "brave corajoso, shy tímido, sweet doce, fresh fresco, round redondo, soft macio"
    ).split(", "))},
    "blue": ("azul", "azul", "azuis", "azuis"),
    "good": ("bom", "boa", "bons", "boas"),
    "bad": ("mau", "má", "maus", "más"),
    "pink": ("cor-de-rosa",) * 4,  # colour named after a thing: invariable
}

# Manner adverbs. Two of them agree with the subject and are built in `_adverb`:
# "together" (juntos/juntas; "em conjunto" for one subject) and "alone" (sozinho/-a/-os/-as).
ADVERBS: dict[str, str] = {
    "quickly": "depressa", "slowly": "devagar", "quietly": "em silêncio",
    "loudly": "ruidosamente", "carefully": "com cuidado", "happily": "alegremente",
    "sadly": "tristemente", "well": "bem", "badly": "mal", "together": "juntos",
    "alone": "sozinho", "again": "outra vez", "calmly": "calmamente",
    "patiently": "pacientemente", "gently": "delicadamente", "early": "cedo", "late": "tarde",
}
# "bem" and "mal" sit right after the verb ("lê bem o livro"), the usual place for them.
VERB_ADJACENT_ADVERBS = frozenset({"well", "badly"})

# Time expressions; "em+" contracts with the article by the surface pass (na, no).
TIMES: dict[str, str] = {
    "today": "hoje", "yesterday": "ontem", "tomorrow": "amanhã", "now": "agora",
    "this_morning": "esta manhã", "this_evening": "esta noite", "every_day": "todos os dias",
    "every_morning": "todas as manhãs", "every_week": "todas as semanas",
    "last_week": "em+ a semana passada", "next_week": "em+ a próxima semana",
    "last_year": "em+ o ano passado", "next_year": "em+ o próximo ano",
    "monday": "em+ a segunda-feira", "tuesday": "em+ a terça-feira",
    "wednesday": "em+ a quarta-feira", "thursday": "em+ a quinta-feira",
    "friday": "em+ a sexta-feira", "saturday": "em+ o sábado", "sunday": "em+ o domingo",
}

# number -> (masculine, feminine); only "dois/duas" differ in 2..20.
NUMBERS: dict[int, tuple[str, str]] = {
    n: (w, "duas" if w == "dois" else w)
    for n, w in enumerate(
        "dois três quatro cinco seis sete oito nove dez onze doze treze catorze quinze "
        "dezasseis dezassete dezoito dezanove vinte".split(), start=2)
}

PRONOUNS = {
    "1sg": "eu", "2sg": "tu", "3sg": {"m": "ele", "f": "ela"},
    "1pl": "nós", "2pl": "vocês", "3pl": {"m": "eles", "f": "elas"},
}
ARTICLES = {("def", "sg"): ("o", "a"), ("def", "pl"): ("os", "as"),
            ("indef", "sg"): ("um", "uma"), ("indef", "pl"): ("uns", "umas")}


# --- contractions ----------------------------------------------------------------------------
def _contraction_table() -> dict[tuple[str, str], str]:
    """Preposition + article -> fused form, by rule rather than a list of phrases."""
    table = {}
    for art in ("o", "a", "os", "as"):
        table[("em", art)] = "n" + art  # no, na, nos, nas
        table[("de", art)] = "d" + art  # do, da, dos, das
        table[("por", art)] = "pel" + art  # pelo, pela, pelos, pelas
        table[("a", art)] = "à" + art[1:] if art.startswith("a") else "a" + art  # à, às; ao, aos
    for art in ("um", "uma", "uns", "umas"):
        # em+um is contracted in standard European writing (num, numa); de+um stays "de um".
        table[("em", art)] = "n" + art
    return table


CONTRACTIONS = _contraction_table()


def contract(words: list[str]) -> list[str]:
    """Fuse marked prepositions ("em+", "de+", "a+", "por+") with a following article.

    Only prepositions emitted with the "+" mark take part, so a subject article after "que"
    or an article after "com" is never touched. Unfused marks simply lose the "+".
    """
    tokens = " ".join(words).split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.endswith("+"):
            prep = tok[:-1]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if (prep, nxt) in CONTRACTIONS:
                out.append(CONTRACTIONS[(prep, nxt)])
                i += 2
                continue
            out.append(prep)
        else:
            out.append(tok)
        i += 1
    return out


# --- noun phrases ------------------------------------------------------------------------
def gender_of(np: NounPhrase) -> str:
    """Grammatical gender: the noun's own, a name's or pronoun's sex."""
    if np.kind == "noun":
        return NOUNS[np.head][2]
    if np.kind == "name":
        return NAMES[np.head]
    return np.gender


def _agree(forms: tuple[str, str, str, str], gender: str, number: str) -> str:
    return forms[(gender == "f") + 2 * (number == "pl")]


def noun_phrase(np: NounPhrase) -> list[str]:
    if np.kind == "name":
        # European Portuguese puts the article before first names: "a Maria", "o Paul".
        return [ARTICLES[("def", "sg")][NAMES[np.head] == "f"], np.head]
    if np.kind == "pronoun":
        p = PRONOUNS[np.head]
        return [p[np.gender] if isinstance(p, dict) else p]
    sg, pl, gender = NOUNS[np.head]
    fem = gender == "f"
    if np.det == "num":
        det = NUMBERS[np.count][fem]
    else:
        det = ARTICLES[(np.det, np.number)][fem]
    words = [det, pl if np.number == "pl" else sg]
    if np.adj:
        words.append(_agree(ADJECTIVES[np.adj], gender, np.number))  # adjective after the noun
    if np.rel:
        words += relative_clause(np, np.rel)
    return words


def relative_clause(head: NounPhrase, rel: RelClause) -> list[str]:
    """"que" for every head; subject relatives keep V-O, object relatives S-V order."""
    if rel.role == "subject":
        out = ["que", conjugate(rel.verb, "present", person_of(head))]
        return out + (noun_phrase(rel.other) if rel.other else [])
    return ["que", *noun_phrase(rel.other), conjugate(rel.verb, "present", person_of(rel.other))]


# --- clause ----------------------------------------------------------------------------------
def _adverb(s: Sentence) -> str:
    """The adverb's words; "alone"/"together" agree with the subject (masc. sg. for "quem")."""
    if s.adverb not in ("alone", "together"):
        return ADVERBS[s.adverb]
    if s.wh == "subject":
        gender, plural = "m", False
    else:
        gender, plural = gender_of(s.subject), person_of(s.subject) in ("1pl", "2pl", "3pl")
    if s.adverb == "together" and not plural:
        return "em conjunto"  # "juntos" needs a plural subject
    forms = _inflect({"alone": "sozinho", "together": "junto"}[s.adverb])
    return _agree(forms, gender, "pl" if plural else "sg")


def _place(s: Sentence) -> list[str]:
    noun, gender, goal = PLACES[s.place]
    prep = {"loc": "em+", "goal": goal, "source": "de+"}[s.place_role]
    article = [] if gender is None else [ARTICLES[("def", "sg")][gender == "f"]]
    return [prep, *article, noun]


def _verb_group(s: Sentence, person: str) -> list[str]:
    words = ["não"] if s.negated else []
    words.append(conjugate(s.verb, s.tense, person))
    if s.adverb in VERB_ADJACENT_ADVERBS:
        words.append(ADVERBS[s.adverb])
    return words


def _tail(s: Sentence, skip: str | None = None) -> list[str]:
    """Object, adverb, place, companion and (unfronted) time, minus a questioned part."""
    out: list[str] = []
    if s.obj and skip != "object":
        out += noun_phrase(s.obj)
    if s.adverb and s.adverb not in VERB_ADJACENT_ADVERBS:
        out.append(_adverb(s))
    if s.place and skip != "place":
        out += _place(s)
    if s.companion:
        out += ["com", *noun_phrase(s.companion)]
    if s.time and not s.topic_time and skip != "time":
        out.append(TIMES[s.time])
    return out


def _wh_word(s: Sentence) -> list[str]:
    if s.wh == "object":
        return ["quem"] if s.obj and is_person(s.obj) else ["o", "que"]
    if s.wh == "place":
        return {"loc": ["onde"], "goal": ["para", "onde"], "source": ["de", "onde"]}[s.place_role]
    return ["quando"]


def realize(s: Sentence) -> str:
    person = person_of(s.subject)
    if s.mood == "wh" and s.wh == "subject":
        # "quem" takes a third-person singular verb whatever the hidden subject's number.
        words, end = ["quem", *_verb_group(s, "3sg"), *_tail(s)], "?"
    elif s.mood == "wh":
        # "O que é que o cão come?": the "é que" frame keeps subject-verb order.
        words = [*_wh_word(s), "é", "que", *noun_phrase(s.subject), *_verb_group(s, person),
                 *_tail(s, skip=s.wh)]
        end = "?"
    else:
        # Statements and yes/no questions share the declarative order.
        words = [*noun_phrase(s.subject), *_verb_group(s, person), *_tail(s)]
        end = "." if s.mood == "statement" else "?"
    text = " ".join(contract(words))
    if s.topic_time:
        text = " ".join(contract([TIMES[s.time]])) + ", " + text
    return text[0].upper() + text[1:] + end
