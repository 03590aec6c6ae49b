"""German: lexicon and realizer.

German needs more machinery than English:
- three genders and the cases nominative, accusative and dative, which inflect articles,
  adjectives (weak after der/die/das, mixed after ein/kein, strong without an article) and
  some nouns (weak masculines "den Löwen", dative plural "-n");
- verb-second order: one constituent (subject, fronted time or question word) before the
  finite verb, the rest of the verb group (participle, infinitive, separable particle) at the
  end of the clause; yes/no questions put the finite verb first; relative clauses put it last;
- the Perfekt with "haben" or "sein" for the past, "werden" + infinitive for the future;
- negation with "kein" for indefinite objects and "nicht" elsewhere.

A clause is built as a list of words (with "," tokens around relative clauses); a small
surface pass then contracts preposition + article ("in dem" -> "im") and tidies punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiopalm.data.babel.concepts import is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "de"
NAME = "German"

Case = str  # "nom", "acc" or "dat"


# --- lexicon: nouns ------------------------------------------------------------------------
@dataclass(frozen=True)
class Noun:
    """A German noun: grammatical gender "m"/"f"/"n", singular, plural, and the accusative/dative
    singular, which differs from the nominative only for weak masculines (der Löwe, den Löwen)."""

    gender: str
    sg: str
    pl: str
    oblique: str


def _nouns(spec: str) -> dict[str, Noun]:
    """'dog m Hund Hunde, lion m Löwe Löwen weak' -> {concept: Noun}.

    "weak" marks n-declension masculines: their accusative/dative singular equals the plural
    (den Löwen, dem Studenten, den Nachbarn).
    """
    out = {}
    for item in spec.split(","):
        concept, gender, sg, pl, *flags = item.split()
        out[concept] = Noun(gender, sg, pl, pl if flags == ["weak"] else sg)
    return out


NOUNS: dict[str, Noun] = _nouns(
    # animals
    "dog m Hund Hunde, cat f Katze Katzen, horse n Pferd Pferde, cow f Kuh Kühe, bird m Vogel Vögel, "
    "fish m Fisch Fische, mouse f Maus Mäuse, rabbit n Kaninchen Kaninchen, sheep n Schaf Schafe, "
    "pig n Schwein Schweine, duck f Ente Enten, hen n Huhn Hühner, lion m Löwe Löwen weak, "
    "tiger m Tiger Tiger, bear m Bär Bären weak, wolf m Wolf Wölfe, fox m Fuchs Füchse, "
    "monkey m Affe Affen weak, elephant m Elefant Elefanten weak, snake f Schlange Schlangen, "
    "frog m Frosch Frösche, goat f Ziege Ziegen, donkey m Esel Esel, owl f Eule Eulen, "
    "turtle f Schildkröte Schildkröten, deer m Hirsch Hirsche, camel n Kamel Kamele, "
    # people ("Mädchen" is grammatically neuter)
    "man m Mann Männer, woman f Frau Frauen, boy m Junge Jungen weak, girl n Mädchen Mädchen, "
    "baby n Baby Babys, king m König Könige, queen f Königin Königinnen, father m Vater Väter, "
    "mother f Mutter Mütter, brother m Bruder Brüder, sister f Schwester Schwestern, son m Sohn Söhne, "
    "daughter f Tochter Töchter, uncle m Onkel Onkel, aunt f Tante Tanten, "
    "grandfather m Großvater Großväter, grandmother f Großmutter Großmütter, "
    "friend_m m Freund Freunde, friend_f f Freundin Freundinnen, "
    "teacher_m m Lehrer Lehrer, teacher_f f Lehrerin Lehrerinnen, "
    "doctor_m m Arzt Ärzte, doctor_f f Ärztin Ärztinnen, "
    "student_m m Student Studenten weak, student_f f Studentin Studentinnen, "
    "cook_m m Koch Köche, cook_f f Köchin Köchinnen, "
    "farmer_m m Bauer Bauern weak, farmer_f f Bäuerin Bäuerinnen, "
    "baker_m m Bäcker Bäcker, baker_f f Bäckerin Bäckerinnen, "
    "singer_m m Sänger Sänger, singer_f f Sängerin Sängerinnen, "
    "neighbour_m m Nachbar Nachbarn weak, neighbour_f f Nachbarin Nachbarinnen, "
    "driver_m m Fahrer Fahrer, driver_f f Fahrerin Fahrerinnen, "
    "writer_m m Schriftsteller Schriftsteller, writer_f f Schriftstellerin Schriftstellerinnen, "
    "painter_m m Maler Maler, painter_f f Malerin Malerinnen, "
    "nurse_m m Krankenpfleger Krankenpfleger, nurse_f f Krankenschwester Krankenschwestern, "
    # food (mass nouns only ever appear in the definite singular; their plural is unused)
    "apple m Apfel Äpfel, egg n Ei Eier, orange f Orange Orangen, banana f Banane Bananen, "
    "pear f Birne Birnen, tomato f Tomate Tomaten, carrot f Karotte Karotten, potato f Kartoffel Kartoffeln, "
    "sandwich n Sandwich Sandwiches, pizza f Pizza Pizzas, cake m Kuchen Kuchen, cookie m Keks Kekse, "
    "strawberry f Erdbeere Erdbeeren, lemon f Zitrone Zitronen, onion f Zwiebel Zwiebeln, "
    "peach m Pfirsich Pfirsiche, melon f Melone Melonen, cherry f Kirsche Kirschen, "
    "plum f Pflaume Pflaumen, sausage f Wurst Würste, bread n Brot Brote, cheese m Käse Käse, "
    "soup f Suppe Suppen, rice m Reis Reis, meat n Fleisch Fleisch, chocolate f Schokolade Schokoladen, "
    "salad m Salat Salate, "
    # drinks
    "water n Wasser Wasser, milk f Milch Milch, coffee m Kaffee Kaffees, tea m Tee Tees, "
    "juice m Saft Säfte, wine m Wein Weine, beer n Bier Biere, lemonade f Limonade Limonaden, "
    # things to read
    "book n Buch Bücher, letter m Brief Briefe, newspaper f Zeitung Zeitungen, "
    "magazine f Zeitschrift Zeitschriften, poem n Gedicht Gedichte, map f Landkarte Landkarten, "
    "postcard f Postkarte Postkarten, recipe n Rezept Rezepte, "
    # things ("Drachen" is the kite, a strong noun, unlike "Drache" the dragon)
    "table m Tisch Tische, chair m Stuhl Stühle, door f Tür Türen, window n Fenster Fenster, "
    "box f Kiste Kisten, bottle f Flasche Flaschen, cup f Tasse Tassen, glass n Glas Gläser, "
    "plate m Teller Teller, knife n Messer Messer, spoon m Löffel Löffel, fork f Gabel Gabeln, "
    "key m Schlüssel Schlüssel, bag f Tasche Taschen, ball m Ball Bälle, car n Auto Autos, "
    "bicycle n Fahrrad Fahrräder, boat n Boot Boote, hat m Hut Hüte, shoe m Schuh Schuhe, "
    "shirt n Hemd Hemden, dress n Kleid Kleider, coat m Mantel Mäntel, umbrella m Regenschirm Regenschirme, "
    "clock f Uhr Uhren, lamp f Lampe Lampen, bed n Bett Betten, picture n Bild Bilder, "
    "flower f Blume Blumen, tree m Baum Bäume, stone m Stein Steine, pen m Kugelschreiber Kugelschreiber, "
    "pencil m Bleistift Bleistifte, phone n Telefon Telefone, computer m Computer Computer, "
    "guitar f Gitarre Gitarren, piano n Klavier Klaviere, toy n Spielzeug Spielzeuge, doll f Puppe Puppen, "
    "kite m Drachen Drachen, gift n Geschenk Geschenke, ticket f Fahrkarte Fahrkarten, ring m Ring Ringe, "
    "watch f Armbanduhr Armbanduhren, basket m Korb Körbe, blanket f Decke Decken, mirror m Spiegel Spiegel, "
    "candle f Kerze Kerzen, bucket m Eimer Eimer, rope n Seil Seile, towel n Handtuch Handtücher, "
    "brush f Bürste Bürsten, wallet f Geldbörse Geldbörsen, envelope m Briefumschlag Briefumschläge, "
    "bell f Glocke Glocken"
)


# --- lexicon: places -------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A place noun with the prepositions German uses for it: location (+ dative), goal
    ("in"/"an"/"auf" + accusative, or "zu" + dative) and source ("aus"/"von" + dative)."""

    gender: str
    noun: str
    loc: str
    goal: str
    source: str


