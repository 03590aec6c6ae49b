"""English: lexicon and realizer.

Every language module has the same shape: lexicon tables keyed by the concept ids of
`concepts.py` (NOUNS, PLACES, VERBS, ADJECTIVES, ADVERBS, TIMES, NUMBERS) and
`realize(Sentence) -> str`.
"""

from __future__ import annotations

from audiopalm.data.babel.concepts import is_person
from audiopalm.data.babel.meaning import NounPhrase, RelClause, Sentence, person_of

CODE = "en"
NAME = "English"


def _pairs(spec: str) -> dict[str, tuple[str, str]]:
    """'dog dogs, mouse mice' -> {'dog': ('dog', 'dogs'), 'mouse': ('mouse', 'mice')}."""
    out = {}
    for item in spec.split(","):
        sg, pl = item.split()
        out[sg] = (sg, pl)
    return out


# concept -> (singular, plural)
NOUNS: dict[str, tuple[str, str]] = {
    **_pairs(
        "dog dogs, cat cats, horse horses, cow cows, bird birds, fish fish, mouse mice, "
        "rabbit rabbits, sheep sheep, pig pigs, duck ducks, hen hens, lion lions, tiger tigers, "
        "bear bears, wolf wolves, fox foxes, monkey monkeys, elephant elephants, snake snakes, "
        "frog frogs, goat goats, donkey donkeys, owl owls, turtle turtles, deer deer, camel camels"
    ),
    **_pairs(
        "man men, woman women, boy boys, girl girls, baby babies, king kings, queen queens, "
        "father fathers, mother mothers, brother brothers, sister sisters, son sons, "
        "daughter daughters, uncle uncles, aunt aunts, grandfather grandfathers, "
        "grandmother grandmothers"
    ),
    **{
        f"{p}_{s}": (p, pl)
        for p, pl in _pairs(
            "friend friends, teacher teachers, doctor doctors, student students, cook cooks, "
            "farmer farmers, baker bakers, singer singers, neighbour neighbours, driver drivers, "
            "writer writers, painter painters, nurse nurses"
        ).values()
        for s in "mf"
    },
    **_pairs(
        "apple apples, egg eggs, orange oranges, banana bananas, pear pears, tomato tomatoes, "
        "carrot carrots, potato potatoes, sandwich sandwiches, pizza pizzas, cake cakes, "
        "cookie cookies, strawberry strawberries, lemon lemons, onion onions, peach peaches, "
        "melon melons, cherry cherries, plum plums, sausage sausages, bread bread, cheese cheese, soup soup, "
        "rice rice, meat meat, chocolate chocolate, salad salad"
    ),
    **_pairs("water water, milk milk, coffee coffee, tea tea, juice juice, wine wine, beer beer, lemonade lemonade"),
    **_pairs(
        "book books, letter letters, newspaper newspapers, magazine magazines, poem poems, "
        "map maps, postcard postcards, recipe recipes"
    ),
    **_pairs(
        "table tables, chair chairs, door doors, window windows, box boxes, bottle bottles, "
        "cup cups, glass glasses, plate plates, knife knives, spoon spoons, fork forks, key keys, "
        "bag bags, ball balls, car cars, bicycle bicycles, boat boats, hat hats, shoe shoes, "
        "shirt shirts, dress dresses, coat coats, umbrella umbrellas, clock clocks, lamp lamps, "
        "bed beds, picture pictures, flower flowers, tree trees, stone stones, pen pens, "
        "pencil pencils, phone phones, computer computers, guitar guitars, piano pianos, "
        "toy toys, doll dolls, kite kites, gift gifts, ticket tickets, ring rings, "
        "watch watches, basket baskets, blanket blankets, mirror mirrors, candle candles, "
        "bucket buckets, rope ropes, towel towels, brush brushes, wallet wallets, "
        "envelope envelopes, bell bells"
    ),
}

# place -> (noun, locative preposition); goal is "to the X", source "from the X".
PLACES: dict[str, tuple[str, str]] = {
    p: (p, prep)
    for prep, places in {
        "in": "park kitchen garden house library forest city church village street",
        "at": "market school station museum restaurant cinema office bakery shop bank lake zoo "
        "hotel airport theatre supermarket hospital",
        "on": "beach farm mountain",
    }.items()
    for p in places.split()
}

# concept -> (base, third person singular present, past)
VERBS: dict[str, tuple[str, str, str]] = {
    v.split()[0]: tuple(v.split())  # type: ignore[misc]
    for v in (
        "eat eats ate, drink drinks drank, see sees saw, watch watches watched, hear hears heard, "
        "love loves loved, read reads read, write writes wrote, buy buys bought, sell sells sold, "
        "find finds found, lose loses lost, take takes took, bring brings brought, "
        "carry carries carried, open opens opened, close closes closed, wash washes washed, "
        "clean cleans cleaned, cook cooks cooked, cut cuts cut, paint paints painted, "
        "draw draws drew, call calls called, help helps helped, follow follows followed, "
        "visit visits visited, meet meets met, catch catches caught, throw throws threw, "
        "push pushes pushed, pull pulls pulled, hold holds held, hide hides hid, "
        "choose chooses chose, forget forgets forgot, repair repairs repaired, "
        "build builds built, break breaks broke, feed feeds fed, want wants wanted, "
        "use uses used, send sends sent, receive receives received, count counts counted, "
        "sleep sleeps slept, dance dances danced, sing sings sang, work works worked, "
        "laugh laughs laughed, cry cries cried, walk walks walked, swim swims swam, "
        "run runs ran, wait waits waited, play plays played, rest rests rested, "
        "travel travels travelled, study studies studied, jump jumps jumped, "
        "smile smiles smiled, shout shouts shouted, go goes went, come comes came"
    ).split(", ")
}

