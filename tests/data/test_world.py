"""The Babel world: concepts, splits and speakers."""

import random

import pytest

from audiopalm.data.babel import concepts as C
from audiopalm.data.babel.languages import LANGUAGES, get_language
from audiopalm.data.babel.meaning import sentence_from_dict
from audiopalm.data.babel.sampler import sample_sentence
from audiopalm.data.babel.speakers import (SECOND_VOICE_SHARE, SPEAKERS, UNSEEN_SPLIT, all_speakers, festival_speakers,
                                          speaker_table)
from audiopalm.data.babel.world import (
    SPEAKER_BY_ID,
    Utterance,
    WorldConfig,
    build_splits,
    combinations,
    held_out_combinations,
    plan_utterances,
    preset_config,
    speakers_for,
    word_count,
)
from audiopalm.errors import AudiopalmError

TABLES = ("NOUNS", "PLACES", "VERBS", "ADJECTIVES", "ADVERBS", "TIMES", "NUMBERS")


def test_at_least_400_concepts():
    assert C.concept_count() >= 400


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_language_covers_every_concept(code):
    en = LANGUAGES["en"].module
    mod = LANGUAGES[code].module
    for table in TABLES:
        assert set(getattr(mod, table)) == set(getattr(en, table)), f"{code}.{table}"


def test_six_languages_with_voice_file_names():
    assert set(LANGUAGES) == {"en", "fr", "es", "de", "it", "pt"}
    # "fr-fr+f2" silently drops the variant; the voice must be the file name.
    assert LANGUAGES["fr"].espeak_voice == "fr"


def test_unknown_language_lists_supported():
    with pytest.raises(AudiopalmError, match="supported: en, fr, es, de, it, pt"):
        get_language("xx")


def test_sentences_round_trip_through_dicts():
    rng = random.Random(0)
    for _ in range(200):
        s = sample_sentence(rng)
        assert sentence_from_dict(s.to_dict()) == s


def test_sampling_is_deterministic():
    a = [sample_sentence(random.Random(7)) for _ in range(3)]
    b = [sample_sentence(random.Random(7)) for _ in range(3)]
    assert a == b


def test_splits_are_disjoint_in_every_language():
    config = WorldConfig(dev_sentences=30, test_sentences=40)
    splits = build_splits(config, n_train=300)
    assert [len(splits[s]) for s in ("train", "dev", "test")] == [300, 30, 40]
    for code in LANGUAGES:
        texts = {s: {it.texts[code] for it in splits[s]} for s in splits}
        assert not texts["train"] & texts["test"]
        assert not texts["train"] & texts["dev"]
        assert not texts["dev"] & texts["test"]


def test_test_holds_combinations_never_seen_in_train():
    config = WorldConfig(dev_sentences=10, test_sentences=40, compositional_share=0.25)
    splits = build_splits(config, n_train=500)
    held = held_out_combinations(config.seed)
    novel = [it for it in splits["test"] if it.novel]
    assert len(novel) == 10
    train_combos = set().union(*(combinations(it.sentence) for it in splits["train"]))
    assert not train_combos & held
    assert all(combinations(it.sentence) & held for it in novel)


def test_dev_and_test_do_not_depend_on_train_size():
    config = WorldConfig(dev_sentences=10, test_sentences=12)
    a, b = build_splits(config, 10), build_splits(config, 200)
    assert [it.sentence_id for it in a["test"]] == [it.sentence_id for it in b["test"]]


def test_word_count_ignores_detached_punctuation():
    assert word_count("Est-ce qu'Anna a dormi ?") == 4


def test_lengths_within_bounds():
    splits = build_splits(WorldConfig(dev_sentences=50, test_sentences=50), n_train=200)
    for items in splits.values():
        for it in items:
            for text in it.texts.values():
                assert 3 <= word_count(text) <= 20


