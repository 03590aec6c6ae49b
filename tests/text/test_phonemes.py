"""Phoneme targets: espeak-ng's IPA without stress or punctuation, cached, and a CTC codec."""

import pytest

from audiopalm.text import phonemes as P


def test_french_spelling_becomes_sounds():
    assert P.phonemize_one("Un chat noir ?", "fr") == "œ̃ ʃa nwaʁ"
    # three spellings of /o/ give one symbol
    ipa = P.phonemize_one("eau au o", "fr")
    assert ipa.replace(" ", "") == "ooo"


def test_clause_breaks_are_word_breaks_and_stress_is_dropped():
    ipa = P.phonemize_one("Hello, world.", "en")
    assert "ˈ" not in ipa and "," not in ipa and len(ipa.split()) == 2


def test_cache_is_used_on_the_second_call(tmp_path, monkeypatch):
    cache = tmp_path / "phonemes.jsonl"
    first = P.phonemize([("Anna", "de"), ("Anna", "it")], cache=cache)
    monkeypatch.setattr(P, "phonemize_one", lambda *a: pytest.fail("espeak-ng called again"))
    assert P.phonemize([("Anna", "de")], cache=cache) == first


def test_codec_round_trip_and_ctc_collapse():
    vocab = P.build_phone_vocab(["ʃa nwaʁ"])
    codec = P.PhoneCodec(vocab)
    ids = codec.encode("ʃa nwaʁ")
    assert codec.decode_ctc([ids[0], ids[0], 0, *ids[1:]]) == "ʃa nwaʁ"
    assert vocab[0] == P.BLANK
