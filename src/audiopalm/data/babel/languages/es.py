"""Spanish (Castilian, Spain): lexicon and realizer.

Same shape as `en.py`: lexicon tables keyed by the concept ids of `concepts.py` and
`realize(Sentence) -> str`. Spanish specifics handled here:

- articles el/la/los/las, un/una/unos/unas; "el"/"un" before feminine nouns with a stressed
  initial a- ("el agua fría");
- the contractions a + el = al, de + el = del, made by a surface pass over the word list;
- personal "a" before person objects (and, by the policy below, before some animal objects);
- adjectives after the noun, agreeing in gender and number;
- explicit subject pronouns (yo, tú, él/ella, nosotros/nosotras, vosotros/vosotras, ellos/ellas);
- present with stem changes, pretérito indefinido for "past", futuro simple for "future";
- ¿...? questions, with subject-verb inversion after a question word.
"""

from __future__ import annotations

from typing import NamedTuple

from audiopalm.data.babel.concepts import NAMES, NOUN_CLASS, is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "es"
NAME = "Spanish"

PERSONS = ("1sg", "2sg", "3sg", "1pl", "2pl", "3pl")
_ACCENTED = str.maketrans("áéíóú", "aeiou")
_VOWELS = "aeiouáéíóú"


# --- nouns -----------------------------------------------------------------------------------
class Noun(NamedTuple):
    sg: str
    pl: str
    gender: str  # grammatical gender, "m" or "f"


def _plural(word: str) -> str:
    """Regular plural of one word: casa casas, café cafés, ratón ratones, pez peces, gris grises,
    paraguas paraguas. A multi-word noun ("reloj de pared") pluralises its first word."""
    first, *rest = word.split(" ")
    if rest:
        return " ".join([_plural(first), *rest])
    if word[-1] in _VOWELS:
        return word + "s"
    if word.endswith("s"):
        # Monosyllables add -es (gris grises); longer words in unstressed -s do not change.
        syllables = sum(1 for i, c in enumerate(word) if c in _VOWELS and (i == 0 or word[i - 1] not in _VOWELS))
        return word + "es" if syllables == 1 else word
    if word.endswith("z"):
        return word[:-1] + "ces"
    # An accent on the last syllable (ratón, jardín) is no longer needed once -es is added.
    stressed = [i for i, c in enumerate(word) if c in "áéíóú"]
    if stressed and not any(c in _VOWELS for c in word[stressed[0] + 1:]):
        word = word.translate(_ACCENTED)
    return word + "es"


def _nouns(spec: str) -> dict[str, Noun]:
    """'dog perro m, fish pez m peces' -> {'dog': Noun('perro', 'perros', 'm'), ...}.

    An explicit plural is given only where the rule in `_plural` does not apply; "_" stands
    for a space inside a multi-word noun.
    """
    out = {}
    for item in spec.split(","):
        key, sg, gender, *pl = item.split()
        sg = sg.replace("_", " ")
        out[key] = Noun(sg, pl[0].replace("_", " ") if pl else _plural(sg), gender)
    return out


def _people(spec: str) -> dict[str, Noun]:
    """'friend amigo amiga' -> friend_m: el amigo, friend_f: la amiga (epicene words repeat)."""
    out = {}
    for item in spec.split(","):
        key, masc, fem = item.split()
        out[f"{key}_m"] = Noun(masc, _plural(masc), "m")
        out[f"{key}_f"] = Noun(fem, _plural(fem), "f")
    return out


