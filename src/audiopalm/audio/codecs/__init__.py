"""Acoustic codecs by name: a codec folder written by `save_pretrained` (the built-in mel codec, or
a wrapped Hugging Face one), or a Hugging Face EnCodec, DAC or Mimi model (hub id or local folder)."""

from __future__ import annotations

import json
from pathlib import Path

from audiopalm.audio.codecs.base import Codec


def load_codec(source: str | Path, num_codebooks: int | None = None) -> Codec:
    folder = Path(source)
    config = folder / "config.json"
    kind = json.loads(config.read_text()).get("type") if config.exists() else None
    if kind == "mel":
        from audiopalm.audio.codecs.mel import MelCodec

        return MelCodec.from_pretrained(folder)
    if kind == "hf":
        from audiopalm.audio.codecs.hf import SUBFOLDER, HfCodec

        return HfCodec(folder / SUBFOLDER, num_codebooks or json.loads(config.read_text())["num_codebooks"])
    from audiopalm.audio.codecs.hf import HfCodec

    return HfCodec(source, num_codebooks)


__all__ = ["Codec", "load_codec"]
