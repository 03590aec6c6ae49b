import numpy as np
import pytest
import soundfile as sf

from audiopalm.audio.io import AudioError, load_audio, write_wav


def _tone(sr: int, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    x = 0.5 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_load_formats_downmix_and_resample(tmp_path, fmt):
    path = tmp_path / f"x.{fmt}"
    sf.write(path, _tone(44100, 0.5, channels=2), 44100, format=fmt.upper() if fmt != "ogg" else "OGG")
    wav = load_audio(path)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert abs(len(wav) - 8000) < 1200  # 0.5 s at 16 kHz (mp3 adds codec padding)


def test_write_then_load_round_trip(tmp_path):
    x = _tone(16000, 0.3)
    write_wav(tmp_path / "a.wav", x)
    assert np.allclose(load_audio(tmp_path / "a.wav"), x, atol=1e-3)


def test_loud_float_audio_is_scaled_to_peak_one(tmp_path):
    sf.write(tmp_path / "loud.wav", _tone(16000, 0.2) * 4, 16000, subtype="FLOAT")
    assert np.abs(load_audio(tmp_path / "loud.wav")).max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: sf.write(p, np.zeros(0, dtype=np.float32), 16000), "empty"),
        (lambda p: sf.write(p, np.zeros(320, dtype=np.float32), 16000), "too short"),
        (lambda p: sf.write(p, np.full(1600, np.nan, dtype=np.float32), 16000, subtype="FLOAT"), "NaN or Inf"),
        (lambda p: p.write_bytes(b"RIFF\x00\x00garbage"), "cannot read audio"),
        (lambda p: sf.write(p, np.zeros((1600, 12), dtype=np.float32), 16000), "C<= 8"),
    ],
)
def test_bad_audio_gets_one_clear_error(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=message) as e:
        load_audio(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