NOUNS: dict[str, Noun] = {
    **_nouns(
        "dog perro m, cat gato m, horse caballo m, cow vaca f, bird pájaro m, fish pez m, "
        "mouse ratón m, rabbit conejo m, sheep oveja f, pig cerdo m, duck pato m, hen gallina f, "
        "lion león m, tiger tigre m, bear oso m, wolf lobo m, fox zorro m, monkey mono m, "
        "elephant elefante m, snake serpiente f, frog rana f, goat cabra f, donkey burro m, "
        "owl búho m, turtle tortuga f, deer ciervo m, camel camello m"
    ),
    **_nouns(
        "man hombre m, woman mujer f, boy niño m, girl niña f, baby bebé m, king rey m, "
        "queen reina f, father padre m, mother madre f, brother hermano m, sister hermana f, "
        "son hijo m, daughter hija f, uncle tío m, aunt tía f, grandfather abuelo m, "
        "grandmother abuela f"
    ),
    **_people(
        "friend amigo amiga, teacher profesor profesora, doctor médico médica, "
        "student estudiante estudiante, cook cocinero cocinera, farmer granjero granjera, "
        "baker panadero panadera, singer cantante cantante, neighbour vecino vecina, "
        "driver conductor conductora, writer escritor escritora, painter pintor pintora, "
        "nurse enfermero enfermera"
    ),
    **_nouns(
        "apple manzana f, egg huevo m, orange naranja f, banana plátano m, pear pera f, "
        "tomato tomate m, carrot zanahoria f, potato patata f, sandwich bocadillo m, "
        "pizza pizza f, cake pastel m, cookie galleta f, strawberry fresa f, lemon limón m, "
        "onion cebolla f, peach melocotón m, melon melón m, cherry cereza f, plum ciruela f, "
        "sausage salchicha f, bread pan m, cheese queso m, soup sopa f, rice arroz m, "
        "meat carne f, chocolate chocolate m, salad ensalada f"
    ),
    **_nouns(
        "water agua f, milk leche f, coffee café m, tea té m, juice zumo m, wine vino m, "
        "beer cerveza f, lemonade limonada f"
    ),
    **_nouns(
        "book libro m, letter carta f, newspaper periódico m, magazine revista f, poem poema m, "
        "map mapa m, postcard postal f, recipe receta f"
    ),
    **_nouns(
        "table mesa f, chair silla f, door puerta f, window ventana f, box caja f, "
        "bottle botella f, cup taza f, glass vaso m, plate plato m, knife cuchillo m, "
        "spoon cuchara f, fork tenedor m, key llave f, bag bolsa f, ball pelota f, car coche m, "
        "bicycle bicicleta f, boat barco m, hat sombrero m, shoe zapato m, shirt camisa f, "
        "dress vestido m, coat abrigo m, umbrella paraguas m, clock reloj_de_pared m, "
        "lamp lámpara f, bed cama f, picture cuadro m, flower flor f, tree árbol m, "
        "stone piedra f, pen bolígrafo m, pencil lápiz m, phone teléfono m, computer ordenador m, "
        "guitar guitarra f, piano piano m, toy juguete m, doll muñeca f, kite cometa f, "
        "gift regalo m, ticket billete m, ring anillo m, watch reloj m, basket cesta f, "
        "blanket manta f, mirror espejo m, candle vela f, bucket cubo m, rope cuerda f, "
        "towel toalla f, brush cepillo m, wallet cartera f, envelope sobre m, bell campana f"
    ),
}

# Feminine nouns whose first syllable is a stressed a-/ha- take "el"/"un" in the singular
# (el agua, un hacha) but stay feminine (el agua fría, las aguas). Stress is lexical, so the
# words are listed; only "agua" occurs in this world, the others document the class.
STRESSED_A = frozenset({"agua", "águila", "hacha", "aula", "alma", "arma", "hambre", "área"})

# place -> (noun, gender). Every place takes "en" for a location (en el parque), "a" for a
# goal (al mercado) and "de" for a source (del mercado).
PLACES: dict[str, tuple[str, str]] = {
    key: (noun.sg, noun.gender)
    for key, noun in _nouns(
        "park parque m, market mercado m, school colegio m, kitchen cocina f, garden jardín m, "
        "house casa f, library biblioteca f, station estación f, beach playa f, forest bosque m, "
        "city ciudad f, church iglesia f, hospital hospital m, museum museo m, "
        "restaurant restaurante m, cinema cine m, office oficina f, bakery panadería f, "
        "shop tienda f, bank banco m, farm granja f, village pueblo m, mountain montaña f, "
        "lake lago m, street calle f, zoo zoo m, hotel hotel m, airport aeropuerto m, "
        "theatre teatro m, supermarket supermercado m"
    ).items()
}


