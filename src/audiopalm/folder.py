"""A module with a dataclass config as one folder: config.json ({"type": ..., **config}) + model.safetensors."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_module(folder: str | Path, module: torch.nn.Module, kind: str, config) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"type": kind, **asdict(config)}, indent=2))


def load_module(folder: str | Path, build, config_cls) -> torch.nn.Module:
    """`build(config_cls(**config))` with the folder's weights, in eval mode."""
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("type")
    module = build(config_cls(**config))
    module.load_state_dict(load_file(str(folder / "model.safetensors")))
    return module.eval()
