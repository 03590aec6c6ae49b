import json



from audiopalm.cli import main
from audiopalm.recipes.pretrain_text import corpus


def test_corpus_never_holds_a_dev_or_test_text(tiny_world):
    data, _ = tiny_world
    train, dev = corpus(data, extra=100, seed=0)
    rows = [json.loads(line) for line in open(data / "sentences.jsonl")]
    held = {t for r in rows if r["split"] != "train" for t in r["texts"].values()}
    assert len(train) == sum(r["split"] == "train" for r in rows) + 100
    assert not held & {t for item in train for t in item.values()}
    assert len(dev) == sum(r["split"] == "dev" for r in rows)


def test_pretrain_text_cli_writes_a_loadable_model(tiny_world, tmp_path, capsys):
    from transformers import AutoModelForCausalLM

    from audiopalm.text.tokenizer import load_text_tokenizer

    data, _ = tiny_world
    out = tmp_path / "lm"
    args = ["pretrain-text", "--data", str(data), "--out", str(out), "--preset", "tiny", "--steps", "4",
            "--batch-tokens", "512", "--text-vocab", "600", "--extra-sentences", "50"]
    assert main(args) == 0
    assert "text LM saved" in capsys.readouterr().out
    model = AutoModelForCausalLM.from_pretrained(out / "model")
    tok = load_text_tokenizer(out / "text_tokenizer")
    assert model.config.vocab_size == tok.vocab_size == 600 and tok.sep_id is not None
    assert list((out / "model").glob("*.safetensors"))