# --- verbs -----------------------------------------------------------------------------------
class Verb(NamedTuple):
    infinitive: str
    present: tuple[str, ...]  # six forms, in the order of PERSONS
    past: tuple[str, ...]  # pretérito indefinido
    future: tuple[str, ...]  # futuro simple
    reflexive: bool = False  # reírse: me río, se ríe
    prep: str | None = None  # a preposition that introduces the object (tirar de la cuerda)


_PRESENT_ENDINGS = {
    "ar": "o as a amos áis an".split(),
    "er": "o es e emos éis en".split(),
    "ir": "o es e imos ís en".split(),
}
_PAST_ENDINGS = {
    "ar": "é aste ó amos asteis aron".split(),
    "er": "í iste ió imos isteis ieron".split(),
    "ir": "í iste ió imos isteis ieron".split(),
}
_FUTURE_ENDINGS = "é ás á emos éis án".split()
# Stem-changing verbs change the stressed stem vowel: every present form but nosotros/vosotros.
_STEM_CHANGE = {"ie": "e", "ue": "o", "i": "e", "ue/u": "u"}
_STRESSED_STEM = (0, 1, 2, 5)


def _present(inf: str, change: str | None, yo: str | None) -> tuple[str, ...]:
    stem, cls = inf[:-2], inf[-2:]
    forms = []
    for i, ending in enumerate(_PRESENT_ENDINGS[cls]):
        s = stem
        if change and i in _STRESSED_STEM:
            old = _STEM_CHANGE[change]
            at = s.rfind(old)
            s = s[:at] + change.split("/")[0] + s[at + 1:]
        forms.append(s + ending)
    if yo:
        forms[0] = yo
    return tuple(forms)


def _past(inf: str) -> tuple[str, ...]:
    stem, cls = inf[:-2], inf[-2:]
    forms = [stem + e for e in _PAST_ENDINGS[cls]]
    # Spelling keeps the consonant's sound before -é: busqué, jugué, lancé.
    for end, repl in (("c", "qu"), ("g", "gu"), ("z", "c")):
        if cls == "ar" and stem.endswith(end):
            forms[0] = stem[: -len(end)] + repl + "é"
    return tuple(forms)


def _verb(
    inf: str,
    change: str | None = None,
    yo: str | None = None,
    present: str | None = None,
    past: str | None = None,
    future_stem: str | None = None,
    reflexive: bool = False,
    prep: str | None = None,
) -> Verb:
    """Conjugate a verb: regular by default; `change` is a stem change (ie, ue, i, ue/u for
    jugar), `yo` an irregular first person present; `present`/`past` list all six forms of an
    irregular tense; `future_stem` an irregular future stem (har-, tendr-, vendr-)."""
    stem = future_stem or inf.translate(_ACCENTED)  # oír -> oiré
    return Verb(
        inf,
        tuple(present.split()) if present else _present(inf, change, yo),
        tuple(past.split()) if past else _past(inf),
        tuple(stem + e for e in _FUTURE_ENDINGS),
        reflexive,
        prep,
    )