def test_at_least_40_speakers_disjoint_between_splits():
    ids = {split: {s.id for s in spk} for split, spk in SPEAKERS.items()}
    assert len(all_speakers()) >= 40
    assert not ids["train"] & ids["test"] and not ids["train"] & ids["dev"] and not ids["dev"] & ids["test"]
    variants = {split: {s.variant for s in spk} for split, spk in SPEAKERS.items()}
    assert not variants["train"] & variants["test"], "held-out speakers must differ in timbre too"


def test_test_sentences_get_two_distinct_voices_covering_all_speakers():
    seen = set()
    for i in range(30):
        pair = speakers_for("test", i, 0, 2)
        assert pair[0] != pair[1]
        seen.update(pair)
    assert seen == {s.id for s in speaker_table("2.0")["test"]}


def test_hours_per_language_give_low_resource_languages_fewer_utterances():
    config = WorldConfig(languages=["en", "pt"], hours_per_language={"en": 0.05, "pt": 0.01})
    splits = build_splits(config, n_train=80)
    plan = plan_utterances(config, splits, {"en": 0.06, "pt": 0.06})
    train = [u for u in plan if u.split == "train"]
    n_en = sum(u.lang == "en" for u in train)
    n_pt = sum(u.lang == "pt" for u in train)
    assert n_pt < n_en / 3
    # the low-resource language says a prefix of the same sentences, in the same voices where the
    # voice speaks both languages (espeak-ng variants)
    en_by_sentence = {u.sentence_id: u.speaker for u in train if u.lang == "en"}
    espeak = [u for u in train if u.lang == "pt" and SPEAKER_BY_ID[en_by_sentence[u.sentence_id]].family == "espeak"]
    assert espeak and all(en_by_sentence[u.sentence_id] == u.speaker for u in espeak)


def _plan(version: str = "2.0"):
    config = WorldConfig(dev_sentences=20, test_sentences=24, version=version)
    splits = build_splits(config, n_train=300)
    return plan_utterances(config, splits, {lang: 0.06 for lang in LANGUAGES})


def test_generator_2_mixes_families_and_holds_one_out():
    plan = _plan()
    family = {split: {SPEAKER_BY_ID[u.speaker].family for u in plan if u.split == split}
              for split in ("train", "dev", "test", UNSEEN_SPLIT)}
    assert family["train"] == family["dev"] == family["test"] == {"espeak", "mbrola"}
    assert family[UNSEEN_SPLIT] == {"pico"}
    for u in plan:
        assert SPEAKER_BY_ID[u.speaker].covers(u.lang), "every voice speaks the language it is given"
    unseen = [u for u in plan if u.split == UNSEEN_SPLIT]
    test_sentences = {u.sentence_id for u in plan if u.split == "test"}
    assert {u.sentence_id for u in unseen} == test_sentences
    assert {u.lang for u in unseen} == {"en", "fr", "es", "de", "it"}, "Pico has no Portuguese"


def test_generator_2_1_widens_train_and_keeps_the_evaluation_of_2_0():
    old, new = _plan("2.0"), _plan("2.1")
    for split in ("dev", "test", UNSEEN_SPLIT):
        assert [u for u in new if u.split == split] == [u for u in old if u.split == split], split
    train = [u for u in new if u.split == "train"]
    speakers = {SPEAKER_BY_ID[u.speaker] for u in train}
    assert {s.family for s in speakers} == {"espeak", "mbrola", "flite"}
    cross = {s for s in speakers if s.family == "mbrola" and "-" in s.variant}
    assert cross and all(s.languages == ("en",) for s in cross)
    assert not {s.mbrola_voice for s in cross} & {s.mbrola_voice for s in speaker_table("2.1")["test"] + speaker_table("2.1")["dev"]
                                                   if s.family == "mbrola"}, "a test voice must not speak in train"

    def other_share(plan):
        train = [u for u in plan if u.split == "train"]
        return sum(SPEAKER_BY_ID[u.speaker].family != "espeak" for u in train) / len(train)

    assert other_share(new) > 1.5 * other_share(old)