def _places(spec: str) -> dict[str, Place]:
    """'park m Park in in aus' -> {'park': Place('m', 'Park', 'in', 'in', 'aus')}."""
    return {c: Place(g, n, loc, goal, src) for c, g, n, loc, goal, src in (i.split() for i in spec.split(","))}


PLACES: dict[str, Place] = _places(
    "park m Park in in aus, market m Markt auf auf von, school f Schule in zu von, "
    "kitchen f Küche in in aus, garden m Garten in in aus, house n Haus in in aus, "
    "library f Bibliothek in in aus, station m Bahnhof an zu von, beach m Strand an an von, "
    "forest m Wald in in aus, city f Stadt in in aus, church f Kirche in in aus, "
    "hospital n Krankenhaus in in aus, museum n Museum in in aus, restaurant n Restaurant in in aus, "
    "cinema n Kino in in aus, office n Büro in in aus, bakery f Bäckerei in zu aus, shop m Laden in in aus, "
    "bank f Bank in zu von, farm m Bauernhof auf auf von, village n Dorf in in aus, "
    "mountain m Berg auf auf von, lake m See an an von, street f Straße auf auf von, zoo m Zoo in in aus, "
    "hotel n Hotel in in aus, airport m Flughafen an zu von, theatre n Theater in in aus, "
    "supermarket m Supermarkt in in aus"
)
# Prepositions that govern the dative even for a goal ("zur Schule"); the others take the
# accusative for a goal ("in den Park") and the dative for a location ("im Park").
_DATIVE_PREPOSITIONS = frozenset({"zu", "aus", "von", "bei", "mit"})


