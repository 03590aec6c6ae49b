"""The stages a recipe or an experiment can run by name, each a config dataclass and its `run`.

    run_stage("pretrain-text", {"data": "data/babel-small", "out": "runs/lm-mini", "lm": {"preset": "mini"}})

Configs are built and checked by `config.build` (unknown keys and wrong types are one error naming
the key), the same as the command line builds them from flags.
"""

from __future__ import annotations

import importlib

from audiopalm.config import build
from audiopalm.errors import AudiopalmError

# stage name -> "module:ConfigClass"; the module's `run(cfg)` runs it.
STAGES = {
    "synth": "audiopalm.data.babel.synth:SynthConfig",
    "tokenizer": "audiopalm.recipes.tokenizer:TokenizerStage",
    "codec": "audiopalm.recipes.codec:CodecStage",
    "acoustic": "audiopalm.recipes.acoustic:AcousticStage",
    "pretrain-text": "audiopalm.recipes.pretrain_text:PretrainTextStage",
    "finetune": "audiopalm.recipes.finetune:FinetuneConfig",
    "attach-speech": "audiopalm.models.speech_out:AttachConfig",
}


def stage_config(name: str, values: dict):
    """The checked config of stage `name` from a mapping of its keys."""
    if name not in STAGES:
        raise AudiopalmError(f"unknown stage {name!r}; choose from {', '.join(STAGES)}")
    module, cls = STAGES[name].split(":")
    return build(getattr(importlib.import_module(module), cls), values)


def run_stage(name: str, values: dict):
    """Build stage `name`'s config from `values` and run it; what its `run` returns."""
    cfg = stage_config(name, values)
    return importlib.import_module(STAGES[name].split(":")[0]).run(cfg)
