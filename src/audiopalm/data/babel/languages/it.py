"""Italian: lexicon and realizer.

Same shape as `en.py`: lexicon tables keyed by the concept ids of `concepts.py` and
`realize(Sentence) -> str`.

Design: phrases are built as lists of tokens. Most tokens are plain words; the words whose
form depends on the sound of the FOLLOWING word (articles il/lo/l'/la/i/gli/le, un/uno/una/un',
articulated prepositions nel/allo/dell'/..., and pre-nominal "bello": bel/bello/bell'/bei/begli)
are `Agree` tokens. A small surface pass (`_render`) resolves them right to left, so each one
sees the final form of the word after it (e.g. "un" before "bell'albero"), and then glues
elided forms ending in an apostrophe to the next word ("l'uomo", "dall'aeroporto").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Union

from audiopalm.data.babel.concepts import NAMES as NAME_SEX
from audiopalm.data.babel.concepts import NOUN_CLASS, is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "it"
NAME = "Italian"


# --- lexicon: nouns -------------------------------------------------------------------------
class Noun(NamedTuple):
    sg: str
    pl: str
    gender: str  # gender of the singular
    pl_gender: str  # gender of the plural: differs only for "l'uovo" -> "le uova"


def _nouns(spec: str) -> dict[str, Noun]:
    """'dog cane cani m, egg uovo uova m/f' -> Noun entries; '_' joins a multi-word noun."""
    out = {}
    for item in spec.split(","):
        concept, sg, pl, genders = item.split()
        g_sg, _, g_pl = genders.partition("/")
        out[concept] = Noun(sg.replace("_", " "), pl.replace("_", " "), g_sg, g_pl or g_sg)
    return out


NOUNS: dict[str, Noun] = _nouns(
    # animals (grammatical gender, independent of sex: "la volpe", "la tigre")
    "dog cane cani m, cat gatto gatti m, horse cavallo cavalli m, cow mucca mucche f, "
    "bird uccello uccelli m, fish pesce pesci m, mouse topo topi m, rabbit coniglio conigli m, "
    "sheep pecora pecore f, pig maiale maiali m, duck anatra anatre f, hen gallina galline f, "
    "lion leone leoni m, tiger tigre tigri f, bear orso orsi m, wolf lupo lupi m, fox volpe volpi f, "
    "monkey scimmia scimmie f, elephant elefante elefanti m, snake serpente serpenti m, frog rana rane f, "
    "goat capra capre f, donkey asino asini m, owl gufo gufi m, turtle tartaruga tartarughe f, "
    "deer cervo cervi m, camel cammello cammelli m, "
    # people (natural gender; cantante and autista differ only in the article)
    "man uomo uomini m, woman donna donne f, boy ragazzo ragazzi m, girl ragazza ragazze f, "
    "baby bambino bambini m, king re re m, queen regina regine f, father padre padri m, "
    "mother madre madri f, brother fratello fratelli m, sister sorella sorelle f, son figlio figli m, "
    "daughter figlia figlie f, uncle zio zii m, aunt zia zie f, grandfather nonno nonni m, "
    "grandmother nonna nonne f, friend_m amico amici m, friend_f amica amiche f, "
    "teacher_m professore professori m, teacher_f professoressa professoresse f, "
    "doctor_m dottore dottori m, doctor_f dottoressa dottoresse f, student_m studente studenti m, "
    "student_f studentessa studentesse f, cook_m cuoco cuochi m, cook_f cuoca cuoche f, "
    "farmer_m contadino contadini m, farmer_f contadina contadine f, baker_m fornaio fornai m, "
    "baker_f fornaia fornaie f, singer_m cantante cantanti m, singer_f cantante cantanti f, "
    "neighbour_m vicino vicini m, neighbour_f vicina vicine f, driver_m autista autisti m, "
    "driver_f autista autiste f, writer_m scrittore scrittori m, writer_f scrittrice scrittrici f, "
    "painter_m pittore pittori m, painter_f pittrice pittrici f, nurse_m infermiere infermieri m, "
    "nurse_f infermiera infermiere f, "
    # food (the plural of uovo is feminine: "le uova fresche")
    "apple mela mele f, egg uovo uova m/f, orange arancia arance f, banana banana banane f, "
    "pear pera pere f, tomato pomodoro pomodori m, carrot carota carote f, potato patata patate f, "
    "sandwich panino panini m, pizza pizza pizze f, cake torta torte f, cookie biscotto biscotti m, "
    "strawberry fragola fragole f, lemon limone limoni m, onion cipolla cipolle f, peach pesca pesche f, "
    "melon melone meloni m, cherry ciliegia ciliegie f, plum prugna prugne f, "
    "sausage salsiccia salsicce f, bread pane pani m, cheese formaggio formaggi m, soup zuppa zuppe f, "
    "rice riso risi m, meat carne carni f, chocolate cioccolato cioccolati m, salad insalata insalate f, "
    # drinks
    "water acqua acque f, milk latte latti m, coffee caffè caffè m, tea tè tè m, juice succo succhi m, "
    "wine vino vini m, beer birra birre f, lemonade limonata limonate f, "
    # readables
    "book libro libri m, letter lettera lettere f, newspaper giornale giornali m, "
    "magazine rivista riviste f, poem poesia poesie f, map mappa mappe f, "
    "postcard cartolina cartoline f, recipe ricetta ricette f, "
    # things
    "table tavolo tavoli m, chair sedia sedie f, door porta porte f, window finestra finestre f, "
    "box scatola scatole f, bottle bottiglia bottiglie f, cup tazza tazze f, glass bicchiere bicchieri m, "
    "plate piatto piatti m, knife coltello coltelli m, spoon cucchiaio cucchiai m, "
    "fork forchetta forchette f, key chiave chiavi f, bag borsa borse f, ball palla palle f, "
    "car macchina macchine f, bicycle bicicletta biciclette f, boat barca barche f, "
    "hat cappello cappelli m, shoe scarpa scarpe f, shirt camicia camicie f, dress vestito vestiti m, "
    "coat cappotto cappotti m, umbrella ombrello ombrelli m, clock orologio orologi m, "
    "lamp lampada lampade f, bed letto letti m, picture quadro quadri m, flower fiore fiori m, "
    "tree albero alberi m, stone pietra pietre f, pen penna penne f, pencil matita matite f, "
    "phone telefono telefoni m, computer computer computer m, guitar chitarra chitarre f, "
    "piano pianoforte pianoforti m, toy giocattolo giocattoli m, doll bambola bambole f, "
    "kite aquilone aquiloni m, gift regalo regali m, ticket biglietto biglietti m, ring anello anelli m, "
    "watch orologio_da_polso orologi_da_polso m, basket cesto cesti m, blanket coperta coperte f, "
    "mirror specchio specchi m, candle candela candele f, bucket secchio secchi m, rope corda corde f, "
    "towel asciugamano asciugamani m, brush spazzola spazzole f, wallet portafoglio portafogli m, "
    "envelope busta buste f, bell campana campane f"
)


# --- lexicon: places ------------------------------------------------------------------------
class Place(NamedTuple):
    """A place noun and its preposition per role; a trailing '+' fuses it with the article.

    Italian picks the construction per place: "nel parco", "al mercato", but bare
    "in cucina", "a scuola", "a casa"; "da scuola" but "dalla cucina".
    """

    noun: str
    gender: str
    loc: str
    goal: str
    source: str


PLACES: dict[str, Place] = {
    p[0]: Place(*p[1:])
    for p in (
        line.split()
        for line in (
            "park parco m in+ in+ da+, market mercato m a+ a+ da+, school scuola f a a da, "
            "kitchen cucina f in in da+, garden giardino m in in da+, house casa f a a da, "
            "library biblioteca f in in da+, station stazione f a+ a+ da+, beach spiaggia f su+ in da+, "
            "forest bosco m in+ in+ da+, city città f in in da+, church chiesa f in in da+, "
            "hospital ospedale m in in da+, museum museo m a+ a+ da+, restaurant ristorante m a+ a+ da+, "
            "cinema cinema m a+ a+ da+, office ufficio m in in da+, bakery panetteria f in in da+, "
            "shop negozio m in+ a+ da+, bank banca f in in da+, farm fattoria f in in da+, "
            "village villaggio m in+ a+ da+, mountain montagna f in in da+, lake lago m a+ a+ da+, "
            "street strada f per in da+, zoo zoo m a+ a+ da+, hotel albergo m in in da+, "
            "airport aeroporto m a+ a+ da+, theatre teatro m a a da+, supermarket supermercato m a+ a+ da+"
        ).split(", ")
    )
}


# --- lexicon: verbs -------------------------------------------------------------------------
class Verb(NamedTuple):
    infinitive: str
    present: tuple[str, ...]  # io, tu, lui/lei, noi, voi, loro
    participle: str
    future_stem: str  # "manger" + ò/ai/à/emo/ete/anno
    aux: str  # "avere" or "essere" in the passato prossimo


# Verbs of motion to a place take essere (and participle agreement) in the passato prossimo.
_ESSERE_VERBS = frozenset({"andare", "venire"})
# -ire verbs that insert -isc- in the singular and 3rd plural: pulisco, pulisce, puliscono.
_ISC_VERBS = frozenset({"pulire", "costruire"})
_IRREGULAR_PRESENT = {
    "bere": "bevo bevi beve beviamo bevete bevono",
    "andare": "vado vai va andiamo andate vanno",
    "venire": "vengo vieni viene veniamo venite vengono",
    "tenere": "tengo tieni tiene teniamo tenete tengono",
    "volere": "voglio vuoi vuole vogliamo volete vogliono",
    "scegliere": "scelgo scegli sceglie scegliamo scegliete scelgono",
}
# Contracted future stems (andrò, verrò, vedrò, berrò, terrò, vorrò).
_IRREGULAR_FUTURE = {"bere": "berr", "andare": "andr", "venire": "verr", "vedere": "vedr", "tenere": "terr",
                     "volere": "vorr"}


def _regular_present(inf: str) -> tuple[str, ...]:
    stem, ending = inf[:-3], inf[-3:]
    if ending == "are":
        # Before the endings -i/-iamo an unstressed stem-final i merges (mangi, studiamo) and
        # c/g keep their hard sound with h (giochi, dimentichiamo).
        before_i = stem[:-1] if stem.endswith("i") else stem + "h" if stem.endswith(("c", "g")) else stem
        return stem + "o", before_i + "i", stem + "a", before_i + "iamo", stem + "ate", stem + "ano"
    if ending == "ere":
        return stem + "o", stem + "i", stem + "e", stem + "iamo", stem + "ete", stem + "ono"
    if inf in _ISC_VERBS:
        return stem + "isco", stem + "isci", stem + "isce", stem + "iamo", stem + "ite", stem + "iscono"
    return stem + "o", stem + "i", stem + "e", stem + "iamo", stem + "ite", stem + "ono"


def _regular_future_stem(inf: str) -> str:
    stem, ending = inf[:-3], inf[-3:]
    if ending != "are":
        return stem + ending[0] + "r"  # leggerò, dormirò
    if stem.endswith(("ci", "gi")):
        return stem[:-1] + "er"  # mangerò, lancerò (the i only softened c/g before a/o)
    if stem.endswith(("c", "g")):
        return stem + "her"  # giocherò, dimenticherò
    return stem + "er"


def _verbs(spec: str) -> dict[str, Verb]:
    """'eat mangiare, drink bere bevuto' -> Verb; the participle is given unless -ato/-ito."""
    out = {}
    for item in spec.split(","):
        concept, inf, *pp = item.split()
        participle = pp[0] if pp else inf[:-3] + {"are": "ato", "ire": "ito"}[inf[-3:]]
        present = tuple(_IRREGULAR_PRESENT[inf].split()) if inf in _IRREGULAR_PRESENT else _regular_present(inf)
        future = _IRREGULAR_FUTURE.get(inf) or _regular_future_stem(inf)
        out[concept] = Verb(inf, present, participle, future, "essere" if inf in _ESSERE_VERBS else "avere")
    return out


VERBS: dict[str, Verb] = _verbs(
    "eat mangiare, drink bere bevuto, see vedere visto, watch guardare, hear sentire, love amare, "
    "read leggere letto, write scrivere scritto, buy comprare, sell vendere venduto, find trovare, "
    "lose perdere perso, take prendere preso, bring portare, carry trasportare, open aprire aperto, "
    "close chiudere chiuso, wash lavare, clean pulire, cook cucinare, cut tagliare, "
    "paint dipingere dipinto, draw disegnare, call chiamare, help aiutare, follow seguire, "
    "visit visitare, meet incontrare, catch acchiappare, throw lanciare, push spingere spinto, "
    "pull tirare, hold tenere tenuto, hide nascondere nascosto, choose scegliere scelto, "
    "forget dimenticare, repair riparare, build costruire, break rompere rotto, feed nutrire, "
    "want volere voluto, use usare, send mandare, receive ricevere ricevuto, count contare, "
    "sleep dormire, dance ballare, sing cantare, work lavorare, laugh ridere riso, cry piangere pianto, "
    "walk camminare, swim nuotare, run correre corso, wait aspettare, play giocare, rest riposare, "
    "travel viaggiare, study studiare, jump saltare, smile sorridere sorriso, shout gridare, "
    "go andare andato, come venire venuto"
)
_AVERE = ("ho", "hai", "ha", "abbiamo", "avete", "hanno")
_ESSERE = ("sono", "sei", "è", "siamo", "siete", "sono")
_FUTURE_ENDINGS = ("ò", "ai", "à", "emo", "ete", "anno")
_PERSON_INDEX = {"1sg": 0, "2sg": 1, "3sg": 2, "1pl": 3, "2pl": 4, "3pl": 5}


# --- lexicon: adjectives, adverbs, times, numbers -----------------------------------------------
class Adjective(NamedTuple):
    forms: tuple[str, str, str, str]  # m sg, f sg, m pl, f pl
    before: bool = False  # pre-nominal "bello", whose form follows the next word like an article


def _adjective(spec: str, before: bool = False) -> Adjective:
    """'rosso' -> rosso/rossa/rossi/rosse, 'verde' -> verde/verdi, 'blu' -> invariable;
    irregular plurals are written out: 'bianco/bianca/bianchi/bianche'."""
    if "/" in spec:
        return Adjective(tuple(spec.split("/")), before)  # type: ignore[arg-type]
    if spec.endswith("o"):
        return Adjective((spec, spec[:-1] + "a", spec[:-1] + "i", spec[:-1] + "e"), before)
    if spec.endswith("e"):
        return Adjective((spec, spec, spec[:-1] + "i", spec[:-1] + "i"), before)
    return Adjective((spec, spec, spec, spec), before)  # rosa, viola, blu do not inflect


ADJECTIVES: dict[str, Adjective] = {
    concept: _adjective(spec)
    for concept, spec in (
        item.split()
        for item in (
            "red rosso, blue blu, green verde, yellow giallo, black nero, white bianco/bianca/bianchi/bianche, "
            "grey grigio/grigia/grigi/grigie, brown marrone/marrone/marrone/marrone, pink rosa, purple viola, "
            "big grande, small piccolo, old vecchio/vecchia/vecchi/vecchie, young giovane, new nuovo, "
            "pretty bello, ugly brutto, good buono, bad cattivo, long lungo/lunga/lunghi/lunghe, short corto, "
            "heavy pesante, light leggero, hot caldo, cold freddo, clean pulito, "
            "dirty sporco/sporca/sporchi/sporche, happy felice, sad triste, tired stanco/stanca/stanchi/stanche, "
            "fast veloce, slow lento, strong forte, rich ricco/ricca/ricchi/ricche, poor povero, kind gentile, "
            "funny divertente, expensive caro, cheap economico/economica/economici/economiche, empty vuoto, "
            "full pieno, famous famoso, strange strano, modern moderno, intelligent intelligente, lazy pigro, "
            "brave coraggioso, shy timido, sweet dolce, fresh fresco/fresca/freschi/fresche, round rotondo, "
            "soft morbido"
        ).split(", ")
    )
}
# "bello" before the noun is the natural way to say pretty: "un bel cane", "una bella casa".
ADJECTIVES["pretty"] = _adjective("bello", before=True)
# Word choice that depends on the noun: a good book is "un bel libro", a bad one "brutto"
# (cattivo is for taste), a short text is "breve" (corto is for ropes and dresses).
_ADJECTIVE_BY_CLASS: dict[tuple[str, str], Adjective] = {
    ("good", "readable"): _adjective("bello", before=True),
    ("bad", "readable"): _adjective("brutto"),
    ("short", "readable"): _adjective("breve"),
}

ADVERBS: dict[str, str] = {
    "quickly": "velocemente", "slowly": "lentamente", "quietly": "in silenzio", "loudly": "rumorosamente",
    "carefully": "con attenzione", "happily": "allegramente", "sadly": "tristemente", "well": "bene",
    "badly": "male", "together": "insieme", "alone": "da solo", "again": "di nuovo", "calmly": "con calma",
    "patiently": "con pazienza", "gently": "delicatamente", "early": "presto", "late": "tardi",
}
# "da solo" agrees with the subject: da sola, da soli, da sole.
_AGREEING_ADVERBS = frozenset({"alone"})
# Short adverbs of quality sit right after the verb, before the object: "ha cucinato bene la carne".
_POSTVERBAL_ADVERBS = frozenset({"well", "badly"})


class TimeExpr(NamedTuple):
    article: str | None  # gender of a definite article before the words ("l'anno scorso"), or None
    words: str


TIMES: dict[str, TimeExpr] = {
    "today": TimeExpr(None, "oggi"), "yesterday": TimeExpr(None, "ieri"), "tomorrow": TimeExpr(None, "domani"),
    "now": TimeExpr(None, "adesso"), "this_morning": TimeExpr(None, "stamattina"),
    "this_evening": TimeExpr(None, "stasera"), "every_day": TimeExpr(None, "ogni giorno"),
    "every_morning": TimeExpr(None, "ogni mattina"), "every_week": TimeExpr(None, "ogni settimana"),
    "last_week": TimeExpr("f", "settimana scorsa"), "next_week": TimeExpr("f", "settimana prossima"),
    "last_year": TimeExpr("m", "anno scorso"), "next_year": TimeExpr("m", "anno prossimo"),
    # A bare weekday means "on <day>" (with the article it would mean "every <day>").
    **{d: TimeExpr(None, w) for d, w in zip(
        "monday tuesday wednesday thursday friday saturday sunday".split(),
        "lunedì martedì mercoledì giovedì venerdì sabato domenica".split())},
}
NUMBERS: dict[int, str] = dict(enumerate(
    "due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici quindici "
    "sedici diciassette diciotto diciannove venti".split(), start=2))

PRONOUNS = {"1sg": "io", "2sg": "tu", "3sg": {"m": "lui", "f": "lei"}, "1pl": "noi", "2pl": "voi", "3pl": "loro"}


# --- words that agree with the next word's sound --------------------------------------------------
_VOWELS = "aeiouàèéìòù"
# Preposition + definite article fuse: di+il = del, in+lo = nello, su+l' = sull', a+gli = agli.
_PREP_BASE = {"di": "de", "a": "a", "da": "da", "in": "ne", "su": "su"}
# Pre-nominal bello follows the definite article's pattern: il/bel, lo/bello, l'/bell', i/bei, gli/begli.
_BELLO = {"il": "bel", "lo": "bello", "l'": "bell'", "la": "bella", "i": "bei", "gli": "begli", "le": "belle"}


def sound_class(word: str) -> str:
    """How a word begins, as Italian articles see it: "vowel", "special" (s+consonant, z, gn,
    ps, pn, x, y, semivowel i: lo/gli/uno) or "consonant"."""
    w = word.lower()
    if w[:1] == "i" and w[1:2] and w[1] in _VOWELS:
        return "special"  # lo iato, lo iogurt
    if w[:1] in _VOWELS or (w[:1] == "h" and w[1:2] and w[1] in _VOWELS):
        return "vowel"  # l'uomo, l'hotel
    if w[:1] in ("z", "x", "y") or w.startswith(("gn", "ps", "pn")):
        return "special"
    if w[:1] == "s" and w[1:2] and w[1] not in _VOWELS:
        return "special"  # lo studente, uno specchio
    return "consonant"


def definite_article(gender: str, number: str, next_word: str) -> str:
    cls = sound_class(next_word)
    if number == "sg":
        if cls == "vowel":
            return "l'"
        return "la" if gender == "f" else "lo" if cls == "special" else "il"
    if gender == "f":
        return "le"  # the elided plural l' is archaic
    return "i" if cls == "consonant" else "gli"


def indefinite_article(gender: str, next_word: str) -> str:
    cls = sound_class(next_word)
    if gender == "f":
        return "un'" if cls == "vowel" else "una"
    return "uno" if cls == "special" else "un"


def fuse(prep: str, article: str) -> str:
    """Articulated preposition: ('in', 'il') -> 'nel', ('a', 'lo') -> 'allo', ('da', "l'") -> "dall'"."""
    base = _PREP_BASE[prep]
    if article == "il":
        return base + "l"
    if article in ("i", "gli"):
        return base + article
    return base + "l" + article


@dataclass(frozen=True)
class Agree:
    """A word whose form depends on the next word: an article (optionally fused with a
    preposition, which also gives the partitive dei/degli/delle) or pre-nominal bello."""

    kind: str  # "def", "indef" or "bello"
    gender: str
    number: str
    prep: str | None = None

    def resolve(self, next_word: str) -> str:
        if self.kind == "indef":
            return indefinite_article(self.gender, next_word)
        article = definite_article(self.gender, self.number, next_word)
        if self.kind == "bello":
            return _BELLO[article]
        return fuse(self.prep, article) if self.prep else article


Token = Union[str, Agree]


def _render(tokens: list[Token]) -> str:
    """Resolve `Agree` tokens against the following word, then join, gluing elisions (l'uomo)."""
    words: list[str] = []
    for tok in reversed(tokens):
        if isinstance(tok, Agree):
            words.append(tok.resolve(words[-1]))
        else:
            words.extend(reversed(tok.split()))
    words.reverse()
    out = ""
    for w in words:
        out += w if not out or out.endswith("'") else " " + w
    return out


# --- noun phrases ------------------------------------------------------------------------------
def features(np: NounPhrase) -> tuple[str, str]:
    """(gender, number) that agreeing words (adjectives, participles, "da solo") take."""
    if np.kind == "pronoun":
        return np.gender, "pl" if np.head.endswith("pl") else "sg"
    if np.kind == "name":
        return NAME_SEX[np.head], "sg"
    noun = NOUNS[np.head]
    return (noun.gender, "sg") if np.number == "sg" else (noun.pl_gender, "pl")


def _inflect(forms: tuple[str, str, str, str], gender: str, number: str) -> str:
    return forms[(gender == "f") + 2 * (number == "pl")]


def _agree_o(word: str, gender: str, number: str) -> str:
    """Inflect an -o word: andato -> andata/andati/andate, solo -> sola/soli/sole."""
    return _inflect((word, word[:-1] + "a", word[:-1] + "i", word[:-1] + "e"), gender, number)


def noun_phrase(np: NounPhrase, bare_plural: bool = False) -> list[Token]:
    """Tokens of a noun phrase. `bare_plural`: an indefinite plural without the partitive, as
    in the object of a negated verb ("non compra mele")."""
    if np.kind == "name":
        return [np.head]
    if np.kind == "pronoun":
        p = PRONOUNS[np.head]
        return [p[np.gender] if isinstance(p, dict) else p]
    noun = NOUNS[np.head]
    gender, number = features(np)
    head = noun.sg if number == "sg" else noun.pl
    before: list[Token] = []
    after: list[Token] = []
    if np.adj:
        adj = _ADJECTIVE_BY_CLASS.get((np.adj, NOUN_CLASS[np.head]), ADJECTIVES[np.adj])
        if adj.before:
            before.append(Agree("bello", gender, number))
        else:
            after.append(_inflect(adj.forms, gender, number))
    if np.det == "def":
        det: list[Token] = [Agree("def", gender, number)]
    elif np.det == "num":
        det = [NUMBERS[np.count]]
    elif number == "sg":
        det = [Agree("indef", gender, number)]
    else:
        # the partitive article di + il = dei/degli/delle is the indefinite plural
        det = [] if bare_plural else [Agree("def", gender, number, prep="di")]
    out = [*det, *before, head, *after]
    return out + relative_clause(np, np.rel) if np.rel else out


def relative_clause(head: NounPhrase, rel: RelClause) -> list[Token]:
    """'che' serves persons and things, subjects and objects: il cane che dorme, la mela che Anna mangia."""
    if rel.role == "subject":
        verb = _present(rel.verb, person_of(head))
        return ["che", verb, *(noun_phrase(rel.other) if rel.other else [])]
    return ["che", *noun_phrase(rel.other), _present(rel.verb, person_of(rel.other))]


# --- verbs ----------------------------------------------------------------------------------------
def _present(verb: str, person: str) -> str:
    return VERBS[verb].present[_PERSON_INDEX[person]]


def _verb_group(s: Sentence, person: str, gender: str, number: str) -> list[str]:
    """'non' + finite verb (+ bene/male): mangia, ha mangiato, è andata, mangerà, ha cucinato bene."""
    v = VERBS[s.verb]
    i = _PERSON_INDEX[person]
    if s.tense == "present":
        words = [v.present[i]]
    elif s.tense == "future":
        words = [v.future_stem + _FUTURE_ENDINGS[i]]
    elif v.aux == "essere":
        words = [_ESSERE[i], _agree_o(v.participle, gender, number)]  # lei è andata, sono venuti
    else:
        words = [_AVERE[i], v.participle]
    if s.adverb in _POSTVERBAL_ADVERBS:
        words.append(ADVERBS[s.adverb])
    return ["non", *words] if s.negated else words


# --- adjuncts ---------------------------------------------------------------------------------------
def _place(s: Sentence) -> list[Token]:
    place = PLACES[s.place]
    prep = {"loc": place.loc, "goal": place.goal, "source": place.source}[s.place_role]
    if prep.endswith("+"):
        return [Agree("def", place.gender, "sg", prep=prep[:-1]), place.noun]
    return [prep, place.noun]


def _time(t: str) -> list[Token]:
    expr = TIMES[t]
    return ([Agree("def", expr.article, "sg")] if expr.article else []) + [expr.words]


def _adverb(a: str, gender: str, number: str) -> list[Token]:
    words = ADVERBS[a].split()
    if a in _AGREEING_ADVERBS:
        words[-1] = _agree_o(words[-1], gender, number)
    return words


def _adjuncts(s: Sentence, gender: str, number: str, skip: str | None = None) -> list[Token]:
    """Adverb, place, companion and (unfronted) time, minus a questioned part."""
    out: list[Token] = []
    if s.adverb and s.adverb not in _POSTVERBAL_ADVERBS:
        out += _adverb(s.adverb, gender, number)
    if s.place and skip != "place":
        out += _place(s)
    if s.companion:
        out += ["con", *noun_phrase(s.companion)]
    if s.time and not s.topic_time and skip != "time":
        out += _time(s.time)
    return out


def realize(s: Sentence) -> str:
    person = person_of(s.subject)
    gender, number = features(s.subject)
    subject = noun_phrase(s.subject)
    verb = _verb_group(s, person, gender, number)
    obj = noun_phrase(s.obj, bare_plural=s.negated) if s.obj else []
    end = "?"
    if s.mood == "statement":
        tokens = [*subject, *verb, *obj, *_adjuncts(s, gender, number)]
        if s.topic_time:
            tokens = _time(s.time) + tokens  # "Ieri il cane ha dormito": no comma after a short adverb
        end = "."
    elif s.mood == "yes_no":
        tokens = [*subject, *verb, *obj, *_adjuncts(s, gender, number)]  # declarative order
    elif s.wh == "subject":
        # "chi" takes a 3rd singular verb and masculine agreement: "Chi è andato al mercato?"
        tokens = ["chi", *_verb_group(s, "3sg", "m", "sg"), *obj, *_adjuncts(s, "m", "sg")]
    elif s.wh == "object":
        wh = "chi" if s.obj and is_person(s.obj) else "cosa"
        tokens = [wh, *verb, *subject, *_adjuncts(s, gender, number)]
    else:
        # Dove/Da dove/Quando + verb + object + subject: a noun subject follows the verb phrase
        # ("Quando legge il libro Marco?"), as Italian avoids verb-subject-object order with full
        # nouns; a light pronoun stays next to the verb ("Quando leggi tu il libro?"), and so does
        # any subject before an object with a relative clause, which must not swallow it.
        wh = "quando" if s.wh == "time" else "da dove" if s.place_role == "source" else "dove"
        subject_first = s.subject.kind == "pronoun" or (s.obj is not None and s.obj.rel is not None)
        middle = [*subject, *obj] if subject_first else [*obj, *subject]
        tokens = [wh, *verb, *middle, *_adjuncts(s, gender, number, skip=s.wh)]
    text = _render(tokens)
    return text[0].upper() + text[1:] + end
