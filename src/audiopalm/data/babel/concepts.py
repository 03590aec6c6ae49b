"""The concept inventory of the Babel world: what can be said, with selectional restrictions.

Every language module has a lexicon entry for every concept here (tests check this).
Noun classes drive what makes sense: people read books, animals do not; only
containers are empty or full.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiopalm.data.babel.meaning import Tense

# --- nouns, by semantic class ----------------------------------------------------------
ANIMALS = (
    "dog cat horse cow bird fish mouse rabbit sheep pig duck hen lion tiger bear wolf fox "
    "monkey elephant snake frog goat donkey owl turtle deer camel"
).split()
# Person nouns come in pairs where the languages mark sex (teacher_m: le professeur,
# teacher_f: la professeure); English says "teacher" for both.
PEOPLE = (
    "man woman boy girl baby king queen father mother brother sister son daughter uncle aunt "
    "grandfather grandmother friend_m friend_f teacher_m teacher_f doctor_m doctor_f "
    "student_m student_f cook_m cook_f farmer_m farmer_f baker_m baker_f singer_m singer_f "
    "neighbour_m neighbour_f driver_m driver_f writer_m writer_f painter_m painter_f "
    "nurse_m nurse_f"
).split()
FOODS = (
    "apple egg orange banana pear tomato carrot potato sandwich pizza cake cookie strawberry "
    "lemon onion peach melon cherry plum sausage bread cheese soup rice meat chocolate salad"
).split()
DRINKS = "water milk coffee tea juice wine beer lemonade".split()
READABLES = "book letter newspaper magazine poem map postcard recipe".split()
THINGS = (
    "table chair door window box bottle cup glass plate knife spoon fork key bag ball car "
    "bicycle boat hat shoe shirt dress coat umbrella clock lamp bed picture flower tree stone "
    "pen pencil phone computer guitar piano toy doll kite gift ticket ring watch basket "
    "blanket mirror candle bucket rope towel brush wallet envelope bell"
).split()
PLACES = (
    "park market school kitchen garden house library station beach forest city church "
    "hospital museum restaurant cinema office bakery shop bank farm village mountain lake "
    "street zoo hotel airport theatre supermarket"
).split()

NOUN_CLASS: dict[str, str] = {
    **{n: "animal" for n in ANIMALS},
    **{n: "person" for n in PEOPLE},
    **{n: "food" for n in FOODS},
    **{n: "drink" for n in DRINKS},
    **{n: "readable" for n in READABLES},
    **{n: "thing" for n in THINGS},
}
# Mass nouns take only the definite singular ("the milk", never "a milk" or "three milks").
MASS_NOUNS = frozenset("bread cheese soup rice meat chocolate salad".split()) | frozenset(DRINKS)
# The natural sex of person nouns, for languages whose words for them differ by sex.
PERSON_SEX: dict[str, str] = {
    **{p: ("f" if p.endswith("_f") else "m") for p in PEOPLE},
    **{p: "f" for p in "woman girl queen mother sister daughter aunt grandmother".split()},
    "baby": "m",
}
CONTAINERS = frozenset("box bottle cup glass plate bag basket bucket".split())
OPENABLE = frozenset("door window box bottle bag letter book umbrella".split())
SMALL_THINGS = frozenset(
    "ball key pen pencil phone toy doll ring watch stone cup spoon fork knife hat shoe "
    "ticket gift candle kite".split()
)

NAMES: dict[str, str] = {
    **{n: "f" for n in "Anna Maria Sofia Laura Elena Clara Julia Emma Sara Nina Lisa Eva Paula Alice Lucia".split()},
    **{n: "m" for n in "Paul Peter Marco Carlos David Hugo Leo Oscar Victor Daniel Lucas Martin Felix Adam Thomas".split()},
}
PRONOUNS = ("1sg", "2sg", "3sg", "1pl", "2pl", "3pl")
NUMBERS = tuple(range(2, 21))


# --- verbs -------------------------------------------------------------------------------
ANIMATE = frozenset({"person", "animal"})
CONCRETE = frozenset({"person", "animal", "food", "drink", "readable", "thing"})


@dataclass(frozen=True)
class VerbConcept:
    """Selectional restrictions of a verb.

    subject: noun classes allowed as subject. objects: classes allowed as object (empty for
    intransitive verbs); object_required: False when the verb may also be used without one.
    only: when set, the object must be one of these nouns (e.g. only containers are filled).
    place_role: "goal" or "source" for motion verbs that require a place complement.
    """

    subject: frozenset[str]
    objects: frozenset[str] = frozenset()
    object_required: bool = True
    only: frozenset[str] | None = None
    place_role: str | None = None


def _v(subject: str, objects: str = "", optional: bool = False, only=None, place_role=None) -> VerbConcept:
    subj = ANIMATE if subject == "animate" else frozenset(subject.split())
    return VerbConcept(subj, frozenset(objects.split()), not optional, only, place_role)


VERBS: dict[str, VerbConcept] = {
    # transitive
    "eat": _v("animate", "food", optional=True),
    "drink": _v("animate", "drink", optional=True),
    "see": _v("animate", "person animal thing food readable"),
    "watch": _v("person", "person animal thing"),
    "hear": _v("animate", "person animal"),
    "love": _v("person", "person animal"),
    "read": _v("person", "readable", optional=True),
    "write": _v("person", "readable", optional=True, only=frozenset("letter poem book postcard recipe".split())),
    "buy": _v("person", "food drink readable thing"),
    "sell": _v("person", "food readable thing animal"),
    "find": _v("animate", "thing readable food"),
    "lose": _v("person", "thing readable"),
    "take": _v("person", "thing readable food"),
    "bring": _v("person", "thing readable food drink"),
    "carry": _v("animate", "thing"),
    "open": _v("person", "thing readable", only=OPENABLE),
    "close": _v("person", "thing readable", only=OPENABLE),
    "wash": _v("person", "thing animal food"),
    "clean": _v("person", "thing"),
    "cook": _v("person", "food", optional=True),
    "cut": _v("person", "food"),
    "paint": _v("person", "thing"),
    "draw": _v("person", "person animal thing"),
    "call": _v("person", "person animal"),
    "help": _v("person", "person animal"),
    "follow": _v("animate", "person animal"),
    "visit": _v("person", "person"),
    "meet": _v("person", "person"),
    "catch": _v("animate", "animal thing", only=frozenset(ANIMALS) | frozenset({"ball", "kite"})),
    "throw": _v("person", "thing", only=SMALL_THINGS),
    "push": _v("animate", "thing"),
    "pull": _v("animate", "thing"),
    "hold": _v("person", "thing readable food drink"),
    "hide": _v("person", "thing readable food"),
    "choose": _v("person", "thing readable food drink"),
    "forget": _v("person", "thing readable"),
    "repair": _v("person", "thing"),
    "build": _v("person", "thing", only=frozenset("table chair boat box bed basket kite".split())),
    "break": _v("animate", "thing"),
    "feed": _v("person", "animal person"),
    "want": _v("animate", "thing readable food drink"),
    "use": _v("person", "thing"),
    "send": _v("person", "readable thing", only=frozenset("letter postcard gift book".split())),
    "receive": _v("person", "readable thing", only=frozenset("letter postcard gift book".split())),
    "count": _v("person", "animal thing"),
    # intransitive
    "sleep": _v("animate"),
    "dance": _v("person"),
    "sing": _v("person"),
    "work": _v("person"),
    "laugh": _v("person"),
    "cry": _v("person"),
    "walk": _v("animate"),
    "swim": _v("animate"),
    "run": _v("animate"),
    "wait": _v("animate"),
    "play": _v("animate"),
    "rest": _v("animate"),
    "travel": _v("person"),
    "study": _v("person"),
    "jump": _v("animate"),
    "smile": _v("person"),
    "shout": _v("person"),
    # motion, with a required place complement
    "go": _v("animate", place_role="goal"),
    "come": _v("animate", place_role="source"),
}


# --- modifiers -----------------------------------------------------------------------------
def _a(classes: str, only=None) -> tuple[frozenset[str], frozenset[str] | None]:
    return frozenset(classes.split()), only


# adjective -> (noun classes it fits, optional explicit noun set)
ADJECTIVES: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {
    **{c: _a("animal thing") for c in "red blue green yellow black white grey brown pink purple".split()},
    "big": _a("animal thing person"),
    "small": _a("animal thing person food"),
    "old": _a("animal thing person readable"),
    "young": _a("animal person"),
    "new": _a("thing readable"),
    "pretty": _a("animal thing person"),
    "ugly": _a("animal thing"),
    "good": _a("food drink readable"),
    "bad": _a("food drink readable"),
    "long": _a("thing readable animal"),
    "short": _a("thing readable"),
    "heavy": _a("thing animal"),
    "light": _a("thing"),
    "hot": _a("food drink"),
    "cold": _a("food drink"),
    "clean": _a("thing"),
    "dirty": _a("thing animal"),
    "happy": _a("person animal"),
    "sad": _a("person animal"),
    "tired": _a("person animal"),
    "fast": _a("animal thing", only=frozenset(ANIMALS) | frozenset({"car", "bicycle", "boat"})),
    "slow": _a("animal thing", only=frozenset(ANIMALS) | frozenset({"car", "bicycle", "boat"})),
    "strong": _a("person animal"),
    "rich": _a("person"),
    "poor": _a("person"),
    "kind": _a("person"),
    "funny": _a("person animal readable"),
    "expensive": _a("thing food drink readable"),
    "cheap": _a("thing food drink readable"),
    "empty": _a("thing", only=CONTAINERS),
    "full": _a("thing", only=CONTAINERS),
    "famous": _a("person readable"),
    "strange": _a("person animal thing readable"),
    "modern": _a("thing"),
    "intelligent": _a("person animal"),
    "lazy": _a("person animal"),
    "brave": _a("person animal"),
    "shy": _a("person animal"),
    "sweet": _a("food drink"),
    "fresh": _a("food drink"),
    "round": _a("thing food"),
    "soft": _a("thing food animal"),
}

# Manner adverbs; they sit after the object in every language ("... the apple slowly").
ADVERBS = (
    "quickly slowly quietly loudly carefully happily sadly well badly together alone again "
    "calmly patiently gently early late"
).split()

# time expression -> tenses it fits
ANY_TENSE: frozenset[Tense] = frozenset({"present", "past", "future"})
TIMES: dict[str, frozenset[str]] = {
    "today": ANY_TENSE,
    "yesterday": frozenset({"past"}),
    "tomorrow": frozenset({"future"}),
    "now": frozenset({"present"}),
    "this_morning": ANY_TENSE,
    "this_evening": ANY_TENSE,
    "every_day": frozenset({"present"}),
    "every_morning": frozenset({"present"}),
    "every_week": frozenset({"present"}),
    "last_week": frozenset({"past"}),
    "next_week": frozenset({"future"}),
    "last_year": frozenset({"past"}),
    "next_year": frozenset({"future"}),
    **{d: ANY_TENSE for d in "monday tuesday wednesday thursday friday saturday sunday".split()},
}


def concept_count() -> int:
    """How many distinct concepts the world has (nouns, places, verbs, ...)."""
    return (
        len(NOUN_CLASS) + len(PLACES) + len(VERBS) + len(ADJECTIVES) + len(ADVERBS)
        + len(TIMES) + len(NAMES) + len(NUMBERS) + len(PRONOUNS)
    )


def is_person(np) -> bool:
    """True for names, pronouns and person nouns: they take "who", Spanish personal "a", ..."""
    return np.kind in ("name", "pronoun") or NOUN_CLASS.get(np.head) == "person"


def natural_gender(np) -> str | None:
    """The sex of a name or person noun ("m"/"f"), None for animals and things."""
    if np.kind == "name":
        return NAMES[np.head]
    if np.kind == "pronoun":
        return np.gender
    return PERSON_SEX.get(np.head)
