"""French: lexicon and realizer.

Same shape as every Babel language module (see `en.py`): lexicon tables keyed by the concept
ids of `concepts.py` and `realize(Sentence) -> str`.

The realizer first builds a flat list of citation-form words ("à le marché", "que il",
"la école") and then runs one surface pass (`_surface`) that applies elision (l', d', qu',
n', j', s' ...) and the article contractions (au, aux, du, des). Keeping those rules in one
place means no lexicon entry or phrase template ever has to spell an apostrophe.

Questions use the "est-ce que" pattern throughout (Est-ce qu'il dort ? / Où est-ce que tu
vas ?), which is standard written French and keeps declarative word order. French
typography puts a space before "?".
"""

from __future__ import annotations

from dataclasses import dataclass

from audiopalm.data.babel.concepts import NAMES, is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "fr"
NAME = "French"


# --- lexicon ---------------------------------------------------------------------------------
def _regular_plural(sg: str) -> str:
    """Default plural of a noun: -s, nothing after s/x/z, -x after -eau/-au/-eu."""
    if sg[-1] in "sxz":
        return sg
    if sg.endswith(("au", "eu")):
        return sg + "x"
    return sg + "s"


def _nouns(spec: str) -> dict[str, tuple[str, str, str]]:
    """'horse m cheval chevaux, cow f vache' -> {'horse': ('m', 'cheval', 'chevaux'), ...}.

    The plural is optional (regular plural by default); '_' stands for a space inside a
    compound noun ('pomme_de_terre').
    """
    out = {}
    for item in spec.split(","):
        concept, gender, sg, *pl = item.split()
        sg = sg.replace("_", " ")
        out[concept] = (gender, sg, pl[0].replace("_", " ") if pl else _regular_plural(sg))
    return out


# concept -> (grammatical gender, singular, plural)
NOUNS: dict[str, tuple[str, str, str]] = _nouns(
    # animals
    "dog m chien, cat m chat, horse m cheval chevaux, cow f vache, bird m oiseau, "
    "fish m poisson, mouse f souris, rabbit m lapin, sheep m mouton, pig m cochon, "
    "duck m canard, hen f poule, lion m lion, tiger m tigre, bear m ours, wolf m loup, "
    "fox m renard, monkey m singe, elephant m éléphant, snake m serpent, frog f grenouille, "
    "goat f chèvre, donkey m âne, owl m hibou hiboux, turtle f tortue, deer m cerf, "
    "camel m chameau, "
    # people: the grammatical gender follows the sex (la professeure, la médecin)
    "man m homme, woman f femme, boy m garçon, girl f fille, baby m bébé, king m roi, "
    "queen f reine, father m père, mother f mère, brother m frère, sister f sœur, "
    "son m fils, daughter f fille, uncle m oncle, aunt f tante, "
    "grandfather m grand-père grands-pères, grandmother f grand-mère grands-mères, "
    "friend_m m ami, friend_f f amie, teacher_m m professeur, teacher_f f professeure, "
    "doctor_m m médecin, doctor_f f médecin, student_m m étudiant, student_f f étudiante, "
    "cook_m m cuisinier, cook_f f cuisinière, farmer_m m fermier, farmer_f f fermière, "
    "baker_m m boulanger, baker_f f boulangère, singer_m m chanteur, singer_f f chanteuse, "
    "neighbour_m m voisin, neighbour_f f voisine, driver_m m conducteur, "
    "driver_f f conductrice, writer_m m écrivain, writer_f f écrivaine, painter_m m peintre, "
    "painter_f f peintre, nurse_m m infirmier, nurse_f f infirmière, "
    # food and drink
    "apple f pomme, egg m œuf, orange f orange, banana f banane, pear f poire, "
    "tomato f tomate, carrot f carotte, potato f pomme_de_terre pommes_de_terre, "
    "sandwich m sandwich, pizza f pizza, cake m gâteau, cookie m biscuit, "
    "strawberry f fraise, lemon m citron, onion m oignon, peach f pêche, melon m melon, "
    "cherry f cerise, plum f prune, sausage f saucisse, bread m pain, cheese m fromage, "
    "soup f soupe, rice m riz, meat f viande, chocolate m chocolat, salad f salade, "
    "water f eau, milk m lait, coffee m café, tea m thé, juice m jus, wine m vin, "
    "beer f bière, lemonade f limonade, "
    # readables
    "book m livre, letter f lettre, newspaper m journal journaux, magazine m magazine, "
    "poem m poème, map f carte, postcard f carte_postale cartes_postales, recipe f recette, "
    # things
    "table f table, chair f chaise, door f porte, window f fenêtre, box f boîte, "
    "bottle f bouteille, cup f tasse, glass m verre, plate f assiette, knife m couteau, "
    "spoon f cuillère, fork f fourchette, key f clé, bag m sac, ball m ballon, "
    "car f voiture, bicycle m vélo, boat m bateau, hat m chapeau, shoe f chaussure, "
    "shirt f chemise, dress f robe, coat m manteau, umbrella m parapluie, clock f horloge, "
    "lamp f lampe, bed m lit, picture m tableau, flower f fleur, tree m arbre, "
    "stone f pierre, pen m stylo, pencil m crayon, phone m téléphone, "
    "computer m ordinateur, guitar f guitare, piano m piano, toy m jouet, doll f poupée, "
    "kite m cerf-volant cerfs-volants, gift m cadeau, ticket m billet, ring f bague, "
    "watch f montre, basket m panier, blanket f couverture, mirror m miroir, "
    "candle f bougie, bucket m seau, rope f corde, towel f serviette, brush f brosse, "
    "wallet m portefeuille, envelope f enveloppe, bell f cloche"
)


