"""`audiopalm train --config` end to end on the tiny world, then transcribe/translate from the CLI."""

import csv

import pytest
import torch
import yaml


from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.cli import main
from audiopalm.models.audiopalm import AudioPaLM

BABEL = {code: lang.name for code, lang in LANGUAGES.items()}


@pytest.fixture(scope="module")
def trained(tiny_parts, tmp_path_factory):
    data, parts = tiny_parts
    root = tmp_path_factory.mktemp("ft")
    config = {"data": str(data), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"),
              "out": str(root / "ap"), "jobs": 1, "train": {"steps": 3, "batch_tokens": 2048, "eval_every": 3}}
    (root / "cfg.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", "--config", str(root / "cfg.yaml")]) == 0
    return data, root


def test_train_writes_a_model_and_a_log(trained):
    _, root = trained
    model = AudioPaLM.from_pretrained(root / "ap" / "model")
    assert model.vocab.audio_size == 16
    assert model.langid.languages == ["de", "en", "es", "fr", "it", "pt"], "its train texts' spelling, saved with it"
    log = list(csv.DictReader(open(root / "ap" / "log.csv")))
    assert len(log) == 3 and log[-1]["dev_loss"] != ""  # three steps, dev loss at the last


def test_cli_transcribe_and_translate(trained, capsys):
    data, root = trained
    wav = str(next((data / "audio" / "test" / "de").glob("*.wav")))
    assert main(["transcribe", wav, "--model", str(root / "ap" / "model"), "--lang", "de"]) == 0
    assert main(["translate", wav, "--model", str(root / "ap" / "model"), "--lang", "de", "--to", "en"]) == 0
    assert len(capsys.readouterr().out.splitlines()) >= 2


def test_unknown_config_key_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("data: x\nlearning_rate: 3\n")
    assert main(["train", "--config", str(tmp_path / "bad.yaml")]) == 2
    assert "unknown key learning_rate; FinetuneConfig has: data, audio_tokenizer" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("data: x\naudio_tokenizer: t\ntext_lm: l\nout: o\ntrain: {stepz: 3}\n")
    assert main(["train", "--config", str(tmp_path / "bad.yaml"), "seed=1"]) == 2
    assert "unknown key train.stepz; LmTrainConfig has: steps" in capsys.readouterr().err


def test_eval_writes_a_report_folder_with_tables_and_plots(trained, tmp_path, capsys):
    import json

    data, root = trained
    report = tmp_path / "report"
    assert main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--per-language", "2",
                 "--targets", "en", "--pairs", "de-it", "en-fr", "--tasks", "asr,ast,mt,lid", "--cascade", "--jobs", "1",
                 "--out", str(report)]) == 0
    r = json.loads((report / "results.json").read_text())
    assert set(r["asr"]) == set(r["lid"]) == {"en", "fr", "es", "de", "it", "pt"}
    assert all(0 <= x["accuracy"] <= 1 and x["n"] == 2 for x in r["lid"].values())
    assert all(round((1 - x["accuracy"]) * x["n"]) == sum(x["taken_for"].values()) and lang not in x["taken_for"]
               for lang, x in r["lid"].items()), "every miss says which language it was taken for"
    assert "fr-en" in r["ast"] and "en-fr" in r["ast"] and "en-en" not in r["ast"]
    assert r["ast"]["de-it"]["zero_shot"] and not r["ast"]["en-fr"]["zero_shot"] and "es-it" not in r["ast"]
    assert set(r["mt"]) == set(r["cascade"]["ast"]) == set(r["ast"])
    assert all(0 <= x["chrf"] <= 100 and 0 <= x["bleu"] <= 100 for x in r["ast"].values())
    assert "nrefs:1" in r["ast"]["fr-en"]["signature"] and "nc:6" in r["ast"]["fr-en"]["signature"]
    # the other test conditions of the world, side by side
    assert set(r["conditions"]) == {"test-noisy", "test-unseen-synth"}
    unseen = r["conditions"]["test-unseen-synth"]
    assert unseen["split"] == "test-unseen-synth" and set(unseen["asr"]) == {"en", "fr", "es", "de", "it"}  # no pt voice
    assert "fr-en" in unseen["ast"] and set(r["conditions"]["test-noisy"]["lid"]) == set(r["lid"])
    md = (report / "results.md").read_text()
    assert "## Test conditions side by side" in md and "| test-unseen-synth |" in md
    assert "| de-it (zero-shot) |" in md and "| mean zero-shot |" in md and "cascade BLEU" in md
    assert md.split("\n## Plots")[0].strip() in capsys.readouterr().out  # the tables, printed
    assert "![asr](asr.png)" in md
    for name in ("asr", "translation"):  # real PNG files
        assert (report / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_decodes_every_text_task_with_the_beams_asked_for(trained, tmp_path, monkeypatch, capsys):
    import json

    from audiopalm.models.audiopalm import AudioPaLM

    data, root = trained
    widths = []
    run = AudioPaLM.run
    monkeypatch.setattr(AudioPaLM, "run", lambda self, task, prompts, beams=1, **kw: (
        widths.append((task, beams)), run(self, task, prompts, beams=beams, **kw))[1])
    assert main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--per-language", "1",
                 "--targets", "en", "--tasks", "asr,ast,mt", "--cascade", "--conditions", "test", "--jobs", "1",
                 "--beams", "3", "--out", str(tmp_path / "r")]) == 0
    assert {t for t, _ in widths} >= {"ASR", "MT"} and all(b == 3 for _, b in widths)
    r = json.loads((tmp_path / "r" / "results.json").read_text())
    assert r["beams"] == 3 and r["meta"]["text decoding"] == "beam search, 3 beams"
    assert "- text decoding: beam search, 3 beams" in (tmp_path / "r" / "results.md").read_text()
    assert main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--beams", "0"]) == 2
    assert "beams" in capsys.readouterr().err


