"""Whether bf16 autocast pays on this machine.

bf16 matrix products are native on CUDA GPUs with bf16 support and on CPUs with AVX512-BF16 or AMX; on
other CPUs (AVX2 only, say) PyTorch emulates them, and a training step under bf16 autocast runs tens of
times slower than in float32 (measured: 45 s against 0.9 s for the unit-to-mel model's step). A trainer
asked for bf16 on such a machine trains in float32 instead and says so once.
"""

from __future__ import annotations

import functools
import sys

import torch


@functools.cache
def native_bf16(device_type: str = "cpu") -> bool:
    """Whether `device_type` ("cpu", "cuda") multiplies bf16 matrices natively."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
        return any(check() for check in checks if check is not None)
    return False


@functools.cache
def _notice(device_type: str) -> None:
    print(f"bf16 autocast off: this {device_type.upper()} has no native bf16 (AVX512-BF16 or AMX); training in "
          f"float32", file=sys.stderr, flush=True)


def use_bf16(wanted: bool, device_type: str = "cpu") -> bool:
    """bf16 autocast when asked for and native on `device_type`; float32 (with a notice, once) otherwise."""
    if wanted and not native_bf16(device_type):
        _notice(device_type)
        return False
    return wanted


def bf16_autocast(wanted: bool = True, device_type: str = "cpu") -> torch.autocast:
    """The autocast context a trainer computes its forward pass in: bf16 per `use_bf16`, else disabled."""
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=use_bf16(wanted, device_type))
