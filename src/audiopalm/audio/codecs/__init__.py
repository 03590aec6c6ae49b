"""Acoustic codecs by name: a codec folder written by `save_pretrained`, or a Hugging Face EnCodec,
DAC or Mimi model (hub id or local folder)."""

from __future__ import annotations

import json
from pathlib import Path

from audiopalm.audio.codecs.base import Codec


def load_codec(source: str | Path, num_codebooks: int | None = None) -> Codec:
    folder = Path(source)
    config = folder / "config.json"
    if config.exists() and json.loads(config.read_text()).get("type") == "hf":
        from audiopalm.audio.codecs.hf import SUBFOLDER, HfCodec

        return HfCodec(folder / SUBFOLDER, num_codebooks or json.loads(config.read_text())["num_codebooks"])
    from audiopalm.audio.codecs.hf import HfCodec

    return HfCodec(source, num_codebooks)


__all__ = ["Codec", "load_codec"]
