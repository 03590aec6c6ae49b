"""Voice activity: speech stretches found in a long recording, silence (and, for silero, noise) gives none,
long stretches are cut. Both detectors, on real speech clips of the tiny world."""

import numpy as np
import pytest

from audiopalm.audio.io import load_audio
from audiopalm.audio import vad
from audiopalm.audio.vad import VadConfig, has_speech_batch, speech_segments

BACKENDS = ["silero", "energy"]


@pytest.fixture(scope="module")
def clips(tiny_world):
    data, _ = tiny_world
    return [load_audio(p) for p in sorted((data / "audio" / "test" / "en").glob("*.wav"))[:6]]


def _recording(parts: list, seed: int = 0) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Clips (arrays) and pauses (seconds) in order, over faint noise -> (wav, true speech spans)."""
    rng = np.random.default_rng(seed)
    out, spans, t = [], [], 0.0
    for part in parts:
        if isinstance(part, float):
            out.append(0.002 * rng.standard_normal(int(16000 * part)))
            t += part
        else:
            out.append(part + 0.002 * rng.standard_normal(len(part)))
            spans.append((t, t + len(part) / 16000))
            t += len(part) / 16000
    return np.concatenate(out).astype(np.float32), spans


def _trimmed(wav: np.ndarray) -> np.ndarray:
    """A clip without its leading and trailing silence, so that the true spans are where the voice is."""
    loud = np.flatnonzero(np.abs(wav) > 0.02)
    return wav[loud[0]: loud[-1] + 1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_segments_match_the_speech(clips, backend):
    wav, truth = _recording([1.0, _trimmed(clips[0]), 1.2, _trimmed(clips[1]), 1.0, _trimmed(clips[2]), 1.0])
    segments = speech_segments(wav, VadConfig(backend=backend))
    assert len(segments) == 3, segments
    tolerance = {"silero": 0.25, "energy": 0.5}[backend]  # energy loses quiet word endings
    for (a, b), (ta, tb) in zip(segments, truth):
        assert abs(a - ta) <= tolerance and abs(b - tb) <= tolerance, (segments, truth)


@pytest.mark.parametrize("backend", BACKENDS)
def test_short_pauses_are_bridged_and_silence_has_no_speech(clips, backend):
    cfg = VadConfig(backend=backend)
    wav, _ = _recording([0.5, _trimmed(clips[0]), 0.2, _trimmed(clips[1]), 0.5])
    assert len(speech_segments(wav, cfg)) == 1
    assert speech_segments(_recording([5.0])[0], cfg) == []
    assert speech_segments(np.zeros(16000 * 3, dtype=np.float32), cfg) == []


def test_silero_hears_noise_and_hum_as_no_speech():
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 16000
    for noise in (0.1 * rng.standard_normal(48000), np.cumsum(rng.standard_normal(48000)) * 0.002,
                  0.3 * np.sin(2 * np.pi * 50 * t)):
        assert speech_segments(np.clip(noise, -1, 1).astype(np.float32)) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_finds_speech_where_one_by_one_finds_it(clips, backend):
    cfg = VadConfig(backend=backend)
    rng = np.random.default_rng(1)
    wavs = [*clips[:4], _recording([0.7, _trimmed(clips[4]), 1.5, _trimmed(clips[5]), 0.3])[0],
            np.zeros(8000, dtype=np.float32), (0.1 * rng.standard_normal(30000)).astype(np.float32), clips[0][:100]]
    one_by_one = [speech_segments(w, cfg) for w in wavs]
    assert has_speech_batch(wavs, cfg) == [bool(s) for s in one_by_one]
    noise_is_speech = backend == "energy"  # (documented: the energy detector hears noise as speech)
    assert [bool(s) for s in one_by_one] == [True] * 5 + [False, noise_is_speech, False]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_stretch_is_cut_under_the_limit(clips, backend):
    parts = []
    for _ in range(12):
        for clip in clips:
            parts += [_trimmed(clip), 0.15]
    wav, _ = _recording(parts)
    assert len(wav) > 16000 * 30
    segments = speech_segments(wav, VadConfig(backend=backend, max_seconds=10.0))
    assert len(segments) >= 3 and all(b - a <= 10.0 + 0.25 for a, b in segments)
    assert segments[0][0] < 0.3 and abs(segments[-1][1] - len(wav) / 16000) < 0.5


def test_whether_there_is_speech_is_known_before_the_end_of_the_clips(clips, monkeypatch):
    """The batched check stops once every clip has shown a sure stretch of speech; pauses, silence and noise are
    decided on every window, as speech_segments decides them."""
    loaded = vad._silero()
    if loaded is None:
        pytest.skip("silero-vad is not installed")
    calls = []

    def counting(x, sr):
        calls.append(x.shape[0])
        return loaded[0](x, sr)

    counting.reset_states = loaded[0].reset_states
    monkeypatch.setattr(vad, "_silero", lambda: (counting, loaded[1]))
    long_clips = [np.concatenate([c, c, c]) for c in clips[:4]]
    assert has_speech_batch(long_clips) == [True] * 4
    windows = max(-(-len(w) // vad.SILERO_WINDOW) for w in long_clips)
    assert 0 < len(calls) < windows / 2
    calls.clear()
    rng = np.random.default_rng(2)
    late = _recording([2.0, _trimmed(clips[1]), 0.5])[0]  # speech only after 2 s of faint noise
    noise = (0.1 * rng.standard_normal(40000)).astype(np.float32)
    batch = [long_clips[0], late, noise]
    assert has_speech_batch(batch) == [True, True, False]
    assert len(calls) == max(-(-len(w) // vad.SILERO_WINDOW) for w in batch)  # the noise is heard to its end


def test_loading_silero_keeps_torchs_thread_count(monkeypatch):
    pytest.importorskip("silero_vad")
    import sys

    import torch

    for name in [m for m in sys.modules if m.startswith("silero_vad")]:  # its import is what sets one thread
        monkeypatch.delitem(sys.modules, name)
    vad._silero.cache_clear()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert vad._silero() is not None
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        vad._silero.cache_clear()
