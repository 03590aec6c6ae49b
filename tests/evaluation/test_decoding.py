"""Choosing the CTC head's weight per language on dev speakers (`audiopalm tune-ctc`)."""

import pytest

from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.decoding import TuneCtcConfig, choose, run


def test_each_language_gets_its_lowest_error_weight_and_the_smaller_on_a_tie():
    table = {"es": {0.0: 4.2, 0.3: 0.0, 0.5: 0.5}, "fr": {0.0: 34.8, 0.3: 42.9, 0.5: 45.0},
             "it": {0.0: 5.0, 0.1: 1.0, 0.3: 1.0}}
    assert choose(table) == {"es": 0.3, "fr": 0.0, "it": 0.1}


def test_weights_are_never_chosen_on_a_test_condition_nor_for_a_tokenizer_without_a_ctc_head(tiny_parts, tmp_path):
    from audiopalm.data.babel.languages import LANGUAGES
    from audiopalm.models.audiopalm import AudioPaLM

    data, root = tiny_parts
    with pytest.raises(AudiopalmError, match="never on a test condition"):
        run(TuneCtcConfig(str(tmp_path), str(data), split="test-noisy"))
    languages = {code: lang.name for code, lang in LANGUAGES.items()}
    AudioPaLM.from_text_lm(root / "lm", root / "tok", languages).save_pretrained(tmp_path)
    with pytest.raises(AudiopalmError, match="has no CTC head"):
        run(TuneCtcConfig(str(tmp_path), str(data)))