def _places(spec: str) -> dict[str, tuple[str, str, str, str]]:
    """'park m parc dans à' -> {'park': ('m', 'parc', 'dans', 'à')}."""
    out = {}
    for item in spec.split(","):
        concept, gender, noun, loc, goal = item.split()
        out[concept] = (gender, noun, loc, goal)
    return out


# place -> (gender, noun, locative preposition, goal preposition). The source preposition is
# always "de". Prepositions take the definite article ("à le marché" -> "au marché"),
# except "en", which is used bare ("en ville").
PLACES: dict[str, tuple[str, str, str, str]] = _places(
    "park m parc dans à, market m marché à à, school f école à à, kitchen f cuisine dans dans, "
    "garden m jardin dans dans, house f maison dans à, library f bibliothèque à à, "
    "station f gare à à, beach f plage à à, forest f forêt dans dans, city f ville en en, "
    "church f église à à, hospital m hôpital à à, museum m musée à à, "
    "restaurant m restaurant à à, cinema m cinéma à à, office m bureau à à, "
    "bakery f boulangerie à à, shop m magasin à à, bank f banque à à, farm f ferme à à, "
    "village m village à à, mountain f montagne à à, lake m lac à à, street f rue dans dans, "
    "zoo m zoo à à, hotel m hôtel à à, airport m aéroport à à, theatre m théâtre à à, "
    "supermarket m supermarché à à"
)


@dataclass(frozen=True)
class Verb:
    """A French verb: present forms (je, tu, il, nous, vous, ils), participle, future stem.

    aux "être" for motion verbs and reflexives (their participle agrees with the subject).
    complement/prep: a fixed word after the verb and a preposition before its object, for
    verbs whose object is indirect ("rendre visite à quelqu'un").
    """

    present: tuple[str, ...]
    participle: str
    future_stem: str
    aux: str = "avoir"
    reflexive: bool = False
    complement: str = ""
    prep: str = ""


def _er(infinitive: str, **kw) -> Verb:
    """First-group verb; -ger and -cer keep their soft consonant before -ons."""
    stem = infinitive[:-2]
    nous = stem + "eons" if stem.endswith("g") else (stem[:-1] + "çons" if stem.endswith("c") else stem + "ons")
    present = (stem + "e", stem + "es", stem + "e", nous, stem + "ez", stem + "ent")
    return Verb(present, stem + "é", infinitive, **kw)