ADJECTIVES: dict[str, str] = {
    a: a
    for a in (
        "red blue green yellow black white grey brown pink purple big small old young new "
        "pretty ugly good bad long short heavy light hot cold clean dirty happy sad tired fast "
        "slow strong rich poor kind funny expensive cheap empty full famous strange modern "
        "intelligent lazy brave shy sweet fresh round soft"
    ).split()
}
ADVERBS: dict[str, str] = {a: a for a in (
    "quickly slowly quietly loudly carefully happily sadly well badly together alone again "
    "calmly patiently gently early late"
).split()}
TIMES: dict[str, str] = {
    "today": "today", "yesterday": "yesterday", "tomorrow": "tomorrow", "now": "now",
    "this_morning": "this morning", "this_evening": "this evening", "every_day": "every day",
    "every_morning": "every morning", "every_week": "every week", "last_week": "last week",
    "next_week": "next week", "last_year": "last year", "next_year": "next year",
    **{d: f"on {d.capitalize()}" for d in "monday tuesday wednesday thursday friday saturday sunday".split()},
}
NUMBERS: dict[int, str] = dict(enumerate(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split(), start=2))

PRONOUNS = {"1sg": "I", "2sg": "you", "3sg": {"m": "he", "f": "she"}, "1pl": "we", "2pl": "you", "3pl": "they"}


# --- noun phrases ------------------------------------------------------------------------
def _indefinite_article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


def noun_phrase(np: NounPhrase) -> str:
    if np.kind == "name":
        return np.head
    if np.kind == "pronoun":
        p = PRONOUNS[np.head]
        return p[np.gender] if isinstance(p, dict) else p
    noun = NOUNS[np.head][0 if np.number == "sg" else 1]
    words = ([ADJECTIVES[np.adj]] if np.adj else []) + [noun]
    if np.det == "def":
        det = "the"
    elif np.det == "num":
        det = NUMBERS[np.count]
    else:
        det = _indefinite_article(words[0]) if np.number == "sg" else "some"
    out = " ".join([det, *words])
    return f"{out} {relative_clause(np, np.rel)}" if np.rel else out


def relative_clause(head: NounPhrase, rel: RelClause) -> str:
    if rel.role == "subject":
        pronoun = "who" if is_person(head) else "that"
        verb = _present(rel.verb, person_of(head))
        return " ".join([pronoun, verb] + ([noun_phrase(rel.other)] if rel.other else []))
    return f"that {noun_phrase(rel.other)} {_present(rel.verb, person_of(rel.other))}"


# --- verbs ---------------------------------------------------------------------------------
def _present(verb: str, person: str) -> str:
    return VERBS[verb][1] if person == "3sg" else VERBS[verb][0]


def _finite(s: Sentence, person: str) -> list[str]:
    """Verb group of a declarative clause: ['does', 'not', 'eat'], ['ate'], ['will', 'eat']."""
    base, _, past = VERBS[s.verb]
    if s.tense == "future":
        return ["will", "not", base] if s.negated else ["will", base]
    if s.negated:
        aux = "did" if s.tense == "past" else ("does" if person == "3sg" else "do")
        return [aux, "not", base]
    return [past] if s.tense == "past" else [_present(s.verb, person)]


def _question_aux(s: Sentence, person: str) -> str:
    if s.tense == "future":
        return "will"
    if s.tense == "past":
        return "did"
    return "does" if person == "3sg" else "do"


def _place(s: Sentence) -> str:
    noun, prep = PLACES[s.place]
    prep = {"loc": prep, "goal": "to", "source": "from"}[s.place_role]
    return f"{prep} the {noun}"


def _tail(s: Sentence, skip: str | None = None) -> list[str]:
    """Object, adverb, place, companion and (unfronted) time, minus a questioned part."""
    out = []
    if s.obj and skip != "object":
        out.append(noun_phrase(s.obj))
    if s.adverb:
        out.append(ADVERBS[s.adverb])
    if s.place and skip != "place":
        out.append(_place(s))
    if s.companion:
        out.append(f"with {noun_phrase(s.companion)}")
    if s.time and not s.topic_time and skip != "time":
        out.append(TIMES[s.time])
    return out


def realize(s: Sentence) -> str:
    person = person_of(s.subject)
    subject = noun_phrase(s.subject)
    base = VERBS[s.verb][0]
    if s.mood == "statement":
        words = [subject, *_finite(s, person), *_tail(s)]
        if s.topic_time:
            words = [TIMES[s.time] + ","] + words
        text, end = " ".join(words), "."
    elif s.mood == "yes_no":
        text, end = " ".join([_question_aux(s, person), subject, base, *_tail(s)]), "?"
    elif s.wh == "subject":
        text, end = " ".join(["who", *_finite(s, "3sg"), *_tail(s)]), "?"
    else:
        wh = {"object": "who" if s.obj and is_person(s.obj) else "what",
              "place": "where", "time": "when"}[s.wh]
        words = [wh, _question_aux(s, person), subject, base, *_tail(s, skip=s.wh)]
        if s.wh == "place" and s.place_role == "source":
            words.append("from")
        text, end = " ".join(words), "?"
    return text[0].upper() + text[1:] + end
