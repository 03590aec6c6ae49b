"""Word n-gram models read a character at a time through their lexicon, mixed with the character model."""

import math

import numpy as np
import pytest

from audiopalm.errors import AudiopalmError
from audiopalm.generation.ctc import best_spelling
from audiopalm.text.langid import CharNgramLid
from audiopalm.text.words import SpellingModel, WordNgram

TEXTS = [("Un autiste mange.", "fr"), ("Un autiste dort.", "fr"), ("Une tante mange.", "fr"),
         ("Le chien dort à la maison.", "fr"), ("The dog sleeps.", "en"), ("The cat eats.", "en")]


def test_next_characters_sum_to_one_inside_the_lexicon_and_nothing_leaves_it():
    words = WordNgram.fit(TEXTS)
    alphabet = sorted({c for t, _ in TEXTS for c in t.lower()} | {" "})
    for history in [" ", " u", " un", " un ", " un aut", " un autiste ", " le chien dort à la "]:
        total = sum(math.exp(words.char_log_prob("fr", history, c)) for c in alphabet)
        assert total == pytest.approx(1.0), history
    assert words.char_log_prob("fr", " un aut", "o") == -math.inf, "no word goes on so"
    assert words.char_log_prob("fr", " un ", " ") == -math.inf, "a space before any letter of a word"
    assert words.char_log_prob("fr", " un", " ") > words.char_log_prob("fr", " un", "e"), "'un' twice, 'une' once"
    assert words.in_lexicon("fr", " un aut") and not words.in_lexicon("fr", " un aux")
    assert words.char_log_prob("en", " the ", "d") > words.char_log_prob("en", " the ", "q")


def test_the_context_of_previous_words_counts():
    words = WordNgram.fit(TEXTS)
    after_autiste = words.char_log_prob("fr", " un autiste ", "m")  # "mange" and "dort" after "un autiste", once each
    after_tante = words.char_log_prob("fr", " une tante ", "m")  # only "mange" after "une tante"
    assert after_tante > after_autiste


def test_the_mixture_sums_to_one_and_spells_words_outside_the_lexicon():
    words, chars = WordNgram.fit(TEXTS), CharNgramLid.fit(TEXTS, min_count=1)
    spell = SpellingModel(words, chars, "fr", share=0.9)
    for history in [" ", " un aut", " un aux", " zz"]:
        total = sum(math.exp(spell(history, c)) for c in chars.alphabet)
        assert total == pytest.approx(1.0), history
    assert math.isfinite(spell(" un aut", "o")), "an unknown word costs, but can be spelt"
    assert spell(" un aut", "o") < math.log(0.1) + chars.next_char_log_prob("fr", " un aut", "o") + 1e-9


def test_a_spelling_search_writes_the_word_the_lexicon_knows():
    """Frames that say "un autiste" with its third letter unsure (u or o): characters alone take the o, the words
    the u."""
    words, chars = WordNgram.fit(TEXTS), CharNgramLid.fit(TEXTS, min_count=1)
    vocab = ["<blank>", " ", "a", "e", "i", "n", "o", "s", "t", "u"]
    said = "un autiste"
    rows = []
    for c in said:
        row = np.full(len(vocab), -9.0)
        row[vocab.index(c)] = -0.05
        if c == "u" and rows and len(rows) > 3:  # the second "u": heard as "o" a little more
            row[vocab.index("u")], row[vocab.index("o")] = -0.9, -0.6
        rows += [row, np.where(np.arange(len(vocab)) == 0, -0.01, -9.0)]
    frames = np.array(rows)
    _, plain = best_spelling(frames, vocab, lambda h, c: math.log(1 / len(vocab)), 1.0)
    assert plain == "un aotiste"
    _, spelt = best_spelling(frames, vocab, SpellingModel(words, chars, "fr"), 1.0)
    assert spelt == said


def test_each_word_keeps_its_usual_case_away_from_a_sentences_start():
    texts = [("Ich sehe die Lehrerin. Anna schläft?", "de"), ("Die Lehrerin sieht Anna.", "de"),
             ("¿Un vecino vio a Laura?", "es"), ("Anna ve a un vecino .", "es"), ("Hier ist die lehrerin.", "de")]
    words = WordNgram.fit(texts)
    assert words.capitalised("de", "lehrerin") is True, "twice capitalised, once not"
    assert words.capitalised("de", "die") is False and words.capitalised("de", "sehe") is False
    assert words.capitalised("de", "anna") is True and words.capitalised("es", "laura") is True
    assert words.capitalised("de", "ich") is None, "only ever at a sentence's start"
    assert words.capitalised("es", "anna") is None and words.capitalised("es", "un") is False, "after '¿'"
    assert words.capitalised("fr", "anna") is None


def test_saved_and_loaded(tmp_path):
    words = WordNgram.fit(TEXTS)
    words.save(tmp_path / "words.json.gz")
    again = WordNgram.load(tmp_path / "words.json.gz")
    assert again.counts == words.counts and again.languages == ["en", "fr"]
    assert again.char_log_prob("fr", " un a", "u") == words.char_log_prob("fr", " un a", "u")
    assert again.casing == words.casing
    (tmp_path / "bad.json.gz").write_text("{}")
    with pytest.raises(AudiopalmError, match="not a word model"):
        WordNgram.load(tmp_path / "bad.json.gz")
    with pytest.raises(AudiopalmError, match="no texts"):
        WordNgram.fit([])


def test_a_full_memo_starts_again_and_answers_the_same(monkeypatch):
    import audiopalm.text.words as module

    words = WordNgram.fit(TEXTS)
    asked = [(" un aut", "i"), (" le chien ", "d"), (" une t", "a"), (" the ", "c")]
    before = [words.char_log_prob("fr" if i < 3 else "en", h, c) for i, (h, c) in enumerate(asked)]
    monkeypatch.setattr(module, "MEMO_LIMIT", 2)
    again = WordNgram(words.counts)
    assert [again.char_log_prob("fr" if i < 3 else "en", h, c) for i, (h, c) in enumerate(asked)] == before
    assert len(again._memo) <= 2