def _ir(infinitive: str) -> Verb:
    """Second-group verb (choisir: choisis, choisissons, choisi, choisira)."""
    s = infinitive[:-2]
    present = (s + "is", s + "is", s + "it", s + "issons", s + "issez", s + "issent")
    return Verb(present, s + "i", infinitive)


def _re(infinitive: str, **kw) -> Verb:
    """Regular -dre verb (vendre: vends, vend, vendons, vendu, vendra)."""
    s = infinitive[:-2]
    present = (s + "s", s + "s", s, s + "ons", s + "ez", s + "ent")
    return Verb(present, s + "u", infinitive[:-1], **kw)


def _irr(present: str, participle: str, future_stem: str, **kw) -> Verb:
    """Irregular verb given in full: six present forms, participle, future stem."""
    forms = tuple(present.split())
    assert len(forms) == 6, present
    return Verb(forms, participle, future_stem, **kw)


VERBS: dict[str, Verb] = {
    "eat": _er("manger"),
    "drink": _irr("bois bois boit buvons buvez boivent", "bu", "boir"),
    "see": _irr("vois vois voit voyons voyez voient", "vu", "verr"),
    "watch": _er("regarder"),
    "hear": _re("entendre"),
    "love": _er("aimer"),
    "read": _irr("lis lis lit lisons lisez lisent", "lu", "lir"),
    "write": _irr("écris écris écrit écrivons écrivez écrivent", "écrit", "écrir"),
    "buy": _irr("achète achètes achète achetons achetez achètent", "acheté", "achèter"),
    "sell": _re("vendre"),
    "find": _er("trouver"),
    "lose": _re("perdre"),
    "take": _irr("prends prends prend prenons prenez prennent", "pris", "prendr"),
    "bring": _er("apporter"),
    "carry": _er("porter"),
    "open": _irr("ouvre ouvres ouvre ouvrons ouvrez ouvrent", "ouvert", "ouvrir"),
    "close": _er("fermer"),
    "wash": _er("laver"),
    "clean": _irr("nettoie nettoies nettoie nettoyons nettoyez nettoient", "nettoyé", "nettoier"),
    "cook": _er("cuisiner"),
    "cut": _er("couper"),
    "paint": _irr("peins peins peint peignons peignez peignent", "peint", "peindr"),
    "draw": _er("dessiner"),
    "call": _irr("appelle appelles appelle appelons appelez appellent", "appelé", "appeller"),
    "help": _er("aider"),
    "follow": _irr("suis suis suit suivons suivez suivent", "suivi", "suivr"),
    # "visiter" is for places; visiting a person is "rendre visite à quelqu'un".
    "visit": _re("rendre", complement="visite", prep="à"),
    "meet": _er("rencontrer"),
    "catch": _er("attraper"),
    "throw": _er("lancer"),
    "push": _er("pousser"),
    "pull": _er("tirer"),
    "hold": _irr("tiens tiens tient tenons tenez tiennent", "tenu", "tiendr"),
    "hide": _er("cacher"),
    "choose": _ir("choisir"),
    "forget": _er("oublier"),
    "repair": _er("réparer"),
    "build": _irr("construis construis construit construisons construisez construisent", "construit", "construir"),
    "break": _er("casser"),
    "feed": _ir("nourrir"),
    "want": _irr("veux veux veut voulons voulez veulent", "voulu", "voudr"),
    "use": _er("utiliser"),
    "send": _irr("envoie envoies envoie envoyons envoyez envoient", "envoyé", "enverr"),
    "receive": _irr("reçois reçois reçoit recevons recevez reçoivent", "reçu", "recevr"),
    "count": _er("compter"),
    "sleep": _irr("dors dors dort dormons dormez dorment", "dormi", "dormir"),
    "dance": _er("danser"),
    "sing": _er("chanter"),
    "work": _er("travailler"),
    "laugh": _irr("ris ris rit rions riez rient", "ri", "rir"),
    "cry": _er("pleurer"),
    "walk": _er("marcher"),
    "swim": _er("nager"),
    "run": _irr("cours cours court courons courez courent", "couru", "courr"),
    "wait": _re("attendre"),
    "play": _er("jouer"),
    "rest": _er("reposer", aux="être", reflexive=True),  # se reposer
    "travel": _er("voyager"),
    "study": _er("étudier"),
    "jump": _er("sauter"),
    "smile": _irr("souris souris sourit sourions souriez sourient", "souri", "sourir"),
    "shout": _er("crier"),
    "go": _irr("vais vas va allons allez vont", "allé", "ir", aux="être"),
    "come": _irr("viens viens vient venons venez viennent", "venu", "viendr", aux="être"),
}


