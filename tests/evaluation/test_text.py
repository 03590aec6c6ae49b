import pytest

from audiopalm.evaluation.text import bleu, error_rates, translation_scores, word_errors
from audiopalm.text.normalize import english_number, normalize


def test_normalize_casing_punctuation_and_digits():
    assert normalize("Did the 13 Dogs eat?") == "did the thirteen dogs eat"
    assert normalize("¿Dónde duerme el gato?", "es") == "dónde duerme el gato"
    assert normalize("Aujourd'hui, l'homme mange.", "fr") == "aujourd'hui l'homme mange"
    assert normalize("na segunda-feira.", "pt") == "na segunda-feira"


def test_english_number():
    assert [english_number(n) for n in (0, 7, 20, 21, 99)] == ["zero", "seven", "twenty", "twenty one", "ninety nine"]


def test_word_errors_count_edits_after_normalisation():
    assert word_errors("You will wash 15 cherries.", "you will wash fifteen cherries") == 0
    assert word_errors("Vous laverez quinze cerises.", "Vous laverez quatorze cerises à", "fr") == 2  # sub + ins
    assert word_errors("the dog", "") == 2 and word_errors("", "the dog") == 2 and word_errors("", "") == 0


def test_error_rates_hand_computed():
    # one substitution in four words, one deletion in two words -> 2 errors / 6 words
    rates = error_rates(["the dog eats apples", "hello world"], ["the cat eats apples", "hello"])
    assert rates["wer"] == pytest.approx(2 / 6)


def test_empty_hypothesis_counts_as_deletions():
    assert error_rates(["the dog sleeps"], [""])["wer"] == pytest.approx(1.0)


def test_normalisation_makes_case_and_punctuation_free():
    assert error_rates(["The dog sleeps."], ["the dog sleeps"])["wer"] == 0.0


def test_bleu_hand_computed():
    # 6-token hypothesis, 1- to 4-gram precisions 5/6, 3/5, 2/4, 1/3, equal lengths (no brevity penalty):
    # BLEU = (5/6 * 3/5 * 1/2 * 1/3) ** (1/4) = (1/12) ** 0.25
    score, signature = bleu(["the cat sat on the mat"], ["the cat sat on a mat"])
    assert score == pytest.approx(100 * (1 / 12) ** 0.25, abs=1e-6)
    assert "tok:13a" in signature and "case:mixed" in signature


def test_translation_scores_perfect_empty_and_cased():
    perfect = translation_scores(["Le chat dort."], ["Le chat dort."])
    assert perfect["bleu"] == pytest.approx(100) and perfect["chrf"] == pytest.approx(100)
    empty = translation_scores(["Le chat dort."], [""])
    assert empty["bleu"] == 0 and empty["chrf"] == 0
    # BLEU and chrF are case-sensitive (as published scores are); WER is not
    cased = translation_scores(["Le chat dort."], ["le chat dort."])
    assert cased["chrf"] < 100 and cased["bleu"] < 100
    assert "nc:6" in perfect["signature"]