def test_eval_rejects_a_malformed_pair(trained, capsys):
    data, root = trained
    assert main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--pairs", "deit"]) == 2
    assert "not SRC-TGT" in capsys.readouterr().err


def test_eval_of_the_text_lm_mt_ceiling(tiny_parts, tmp_path, capsys):
    data, parts = tiny_parts
    assert main(["eval", "--text-lm", str(parts / "lm"), "--data", str(data), "--per-language", "2",
                 "--targets", "en", "--pairs", "de-it"]) == 0
    out = capsys.readouterr().out
    assert "| fr-en |" in out and "| de-it (zero-shot) |" in out and "| en-en" not in out


def test_lora_trains_adapters_and_the_audio_rows_only(tiny_parts, tmp_path):
    pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    data, parts = tiny_parts
    config = {"data": str(data), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"),
              "out": str(tmp_path / "ap"), "jobs": 1, "lora": {"r": 4, "alpha": 8},
              "train": {"steps": 3, "batch_tokens": 2048, "eval_every": 3, "lr": 1e-2}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", "--config", str(tmp_path / "cfg.yaml")]) == 0
    text = AutoModelForCausalLM.from_pretrained(parts / "lm" / "model")
    tuned = AudioPaLM.from_pretrained(tmp_path / "ap" / "model")
    assert type(tuned.lm).__name__ == "LlamaForCausalLM", "adapters merged into a plain model"
    t = text.get_input_embeddings().weight
    e = tuned.lm.get_input_embeddings().weight
    assert torch.equal(e[: t.shape[0]], t), "E_text is frozen"
    q_text = text.model.layers[0].self_attn.q_proj.weight
    assert not torch.equal(tuned.lm.model.layers[0].self_attn.q_proj.weight, q_text), "merged LoRA changes q_proj"
    init = AudioPaLM.from_text_lm(parts / "lm", parts / "tok", BABEL).lm.get_input_embeddings().weight
    assert not torch.equal(e[t.shape[0]:], init[t.shape[0]:]), "E_audio trains"


def test_finetune_under_torchrun_with_fsdp(tiny_parts, tmp_path):
    import os
    import subprocess
    import sys

    data, parts = tiny_parts
    config = {"data": str(data), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"),
              "out": str(tmp_path / "ap"), "jobs": 1,
              "train": {"steps": 2, "batch_tokens": 2048, "eval_every": 2, "distributed": "fsdp", "bf16": False}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "audiopalm", "train", "--config", str(tmp_path / "cfg.yaml")]
    done = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    model = AudioPaLM.from_pretrained(tmp_path / "ap" / "model")
    assert model.lm.get_input_embeddings().weight.shape[0] == model.vocab.size
    assert len(list(csv.DictReader(open(tmp_path / "ap" / "log.csv")))) == 2


def test_from_scratch_has_the_same_architecture_and_fresh_weights(tiny_parts):
    from audiopalm.recipes.finetune import FinetuneConfig, build_model

    data, parts = tiny_parts
    common = dict(data=str(data), audio_tokenizer=str(parts / "tok"), text_lm=str(parts / "lm"), out="unused")
    pretrained = build_model(FinetuneConfig(**common)).lm
    scratch = build_model(FinetuneConfig(**common, from_scratch=True)).lm
    a, b = pretrained.state_dict(), scratch.state_dict()
    assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
    assert scratch.get_output_embeddings().weight.data_ptr() == scratch.get_input_embeddings().weight.data_ptr()
    changed = [k for k in a if not torch.equal(a[k], b[k]) and a[k].ndim == 2]
    assert len(changed) == sum(1 for k in a if a[k].ndim == 2), "every weight matrix is re-drawn"


def test_eval_decodes_ast_as_translate_does_unless_asked(trained, tmp_path):
    import json

    from audiopalm.data.multitask import MixtureConfig

    data, root = trained
    model = AudioPaLM.from_pretrained(root / "ap" / "model")
    assert model.tasks == {k: v for k, v in MixtureConfig().weights.items() if v > 0}, "the model records its mixture"
    assert model.ast_task == "ASR AST"
    for asked, used in ((None, "ASR AST"), ("AST", "AST")):
        assert main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--per-language", "1",
                     "--targets", "en", "--tasks", "ast", "--conditions", "test", "--jobs", "1", "--out", str(tmp_path / "r"),
                     *(["--ast-task", asked] if asked else [])]) == 0
        r = json.loads((tmp_path / "r" / "results.json").read_text())
        assert r["ast_task"] == used and "fr-en" in r["ast"]
    with pytest.raises(SystemExit) as e:
        main(["eval", "--model", str(root / "ap" / "model"), "--data", str(data), "--tasks", "ast", "--ast-task", "ASR_AST"])
    assert e.value.code == 2


