import pytest

from audiopalm.evaluation.text import english_number, error_rates, normalize


def test_normalize_casing_punctuation_and_digits():
    assert normalize("Did the 13 Dogs eat?") == "did the thirteen dogs eat"
    assert normalize("¿Dónde duerme el gato?", "es") == "dónde duerme el gato"
    assert normalize("Aujourd'hui, l'homme mange.", "fr") == "aujourd'hui l'homme mange"
    assert normalize("na segunda-feira.", "pt") == "na segunda-feira"


def test_english_number():
    assert [english_number(n) for n in (0, 7, 20, 21, 99)] == ["zero", "seven", "twenty", "twenty one", "ninety nine"]


def test_error_rates_hand_computed():
    # one substitution in four words, one deletion in two words -> 2 errors / 6 words
    rates = error_rates(["the dog eats apples", "hello world"], ["the cat eats apples", "hello"])
    assert rates["wer"] == pytest.approx(2 / 6)


def test_empty_hypothesis_counts_as_deletions():
    assert error_rates(["the dog sleeps"], [""])["wer"] == pytest.approx(1.0)


def test_normalisation_makes_case_and_punctuation_free():
    assert error_rates(["The dog sleeps."], ["the dog sleeps"])["wer"] == 0.0