VERBS: dict[str, Verb] = {
    # transitive
    "eat": _verb("comer"),
    "drink": _verb("beber"),
    "see": _verb("ver", present="veo ves ve vemos veis ven", past="vi viste vio vimos visteis vieron"),
    "watch": _verb("mirar"),
    "hear": _verb("oír", present="oigo oyes oye oímos oís oyen", past="oí oíste oyó oímos oísteis oyeron"),
    "love": _verb("amar"),  # querer is kept for "want"
    "read": _verb("leer", past="leí leíste leyó leímos leísteis leyeron"),
    "write": _verb("escribir"),
    "buy": _verb("comprar"),
    "sell": _verb("vender"),
    "find": _verb("encontrar", change="ue"),
    "lose": _verb("perder", change="ie"),
    "take": _verb("coger", yo="cojo"),
    "bring": _verb("traer", yo="traigo", past="traje trajiste trajo trajimos trajisteis trajeron"),
    "carry": _verb("llevar"),
    "open": _verb("abrir"),
    "close": _verb("cerrar", change="ie"),
    "wash": _verb("lavar"),
    "clean": _verb("limpiar"),
    "cook": _verb("cocinar"),
    "cut": _verb("cortar"),
    "paint": _verb("pintar"),
    "draw": _verb("dibujar"),
    "call": _verb("llamar"),
    "help": _verb("ayudar"),
    "follow": _verb(
        "seguir", present="sigo sigues sigue seguimos seguís siguen",
        past="seguí seguiste siguió seguimos seguisteis siguieron",
    ),
    "visit": _verb("visitar"),
    "meet": _verb("conocer", yo="conozco"),
    "catch": _verb("atrapar"),
    "throw": _verb("lanzar"),
    "push": _verb("empujar"),
    "pull": _verb("tirar", prep="de"),  # tirar de la cuerda
    "hold": _verb(
        "sostener", present="sostengo sostienes sostiene sostenemos sostenéis sostienen",
        past="sostuve sostuviste sostuvo sostuvimos sostuvisteis sostuvieron", future_stem="sostendr",
    ),
    "hide": _verb("esconder"),
    "choose": _verb(
        "elegir", present="elijo eliges elige elegimos elegís eligen",
        past="elegí elegiste eligió elegimos elegisteis eligieron",
    ),
    "forget": _verb("olvidar"),
    "repair": _verb("arreglar"),
    "build": _verb(
        "construir", present="construyo construyes construye construimos construís construyen",
        past="construí construiste construyó construimos construisteis construyeron",
    ),
    "break": _verb("romper"),
    "feed": _verb("alimentar"),
    "want": _verb(
        "querer", change="ie", past="quise quisiste quiso quisimos quisisteis quisieron", future_stem="querr"
    ),
    "use": _verb("usar"),
    "send": _verb("enviar", present="envío envías envía enviamos enviáis envían"),
    "receive": _verb("recibir"),
    "count": _verb("contar", change="ue"),
    # intransitive
    "sleep": _verb("dormir", change="ue", past="dormí dormiste durmió dormimos dormisteis durmieron"),
    "dance": _verb("bailar"),
    "sing": _verb("cantar"),
    "work": _verb("trabajar"),
    # "se ríe" is the everyday form; "rio" without accent follows the 2010 orthography.
    "laugh": _verb(
        "reír", present="río ríes ríe reímos reís ríen", past="reí reíste rio reímos reísteis rieron",
        reflexive=True,
    ),
    "cry": _verb("llorar"),
    "walk": _verb("caminar"),
    "swim": _verb("nadar"),
    "run": _verb("correr"),
    "wait": _verb("esperar"),
    "play": _verb("jugar", change="ue/u"),
    "rest": _verb("descansar"),
    "travel": _verb("viajar"),
    "study": _verb("estudiar"),
    "jump": _verb("saltar"),
    "smile": _verb(
        "sonreír", present="sonrío sonríes sonríe sonreímos sonreís sonríen",
        past="sonreí sonreíste sonrió sonreímos sonreísteis sonrieron",
    ),
    "shout": _verb("gritar"),
    # motion
    "go": _verb("ir", present="voy vas va vamos vais van", past="fui fuiste fue fuimos fuisteis fueron"),
    "come": _verb(
        "venir", present="vengo vienes viene venimos venís vienen",
        past="vine viniste vino vinimos vinisteis vinieron", future_stem="vendr",
    ),
}
_REFLEXIVE_PRONOUNS = dict(zip(PERSONS, "me te se nos os se".split()))


# --- modifiers ---------------------------------------------------------------------------------
# Colours used as invariable nouns-in-apposition: los coches rosa.
_INVARIABLE = frozenset({"rosa", "naranja", "lila", "violeta"})


