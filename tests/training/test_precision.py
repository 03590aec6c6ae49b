"""bf16 autocast only where the hardware multiplies bf16 natively."""

import torch

from audiopalm.training import precision


def test_bf16_follows_the_cpu_features(monkeypatch, capsys):
    for avx512_bf16, amx, native in ((False, False, False), (True, False, True), (False, True, True)):
        precision.native_bf16.cache_clear()
        precision._notice.cache_clear()
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=avx512_bf16: v)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v)
        assert precision.use_bf16(True) is native and precision.use_bf16(False) is False
        assert ("bf16 autocast off" in capsys.readouterr().err) is not native
    precision.native_bf16.cache_clear()
    assert precision.native_bf16("mps") is False


def test_a_notice_is_printed_once(monkeypatch, capsys):
    precision.native_bf16.cache_clear()
    precision._notice.cache_clear()
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    for _ in range(3):
        assert precision.use_bf16(True) is False
    assert capsys.readouterr().err.count("bf16 autocast off") == 1
    precision.native_bf16.cache_clear()
