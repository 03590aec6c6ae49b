"""Speech encoders by name. `hf` is imported only when used (transformers is heavy)."""

from __future__ import annotations

from collections.abc import Callable

from audiopalm.audio.encoders.base import HOP, TOKEN_RATE, Encoder, num_tokens
from audiopalm.errors import AudiopalmError


def _mfcc() -> type[Encoder]:
    from audiopalm.audio.encoders.mfcc import MfccEncoder

    return MfccEncoder


def _ctc() -> type[Encoder]:
    from audiopalm.audio.encoders.ctc import CtcEncoder

    return CtcEncoder


def _hf() -> type[Encoder]:
    from audiopalm.audio.encoders.hf import HfEncoder

    return HfEncoder


ENCODERS: dict[str, Callable[[], type[Encoder]]] = {"mfcc": _mfcc, "ctc": _ctc, "hf": _hf}


def encoder_class(name: str) -> type[Encoder]:
    if name not in ENCODERS:
        raise AudiopalmError(f"unknown encoder {name!r}; choose from {', '.join(ENCODERS)} (hf as hf:<model id or path>)")
    return ENCODERS[name]()


__all__ = ["ENCODERS", "Encoder", "HOP", "TOKEN_RATE", "encoder_class", "num_tokens"]
