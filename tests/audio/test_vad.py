"""Voice activity: speech stretches found in a long recording, silence gives none, long stretches are cut."""

import numpy as np

from audiopalm.audio.vad import VadConfig, speech_segments


def _recording(parts: list[tuple[str, float]], seed: int = 0) -> np.ndarray:
    """("speech" | "silence", seconds) in order -> wav: voiced tone bursts over faint noise."""
    rng = np.random.default_rng(seed)
    out = []
    for kind, seconds in parts:
        n = int(16000 * seconds)
        noise = 0.002 * rng.standard_normal(n)
        if kind == "speech":
            t = np.arange(n) / 16000
            noise += 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
        out.append(noise)
    return np.concatenate(out).astype(np.float32)


def test_segments_match_the_speech_within_a_tenth_of_a_second():
    wav = _recording([("silence", 1.0), ("speech", 2.0), ("silence", 1.0), ("speech", 3.0), ("silence", 0.7),
                      ("speech", 1.5), ("silence", 1.0)])
    segments = speech_segments(wav)
    truth = [(1.0, 3.0), (4.0, 7.0), (7.7, 9.2)]
    assert len(segments) == 3
    for (a, b), (ta, tb) in zip(segments, truth):
        assert abs(a - ta) <= 0.15 and abs(b - tb) <= 0.15


def test_short_pauses_are_bridged_and_silence_has_no_speech():
    wav = _recording([("speech", 1.0), ("silence", 0.2), ("speech", 1.0)])
    assert len(speech_segments(wav)) == 1
    assert speech_segments(_recording([("silence", 5.0)])) == []
    assert speech_segments(np.zeros(16000 * 3, dtype=np.float32)) == []


def test_a_long_stretch_is_cut_under_the_limit():
    wav = _recording([("speech", 50.0)])
    segments = speech_segments(wav, VadConfig(max_seconds=20.0))
    assert len(segments) >= 3 and all(b - a <= 20.0 for a, b in segments)
    assert segments[0][0] == 0.0 and abs(segments[-1][1] - 50.0) < 0.1
