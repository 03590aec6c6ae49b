"""Tokenizing manifests into shards: parallel, resumable, and a corrupt file is reported, not fatal."""

import json
import shutil

import pytest
import torch

from audiopalm.data.shards import default_shards, load_tokens, tokenize_manifests
from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.cli import main


@pytest.fixture(scope="module")
def mfcc_tok(tiny_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("tok") / "mfcc"
    train_tokenizer(tiny_world[0], "mfcc", out, codebook_size=16, max_frames=5000)
    return out


def test_default_shards_are_one_folder_per_tokenizer_not_per_name(tiny_world, mfcc_tok, tmp_path):
    copy = tmp_path / "a" / mfcc_tok.name
    shutil.copytree(mfcc_tok, copy)
    assert default_shards(tiny_world[0], copy) == default_shards(tiny_world[0], mfcc_tok)  # the same files
    (copy / "ctc-train").mkdir()
    (copy / "ctc-train" / "step-1.safetensors").write_bytes(b"a training run beside it")
    assert default_shards(tiny_world[0], copy) == default_shards(tiny_world[0], mfcc_tok)
    codebook = copy / "codebook.safetensors"
    data = codebook.read_bytes()
    codebook.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # a rebuilt tokenizer under the same name
    assert default_shards(tiny_world[0], copy) != default_shards(tiny_world[0], mfcc_tok)
    assert default_shards(tiny_world[0], copy).name.startswith("mfcc-")


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


def _shards(folder):
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("shard-*.safetensors"))}


def test_shards_follow_the_manifest_content(tiny_world, mfcc_tok, tmp_path):
    """A repaired manifest re-makes the shard whose rows changed; a shortened one loses its surplus shards;
    a run that finds everything made writes nothing."""
    data, out = tmp_path / "world", tmp_path / "tokens"
    shutil.copytree(tiny_world[0], data)
    rows = [json.loads(line) for line in open(data / "dev.jsonl")]
    tokenize_manifests(mfcc_tok, data, out, ["dev"], jobs=1, shard_size=10, progress=False)
    before, index_stamp = _shards(out / "dev"), (out / "index.json").stat().st_mtime_ns
    tokenize_manifests(mfcc_tok, data, out, ["dev"], jobs=1, shard_size=10, progress=False)
    assert _shards(out / "dev") == before and (out / "index.json").stat().st_mtime_ns == index_stamp

    (data / rows[3]["audio"]).write_bytes((data / rows[3]["audio"]).read_bytes())  # a recording re-rendered in place
    tokenize_manifests(mfcc_tok, data, out, ["dev"], jobs=1, shard_size=10, progress=False)
    remade = _shards(out / "dev")
    assert remade["shard-00000.safetensors"] != before["shard-00000.safetensors"]
    assert {k: v for k, v in remade.items() if k != "shard-00000.safetensors"} == \
        {k: v for k, v in before.items() if k != "shard-00000.safetensors"}
    before = remade

    rows[12]["audio"], rows[13]["audio"] = rows[13]["audio"], rows[12]["audio"]  # a repair in the second shard
    (data / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:25]))
    tokenize_manifests(mfcc_tok, data, out, ["dev"], jobs=1, shard_size=10, progress=False)
    after = _shards(out / "dev")
    assert sorted(after) == ["shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"]
    assert after["shard-00000.safetensors"] == before["shard-00000.safetensors"]
    assert after["shard-00001.safetensors"] != before["shard-00001.safetensors"]
    tokens = load_tokens(out, "dev")
    assert len(tokens) == 25
    fresh = tokenize_manifests(mfcc_tok, data, tmp_path / "fresh", ["dev"], jobs=1, shard_size=10, progress=False)
    assert fresh["tokens"]["dev"] == sum(len(t) for t in tokens.values())
    for key, value in load_tokens(tmp_path / "fresh", "dev").items():
        assert torch.equal(tokens[key], value)


