"""Choosing rows of a manifest: the first N per language, and N spread across it."""

from audiopalm.data.manifest import first_per_language, spread

ROWS = [{"id": i, "lang": lang} for i, lang in enumerate("en fr en en fr de en".split())]


def test_first_per_language_keeps_the_manifests_order():
    assert [r["id"] for r in first_per_language(ROWS, 2)] == [0, 1, 2, 4, 5]
    assert [r["id"] for r in first_per_language(iter(ROWS), 1)] == [0, 1, 5]
    assert first_per_language(ROWS, 0) == []


def test_spread_takes_rows_evenly():
    assert [r["id"] for r in spread(ROWS, 3)] == [0, 2, 4]
    assert spread(ROWS, 10) == ROWS