# --- lexicon: verbs --------------------------------------------------------------------------
@dataclass(frozen=True)
class Verb:
    """A German verb.

    stem_inf: the infinitive without a separable particle ("machen" for "aufmachen").
    particle: separable prefix ("auf"), "" if none; split off in main clauses.
    joint: how the particle attaches when it stays with the verb: "" ("aufmachen") or " "
    ("spazieren gehen", which is written as two words).
    participle: the full past participle ("aufgemacht", "spazieren gegangen").
    aux: "haben" or "sein" (motion and change-of-place verbs, and "folgen").
    case: the case of the object ("dat" for helfen, folgen).
    reflexive: takes a reflexive pronoun ("sich ausruhen").
    forms: present tense forms for 1sg..3pl where they are irregular, else computed.
    """

    stem_inf: str
    particle: str
    joint: str
    participle: str
    aux: str
    case: Case
    reflexive: bool
    forms: tuple[str, ...] | None

    @property
    def infinitive(self) -> str:
        return f"{self.particle}{self.joint}{self.stem_inf}" if self.particle else self.stem_inf


def _verb(inf: str, participle: str, aux: str = "haben", case: Case = "acc", du_er: str = "",
          reflexive: bool = False, forms: str = "") -> Verb:
    """inf marks a separable particle with "|" ("auf|machen") or "_" when written apart
    ("spazieren_gehen"); du_er gives vowel-changing 2sg/3sg forms ("isst isst")."""
    particle, joint, stem_inf = "", "", inf
    for mark, sep in (("|", ""), ("_", " ")):
        if mark in inf:
            particle, stem_inf = inf.split(mark)
            joint = sep
    present = None
    if forms:
        present = tuple(forms.split())
    elif du_er:
        du, er = du_er.split()
        regular = _regular_present(stem_inf)
        present = (regular[0], du, er, *regular[3:])
    return Verb(stem_inf, particle, joint, participle.replace("_", " "), aux, case, reflexive, present)


