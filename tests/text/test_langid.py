"""Language identification from spelling: character n-gram models of each language."""

import pytest

from audiopalm.errors import AudiopalmError
from audiopalm.text.langid import CharNgramLid, char_ngrams

TEXTS = [("The dog eats at the house.", "en"), ("The neighbour sings at the market.", "en"),
         ("Le chien mange à la maison.", "fr"), ("Le voisin chante au marché.", "fr"),
         ("El perro come en la casa.", "es"), ("El vecino canta en el mercado.", "es")]


def test_ngrams_of_every_order_with_word_edges():
    assert char_ngrams("ab", 2) == [" ", "a", "b", " ", " a", "ab", "b "]


def test_misspelt_text_is_still_placed_in_its_language(tmp_path):
    lid = CharNgramLid.fit(TEXTS, min_count=1)
    assert lid.languages == ["en", "es", "fr"]
    for heard, lang in [("the nebour sing at the marke", "en"), ("le shien mansh a la meson", "fr"),
                        ("el pero come en la kasa", "es")]:
        scores = lid.log_likelihoods(heard)
        assert max(scores, key=scores.get) == lang, heard
    lid.save(tmp_path / "langid.json")
    again = CharNgramLid.load(tmp_path / "langid.json")
    assert again.counts == lid.counts and again.log_likelihoods("le chien") == lid.log_likelihoods("le chien")


def test_each_language_is_a_character_model_whose_next_characters_sum_to_one():
    import math

    lid = CharNgramLid.fit(TEXTS, min_count=1)
    for lang in lid.languages:
        for history in [" ", " th", " le ch", " xq"]:
            total = sum(math.exp(lid.next_char_log_prob(lang, history, ch)) for ch in lid.alphabet)
            assert total == pytest.approx(1.0), (lang, history)
    assert lid.next_char_log_prob("en", " the ", "d") > lid.next_char_log_prob("fr", " the ", "d")
    assert lid.next_char_log_prob("es", " el per", "r") > lid.next_char_log_prob("es", " el per", "s")
    assert lid.next_char_log_prob("fr", "ab", "?") < lid.next_char_log_prob("fr", "ab", "a"), "unseen: smoothing"


def test_rare_ngrams_are_dropped_and_bad_files_are_one_error(tmp_path):
    full, pruned = CharNgramLid.fit(TEXTS, min_count=1), CharNgramLid.fit(TEXTS)  # min_count 2 by default
    assert "mang" in full.counts["fr"] and "mang" not in pruned.counts["fr"] and pruned.counts["fr"]["le"] == 2
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AudiopalmError, match="not a language identifier"):
        CharNgramLid.load(tmp_path / "bad.json")
    with pytest.raises(AudiopalmError, match="no texts"):
        CharNgramLid.fit([])