def _agreeing(base: str, plural: str | None = None) -> tuple[str, str, str, str]:
    """Forms (m sg, f sg, m pl, f pl): rojo roja rojos rojas, verde verdes, marrón marrones."""
    if base in _INVARIABLE:
        return (base,) * 4
    if base.endswith("o"):
        stem = base[:-1]
        return base, stem + "a", stem + "os", stem + "as"
    pl = plural or _plural(base)
    return base, base, pl, pl


def _adjectives(spec: str) -> dict[str, tuple[str, str, str, str]]:
    """'red rojo, young joven/jóvenes' -> concept -> four agreeing forms."""
    out = {}
    for item in spec.split(","):
        key, forms = item.split()
        out[key] = _agreeing(*forms.split("/"))
    return out


ADJECTIVES: dict[str, tuple[str, str, str, str]] = _adjectives(
    "red rojo, blue azul, green verde, yellow amarillo, black negro, white blanco, grey gris, "
    "brown marrón, pink rosa, purple morado, big grande, small pequeño, old viejo, "
    "young joven/jóvenes, new nuevo, pretty bonito, ugly feo, good bueno, bad malo, long largo, "
    "short corto, heavy pesado, light ligero, hot caliente, cold frío, clean limpio, dirty sucio, "
    "happy contento, sad triste, tired cansado, fast rápido, slow lento, strong fuerte, rich rico, "
    "poor pobre, kind amable, funny divertido, expensive caro, cheap barato, empty vacío, "
    "full lleno, famous famoso, strange raro, modern moderno, intelligent inteligente, "
    "lazy perezoso, brave valiente, shy tímido, sweet dulce, fresh fresco, round redondo, "
    "soft suave"
)

# People are "guapos", not "bonitos" (which is said of things and animals).
PERSON_ADJECTIVES: dict[str, tuple[str, str, str, str]] = {"pretty": _agreeing("guapo")}

# Manner adverbs. "alone" and "together" are adjectives in Spanish and agree with the subject
# (m sg, f sg, m pl, f pl); a single subject is "acompañado", a plural one "juntos".
ADVERBS: dict[str, str | tuple[str, str, str, str]] = {
    "quickly": "rápidamente", "slowly": "despacio", "quietly": "en silencio",
    "loudly": "ruidosamente", "carefully": "con cuidado", "happily": "alegremente",
    "sadly": "tristemente", "well": "bien", "badly": "mal",
    "together": ("acompañado", "acompañada", "juntos", "juntas"),
    "alone": _agreeing("solo"), "again": "otra vez", "calmly": "tranquilamente",
    "patiently": "con paciencia", "gently": "suavemente", "early": "temprano", "late": "tarde",
}
TIMES: dict[str, str] = {
    "today": "hoy", "yesterday": "ayer", "tomorrow": "mañana", "now": "ahora",
    "this_morning": "esta mañana", "this_evening": "esta tarde", "every_day": "todos los días",
    "every_morning": "todas las mañanas", "every_week": "todas las semanas",
    "last_week": "la semana pasada", "next_week": "la próxima semana",
    "last_year": "el año pasado", "next_year": "el próximo año",
    **{
        d: f"el {es}"
        for d, es in zip(
            "monday tuesday wednesday thursday friday saturday sunday".split(),
            "lunes martes miércoles jueves viernes sábado domingo".split(),
        )
    },
}
NUMBERS: dict[int, str] = dict(enumerate(
    "dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciséis "
    "diecisiete dieciocho diecinueve veinte".split(), start=2))

PRONOUNS: dict[str, tuple[str, str]] = {  # person -> (masculine, feminine)
    "1sg": ("yo", "yo"), "2sg": ("tú", "tú"), "3sg": ("él", "ella"),
    "1pl": ("nosotros", "nosotras"), "2pl": ("vosotros", "vosotras"), "3pl": ("ellos", "ellas"),
}