@dataclass(frozen=True)
class Adjective:
    """Forms (m sg, f sg, m pl, f pl); `before` for the few adjectives placed before the noun;
    `m_vowel`: the masculine singular used before a vowel (vieil homme, nouvel ordinateur)."""

    forms: tuple[str, str, str, str]
    before: bool = False
    m_vowel: str = ""


# Adjectives placed before the noun (the "BAGS" adjectives used here).
_BEFORE = frozenset("big small old young new pretty good bad long".split())


def _adjectives(spec: str) -> dict[str, Adjective]:
    """'red rouge, white blanc blanche blancs blanches, old vieux vieille vieux vieilles vieil'.

    One form: regular agreement (-e, -s; no extra -e after -e, no -s after -s/-x).
    Four forms: given in full. A fifth form: the masculine singular before a vowel.
    '_' stands for a space (bon_marché).
    """
    out = {}
    for item in spec.split(","):
        concept, *forms = [w.replace("_", " ") for w in item.split()]
        if len(forms) == 1:
            ms = forms[0]
            fs = ms if ms.endswith("e") else ms + "e"
            forms = [ms, fs, ms if ms[-1] in "sx" else ms + "s", fs + "s"]
        out[concept] = Adjective(tuple(forms[:4]), concept in _BEFORE, forms[4] if len(forms) > 4 else "")
    return out


ADJECTIVES: dict[str, Adjective] = _adjectives(
    "red rouge, blue bleu, green vert, yellow jaune, black noir, "
    "white blanc blanche blancs blanches, grey gris, brown marron marron marron marron, "
    "pink rose, purple violet violette violets violettes, big grand, small petit, "
    "old vieux vieille vieux vieilles vieil, young jeune, "
    "new nouveau nouvelle nouveaux nouvelles nouvel, pretty joli, ugly laid, "
    "good bon bonne bons bonnes, bad mauvais, long long longue longs longues, short court, "
    "heavy lourd, light léger légère légers légères, hot chaud, cold froid, clean propre, "
    "dirty sale, happy heureux heureuse heureux heureuses, sad triste, tired fatigué, "
    "fast rapide, slow lent, strong fort, rich riche, poor pauvre, "
    "kind gentil gentille gentils gentilles, funny drôle, expensive cher chère chers chères, "
    "cheap bon_marché bon_marché bon_marché bon_marché, empty vide, full plein, "
    "famous célèbre, strange étrange, modern moderne, intelligent intelligent, "
    "lazy paresseux paresseuse paresseux paresseuses, "
    "brave courageux courageuse courageux courageuses, shy timide, sweet sucré, "
    "fresh frais fraîche frais fraîches, round rond, soft doux douce doux douces"
)

# adverb -> its form(s). "bien"/"mal" are short adverbs placed right after the finite verb
# (or the auxiliary); "seul" is really an adjective agreeing with the subject; the others
# go after the object as in the other languages.
ADVERBS: dict[str, str] = {
    "quickly": "rapidement", "slowly": "lentement", "quietly": "silencieusement",
    "loudly": "bruyamment", "carefully": "soigneusement", "happily": "joyeusement",
    "sadly": "tristement", "well": "bien", "badly": "mal", "together": "ensemble",
    "alone": "seul", "again": "à nouveau", "calmly": "calmement", "patiently": "patiemment",
    "gently": "doucement", "early": "tôt", "late": "tard",
}
_SHORT_ADVERBS = frozenset({"well", "badly"})