def test_a_shortened_manifest_loses_its_surplus_shards_beside_other_splits(tiny_world, mfcc_tok, tmp_path):
    data, out = tmp_path / "world", tmp_path / "tokens"
    shutil.copytree(tiny_world[0], data)
    tokenize_manifests(mfcc_tok, data, out, ["dev", "test"], jobs=1, shard_size=10, progress=False)
    rows = open(data / "dev.jsonl").readlines()
    (data / "dev.jsonl").write_text("".join(rows[:15]))
    index = tokenize_manifests(mfcc_tok, data, out, ["dev", "test"], jobs=1, shard_size=10, progress=False)
    assert len(list((out / "dev").glob("shard-*.safetensors"))) == 2 and index["utterances"]["dev"] == 15
    assert len(load_tokens(out, "dev")) == 15


def test_tokens_travel_without_their_audio(tiny_world, mfcc_tok, tmp_path):
    """Manifests and token shards copied to a machine without the recordings train there as they are;
    a recording that is present again is checked against its shard's key."""
    made = tmp_path / "world"
    shutil.copytree(tiny_world[0], made)
    tokenize_manifests(mfcc_tok, made, made / "tokens", ["dev"], jobs=1, shard_size=10, progress=False)
    copy = tmp_path / "trainer"
    copy.mkdir()
    shutil.copy(made / "dev.jsonl", copy)
    shutil.copytree(made / "tokens", copy / "tokens")
    stamps = {p: p.stat().st_mtime_ns for p in (copy / "tokens" / "dev").glob("shard-*.safetensors")}
    index = tokenize_manifests(mfcc_tok, copy, copy / "tokens", ["dev"], jobs=1, shard_size=10, progress=False)
    assert index["status"] == "complete"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing made again (there is no audio to make it)
    assert load_tokens(copy / "tokens", "dev").keys() == load_tokens(made / "tokens", "dev").keys()
    first = json.loads(open(made / "dev.jsonl").readline())
    (copy / first["audio"]).parent.mkdir(parents=True, exist_ok=True)
    (copy / first["audio"]).write_bytes((made / first["audio"]).read_bytes())  # a recording with another stamp
    tokenize_manifests(mfcc_tok, copy, copy / "tokens", ["dev"], jobs=1, shard_size=10, progress=False)
    assert sorted(p.stat().st_mtime_ns != stamps[p] for p in stamps) == [False] * (len(stamps) - 1) + [True]


def test_a_world_that_links_another_reads_its_tokens(tiny_world, mfcc_tok, tmp_path):
    """A larger world whose audio is hard-linked from a smaller one takes the tokens made there of the same files
    (`reuse`), in shards of its own rows, and encodes what is its own: a file copied rather than linked."""
    from audiopalm.data.shards import read_shard, rows_key, write_shard
    from audiopalm.recipes.bundle import link_audio

    small, larger = tmp_path / "small", tmp_path / "larger"
    shutil.copytree(tiny_world[0], small)
    tokenize_manifests(mfcc_tok, small, default_shards(small, mfcc_tok), ["dev"], jobs=1, shard_size=10,
                       progress=False)
    rows = [json.loads(line) for line in open(small / "dev.jsonl")]
    for k, shard in enumerate(sorted((default_shards(small, mfcc_tok) / "dev").glob("shard-*.safetensors"))):
        tokens, _ = read_shard(shard)  # marked, so that tokens read from here can be told from tokens made again
        write_shard(shard, list(tokens), [(t + 1) % 16 for t in tokens.values()], [],
                    rows_key(small, rows[10 * k: 10 * k + 10]))
    marked = load_tokens(default_shards(small, mfcc_tok), "dev")
    link_audio(small, larger)
    copied = larger / rows[0]["audio"]
    copied.unlink()
    shutil.copy(small / rows[0]["audio"], copied)  # the same recording, another file
    (larger / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))  # other rows, other shards
    index = tokenize_manifests(mfcc_tok, larger, tmp_path / "tokens", ["dev"], jobs=1, shard_size=7, progress=False,
                               reuse=[small])
    assert index["status"] == "complete" and index["utterances"]["dev"] == len(rows) - 1
    tokens = load_tokens(tmp_path / "tokens", "dev")
    assert tokens.keys() == {r["id"] for r in rows[:-1]}
    assert all(torch.equal(tokens[r["id"]], marked[r["id"]]) for r in rows[1:-1])
    assert torch.equal(tokens[rows[0]["id"]], (marked[rows[0]["id"]] - 1) % 16)  # encoded again