# Personal "a" with animals. Person objects always take "a". Animal objects take it when the
# verb treats them as beings one acts towards (call, help, follow, love, feed, watch), never
# when it treats them as goods (sell, count), and otherwise only when definite, i.e. a known,
# specific animal: "ve al perro" but "ve un pájaro", "atrapa al ratón" but "atrapa un ratón".
ANIMAL_A_VERBS = frozenset("call help follow love feed watch".split())
ANIMALS_AS_GOODS = frozenset("sell count".split())


# --- noun phrases ---------------------------------------------------------------------------------
def _index(gender: str, plural: bool) -> int:
    """Position in a (m sg, f sg, m pl, f pl) tuple."""
    return (2 if plural else 0) + (1 if gender == "f" else 0)


def gender_of(np: NounPhrase) -> str:
    if np.kind == "noun":
        return NOUNS[np.head].gender
    if np.kind == "name":
        return NAMES[np.head]
    return np.gender


def _is_plural(np: NounPhrase) -> bool:
    return person_of(np).endswith("pl")


def _article(det: str, gender: str, plural: bool, noun: str) -> str:
    if gender == "f" and not plural and noun in STRESSED_A:
        gender = "m"  # el agua, un agua: only the article's form changes
    table = ("el", "la", "los", "las") if det == "def" else ("un", "una", "unos", "unas")
    return table[_index(gender, plural)]


def noun_phrase(np: NounPhrase) -> list[str]:
    if np.kind == "name":
        return [np.head]
    if np.kind == "pronoun":
        return [PRONOUNS[np.head][np.gender == "f"]]
    noun = NOUNS[np.head]
    plural = np.number == "pl"
    word = noun.pl if plural else noun.sg
    det = NUMBERS[np.count] if np.det == "num" else _article(np.det, noun.gender, plural, word)
    words = [det, word]
    if np.adj:
        table = PERSON_ADJECTIVES if is_person(np) and np.adj in PERSON_ADJECTIVES else ADJECTIVES
        words.append(table[np.adj][_index(noun.gender, plural)])
    if np.rel:
        words += relative_clause(np, np.rel)
    return words


def _takes_personal_a(verb: str, np: NounPhrase, specific: bool) -> bool:
    if is_person(np):
        return True
    if NOUN_CLASS.get(np.head) != "animal" or verb in ANIMALS_AS_GOODS:
        return False
    return verb in ANIMAL_A_VERBS or specific


def _object_marker(verb: str, np: NounPhrase, specific: bool) -> str | None:
    """The preposition before an object: "de" (tirar de), personal "a", or none."""
    if VERBS[verb].prep:
        return VERBS[verb].prep
    return "a" if _takes_personal_a(verb, np, specific) else None


def _object(verb: str, np: NounPhrase) -> list[str]:
    marker = _object_marker(verb, np, specific=np.det == "def")
    return ([marker] if marker else []) + noun_phrase(np)


def relative_clause(head: NounPhrase, rel: RelClause) -> list[str]:
    """'que come la manzana'; object relatives invert: 'que come el perro', and a marked object
    moves its preposition to the front: 'al que ve el niño', 'de la que tira el niño'."""
    if rel.role == "subject":
        words = ["que", *_verb_group(rel.verb, "present", person_of(head))]
        return words + (_object(rel.verb, rel.other) if rel.other else [])
    # The head of a relative is a known referent, so it counts as specific for personal "a".
    marker = _object_marker(rel.verb, head, specific=True)
    intro = [marker, _article("def", gender_of(head), _is_plural(head), ""), "que"] if marker else ["que"]
    return [*intro, *_verb_group(rel.verb, "present", person_of(rel.other)), *noun_phrase(rel.other)]


# --- verbs -------------------------------------------------------------------------------------
def _verb_group(verb: str, tense: str, person: str, negated: bool = False) -> list[str]:
    """['no', 'se', 'ríe']: negation, then a reflexive clitic, then the finite verb."""
    v = VERBS[verb]
    form = {"present": v.present, "past": v.past, "future": v.future}[tense][PERSONS.index(person)]
    return (["no"] if negated else []) + ([_REFLEXIVE_PRONOUNS[person]] if v.reflexive else []) + [form]