# Written in citation form: the surface pass elides "la année" to "l'année".
TIMES: dict[str, str] = {
    "today": "aujourd'hui", "yesterday": "hier", "tomorrow": "demain", "now": "maintenant",
    "this_morning": "ce matin", "this_evening": "ce soir", "every_day": "tous les jours",
    "every_morning": "tous les matins", "every_week": "toutes les semaines",
    "last_week": "la semaine dernière", "next_week": "la semaine prochaine",
    "last_year": "la année dernière", "next_year": "la année prochaine",
    "monday": "lundi", "tuesday": "mardi", "wednesday": "mercredi", "thursday": "jeudi",
    "friday": "vendredi", "saturday": "samedi", "sunday": "dimanche",
}
NUMBERS: dict[int, str] = dict(enumerate(
    "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf vingt".split(), start=2))

PRONOUNS = {"1sg": "je", "2sg": "tu", "3sg": {"m": "il", "f": "elle"}, "1pl": "nous", "2pl": "vous",
            "3pl": {"m": "ils", "f": "elles"}}
_PERSON_INDEX = {"1sg": 0, "2sg": 1, "3sg": 2, "1pl": 3, "2pl": 4, "3pl": 5}
_AVOIR = ("ai", "as", "a", "avons", "avez", "ont")
_ETRE = ("suis", "es", "est", "sommes", "êtes", "sont")
_FUTURE_ENDINGS = ("ai", "as", "a", "ons", "ez", "ont")
_REFLEXIVE = ("me", "te", "se", "nous", "vous", "se")


# --- surface pass: elision and contraction -------------------------------------------------
_ELIDABLE = {"le", "la", "de", "que", "ne", "je", "ce", "me", "te", "se"}
# Words starting with an h aspiré (no elision: le hibou), plus the numbers that behave alike
# (que onze, de huit). Proper names in H are left unelided too (que Hugo).
_NO_ELISION = frozenset({"hibou", "hiboux", "huit", "onze", "hugo"})
_VOWELS = frozenset("aeiouàâäéèêëîïôöùûüœæ")
_CONTRACTIONS = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}


def _starts_with_vowel(word: str) -> bool:
    """True when a preceding le/de/que... elides: a vowel or a mute h."""
    w = word.lower()
    if w in _NO_ELISION:
        return False
    return w[0] in _VOWELS or (w[0] == "h" and len(w) > 1)


def _surface(words: list[str]) -> str:
    """Join words, applying elision (la école -> l'école) then contraction (à le -> au).

    Elision is decided first, so an article that elides no longer contracts
    ("à le hôtel" -> "à l'hôtel", but "à le hibou" -> "au hibou").
    """
    tokens = " ".join(words).split()
    elided = [
        w[:-1] + "'" if w in _ELIDABLE and i + 1 < len(tokens) and _starts_with_vowel(tokens[i + 1]) else w
        for i, w in enumerate(tokens)
    ]
    out: list[str] = []
    for w in elided:
        if out and (out[-1], w) in _CONTRACTIONS:
            out[-1] = _CONTRACTIONS[(out[-1], w)]
        else:
            out.append(w)
    return " ".join(out).replace("' ", "'")


# --- noun phrases ------------------------------------------------------------------------------
def _agreement(np: NounPhrase) -> tuple[str, bool]:
    """(gender, plural) that a noun phrase imposes on participles and predicative words."""
    if np.kind == "pronoun":
        return np.gender, np.head.endswith("pl")
    if np.kind == "name":
        return NAMES[np.head], False
    return NOUNS[np.head][0], np.number == "pl"


def _agree(forms: tuple[str, str, str, str], gender: str, plural: bool) -> str:
    return forms[(2 if plural else 0) + (1 if gender == "f" else 0)]


