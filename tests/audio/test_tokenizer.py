"""AudioTokenizer: fit, encode, save/load, batches, bad input; the CTC encoder's training resumes exactly."""

import json

import numpy as np
import pytest
import torch

from audiopalm import AudioTokenizer
from audiopalm.audio.encoders.mfcc import MfccEncoder
from audiopalm.audio.io import AudioError, write_wav
from audiopalm.audio.tokenizer import dedup
from audiopalm.errors import AudiopalmError


def _wavs(n: int = 12, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = np.arange(int(16000 * rng.uniform(0.5, 1.5))) / 16000
        f0 = rng.uniform(100, 400)
        out.append((0.3 * np.sin(2 * np.pi * f0 * t * (1 + 0.5 * t)) + 0.01 * rng.standard_normal(len(t))).astype(np.float32))
    return out


@pytest.fixture(scope="module")
def mfcc_tokenizer():
    return AudioTokenizer.fit(MfccEncoder(), iter(_wavs()), codebook_size=16)


def test_encode_gives_25_hz_long_tokens(mfcc_tokenizer):
    wav = _wavs(1, seed=5)[0]
    tokens = mfcc_tokenizer.encode(wav)
    assert tokens.dtype == torch.int64 and tokens.ndim == 1
    assert len(tokens) == len(wav) // 640
    assert 0 <= int(tokens.min()) and int(tokens.max()) < 16


def test_path_and_array_give_the_same_tokens(mfcc_tokenizer, tmp_path):
    wav = _wavs(1, seed=6)[0]
    write_wav(tmp_path / "a.wav", wav)
    from_file = mfcc_tokenizer.encode(tmp_path / "a.wav")
    from_array = mfcc_tokenizer.encode(wav)
    assert (from_file != from_array).float().mean() < 0.1  # 16-bit rounding may flip a border frame


def test_batch_equals_one_by_one(mfcc_tokenizer):
    wavs = _wavs(4, seed=7)
    batch = mfcc_tokenizer.encode_batch(wavs)
    assert all(torch.equal(b, mfcc_tokenizer.encode(w)) for b, w in zip(batch, wavs))


def test_save_and_load_round_trip(mfcc_tokenizer, tmp_path):
    mfcc_tokenizer.save_pretrained(tmp_path / "tok")
    config = json.loads((tmp_path / "tok" / "config.json").read_text())
    assert config["codebook_size"] == 16 and config["token_rate"] == 25
    assert not list((tmp_path / "tok").glob("*.pt")) and not list((tmp_path / "tok").glob("*.bin"))
    loaded = AudioTokenizer.from_pretrained(tmp_path / "tok")
    wav = _wavs(1, seed=8)[0]
    assert torch.equal(loaded.encode(wav), mfcc_tokenizer.encode(wav))


def test_dedup_collapses_runs(mfcc_tokenizer):
    assert dedup(torch.tensor([5, 5, 9, 9, 9, 5])).tolist() == [5, 9, 5]
    wav = _wavs(1, seed=9)[0]
    full, short = mfcc_tokenizer.encode(wav), mfcc_tokenizer.encode(wav, dedup_runs=True)
    assert torch.equal(short, dedup(full)) and len(short) <= len(full)


@pytest.mark.parametrize(
    "audio, message",
    [
        (np.zeros(0, dtype=np.float32), "empty"),
        (np.zeros(100, dtype=np.float32), "too short"),
        (np.full(1600, np.inf, dtype=np.float32), "NaN or Inf"),
        (np.zeros(1600, dtype=np.int16), "expected float"),
        (np.zeros((1600, 3, 2), dtype=np.float32), "expected"),
    ],
)
def test_bad_arrays_are_clear_errors(mfcc_tokenizer, audio, message):
    with pytest.raises(AudioError, match=message):
        mfcc_tokenizer.encode(audio)


def test_not_a_tokenizer_folder(tmp_path):
    with pytest.raises(AudiopalmError, match="not an audio tokenizer folder"):
        AudioTokenizer.from_pretrained(tmp_path)


def test_too_few_frames_for_the_codebook():
    with pytest.raises(AudiopalmError, match="smaller --codebook-size"):
        AudioTokenizer.fit(MfccEncoder(), iter(_wavs(1)), codebook_size=1024)
