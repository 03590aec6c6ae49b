"""Tokenizing manifests into shards: parallel, resumable, and a corrupt file is reported, not fatal."""

import json
import shutil

import pytest

from audiopalm.data.shards import load_tokens, tokenize_manifests
from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.cli import main


@pytest.fixture(scope="module")
def mfcc_tok(tiny_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("tok") / "mfcc"
    train_tokenizer(tiny_world[0], "mfcc", out, codebook_size=16, max_frames=5000)
    return out


def test_tokenize_world_with_a_corrupt_file(tiny_world, mfcc_tok, tmp_path):
    data = tmp_path / "world"
    shutil.copytree(tiny_world[0], data)
    dev = [json.loads(line) for line in open(data / "dev.jsonl")]
    (data / dev[3]["audio"]).write_bytes(b"not audio at all")
    index = tokenize_manifests(mfcc_tok, data, tmp_path / "tokens", ["dev", "test"], jobs=2, shard_size=10,
                               progress=False)
    assert len(index["failed"]["dev"]) == 1 and dev[3]["id"] in index["failed"]["dev"][0]
    tokens = load_tokens(tmp_path / "tokens", "dev")
    assert len(tokens) == len(dev) - 1
    row = dev[0]
    assert abs(len(tokens[row["id"]]) - row["duration"] * 25) <= 1


def test_rerun_skips_finished_shards(tiny_world, mfcc_tok, tmp_path):
    out = tmp_path / "tokens"
    tokenize_manifests(mfcc_tok, tiny_world[0], out, ["dev"], jobs=1, shard_size=10, progress=False)
    shard = sorted((out / "dev").glob("shard-*.safetensors"))[0]
    stamp = shard.stat().st_mtime_ns
    removed = sorted((out / "dev").glob("shard-*.safetensors"))[-1]
    removed.unlink()
    tokenize_manifests(mfcc_tok, tiny_world[0], out, ["dev"], jobs=1, shard_size=10, progress=False)
    assert shard.stat().st_mtime_ns == stamp and removed.exists()


def test_cli_tokenize_prints_counts(tiny_world, mfcc_tok, tmp_path, capsys):
    assert main(["tokenize", "--tokenizer", str(mfcc_tok), "--data", str(tiny_world[0]), "--splits", "dev",
                 "--out", str(tmp_path / "t"), "--quiet", "--jobs", "1"]) == 0
    assert "dev: 36 utterances" in capsys.readouterr().out