def _adjective(adj: str, gender: str, plural: bool, noun: str) -> str:
    a = ADJECTIVES[adj]
    if a.m_vowel and gender == "m" and not plural and _starts_with_vowel(noun):
        return a.m_vowel  # un vieil homme, le nouvel ordinateur (but: le vieux hibou)
    return _agree(a.forms, gender, plural)


def _determiner(np: NounPhrase, gender: str, plural: bool, adj_before: bool, negative: bool) -> str:
    if np.det == "def":
        return "les" if plural else ("la" if gender == "f" else "le")
    if np.det == "num":
        return NUMBERS[np.count]
    # Indefinite: after a negated verb un/une/des become "de" (pas de pomme); in formal
    # written French "des" is also "de" before an adjective preceding the noun (de petits chats).
    if negative or (plural and adj_before):
        return "de"
    return "des" if plural else ("une" if gender == "f" else "un")


# (noun, adjective) pairs whose plain rendering is an idiom with another meaning: "un petit
# ami / une petite amie" is a boyfriend / girlfriend, so a small friend is "de petite taille".
_ADJECTIVE_PHRASES: dict[tuple[str, str], str] = {
    ("friend_m", "small"): "de petite taille",
    ("friend_f", "small"): "de petite taille",
}


def noun_phrase(np: NounPhrase, negative: bool = False) -> list[str]:
    """Words of a noun phrase; `negative` for a direct object under negation."""
    if np.kind == "name":
        return [np.head]
    if np.kind == "pronoun":
        p = PRONOUNS[np.head]
        return [p[np.gender] if isinstance(p, dict) else p]
    gender, sg, pl = NOUNS[np.head]
    plural = np.number == "pl"
    noun = pl if plural else sg
    words = [noun]
    phrase = _ADJECTIVE_PHRASES.get((np.head, np.adj))
    adj_before = bool(np.adj) and ADJECTIVES[np.adj].before and phrase is None
    if phrase:
        words = [noun, phrase]
    elif np.adj:
        adj = _adjective(np.adj, gender, plural, noun)
        words = [adj, noun] if adj_before else [noun, adj]
    out = [_determiner(np, gender, plural, adj_before, negative), *words]
    return out + relative_clause(np, np.rel) if np.rel else out


def _object(verb: str, np: NounPhrase, negated: bool) -> list[str]:
    """The object with its preposition, if any; only a direct object takes negative "de"."""
    v = VERBS[verb]
    if v.prep:
        return [v.prep, *noun_phrase(np)]
    return noun_phrase(np, negative=negated)


def relative_clause(head: NounPhrase, rel: RelClause) -> list[str]:
    """"qui" for the subject, "que" for a direct object, "à qui" for an indirect person object."""
    if rel.role == "subject":
        words = ["qui", *_verb_group(rel.verb, "present", person_of(head))]
        return words + (_object(rel.verb, rel.other, False) if rel.other else [])
    pronoun = [VERBS[rel.verb].prep, "qui"] if VERBS[rel.verb].prep else ["que"]
    return [*pronoun, *noun_phrase(rel.other), *_verb_group(rel.verb, "present", person_of(rel.other))]


# --- verbs ---------------------------------------------------------------------------------------
def _verb_group(verb: str, tense: str, person: str, gender: str = "m", plural: bool = False,
                negated: bool = False, short_adverb: str | None = None) -> list[str]:
    """[ne] [se] finite [pas] [bien] [participle] [complement]:

    "ne se repose pas", "n'a pas bien mangé", "sont allées", "rendra visite".
    (gender, plural) of the subject make an être participle agree.
    """
    v = VERBS[verb]
    i = _PERSON_INDEX[person]
    participle: list[str] = []
    if tense == "past":
        finite = (_ETRE if v.aux == "être" else _AVOIR)[i]
        suffix = ("e" if gender == "f" else "") + ("s" if plural else "") if v.aux == "être" else ""
        participle = [v.participle + suffix]
    elif tense == "future":
        finite = v.future_stem + _FUTURE_ENDINGS[i]
    else:
        finite = v.present[i]
    return [
        *(["ne"] if negated else []),
        *([_REFLEXIVE[i]] if v.reflexive else []),
        finite,
        *(["pas"] if negated else []),
        *([short_adverb] if short_adverb else []),
        *participle,
        *([v.complement] if v.complement else []),
    ]