def _regular_present(inf: str) -> tuple[str, ...]:
    """Present tense of a regular verb, 1sg..3pl: arbeiten -> arbeite arbeitest arbeitet ...

    -eln/-ern verbs keep the -n in the plural (lächeln, füttern) and -eln verbs drop the e
    in the 1sg (ich lächle). Stems ending in t/d or consonant + m/n insert e (arbeitest,
    zeichnet); stems ending in s/ß/z/x take only -t in the 2sg (du tanzt, du reist).
    """
    stem = inf[:-1] if inf.endswith(("eln", "ern")) else inf[:-2]
    first = stem[:-2] + "le" if inf.endswith("eln") else stem + "e"
    linking_e = re.search(r"(?:[td]|(?:ch|[bcdfgkpstvwß])[mn])$", stem) is not None
    t = "et" if linking_e else "t"
    st = "est" if linking_e else ("t" if stem[-1] in "sßzx" else "st")
    return first, stem + st, stem + t, inf, stem + t, inf


VERBS: dict[str, Verb] = {
    "eat": _verb("essen", "gegessen", du_er="isst isst"),
    "drink": _verb("trinken", "getrunken"),
    "see": _verb("sehen", "gesehen", du_er="siehst sieht"),
    "watch": _verb("an|schauen", "angeschaut"),
    "hear": _verb("hören", "gehört"),
    "love": _verb("lieben", "geliebt"),
    "read": _verb("lesen", "gelesen", du_er="liest liest"),
    "write": _verb("schreiben", "geschrieben"),
    "buy": _verb("kaufen", "gekauft"),
    "sell": _verb("verkaufen", "verkauft"),
    "find": _verb("finden", "gefunden"),
    "lose": _verb("verlieren", "verloren"),
    "take": _verb("nehmen", "genommen", du_er="nimmst nimmt"),
    "bring": _verb("mit|bringen", "mitgebracht"),
    "carry": _verb("tragen", "getragen", du_er="trägst trägt"),
    "open": _verb("auf|machen", "aufgemacht"),
    "close": _verb("zu|machen", "zugemacht"),
    "wash": _verb("waschen", "gewaschen", du_er="wäschst wäscht"),
    "clean": _verb("putzen", "geputzt"),
    "cook": _verb("kochen", "gekocht"),
    "cut": _verb("schneiden", "geschnitten"),
    "paint": _verb("an|malen", "angemalt"),
    "draw": _verb("zeichnen", "gezeichnet"),
    "call": _verb("rufen", "gerufen"),
    "help": _verb("helfen", "geholfen", case="dat", du_er="hilfst hilft"),
    "follow": _verb("folgen", "gefolgt", aux="sein", case="dat"),
    "visit": _verb("besuchen", "besucht"),
    "meet": _verb("treffen", "getroffen", du_er="triffst trifft"),
    "catch": _verb("fangen", "gefangen", du_er="fängst fängt"),
    "throw": _verb("werfen", "geworfen", du_er="wirfst wirft"),
    "push": _verb("schieben", "geschoben"),
    "pull": _verb("ziehen", "gezogen"),
    "hold": _verb("halten", "gehalten", du_er="hältst hält"),
    "hide": _verb("verstecken", "versteckt"),
    "choose": _verb("aus|suchen", "ausgesucht"),
    "forget": _verb("vergessen", "vergessen", du_er="vergisst vergisst"),
    "repair": _verb("reparieren", "repariert"),
    "build": _verb("bauen", "gebaut"),
    "break": _verb("zerbrechen", "zerbrochen", du_er="zerbrichst zerbricht"),
    "feed": _verb("füttern", "gefüttert"),
    "want": _verb("wollen", "gewollt", forms="will willst will wollen wollt wollen"),
    "use": _verb("benutzen", "benutzt"),
    "send": _verb("schicken", "geschickt"),
    "receive": _verb("bekommen", "bekommen"),
    "count": _verb("zählen", "gezählt"),
    "sleep": _verb("schlafen", "geschlafen", du_er="schläfst schläft"),
    "dance": _verb("tanzen", "getanzt"),
    "sing": _verb("singen", "gesungen"),
    "work": _verb("arbeiten", "gearbeitet"),
    "laugh": _verb("lachen", "gelacht"),
    "cry": _verb("weinen", "geweint"),
    "walk": _verb("spazieren_gehen", "spazieren_gegangen", aux="sein"),
    "swim": _verb("schwimmen", "geschwommen", aux="sein"),
    "run": _verb("rennen", "gerannt", aux="sein"),
    "wait": _verb("warten", "gewartet"),
    "play": _verb("spielen", "gespielt"),
    "rest": _verb("aus|ruhen", "ausgeruht", reflexive=True),
    "travel": _verb("reisen", "gereist", aux="sein"),
    "study": _verb("studieren", "studiert"),
    "jump": _verb("springen", "gesprungen", aux="sein"),
    "smile": _verb("lächeln", "gelächelt"),
    "shout": _verb("schreien", "geschrien"),
    "go": _verb("gehen", "gegangen", aux="sein"),
    "come": _verb("kommen", "gekommen", aux="sein"),
}

