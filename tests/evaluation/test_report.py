"""The report writer: Markdown tables from a report dict, means split by zero-shot, plots as PNG files."""

import json

from audiopalm.evaluation.report import markdown, write_report


def _report():
    pair = lambda bleu, zs: {"bleu": bleu, "chrf": 2 * bleu, "zero_shot": zs, "n": 3, "signature": "sig"}  # noqa: E731
    return {
        "asr": {"en": {"wer": 0.25, "cer": 0.1, "n": 3}, "fr": {"wer": 0.5, "cer": 0.2, "n": 3}},
        "lid": {"en": {"accuracy": 1.0, "n": 3}, "fr": {"accuracy": 2 / 3, "n": 3, "taken_for": {"es": 1}}},
        "ast": {"fr-en": pair(20.0, False), "es-en": pair(30.0, False), "de-it": pair(6.0, True)},
        "mt": {"fr-en": pair(90.0, False)},
        "cascade": {"ast": {"fr-en": pair(15.0, False)}},
        "s2st": {"fr-en": {"n": 3, "zero_shot": False, "ast_bleu": 20.0,
                           "similarity": {"output": 0.8, "oracle": 0.85, "ceiling": 0.9, "floor": 0.6},
                           "dnsmos": {"output": {"ovrl": 3.0}, "oracle": {"ovrl": 3.1}, "reference": {"ovrl": 3.3}},
                           "asr_bleu": {"output": {"own": 12.0}, "oracle": {"own": 14.0}, "reference": {"own": 30.0}},
                           "token_bleu": {"output": 11.0, "oracle": 29.0}}},
        "real_time_factor": {"tokenizer": 0.01, "language_model": 0.1, "acoustic": 0.05, "codec": 0.02,
                             "total": 0.18, "utterances": 2, "threads": 2},
    }


def test_markdown_tables():
    md = markdown(_report())
    assert "| en | 25.0 | 10.0 | 100 |  | 3 |" in md and "| mean | 37.5 | 15.0 |  |  |  |" in md
    assert "| fr | 50.0 | 20.0 | 67 | es 1 | 3 |" in md, "where a language's clips went instead"
    assert "| fr-en | 20.0 | 40.0 | 15.0 | 30.0 | 90.0 | 180.0 | 3 |" in md
    assert "| es-en | 30.0 | 60.0 | - | - | - | - | 3 |" in md  # no cascade or MT for this pair
    assert "| mean supervised | 25.0 | 50.0 |" in md and "| mean zero-shot | 6.0 | 12.0 |" in md
    assert "| fr-en | output | 12.0 (own) | 11.0 | 20.0 | 0.800 | 0.900 | 0.600 | 3.00 | 3 |" in md
    assert "|  | oracle | 14.0 (own) | 29.0 |  | 0.850 | 0.900 | 0.600 | 3.10 | 3 |" in md
    assert "|  | ground truth | 30.0 (own) |  |  |  |  |  | 3.30 |  |" in md
    assert "| 0.010 | 0.100 | 0.050 | 0.020 | 0.180 | 2 | 2 |" in md


def test_write_report_files(tmp_path):
    written = write_report(_report(), tmp_path / "r")
    names = {p.name for p in written}
    assert names == {"results.json", "results.md", "asr.png", "translation.png", "speech.png", "rtf.png"}
    assert json.loads((tmp_path / "r" / "results.json").read_text())["ast"]["de-it"]["zero_shot"]
    for p in written:
        if p.suffix == ".png":
            assert p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 5000
    md = (tmp_path / "r" / "results.md").read_text()
    assert all(f"]({p.name})" in md for p in written if p.suffix == ".png")  # the Markdown shows the plots


def test_conditions_side_by_side():
    pair = lambda bleu, zs: {"bleu": bleu, "chrf": 2 * bleu, "zero_shot": zs, "n": 3, "signature": "sig"}  # noqa: E731
    report = _report()
    report["conditions"] = {
        "test-unseen-synth": {"asr": {"en": {"wer": 0.75, "cer": 0.4, "n": 3}}, "lid": {"en": {"accuracy": 0.5, "n": 3}},
                              "ast": {"en-fr": pair(4.0, False)}},
    }
    md = markdown(report)
    assert "## Test conditions side by side" in md
    assert "| test | 37.5 | 15.0 | 83.3 | 25.0 | 6.0 | 12.0 | en fr |" in md
    assert "| test-unseen-synth | 75.0 | 40.0 | 50.0 | 4.0 | - | - | en |" in md


def test_the_ast_decoding_note_only_with_ast_results():
    note = "AST is decoded through the combined task `[ASR AST X Y]`"
    report = {**_report(), "ast_task": "ASR AST"}
    assert note in markdown(report)
    mt_only = {"mt": report["mt"], "ast_task": "ASR AST"}  # `eval --tasks mt` of a model that decodes AST so
    assert "| fr-en | - | - | - | - | 90.0 | 180.0 | 3 |" in markdown(mt_only) and note not in markdown(mt_only)


def test_meta_parts_in_words():
    md = markdown({"meta": {"wall seconds by part": {"text": 1.5, "speech": 3.0, "test-noisy": {"text": 2.0}}}})
    assert "- wall seconds by part: text 1.5, speech 3.0, test-noisy (text 2.0)" in md