def _place(s: Sentence) -> list[str]:
    gender, noun, loc, goal = PLACES[s.place]
    prep = {"loc": loc, "goal": goal, "source": "de"}[s.place_role]
    if prep == "en":
        return ["en", noun]  # "en ville" takes no article
    return [prep, "la" if gender == "f" else "le", noun]


def _adverbs(s: Sentence, gender: str, plural: bool, skip: str | None) -> tuple[str | None, str | None]:
    """(adverb after the finite verb or auxiliary, adverb after the object)."""
    if s.adverb is None:
        return None, None
    if s.adverb == "alone":
        return None, _agree(("seul", "seule", "seuls", "seules"), gender, plural)
    if s.adverb not in _SHORT_ADVERBS:
        return None, ADVERBS[s.adverb]
    # In a simple tense "bien"/"mal" would stand right before the object, where "bien des /
    # bien de" reads as "many" (il ferme bien des bouteilles), "bien" + a number as "a good
    # (seven)" (ils ouvrent bien sept bouteilles) and "pas mal de" as "quite a lot of" (il
    # n'oublie pas mal de couverture): say "correctement" / "incorrectement" after the object.
    obj = s.obj
    if (s.tense != "past" and obj is not None and skip != "object" and obj.kind == "noun"
            and not VERBS[s.verb].complement):
        if s.adverb == "well" and (obj.det == "num" or (obj.det == "indef" and (obj.number == "pl" or s.negated))):
            return None, "correctement"
        if s.adverb == "badly" and s.negated and obj.det == "indef":
            return None, "incorrectement"
    return ADVERBS[s.adverb], None


def _tail(s: Sentence, adverb: str | None, skip: str | None = None) -> list[str]:
    """Object, adverb, place, companion and (unfronted) time, minus a questioned part."""
    out: list[str] = []
    if s.obj and skip != "object":
        out += _object(s.verb, s.obj, s.negated)
    if adverb:
        out.append(adverb)
    if s.place and skip != "place":
        out += _place(s)
    if s.companion:
        out += ["avec", *noun_phrase(s.companion)]
    if s.time and not s.topic_time and skip != "time":
        out.append(TIMES[s.time])
    return out


def _wh_words(s: Sentence) -> list[str]:
    """The fronted question word with "est-ce que" (que est-ce que -> qu'est-ce que)."""
    if s.wh == "object":
        if s.obj is not None and is_person(s.obj):
            prep = VERBS[s.verb].prep
            return [*([prep] if prep else []), "qui", "est-ce", "que"]
        return ["que", "est-ce", "que"]
    if s.wh == "place":
        return ["de", "où", "est-ce", "que"] if s.place_role == "source" else ["où", "est-ce", "que"]
    return ["quand", "est-ce", "que"]


def realize(s: Sentence) -> str:
    if s.mood == "wh" and s.wh == "subject":
        # "Qui" takes a third person singular verb, masculine by default (Qui est venu ?).
        subject, person, gender, plural = ["qui"], "3sg", "m", False
    else:
        subject, person = noun_phrase(s.subject), person_of(s.subject)
        gender, plural = _agreement(s.subject)
    skip = s.wh if s.mood == "wh" else None
    short, late = _adverbs(s, gender, plural, skip)
    verb = _verb_group(s.verb, s.tense, person, gender, plural, s.negated, short)
    clause = [*subject, *verb, *_tail(s, late, skip)]
    if s.mood == "statement":
        words = [TIMES[s.time] + ",", *clause] if s.topic_time else clause
        end = "."
    elif s.mood == "yes_no":
        words, end = ["est-ce", "que", *clause], " ?"
    elif s.wh == "subject":
        words, end = clause, " ?"
    else:
        words, end = [*_wh_words(s), *clause], " ?"
    text = _surface(words)
    return text[0].upper() + text[1:] + end
