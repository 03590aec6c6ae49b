"""Typed configs: flags, YAML and KEY=VALUE overrides build one checked dataclass; every mistake names its key."""

import argparse
from dataclasses import dataclass

import pytest

from audiopalm.config import add_arguments, add_config_file_arguments, build, from_args, help_field
from audiopalm.errors import AudiopalmError


@dataclass
class Inner:
    steps: int = help_field("optimizer steps", 10, min=1)
    ranges: tuple[float, float] = help_field("a range", (0.5, 1.5))
    mode: str = help_field("a choice", "a", choices=("a", "b"))


@dataclass
class Outer:
    data: str = help_field("a folder")
    lr: float = help_field("learning rate", 1e-3, min=0)
    flag: bool = help_field("a switch", True)
    names: list[str] = help_field("names", ["x"])
    weights: dict[str, float] = help_field("weights", {"ASR": 1.0})
    limit: int | None = help_field("optional", None)
    inner: Inner = help_field("nested", Inner)
    other: Inner = help_field("another nested one", Inner)


@dataclass
class Stage:
    out: str = help_field("out")
    train: Inner = help_field("training", Inner, flat=True)


def _parse(cls, argv):
    p = argparse.ArgumentParser()
    add_arguments(p, cls)
    add_config_file_arguments(p)
    return from_args(cls, p.parse_args(argv))


def test_defaults_yaml_overrides_and_flags_in_that_order(tmp_path):
    (tmp_path / "c.yaml").write_text("data: d\nlr: 0.5\ninner: {steps: 3}\nnames: [a, b]\n")
    cfg = _parse(Outer, ["--config", str(tmp_path / "c.yaml"), "--lr", "0.25", "inner.mode=b", "limit=7",
                         "--no-flag", "--inner-ranges", "0.1", "0.2"])
    assert cfg.data == "d" and cfg.lr == 0.25 and cfg.flag is False and cfg.names == ["a", "b"]
    assert cfg.inner == Inner(steps=3, ranges=(0.1, 0.2), mode="b") and cfg.limit == 7 and cfg.other == Inner()
    assert cfg.weights == {"ASR": 1.0} and Outer(data="x").weights is not Outer(data="y").weights


def test_flat_nested_configs_take_flags_without_a_prefix():
    cfg = _parse(Stage, ["--out", "o", "--steps", "5", "--mode", "b"])
    assert cfg.train == Inner(steps=5, mode="b")


@pytest.mark.parametrize("values, overrides, message", [
    ({"data": "d", "lrr": 1}, [], "unknown key lrr; Outer has: data, lr"),
    ({"data": "d"}, ["inner.stepz=3"], "unknown key inner.stepz; Inner has: steps"),
    ({"data": "d", "lr": "fast"}, [], "lr: expected a float, not 'fast'"),
    ({"data": "d"}, ["lr=.inf"], "lr: expected a finite float"),
    ({"data": "d"}, ["inner.steps=0"], "inner.steps: must be at least 1, not 0"),
    ({"data": "d"}, ["inner.steps=2.5"], "inner.steps: expected a int"),
    ({"data": "d"}, ["inner.mode=c"], "inner.mode: 'c' is not one of a, b"),
    ({"data": "d"}, ["inner.ranges=[1]"], "inner.ranges: expected 2 values, not 1"),
    ({"data": "d", "flag": 3}, [], "flag: expected a bool"),
    ({"data": "d", "inner": 5}, [], "inner: expected a mapping of Inner keys"),
    ({}, [], "missing required key data \\(give --data or set it in the --config file\\)"),
    ({"data": "d"}, ["lr"], "override 'lr': write KEY=VALUE"),
])
def test_every_mistake_is_one_error_naming_the_key(values, overrides, message):
    with pytest.raises(AudiopalmError, match=message):
        build(Outer, values, overrides)


def test_a_bad_config_file_is_one_error(tmp_path):
    from audiopalm.config import load_yaml

    with pytest.raises(AudiopalmError, match="not found"):
        load_yaml(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(AudiopalmError, match="not valid YAML"):
        load_yaml(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(AudiopalmError, match="expected a mapping of keys at the top, not list"):
        load_yaml(tmp_path / "list.yaml")


def test_a_help_text_may_say_percent(capsys):
    import argparse
    from dataclasses import dataclass

    from audiopalm.config import add_arguments, help_field

    @dataclass
    class Share:
        p: float = help_field("share of utterances: 0.5 is 50%", 0.5)

    parser = argparse.ArgumentParser()
    add_arguments(parser, Share)
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    assert "0.5 is 50% (default: 0.5)" in capsys.readouterr().out


def test_every_trainer_command_is_built_from_its_config(capsys):
    from audiopalm.cli import main

    for command in (["codec", "train"], ["train-acoustic"], ["pretrain-text"], ["tokenizer", "train"], ["train"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
    out = capsys.readouterr().out
    assert "--ctc-steps" in out and "--no-ctc-phonemes" in out and "--batch-tokens" in out and "KEY=VALUE" in out
    assert main(["codec", "train", "--out", "o", "--steps", "0"]) == 2
    assert "missing required key data" in capsys.readouterr().err
    assert main(["codec", "train", "--data", "d", "--out", "o", "--steps", "0"]) == 2
    assert "steps: must be at least 1, not 0" in capsys.readouterr().err
