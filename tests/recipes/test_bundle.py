"""`audiopalm recipe run`: every stage of a bundle on the tiny world, resumable, exported in fp16."""

import json
import shutil
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file, save_file

from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.recipes.bundle import RECIPES, run_recipe, same_weights


def test_tiny_recipe_builds_a_fp16_bundle_that_loads_as_float32(tiny_world, tmp_path, capsys):
    data, _ = tiny_world
    recipe = replace(RECIPES["babel-tiny"], data=str(data), work=str(tmp_path / "work"), bundle=str(tmp_path / "b"),
                     next_data=str(tmp_path / "next"), next_preset="tiny", next_finetune_steps=2)
    bundle = run_recipe(recipe)
    assert bundle == tmp_path / "b"
    stages = json.loads((tmp_path / "work" / "stages.json").read_text())
    assert list(stages) == ["tokenizer", "listener", "codec", "acoustic", "units", "acoustic_units", "text_lm",
                            "audiopalm", "next_world", "audiopalm_next", "audiopalm_long", "speech", "decoding",
                            "question", "eval"]  # world existed
    assert (tmp_path / "next" / "audio").is_dir() and (tmp_path / "work" / "audiopalm_next" / "model").is_dir()
    assert json.loads((tmp_path / "work" / "audiopalm_long" / "finetune_config.json").read_text())["joined"] == 0.3
    weights = [load_file(str(p)) for p in bundle.rglob("*.safetensors")]
    floats = [t for w in weights for t in w.values() if t.is_floating_point()]
    assert floats and all(t.dtype == torch.float16 for t in floats)
    model = AudioPaLM.from_pretrained(bundle)
    assert model.lm.get_input_embeddings().weight.dtype == torch.float32 and model.speech_out is not None
    assert model.speech_from == "text" and model.speech_out.units.cfg.semantic_size == 16  # the text-to-unit stage
    assert model.decode_dtype == torch.float16  # decodes in the dtype it was shipped in
    assert set(model.ctc_weights) == set(model.languages.codes), "the CTC head's weight chosen for every language"
    assert model.char_model is model.listener and model.listener is not None  # the listener's head, not the tokenizer's
    assert model.question_head is not None and model.question_head.cfg.layer == 2  # it reads the listener's layer 2
    meta = json.loads((tmp_path / "work" / "eval" / "results.json").read_text())["meta"]
    decoding, parts = meta["text decoding"], meta["wall seconds by part"]
    assert set(parts) == {"text", "test-noisy", "test-unseen-synth"}, "where the eval's time went, part by part"
    assert parts["test-noisy"].keys() == {"text"} and 0 < parts["text"] <= meta["wall seconds"]
    assert "the listener's CTC head" in decoding or not any(model.ctc_weights.values())
    assert "mood ranked with the question head's reading" in decoding
    binds = model.langid is not None and any(model.ctc_weights.values())  # a spelling to bind transcripts to
    assert ("bound to the head's spelling" in decoding) == binds
    assert model.words is not None and set(model.words.languages) == set(model.languages.codes)  # the text LM's
    assert ("character and word models" in decoding) == binds  # corpus, as word models the spelling reads
    assert AudioPaLM.from_pretrained(tmp_path / "work" / "audiopalm" / "model").decode_dtype is None
    assert model.audio_tokenizer.encode(torch.zeros(16000).numpy()).shape == (25,)
    card = (bundle / "MODEL_CARD.md").read_text()
    assert "| tokenizer |" in card and "| all stages |" in card
    assert "## ASR and language identification" in card and "## Limits" in card
    # a second run finds every stage done and only re-exports; the text LM is not needed once finetuning is done
    shutil.rmtree(tmp_path / "work" / "lm")
    (tmp_path / "work" / "provenance.md").write_text("Seeded with an earlier bundle's stages.\n")
    assert run_recipe(recipe) == bundle
    assert json.loads((tmp_path / "work" / "stages.json").read_text()) == stages
    assert "|\n\nSeeded with an earlier bundle's stages.\n\n## Measured" in (bundle / "MODEL_CARD.md").read_text()
    # a part trained again (here the acoustic model) is attached again and the eval measures the bundle again
    acoustic = tmp_path / "work" / "acoustic-units" / "model" / "model.safetensors"
    weights = load_file(str(acoustic))
    save_file({k: v + 0.01 if v.is_floating_point() else v for k, v in weights.items()}, str(acoustic))
    capsys.readouterr()
    assert run_recipe(recipe) == bundle
    lines = capsys.readouterr().out.splitlines()
    ran = [line.split(": ")[1] for line in lines if line.startswith("recipe babel-tiny: ")]
    assert ran == ["speech", "eval"]
    # so is a listener trained again: attached, its weights chosen again, the bundle measured again
    listener = tmp_path / "work" / "listener" / "model" / "model.safetensors"
    save_file({k: v * 1.01 if v.is_floating_point() else v for k, v in load_file(str(listener)).items()}, str(listener))
    capsys.readouterr()
    assert run_recipe(recipe) == bundle
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[1] for line in lines if line.startswith("recipe babel-tiny: ")] == \
        ["decoding", "question", "eval"], "the question head read the old listener: learnt again"
    assert same_weights(tmp_path / "work" / "audiopalm_long" / "model" / "listener" / "model.safetensors", listener)
    attached = tmp_path / "work" / "audiopalm_long" / "model" / "speech_out" / "acoustic" / "model.safetensors"
    assert same_weights(attached, acoustic)
    # the demo runs the bundle on new clips by held-out speakers and writes the spoken translations
    from audiopalm.cli import main

    capsys.readouterr()
    assert main(["demo", "--model", str(bundle), "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert out.count("  transcript  ") == 4 and out.count("  reference   ") == 4 and "(test-" in out
    assert " of 4 clips right (language found; transcript and translation with at most 1 wrong word each)" in out
    assert len(list((tmp_path / "demo" / "s2st").glob("*.wav"))) <= 4
    assert len(list((tmp_path / "demo" / "clips").glob("*.wav"))) == 4


def test_the_default_recipe_carries_its_settings_into_each_stage():
    from audiopalm.recipes.bundle import stages

    commands = {s.name: s.command for s in stages(RECIPES["babel-small"])}
    assert "init='whisper-tiny.en'" in commands["tokenizer"] and "lr=0.0005" in commands["tokenizer"]
    assert "dropout=0.0" in commands["tokenizer"] and "dropout=0.0" in commands["listener"]  # 1.34x faster steps
    assert "dropout=0.0" in commands["units"], "the text-to-unit model trains without dropout: 1.42x faster steps"
    assert "model='mel_decoder'" in commands["acoustic"] and "batch_frames=9000" in commands["acoustic"]
    assert "steps=1500" in commands["text_lm"] and "audiopalm" not in commands  # straight to medium
    assert "preset='medium'" in commands["next_world"] and "'steps': 3400" in commands["audiopalm_next"]
    assert "text_lm='runs/babel-small/lm'" in commands["audiopalm_next"]
    assert "reuse_tokens=['data/babel-small']" in commands["audiopalm_next"], "medium reads small's tokens it links"
    assert "'ASR AST S2ST': 0.25" in commands["audiopalm_next"], "the recipe's mixture reaches its finetuning"
    assert "model='models/babel-small'" in commands["eval"] and "tasks='asr,ast,mt,lid,s2st,long'" in commands["eval"]
    # then speech of several sentences at once, on small, from that model; the bundle exported from it
    long = commands["audiopalm_long"]
    assert "text_lm='runs/babel-small/audiopalm_next/model'" in long and "data='data/babel-small'" in long
    assert "joined=0.3" in long and "'steps': 600" in long and "'lr': 0.0005" in long and "reuse_tokens=[]" in long
    assert "model='runs/babel-small/audiopalm_long/model'" in commands["speech"]
    shorter = {s.name: s.command for s in stages(replace(RECIPES["babel-small"], long_steps=0))}
    assert "audiopalm_long" not in shorter and "model='runs/babel-small/audiopalm_next/model'" in shorter["speech"]
    # the listener: tokenizer v3.1's encoder (Whisper's lower layers fixed), attached before the weights are chosen
    assert "init='whisper-tiny.en'" in commands["listener"] and "freeze_layers=2" in commands["listener"]
    assert "steps=2000" in commands["listener"] and "char_rate=1" in commands["listener"]
    # then trained on with its character head at 50 Hz, and that one is attached
    fast = commands["listener_50hz"]
    assert "init='runs/babel-small/listener/model'" in fast and "char_rate=2" in fast and "steps=300" in fast
    assert "freeze_layers=2" in fast
    # then again on the world's train with its second voices, and that one is attached
    voices = commands["listener_voices"]
    assert "init='runs/babel-small/listener-50hz/model'" in voices and "char_rate=2" in voices and "steps=300" in voices
    assert "encoder='runs/babel-small/listener-voices/model'" in commands["decoding"]
    assert "generator_version='2.1'" in commands["next_world"] and "generator_version=None" in commands["world"]
    without = {s.name: s.command for s in stages(replace(RECIPES["babel-small"], listener_voices_steps=0))}
    assert "listener_voices" not in without and "listener-50hz/model'" in without["decoding"]
    assert "per_language=2000" in commands["question"] and "layer=2" in commands["question"]
    with pytest.raises(AudiopalmError, match="finetune_steps 0 needs next_data"):
        stages(replace(RECIPES["babel-small"], next_data=None))
    before = {s.name: s.command for s in stages(RECIPES["babel-small-curriculum"])}  # the bundle before: a curriculum
    assert "init=None" in before["tokenizer"] and "model='mel_decoder'" in before["acoustic"]
    assert "dropout=None" in before["tokenizer"], "the recipes of earlier bundles stay as they were"
    assert "steps=800" in before["text_lm"] and "'eval_every': 566" in before["audiopalm"]
    assert "preset='medium'" in before["next_world"] and "data='data/babel-medium'" in before["audiopalm_next"]
    assert "text_lm='runs/babel-small-curriculum/audiopalm/model'" in before["audiopalm_next"]
    assert "'steps': 1200" in before["audiopalm_next"] and "ASR AST S2ST" not in before["audiopalm_next"]
    assert "model='runs/babel-small-curriculum/audiopalm_next/model'" in before["speech"]
    nxt = {s.name: s.command for s in stages(RECIPES["babel-small-v31"])}  # tokenizer v3.1, the rest as the default
    assert "freeze_layers=2" in nxt["tokenizer"] and "freeze_layers=0" in commands["tokenizer"]
    assert "runs/babel-small-v31/tok-ctc" in nxt["tokenizer"] and "'steps': 3400" in nxt["audiopalm_next"]
    assert "steps=2000" in nxt["units"] and "tokenizer='runs/babel-small-v31/tok-ctc'" in nxt["units"]
    assert "units='runs/babel-small-v31/units/model'" in nxt["speech"]
    assert "tokenizer='runs/babel-small/tok-ctc'" in commands["units"] and "units=None" in before["speech"]
    # the acoustic model the bundle speaks with has also learnt the text-to-unit model's tokens, from the first one's
    both = commands["acoustic_units"]
    assert "inputs='both'" in both and "units='runs/babel-small/units'" in both and "steps=6400" in both
    assert "init='runs/babel-small/acoustic/model'" in both and "out='runs/babel-small/acoustic-units'" in both
    assert "acoustic='runs/babel-small/acoustic-units/model'" in commands["speech"]
    assert "acoustic_units" not in before and "listener" not in before and "listener" not in nxt
    assert "listener_50hz" not in before and "listener_50hz" not in nxt and "listener_voices" not in nxt
    assert "question" not in before and "question" not in nxt
    assert "acoustic='runs/babel-small-curriculum/acoustic/model'" in before["speech"]


def test_a_rebuild_elsewhere_leaves_the_recipes_own_folders_alone():
    from audiopalm.config import build
    from audiopalm.recipes.bundle import RecipeRunConfig, stages

    cfg = build(RecipeRunConfig, {}, ["work=runs/again", "bundle=runs/again/bundle"], {"name": "babel-small"})
    commands = " ".join(s.command for s in stages(cfg.recipe()))
    assert "runs/again/lm" in commands and "model='runs/again/bundle'" in commands
    assert "runs/babel-small/" not in commands and "models/babel-small" not in commands
    assert "data='data/babel-small'" in commands, "the worlds are shared"
    assert RecipeRunConfig("babel-small").recipe() == RECIPES["babel-small"]


def test_a_stage_clock_writes_its_time_while_the_stage_runs_and_adds_to_earlier_parts(tmp_path):
    import time

    from audiopalm.recipes.bundle import stage_clock

    (tmp_path / "stages.json").write_text(json.dumps({"text_lm": 100.0}))
    with stage_clock(tmp_path, "text_lm", every=0.05):
        time.sleep(0.3)
        running = json.loads((tmp_path / "stages.json").read_text())["text_lm"]
        assert 100.0 < running <= 100.4  # written before the stage ends: a killed run keeps it
    with pytest.raises(RuntimeError), stage_clock(tmp_path, "codec", every=10.0):
        raise RuntimeError("stage failed")
    times = json.loads((tmp_path / "stages.json").read_text())
    assert 100.2 <= times["text_lm"] < 101.0 and 0.0 <= times["codec"] < 1.0 and list(times) == ["text_lm", "codec"]
    with stage_clock(tmp_path, "text_lm", add=False):  # a stage that starts over: its last run only
        pass
    assert json.loads((tmp_path / "stages.json").read_text())["text_lm"] < 1.0


def test_a_world_whose_rendering_was_cut_short_is_not_taken_as_done(tmp_path):
    from audiopalm.recipes.bundle import stages, world_complete

    world = tmp_path / "world.json"
    assert not world_complete(world)
    world.write_text(json.dumps({"status": "rendering", "config": {"preset": "small"}}))  # what synthesis writes first
    assert not world_complete(world)
    world.write_text("{not json")
    assert not world_complete(world)
    world.write_text(json.dumps({"status": "complete", "languages": ["en"]}))
    assert world_complete(world)
    recipe = replace(RECIPES["babel-small"], data=str(tmp_path), next_data=str(tmp_path / "next"),
                     work=str(tmp_path / "w"))
    (tmp_path / "next").mkdir()
    (tmp_path / "next" / "world.json").write_text(json.dumps({"status": "rendering"}))
    finished = {s.name: s.finished() for s in stages(recipe)}
    assert finished["world"] and not finished["next_world"] and not finished["tokenizer"]
