import math

import torch

from audiopalm.evaluation.tokenizer_quality import (ProbeConfig, TokenProbe, codebook_usage, speaker_invariance,
                                                    train_probe)


def test_uniform_codebook_usage_has_perplexity_k():
    tokens = [torch.tensor([0, 1, 2, 3] * 5)]
    usage = codebook_usage(tokens, 8)
    assert math.isclose(usage["perplexity"], 4.0, rel_tol=1e-6) and usage["used"] == 0.5


def test_speaker_invariance_hand_cases():
    rows = [{"id": f"{s}{k}", "sentence_id": s, "lang": "en", "speaker": f"spk{k}"} for s in "ab" for k in (1, 2)]
    tokens = {"a1": torch.tensor([1, 1, 2, 3]), "a2": torch.tensor([1, 2, 2, 3, 3]),  # same after dedup
              "b1": torch.tensor([4, 5]), "b2": torch.tensor([6, 7])}  # nothing shared
    result = speaker_invariance(rows, tokens)
    assert result["pairs"] == 2 and math.isclose(result["normalised_edit_distance"], 0.5)


def test_same_family_and_cross_family_pairs_are_told_apart():
    rows = [{"id": i, "sentence_id": "s", "lang": "en", "speaker": spk}
            for i, spk in (("e1", "espeak-a"), ("e2", "espeak-b"), ("p1", "pico-a"))]
    tokens = {"e1": torch.tensor([1, 2, 3]), "e2": torch.tensor([1, 2, 3]), "p1": torch.tensor([7, 8, 9])}
    family = {"espeak-a": "espeak", "espeak-b": "espeak", "pico-a": "pico"}
    within = speaker_invariance(rows, tokens, family)
    across = speaker_invariance(rows, tokens, family, cross=True)
    assert within["normalised_edit_distance"] == 0.0 and across["normalised_edit_distance"] == 1.0
    assert within["pairs"] == across["pairs"] == 1


def test_probe_learns_tokens_that_spell_the_text():
    # each character is said as two tokens: an easy, fully informative tokenizer
    alphabet = "abcdefgh "
    g = torch.Generator().manual_seed(0)

    def utterance():
        text = "".join(alphabet[int(i)] for i in torch.randint(0, 8, (6,), generator=g))
        return torch.tensor([alphabet.index(c) for c in text for _ in range(2)]), text, "xx"

    train = [utterance() for _ in range(300)]
    test = [utterance() for _ in range(30)]
    result = train_probe(train, test, 9, ProbeConfig(dim=32, layers=1, heads=2, steps=150, batch_tokens=600, warmup=10))
    assert result["cer"] < 0.3, result["examples"]


def test_a_50_hz_probe_spells_two_characters_a_token():
    # each token says two characters (faster speech than one character a token can spell)
    alphabet = "abc"
    g = torch.Generator().manual_seed(0)

    def utterance():  # no letter twice in a row: CTC would need a blank between, a third frame
        text = [int(torch.randint(0, 3, (1,), generator=g))]
        while len(text) < 8:
            text.append((text[-1] + int(torch.randint(1, 3, (1,), generator=g))) % 3)
        pairs = torch.tensor([3 * a + b for a, b in zip(text[::2], text[1::2])])
        return pairs, "".join(alphabet[c] for c in text), "xx"

    train = [utterance() for _ in range(300)]
    test = [utterance() for _ in range(30)]
    cfg = ProbeConfig(dim=32, layers=1, heads=2, steps=150, batch_tokens=600, warmup=10, char_rate=2)
    assert TokenProbe(9, 4, cfg)(train[0][0][None], torch.zeros(1, 4, dtype=torch.bool)).shape == (1, 8, 4)
    result = train_probe(train, test, 9, cfg)
    assert result["cer"] < 0.3, result["examples"]


def test_tokenizer_eval_reports_every_test_condition(tiny_world, tmp_path, capsys):
    import json

    from audiopalm.recipes.tokenizer import train_tokenizer
    from audiopalm.cli import main
    from audiopalm.recipes.ctc import CtcTrainConfig

    data, _ = tiny_world
    cfg = CtcTrainConfig(preset="tiny", steps=2, batch_seconds=20.0, warmup=1, dev_utterances=4, max_utterances=30)
    train_tokenizer(data, "ctc", tmp_path / "tok", codebook_size=8, max_frames=2000, ctc_config=cfg)
    out = tmp_path / "eval.json"
    assert main(["tokenizer", "eval", "--tokenizer", str(tmp_path / "tok"), "--data", str(data), "--tokens",
                 str(tmp_path / "tokens"), "--probe-steps", "2", "--jobs", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert list(report["conditions"]) == ["test", "test-noisy", "test-unseen-synth"]
    for condition in report["conditions"].values():
        assert 0 <= condition["probe"]["cer"] and {"cer", "wer", "per", "n"} <= set(condition["encoder"])
    assert set(report["conditions"]["test"]["encoder"]["per_family"]) == {"espeak", "mbrola"}
    assert report["cross_synth"]["pairs"] > 0 and report["invariance"]["pairs"] > 0
    printed = capsys.readouterr().out
    assert "test-unseen-synth" in printed and "cross-synthesizer distance" in printed