def test_a_trained_model_finetunes_further_from_its_own_weights(trained, tiny_parts, tmp_path):
    from audiopalm.errors import AudiopalmError
    from audiopalm.recipes.finetune import FinetuneConfig, build_model, finetune
    from audiopalm.recipes.tokenizer import train_tokenizer

    data, root = trained
    _, parts = tiny_parts
    first = AudioPaLM.from_pretrained(root / "ap" / "model")
    cfg = FinetuneConfig(data=str(data), audio_tokenizer=str(parts / "tok"), text_lm=str(root / "ap" / "model"),
                         out=str(tmp_path / "next"), jobs=1, train={"steps": 2, "batch_tokens": 2048, "eval_every": 2})
    start = build_model(cfg).lm.state_dict()
    assert all(torch.equal(start[k], v) for k, v in first.lm.state_dict().items()), "starts from the model's weights"
    model = AudioPaLM.from_pretrained(finetune(cfg))
    assert model.vocab.size == first.vocab.size and model.languages.names == first.languages.names
    assert any(not torch.equal(model.lm.state_dict()[k], v) for k, v in start.items()), "and trains them"
    # tokens of another tokenizer would mean other sounds to it; a trained model is no from-scratch start
    train_tokenizer(data, "mfcc", tmp_path / "other", codebook_size=16, max_frames=4000, seed=1)
    with pytest.raises(AudiopalmError, match="is not the audio tokenizer of"):
        build_model(FinetuneConfig(**{**cfg.__dict__, "audio_tokenizer": str(tmp_path / "other")}))
    with pytest.raises(AudiopalmError, match="from_scratch"):
        build_model(FinetuneConfig(**{**cfg.__dict__, "from_scratch": True}))
