"""`audiopalm experiment run`: a grid of tiny finetuning runs x seeds, evaluated, summarised, resumable."""

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip("transformers")

from audiopalm.cli import main  # noqa: E402
from audiopalm.recipes.experiment import ExperimentConfig, headline, load_experiment, summarise  # noqa: E402
from audiopalm.recipes.finetune import sentence_subset  # noqa: E402


def _experiment(tmp_path: Path, data: Path, parts: Path, **extra) -> Path:
    base = {"data": str(data), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"), "out": "unused",
            "jobs": 1, "train": {"steps": 2, "batch_tokens": 2048, "eval_every": 2}}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    exp = {"name": "tiny pretraining", "base": str(tmp_path / "base.yaml"), "out": str(tmp_path / "exp"),
           "seeds": [0, 1], "eval": {"per_language": 1, "targets": ["en"], "pairs": ["de-it"], "jobs": 1},
           "variants": {"pretrained": {}, "scratch": {"from_scratch": True, "eval": {"ast_task": "ASR AST"}}},
           "paper": {"pretrained": "18.4 BLEU"}, **extra}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    return tmp_path / "exp.yaml"


def test_experiment_trains_evaluates_and_summarises_every_run(tiny_parts, tmp_path, capsys):
    data, parts = tiny_parts
    path = _experiment(tmp_path, data, parts)
    assert main(["experiment", "run", str(path)]) == 0
    out = tmp_path / "exp"
    for variant in ("pretrained", "scratch"):
        for seed in (0, 1):
            run = out / variant / f"seed-{seed}"
            assert (run / "model" / "config.json").exists() and (run / "eval" / "results.md").exists()
            assert json.loads((run / "finetune_config.json").read_text())["seed"] == seed
    assert json.loads((out / "scratch" / "seed-0" / "finetune_config.json").read_text())["from_scratch"]
    assert json.loads((out / "scratch" / "seed-0" / "eval" / "results.json").read_text())["ast_task"] == "ASR AST"
    summary = json.loads((out / "summary.json").read_text())["variants"]
    assert summary["pretrained"]["seeds"] == [0, 1] and len(summary["pretrained"]["ASR WER %"]["values"]) == 2
    assert "AST BLEU zero-shot" in summary["pretrained"]  # de-it is held out in the tiny world too
    md = capsys.readouterr().out
    assert "| pretrained |" in md and "± " in md and "18.4 BLEU" in md
    # a second run trains nothing and evaluates nothing again
    stamp = (out / "pretrained" / "seed-0" / "eval" / "results.json").stat().st_mtime_ns
    assert main(["experiment", "run", str(path)]) == 0
    assert (out / "pretrained" / "seed-0" / "eval" / "results.json").stat().st_mtime_ns == stamp


def test_run_config_merges_train_overrides(tiny_parts, tmp_path):
    data, parts = tiny_parts
    cfg = load_experiment(_experiment(tmp_path, data, parts, common={"train": {"steps": 5}, "init": "normal"},
                                      variants={"small": {"train_fraction": 0.5, "train": {"lr": 3e-4}}}))
    run = cfg.run_config("small", 1)
    assert run.train == {"steps": 5, "batch_tokens": 2048, "eval_every": 2, "lr": 3e-4}
    assert run.train_fraction == 0.5 and run.init == "normal" and run.seed == 1 and run.out.endswith("small/seed-1")


def test_bad_experiment_files_are_clear_errors(tiny_parts, tmp_path, capsys):
    data, parts = tiny_parts
    assert main(["experiment", "run", str(_experiment(tmp_path, data, parts, grid={}))]) == 2
    assert "unknown experiment keys: grid" in capsys.readouterr().err
    assert main(["experiment", "run", str(_experiment(tmp_path, data, parts, eval={"beams": 4}))]) == 2
    assert "unknown eval keys: beams" in capsys.readouterr().err
    with pytest.raises(Exception, match="lacks: base"):
        ExperimentConfig.from_dict({"name": "x", "out": "y", "variants": {"a": {}}})


def test_headline_and_summary_statistics():
    def report(wer, bleu, zs):
        return {"asr": {"en": {"wer": wer}}, "ast": {"fr-en": {"bleu": bleu, "chrf": 50.0, "zero_shot": False},
                                                    "de-it": {"bleu": zs, "chrf": 40.0, "zero_shot": True}}}

    assert headline(report(0.5, 20.0, 5.0)) == {"ASR WER %": 50.0, "AST BLEU": 20.0, "AST chrF": 50.0,
                                                  "AST BLEU zero-shot": 5.0, "AST BLEU X-en": 20.0}
    cfg = ExperimentConfig(name="x", base="b", out="o", variants={"a": {}})
    s = summarise(cfg, {"a": {0: report(0.4, 10.0, 1.0), 1: report(0.6, 20.0, 3.0)}}, {"a": 2.0})["a"]
    assert s["AST BLEU"]["mean"] == pytest.approx(15.0) and s["AST BLEU"]["std"] == pytest.approx(7.0711, abs=1e-4)
    assert s["ASR WER %"]["mean"] == pytest.approx(50.0)


def test_sentence_subsets_are_nested_and_keep_whole_sentences():
    rows = [{"sentence_id": f"s{i}", "lang": lang} for i in range(40) for lang in ("en", "fr")]
    quarter, half = sentence_subset(rows, 0.25), sentence_subset(rows, 0.5)
    ids = lambda rs: {r["sentence_id"] for r in rs}  # noqa: E731
    assert len(ids(quarter)) == 10 and len(ids(half)) == 20 and ids(quarter) < ids(half)
    assert len(quarter) == 20  # both languages of each kept sentence
    with pytest.raises(Exception, match="train_fraction"):
        sentence_subset(rows, 0.0)
