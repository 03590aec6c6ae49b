import json

import pytest
import torch

from audiopalm.bench import SECTIONS, lm_flops_per_token, matmul_peak
from audiopalm.cli import main


def test_matmul_peak_is_a_rate():
    assert 1e6 < matmul_peak(torch.float32, n=128, repeats=2) < 1e15


def test_lm_flops_count_the_output_layer_and_attention():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(vocab_size=100, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                   num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True)
    model = transformers.LlamaForCausalLM(cfg)
    body = sum(p.numel() for p in model.parameters()) - 100 * 16
    assert lm_flops_per_token(model, seq=10) == 6 * (body + 100 * 16) + 12 * 2 * 16 * 10


def test_bench_reports_every_section_on_a_tiny_bundle(speaking_model, tmp_path, capsys):
    _, model = speaking_model
    out = tmp_path / "bench.json"
    assert main(["bench", "--model", str(model), "--train-preset", "tiny", "--train-steps", "1",
                 "--train-batch", "3", "--encoder-seconds", "8", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(SECTIONS) <= set(results)
    assert 0 < results["training"]["mfu"] < 1
    assert (results["training"]["batch"], results["training"]["seq"]) == (3, 256)
    assert results["decoding"]["fast_path"]
    for dtype in ("float32", "float16"):
        assert results["decoding"][dtype]["speedup"] > 0 and results["decoding"][dtype]["new_tokens"] >= 1
    s2st = results["s2st"]
    assert s2st["source_seconds"] >= 5.0
    assert s2st["rtf_total"] == pytest.approx(sum(s2st["rtf"].values()))
    assert s2st["speech_from"] == "lm", "the bundle's own default path (a tiny bundle has no text-to-unit model)"
    assert results["tokenizer"]["rtf_batch_1"] > 0
    encoder = results["encoder"]
    assert set(encoder["seconds_per_step"]) == {"0.1", "0.0"} and encoder["seconds_of_audio"] == 7.5
    assert encoder["speedup"] == pytest.approx(encoder["seconds_per_step"]["0.1"] / encoder["seconds_per_step"]["0.0"])
    printed = capsys.readouterr().out
    assert "MFU" in printed and "generate" in printed and "RTF" in printed


def test_bench_names_a_missing_bundle_and_unknown_sections(tmp_path, capsys):
    assert main(["bench", "--model", str(tmp_path / "none"), "--sections", "decoding"]) != 0
    assert "no model bundle" in capsys.readouterr().err
    assert main(["bench", "--sections", "peak,speed"]) != 0
    assert "unknown bench section(s) speed" in capsys.readouterr().err