def test_generator_2_2_keeps_every_utterance_of_2_1_and_adds_second_voices_to_train():
    old, new = _plan("2.1"), _plan("2.2")
    assert set(old) <= set(new), "every 2.1 utterance, file for file (its id, voice and text: its audio)"
    added = [u for u in new if u not in set(old)]
    assert added and {u.split for u in added} == {"train"}
    assert {SPEAKER_BY_ID[u.speaker].family for u in added} == {"festival"}
    assert {u.lang for u in added} == {"es", "it"}
    assert {u.speaker for u in added if u.lang == "it"} == {s.id for s in festival_speakers("train") if s.covers("it")}
    assert len({u.id for u in new}) == len(new)
    train = {u.sentence_id for u in old if u.split == "train"}
    assert {u.sentence_id for u in added} <= train, "a second voice says train sentences again"
    for lang in ("es", "it"):  # SECOND_VOICE_SHARE of the language's train hours (estimated as the plan does)
        first = sum(len(u.text) for u in old if u.split == "train" and u.lang == lang)
        second = sum(len(u.text) for u in added if u.lang == lang)
        assert 0.5 * SECOND_VOICE_SHARE < second / first < 1.5 * SECOND_VOICE_SHARE, lang


def test_generator_2_keeps_same_voice_references_and_distinct_test_voices():
    plan = _plan()
    train = [u for u in plan if u.split == "train"]
    by_sentence: dict = {}
    for u in train:
        by_sentence.setdefault(u.sentence_id, set()).add(u.speaker)
    same_voice = [s for s, voices in by_sentence.items() if len(voices) == 1]
    assert len(same_voice) > len(by_sentence) / 2, "espeak-ng sentences keep one voice in all six languages"
    test = [u for u in plan if u.split == "test"]
    ids = [u.id for u in plan]
    assert len(ids) == len(set(ids))
    for key in {(u.sentence_id, u.lang) for u in test}:
        voices = [u.speaker for u in test if (u.sentence_id, u.lang) == key]
        assert len(voices) == 2 and voices[0] != voices[1]


def test_generator_1_is_reproduced_by_its_version():
    plan = _plan("1.0")
    assert {SPEAKER_BY_ID[u.speaker].family for u in plan} == {"espeak"}
    assert not [u for u in plan if u.split == UNSEEN_SPLIT]
    assert {u.speaker for u in plan if u.split == "test"} <= {s.id for s in SPEAKERS["test"]}
    # file names of 1.0 worlds: a digest of the text and the espeak-ng arguments, as before
    import hashlib

    u = Utterance("x-en-test-f5-0", "test", "en", "test-f5-0", "A cat.", "x")
    key = "|".join(["A cat.", "-v", "en-us+f5", "-p", "38", "-s", "150", "-g", "1"])
    assert u.audio == f"audio/test/en/x-en-test-f5-0-{hashlib.sha1(key.encode()).hexdigest()[:8]}.wav"


def test_unknown_generator_version_is_refused():
    with pytest.raises(AudiopalmError, match="generator version"):
        WorldConfig(version="3.1").validate()


def test_presets():
    assert preset_config("small").hours("fr") >= 2.0
    small, medium = preset_config("small"), preset_config("medium")
    assert medium.hours("fr") == 4 * small.hours("fr")
    # medium is small with more training speech: the same evaluation utterances, its train a superset
    a, b = build_splits(small, 50), build_splits(medium, 200)
    for split in ("dev", "test"):
        assert [it.sentence_id for it in a[split]] == [it.sentence_id for it in b[split]]
    assert [it.sentence_id for it in b["train"][:50]] == [it.sentence_id for it in a["train"]]
    with pytest.raises(AudiopalmError, match="unknown preset"):
        preset_config("huge")
