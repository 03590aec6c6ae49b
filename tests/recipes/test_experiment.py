"""`audiopalm experiment run`: a grid of tiny finetuning runs x seeds, evaluated, summarised, resumable."""

import json
from pathlib import Path

import pytest
import yaml


from audiopalm.cli import main
from audiopalm.recipes.experiment import (
    ExperimentConfig,
    directions,
    eval_folder,
    final_dev_loss,
    headline,
    load_experiment,
    summarise,
    summary_markdown,
)
from audiopalm.recipes.finetune import sentence_subset


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
    cfg = load_experiment(path)
    for variant in ("pretrained", "scratch"):
        for seed in (0, 1):
            run = out / variant / f"seed-{seed}"
            assert (run / "model" / "config.json").exists()
            assert (eval_folder(run, cfg.eval_settings(variant)) / "results.md").exists()
            assert json.loads((run / "finetune_config.json").read_text())["seed"] == seed
    scratch = out / "scratch" / "seed-0"
    assert json.loads((scratch / "finetune_config.json").read_text())["from_scratch"]
    results = json.loads((eval_folder(scratch, cfg.eval_settings("scratch")) / "results.json").read_text())
    assert results["ast_task"] == "ASR AST" and results["meta"]["dev_loss"] == final_dev_loss(scratch) > 0
    summary = json.loads((out / "summary.json").read_text())["variants"]
    assert summary["pretrained"]["seeds"] == [0, 1] and len(summary["pretrained"]["ASR WER %"]["values"]) == 2
    assert "AST BLEU zero-shot" in summary["pretrained"]  # de-it is held out in the tiny world too
    assert len(summary["scratch"]["dev loss"]["values"]) == 2
    md = capsys.readouterr().out
    assert "| pretrained |" in md and "± " in md and "18.4 BLEU" in md
    # a second run trains nothing and evaluates nothing again
    results_file = eval_folder(out / "pretrained" / "seed-0", cfg.eval_settings("pretrained")) / "results.json"
    stamp = results_file.stat().st_mtime_ns
    assert main(["experiment", "run", str(path)]) == 0
    assert results_file.stat().st_mtime_ns == stamp


def test_a_shared_run_trains_once_and_is_evaluated_per_eval_setting(tiny_parts, tmp_path):
    data, parts = tiny_parts
    shared = tmp_path / "baseline"
    first = load_experiment(_experiment(tmp_path, data, parts, variants={"a": {"runs_dir": str(shared)}}, seeds=[0]))
    assert main(["experiment", "run", str(tmp_path / "exp.yaml")]) == 0
    stamp = (shared / "seed-0" / "model" / "config.json").stat().st_mtime_ns
    (tmp_path / "two").mkdir()
    second = load_experiment(_experiment(tmp_path / "two", data, parts, variants={"b": {"runs_dir": str(shared)}},
                                         seeds=[0], eval={"per_language": 1, "targets": ["en"], "jobs": 1}))
    assert main(["experiment", "run", str(tmp_path / "exp.yaml"), str(tmp_path / "two" / "exp.yaml")]) == 0
    assert (shared / "seed-0" / "model" / "config.json").stat().st_mtime_ns == stamp  # not retrained
    folders = {eval_folder(shared / "seed-0", first.eval_settings("a")), eval_folder(shared / "seed-0", second.eval_settings("b"))}
    assert len(folders) == 2 and all((f / "results.json").exists() for f in folders)
    assert not (tmp_path / "exp" / "a").exists() and (tmp_path / "two" / "exp" / "summary.md").exists()
    (tmp_path / "three").mkdir()  # the same folder for a different configuration
    _experiment(tmp_path / "three", data, parts, variants={"c": {"runs_dir": str(shared), "init": "normal"}}, seeds=[0])
    assert main(["experiment", "run", str(tmp_path / "three" / "exp.yaml")]) == 2
    (tmp_path / "four").mkdir()  # a bad file among several: nothing runs
    _experiment(tmp_path / "four", data, parts, variants={"d": {}}, seeds=[0], grid={})
    assert main(["experiment", "run", str(tmp_path / "two" / "exp.yaml"), str(tmp_path / "four" / "exp.yaml")]) == 2
    assert not (tmp_path / "four" / "exp").exists()


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
    assert headline({**report(0.5, 20.0, 5.0), "meta": {"dev_loss": 2.5}})["dev loss"] == 2.5
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


def test_directions_compare_means_in_standard_errors():
    def stat(*values):
        import statistics

        return {"mean": statistics.fmean(values), "std": statistics.stdev(values), "values": list(values)}

    cfg = ExperimentConfig(name="x", base="b", out="o", variants={"small": {}, "mid": {}, "big": {}},
                           expect={"order": ["small", "mid", "big"], "metrics": {"AST BLEU": "higher", "ASR WER %": "lower"}})
    summary = {"small": {"AST BLEU": stat(1.0, 2.0, 3.0), "ASR WER %": stat(90.0, 91.0, 92.0)},
               "mid": {"AST BLEU": stat(5.0, 6.0, 7.0), "ASR WER %": stat(89.0, 92.0, 90.0)},
               "big": {"AST BLEU": stat(9.0, 10.0, 11.0), "ASR WER %": stat(95.0, 96.0, 97.0)}}
    found = directions(cfg, summary)
    bleu = found["AST BLEU"]
    assert bleu["verdict"] == "held" and [st["change"] for st in bleu["steps"]] == [4.0, 4.0]
    assert bleu["steps"][0]["standard_error"] == pytest.approx((2 / 3) ** 0.5)  # sqrt(1/3 + 1/3)
    wer = found["ASR WER %"]  # 91 -> 90.33 (within noise), then 90.33 -> 96 (worse: reversed)
    assert [st["verdict"] for st in wer["steps"]] == ["within noise", "reversed"] and wer["verdict"] == "reversed"
    md = summary_markdown(cfg, {v: {**m, "seeds": [0, 1, 2]} for v, m in summary.items()})
    assert "small < mid < big" in md and "AST BLEU (higher is better in the paper): **held**" in md
    with pytest.raises(Exception, match="expect: unknown variants huge"):
        ExperimentConfig.from_dict({"name": "x", "base": "b", "out": "o", "variants": {"a": {}},
                                    "expect": {"order": ["a", "huge"], "metrics": {"AST BLEU": "higher"}}})


def test_setup_steps_run_stages_from_their_configs(tiny_parts, tmp_path):
    from audiopalm.errors import AudiopalmError
    from audiopalm.recipes.experiment import run_setup

    data, parts = tiny_parts
    tok = tmp_path / "tok-mfcc"
    step = {"creates": str(tok / "config.json"), "stage": "tokenizer",
            "config": {"data": str(data), "encoder": "mfcc", "out": str(tok), "codebook_size": 8, "max_frames": 2000}}
    run_setup(load_experiment(_experiment(tmp_path, data, parts, setup=[step])))
    assert (tok / "config.json").exists()
    bad = {**step, "config": {**step["config"], "codebook_sise": 8}}
    with pytest.raises(AudiopalmError, match="unknown key codebook_sise; TokenizerStage has"):
        load_experiment(_experiment(tmp_path, data, parts, setup=[bad]))  # checked before anything trains
    with pytest.raises(AudiopalmError, match="unknown stage 'tokeniser'"):
        load_experiment(_experiment(tmp_path, data, parts, setup=[{**step, "stage": "tokeniser"}]))