PERSONS = ("1sg", "2sg", "3sg", "1pl", "2pl", "3pl")
AUXILIARIES: dict[str, tuple[str, ...]] = {
    "haben": ("habe", "hast", "hat", "haben", "habt", "haben"),
    "sein": ("bin", "bist", "ist", "sind", "seid", "sind"),
    "werden": ("werde", "wirst", "wird", "werden", "werdet", "werden"),
}
REFLEXIVES = dict(zip(PERSONS, "mich dich sich uns euch sich".split()))
PRONOUNS: dict[str, str | dict[str, str]] = {
    "1sg": "ich", "2sg": "du", "3sg": {"m": "er", "f": "sie"}, "1pl": "wir", "2pl": "ihr", "3pl": "sie",
}


# --- lexicon: modifiers ------------------------------------------------------------------------
# Adjectives in their dictionary form; _adjective_stem derives the form that takes endings.
ADJECTIVES: dict[str, str] = dict(
    item.split()
    for item in (
        "red rot, blue blau, green grün, yellow gelb, black schwarz, white weiß, grey grau, brown braun, "
        "pink rosa, purple violett, big groß, small klein, old alt, young jung, new neu, pretty hübsch, "
        "ugly hässlich, good gut, bad schlecht, long lang, short kurz, heavy schwer, light leicht, hot heiß, "
        "cold kalt, clean sauber, dirty schmutzig, happy glücklich, sad traurig, tired müde, fast schnell, "
        "slow langsam, strong stark, rich reich, poor arm, kind nett, funny lustig, expensive teuer, "
        "cheap billig, empty leer, full voll, famous berühmt, strange seltsam, modern modern, "
        "intelligent intelligent, lazy faul, brave mutig, shy schüchtern, sweet süß, fresh frisch, "
        "round rund, soft weich"
    ).split(", ")
)
ADVERBS: dict[str, str] = dict(
    item.split()
    for item in (
        "quickly schnell, slowly langsam, quietly leise, loudly laut, carefully vorsichtig, happily fröhlich, "
        "sadly traurig, well gut, badly schlecht, together zusammen, alone allein, again wieder, "
        "calmly ruhig, patiently geduldig, gently sanft, early früh, late spät"
    ).split(", ")
)
# Days are "an dem Montag", contracted to "am Montag" by the surface pass.
TIMES: dict[str, str] = {
    "today": "heute", "yesterday": "gestern", "tomorrow": "morgen", "now": "jetzt",
    "this_morning": "heute Morgen", "this_evening": "heute Abend", "every_day": "jeden Tag",
    "every_morning": "jeden Morgen", "every_week": "jede Woche", "last_week": "letzte Woche",
    "next_week": "nächste Woche", "last_year": "letztes Jahr", "next_year": "nächstes Jahr",
    **{d: f"an dem {g}" for d, g in zip(
        "monday tuesday wednesday thursday friday saturday sunday".split(),
        "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    )},
}
# Frequency times: negation scopes over them ("nicht jeden Tag"), so "nicht" precedes them.
_FREQUENCY_TIMES = frozenset({"every_day", "every_morning", "every_week"})
NUMBERS: dict[int, str] = dict(enumerate(
    "zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
    "sechzehn siebzehn achtzehn neunzehn zwanzig".split(), start=2))


# --- articles and adjective endings ---------------------------------------------------------
# Indexed [case][gender], gender "m"/"f"/"n" or "pl" for any plural.
_DEFINITE = {
    "nom": {"m": "der", "f": "die", "n": "das", "pl": "die"},
    "acc": {"m": "den", "f": "die", "n": "das", "pl": "die"},
    "dat": {"m": "dem", "f": "der", "n": "dem", "pl": "den"},
}
_RELATIVE = {**_DEFINITE, "dat": {**_DEFINITE["dat"], "pl": "denen"}}
# "ein" in the singular; "kein" adds a plural.
_EIN = {
    "nom": {"m": "ein", "f": "eine", "n": "ein", "pl": "eine"},
    "acc": {"m": "einen", "f": "eine", "n": "ein", "pl": "eine"},
    "dat": {"m": "einem", "f": "einer", "n": "einem", "pl": "einen"},
}
_WEAK = {  # after der/die/das
    "nom": {"m": "e", "f": "e", "n": "e", "pl": "en"},
    "acc": {"m": "en", "f": "e", "n": "e", "pl": "en"},
    "dat": {"m": "en", "f": "en", "n": "en", "pl": "en"},
}
_MIXED = {  # after ein/kein (the article has no ending in nom m, nom/acc n: the adjective shows it)
    "nom": {"m": "er", "f": "e", "n": "es", "pl": "en"},
    "acc": {"m": "en", "f": "e", "n": "es", "pl": "en"},
    "dat": {"m": "en", "f": "en", "n": "en", "pl": "en"},
}
_STRONG = {  # no article (bare plural, numerals): the adjective carries the case ending
    "nom": {"m": "er", "f": "e", "n": "es", "pl": "e"},
    "acc": {"m": "en", "f": "e", "n": "es", "pl": "e"},
    "dat": {"m": "em", "f": "er", "n": "em", "pl": "en"},
}


# Colour words borrowed from Latin take no endings: "eine rosa Blume", "die rosa Blumen".
_INDECLINABLE = frozenset({"rosa", "lila"})


def _inflect_adjective(adj: str, ending: str) -> str:
    word = ADJECTIVES[adj]
    if word in _INDECLINABLE:
        return word
    if word.endswith("e"):  # müde + e -> müde, müde + en -> müden
        word = word[:-1]
    elif word.endswith(("euer", "auer")):  # teuer -> teure, teuren: the unstressed e drops
        word = word[:-2] + "r"
    return word + ending


def _noun_form(noun: Noun, number: str, case: Case) -> str:
    if number == "pl":
        # Dative plural adds -n unless the plural already ends in -n or -s (Kindern, Frauen, Autos).
        return noun.pl + "n" if case == "dat" and not noun.pl.endswith(("n", "s")) else noun.pl
    return noun.sg if case == "nom" else noun.oblique


# --- noun phrases ------------------------------------------------------------------------------
def noun_phrase(np: NounPhrase, case: Case, negated: bool = False) -> list[str]:
    """Words of a noun phrase in `case`; `negated` turns an indefinite into "kein"."""
    if np.kind == "name":
        return [np.head]
    if np.kind == "pronoun":
        p = PRONOUNS[np.head]
        return [p[np.gender] if isinstance(p, dict) else p]
    noun = NOUNS[np.head]
    g = "pl" if np.number == "pl" else noun.gender
    if np.det == "def":
        det, endings = _DEFINITE[case][g], _WEAK
    elif negated and np.det == "indef":
        det, endings = "k" + _EIN[case][g], _MIXED
    elif np.det == "indef" and np.number == "sg":
        det, endings = _EIN[case][g], _MIXED
    elif np.det == "num":
        det, endings = NUMBERS[np.count], _STRONG
    else:  # indefinite plural: bare noun ("rote Äpfel")
        det, endings = None, _STRONG
    words = [det] if det else []
    if np.adj:
        words.append(_inflect_adjective(np.adj, endings[case][g]))
    words.append(_noun_form(noun, np.number, case))
    if np.rel:
        words += relative_clause(np, np.rel)
    return words


def _gender_key(np: NounPhrase) -> str:
    if np.number == "pl" or np.kind == "pronoun" and np.head.endswith("pl"):
        return "pl"
    return NOUNS[np.head].gender if np.kind == "noun" else np.gender


def relative_clause(head: NounPhrase, rel: RelClause) -> list[str]:
    """', der den Apfel isst,' / ', dem der Hund folgt,': the relative pronoun agrees with the
    head in gender and number and takes its case from its role; the finite verb is last, with
    a separable particle joined to it ("aufmacht")."""
    verb = VERBS[rel.verb]
    if rel.role == "subject":
        pronoun = _RELATIVE["nom"][_gender_key(head)]
        person = person_of(head)
        middle = noun_phrase(rel.other, verb.case) if rel.other else []
    else:
        pronoun = _RELATIVE[verb.case][_gender_key(head)]
        person = person_of(rel.other)
        middle = noun_phrase(rel.other, "nom")
    if verb.reflexive:
        middle = [REFLEXIVES[person], *middle] if rel.role == "subject" else [*middle, REFLEXIVES[person]]
    finite = _present(verb, person)
    if verb.particle:
        finite = f"{verb.particle}{verb.joint}{finite}"
    return [",", pronoun, *middle, finite, ","]


# --- verbs ---------------------------------------------------------------------------------------
def _present(verb: Verb, person: str) -> str:
    forms = verb.forms or _regular_present(verb.stem_inf)
    return forms[PERSONS.index(person)]


def _verb_group(s: Sentence, person: str) -> tuple[str, list[str]]:
    """The finite verb (second or first position) and the right bracket (clause-final words)."""
    verb = VERBS[s.verb]
    if s.tense == "past":
        return AUXILIARIES[verb.aux][PERSONS.index(person)], [verb.participle]
    if s.tense == "future":
        return AUXILIARIES["werden"][PERSONS.index(person)], [verb.infinitive]
    return _present(verb, person), [verb.particle] if verb.particle else []


# --- clause ----------------------------------------------------------------------------------------
def _place(s: Sentence) -> list[str]:
    place = PLACES[s.place]
    prep = {"loc": place.loc, "goal": place.goal, "source": place.source}[s.place_role]
    case = "dat" if s.place_role == "loc" or prep in _DATIVE_PREPOSITIONS else "acc"
    return [prep, _DEFINITE[case][place.gender], place.noun]


def _middle_field(s: Sentence, person: str, skip: str | None, subject_inside: bool) -> tuple[list[str], list[str]]:
    """Words between the finite verb and the right bracket, and an object's relative clause
    when it is better extraposed after the right bracket.

    Order: subject, reflexive, time, object, nicht, adverb (manner), companion, place: the
    textbook time-manner-place order with the definite object before "nicht"; "nicht" thus
    precedes manner, place and the clause-final verb forms ("hat den Apfel nicht gegessen").
    """
    verb = VERBS[s.verb]
    use_kein = s.negated and s.obj is not None and s.obj.kind == "noun" and s.obj.det == "indef"
    use_nicht = s.negated and not use_kein
    time = TIMES[s.time] if s.time and not s.topic_time and skip != "time" else None
    time_after_nicht = use_nicht and s.time in _FREQUENCY_TIMES

    # The reflexive pronoun comes right after the finite verb, but after a pronoun subject:
    # "ruhen sich die Vögel aus", "ruhst du dich aus".
    words: list[str] = [REFLEXIVES[person]] if verb.reflexive else []
    if subject_inside:
        subject = noun_phrase(s.subject, "nom")
        words = subject + words if s.subject.kind == "pronoun" else words + subject
    if time and not time_after_nicht:
        words += time.split()
    obj_start = len(words)
    obj: list[str] = []
    if s.obj and skip != "object":
        obj = noun_phrase(s.obj, verb.case, negated=use_kein)
    # A numeral object is negated as a constituent ("nicht drei Äpfel"), never sampled though.
    if use_nicht and s.obj and s.obj.det == "num":
        words += ["nicht", *obj]
    else:
        words += obj + (["nicht"] if use_nicht else [])
    if time and time_after_nicht:
        words += time.split()
    rest: list[str] = []
    if s.adverb:
        rest.append(ADVERBS[s.adverb])
    if s.companion:
        rest += ["mit", *noun_phrase(s.companion, "dat")]
    if s.place and skip != "place":
        rest += _place(s)
    # An object relative clause followed by nothing but "nicht" and the verb forms moves to
    # the end ("hat den Apfel gegessen, den der Hund will"), as written German prefers.
    extraposed: list[str] = []
    if s.obj and s.obj.rel and skip != "object" and not rest and words[-1] in (",", "nicht"):
        tail = words.index(",", obj_start)
        end = len(words) - (1 if words[-1] == "nicht" else 0)
        extraposed = words[tail:end]
        words = words[:tail] + words[end:]
    return words + rest, extraposed


def _wh_word(s: Sentence) -> str:
    if s.wh == "object":
        if VERBS[s.verb].case == "dat":
            return "wem"
        return "wen" if is_person(s.obj) else "was"
    if s.wh == "place":
        return {"loc": "wo", "goal": "wohin", "source": "woher"}[s.place_role]
    return {"subject": "wer", "time": "wann"}[s.wh]


def realize(s: Sentence) -> str:
    wh_subject = s.mood == "wh" and s.wh == "subject"
    # "wer" takes a singular verb whatever the questioned subject's number.
    person = "3sg" if wh_subject else person_of(s.subject)
    finite, right = _verb_group(s, person)
    if s.mood == "statement":
        front = TIMES[s.time].split() if s.topic_time else noun_phrase(s.subject, "nom")
        subject_inside, skip, end = s.topic_time, None, "."
    elif s.mood == "yes_no":
        front, subject_inside, skip, end = [], True, None, "?"
    else:
        front, subject_inside, skip, end = [_wh_word(s)], not wh_subject, s.wh, "?"
    middle, extraposed = _middle_field(s, person, skip, subject_inside)
    return _surface([*front, finite, *middle, *right, *extraposed], end)


# --- surface pass ---------------------------------------------------------------------------------
_CONTRACTIONS = {
    ("in", "dem"): "im", ("in", "das"): "ins", ("an", "dem"): "am", ("an", "das"): "ans",
    ("zu", "dem"): "zum", ("zu", "der"): "zur", ("von", "dem"): "vom", ("bei", "dem"): "beim",
}


def _surface(words: list[str], end: str) -> str:
    """Contract preposition + article, attach commas, drop a comma before the final
    punctuation, capitalise the first letter."""
    out: list[str] = []
    for w in words:
        if out and (out[-1], w) in _CONTRACTIONS:
            out[-1] = _CONTRACTIONS[(out[-1], w)]
        elif w == ",":
            if out and out[-1] != ",":
                out.append(w)
        else:
            out.append(w)
    while out and out[-1] == ",":
        out.pop()
    text = " ".join(out).replace(" ,", ",")
    return text[0].upper() + text[1:] + end