def _place(s: Sentence) -> list[str]:
    noun, gender = PLACES[s.place]
    prep = {"loc": "en", "goal": "a", "source": "de"}[s.place_role]
    return [prep, _article("def", gender, False, noun), noun]


def _adverb(s: Sentence, gender: str, plural: bool) -> str:
    adverb = ADVERBS[s.adverb]
    return adverb if isinstance(adverb, str) else adverb[_index(gender, plural)]


def _tail(s: Sentence, skip: str | None = None) -> list[str]:
    """Object, adverb, place, companion and (unfronted) time, minus a questioned part."""
    out = []
    if s.obj and skip != "object":
        out += _object(s.verb, s.obj)
    # "solo"/"juntos" agree with the subject; "quién" is a generic masculine singular.
    gender, plural = ("m", False) if s.wh == "subject" else (gender_of(s.subject), _is_plural(s.subject))
    # A single subject is "together" with its companion: "juega en el parque junto con el perro"
    # ("acompañado con el perro" would be clumsy), so the adverb joins the companion phrase.
    together_with = s.adverb == "together" and not plural and s.companion is not None
    if s.adverb and not together_with:
        out.append(_adverb(s, gender, plural))
    if s.place and skip != "place":
        out += _place(s)
    if s.companion:
        out += [*(["junto"] if together_with else []), "con", *noun_phrase(s.companion)]
    if s.time and not s.topic_time and skip != "time":
        out += TIMES[s.time].split()
    return out


def _question_word(s: Sentence) -> list[str]:
    if s.wh == "place":
        return {"loc": ["dónde"], "goal": ["adónde"], "source": ["de", "dónde"]}[s.place_role]
    if s.wh == "time":
        return ["cuándo"]
    # wh == "object"
    assert s.obj is not None
    marker = _object_marker(s.verb, s.obj, specific=False)
    if is_person(s.obj):
        return [marker or "a", "quién"]
    if marker == "a":
        # An animal one calls/helps/follows/...: "¿A qué animal llama el niño?"; a bare
        # "¿Qué llama el niño?" would read as "what calls the boy?".
        return ["a", "qué", "animal"]
    return [marker, "qué"] if marker else ["qué"]


def _contract(words: list[str]) -> list[str]:
    """Surface pass: a + el = al, de + el = del (never with the pronoun él)."""
    out: list[str] = []
    for w in words:
        if w == "el" and out and out[-1] in ("a", "de"):
            out[-1] = "al" if out[-1] == "a" else "del"
        else:
            out.append(w)
    return out


def _sentence_case(words: list[str]) -> str:
    text = " ".join(_contract(words))
    return text[0].upper() + text[1:]


def realize(s: Sentence) -> str:
    person = person_of(s.subject)
    subject = noun_phrase(s.subject)
    if s.mood == "statement":
        words = [*subject, *_verb_group(s.verb, s.tense, person, s.negated), *_tail(s)]
        if s.topic_time:
            time = TIMES[s.time].split()
            time[-1] += ","
            words = time + words
        return _sentence_case(words) + "."
    if s.mood == "yes_no":
        # Spanish yes/no questions may keep the declarative order; intonation marks them.
        words = [*subject, *_verb_group(s.verb, s.tense, person), *_tail(s)]
    elif s.wh == "subject":
        words = ["quién", *_verb_group(s.verb, s.tense, "3sg"), *_tail(s)]
    else:
        # Question word, verb, then the subject (inversion). A subject carrying a relative clause
        # is heavy, so it goes last where it cannot swallow the rest of the clause.
        verb = _verb_group(s.verb, s.tense, person)
        tail = _tail(s, skip=s.wh)
        rest = [*tail, *subject] if s.subject.rel else [*subject, *tail]
        words = [*_question_word(s), *verb, *rest]
    return "¿" + _sentence_case(words) + "?"
