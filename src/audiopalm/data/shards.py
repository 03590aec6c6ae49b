"""Tokenize whole manifests into reusable shards, in parallel and resumably.

    OUT/index.json                       tokenizer, splits, counts, failures
    OUT/{split}/shard-00000.safetensors  tokens [N] int16 (concatenated), offsets [n + 1] int64;
                                         metadata: utterance ids (JSON), per-file failures and the
                                         key of the rows it was made from

Each shard is written atomically. A re-run keeps a shard only when its key matches the rows it
would now hold (the id and audio path of each, and the recording's size and time), so a repaired
manifest or recording re-makes what changed; shards past the end of a shortened manifest are
removed. A run that finds everything made writes nothing (a read-only token folder works). Where
none of a shard's recordings are present (manifests and tokens copied to a training machine without
the audio), the shard is kept when it holds the same utterance ids.

The default folder, DATA/tokens/<tokenizer folder name>-<digest of its config and codebook>, is one per
tokenizer: two tokenizers with the same folder name (a rebuilt one, another recipe's) never share tokens.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm import tqdm

from audiopalm.audio.io import AudioError
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError

_TOKENIZER: AudioTokenizer | None = None  # one per worker process


def _init_worker(tokenizer_dir: str, threads: int) -> None:
    global _TOKENIZER
    torch.set_num_threads(threads)
    _TOKENIZER = AudioTokenizer.from_pretrained(tokenizer_dir)


def tokenize_rows(tokenizer: AudioTokenizer, data: Path, rows: list[dict], batch: int = 16) -> tuple[list[str], list[torch.Tensor], list[str]]:
    """-> (ids, tokens [T] per utterance, failures 'id: reason'); a bad file never stops the batch."""
    ids, tokens, failed = [], [], []
    for i in range(0, len(rows), batch):
        chunk = rows[i: i + batch]
        try:
            out = tokenizer.encode_batch([data / r["audio"] for r in chunk])
            pairs = list(zip(chunk, out))
        except AudioError:  # find the bad ones one by one
            pairs = []
            for r in chunk:
                try:
                    pairs.append((r, tokenizer.encode(data / r["audio"])))
                except AudioError as e:
                    failed.append(f"{r['id']}: {e}")
        for r, t in pairs:
            ids.append(r["id"])
            tokens.append(t)
    return ids, tokens, failed


def rows_key(data: Path, rows: list[dict]) -> str:
    """What a shard's tokens depend on: each row's id and audio path, in order, and each recording's size
    and modification time (a recording repaired in place is tokenized again)."""
    def stamp(path: Path) -> list[int]:
        try:
            st = path.stat()
        except OSError:
            return [-1, -1]
        return [st.st_size, st.st_mtime_ns]

    return hashlib.sha256(json.dumps([[r["id"], r["audio"], *stamp(data / r["audio"])] for r in rows]).encode()
                          ).hexdigest()[:16]


def _shard_matches(path: Path, data: Path, rows: list[dict]) -> bool:
    """Whether the shard at PATH was made from these rows: its key, or its ids for shards without a key and
    for rows none of whose recordings are here (tokens made where the audio is, trained on elsewhere)."""
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except Exception:  # a damaged shard is made again
        return False
    if "rows" in meta and any((data / r["audio"]).exists() for r in rows):
        return meta["rows"] == rows_key(data, rows)
    made = json.loads(meta.get("ids", "[]")) + [f.split(": ", 1)[0] for f in json.loads(meta.get("failed", "[]"))]
    return sorted(made) == sorted(r["id"] for r in rows)


def write_shard(path: Path, ids: list[str], tokens: list[torch.Tensor], failed: list[str], key: str = "") -> None:
    offsets = torch.zeros(len(tokens) + 1, dtype=torch.int64)
    offsets[1:] = torch.cumsum(torch.tensor([len(t) for t in tokens], dtype=torch.int64), 0)
    flat = torch.cat(tokens).to(torch.int16) if tokens else torch.zeros(0, dtype=torch.int16)
    tmp = path.with_name(f".{path.name}.tmp")
    save_file({"tokens": flat, "offsets": offsets}, str(tmp),
              metadata={"ids": json.dumps(ids), "failed": json.dumps(failed), "rows": key})
    os.replace(tmp, path)


def _shard_job(job: tuple[str, list[dict], str, dict[str, torch.Tensor]]) -> list[str]:
    """Tokenize the rows whose tokens are not known already and write the shard of them all, in row order."""
    data, rows, path, known = job
    ids, tokens, failed = tokenize_rows(_TOKENIZER, Path(data), [r for r in rows if r["id"] not in known])
    made = {**dict(zip(ids, tokens)), **known}
    order = [r["id"] for r in rows if r["id"] in made]
    write_shard(Path(path), order, [made[u] for u in order], failed, rows_key(Path(data), rows))
    return failed


def file_identity(path: Path) -> tuple[int, int, int, int] | None:
    """(device, inode, size, modification time) of the file at PATH, the same for every hard link to it; None if
    it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def linked_tokens(tokenizer_dir: Path, worlds: Sequence[Path]) -> dict[tuple[int, int, int, int], torch.Tensor]:
    """The tokens this tokenizer already made of other worlds' recordings, by file identity (`file_identity`): a
    world whose audio is hard-linked from another's (a larger preset's, `link_audio`) reads them instead of encoding
    the same files again. Only shards that still match their rows (`_shard_matches`) are read."""
    from audiopalm.data.manifest import audio_rows, read_jsonl

    known = {}
    for world in map(Path, worlds):
        folder = default_shards(world, tokenizer_dir)
        for split in sorted(p for p in folder.glob("*") if p.is_dir() and (world / f"{p.name}.jsonl").exists()):
            rows = audio_rows(read_jsonl(world / f"{split.name}.jsonl"))
            for path in sorted(split.glob("shard-*.safetensors")):
                tokens, failed = read_shard(path)
                made = set(tokens) | {f.split(": ", 1)[0] for f in failed}
                chunk = [r for r in rows if r["id"] in made]
                if not _shard_matches(path, world, chunk):
                    continue
                for r in chunk:
                    if r["id"] in tokens and (identity := file_identity(world / r["audio"])) is not None:
                        known[identity] = tokens[r["id"]]
    return known


def known_tokens(rows: list[dict], data: Path, linked: dict[tuple[int, int, int, int], torch.Tensor]
                 ) -> dict[str, torch.Tensor]:
    """{row id: tokens} of the rows whose recording under DATA is one of the files `linked` (`linked_tokens`) has."""
    if not linked:
        return {}
    return {r["id"]: linked[i] for r in rows if (i := file_identity(data / r["audio"])) in linked}


def read_shard(path: Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """-> ({utterance id: tokens [T] int64}, failures)."""
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
        flat, offsets = f.get_tensor("tokens").long(), f.get_tensor("offsets")
    ids = json.loads(meta["ids"])
    return {u: flat[offsets[i]: offsets[i + 1]] for i, u in enumerate(ids)}, json.loads(meta["failed"])


def load_tokens(folder: str | Path, split: str) -> dict[str, torch.Tensor]:
    """All tokens of one split: {utterance id: LongTensor [T]}."""
    out = {}
    for path in sorted((Path(folder) / split).glob("shard-*.safetensors")):
        out.update(read_shard(path)[0])
    return out


def tokenizer_digest(folder: Path) -> str:
    """12 hex digits of sha256 over the files that make a tokenizer what it is: config.json and
    codebook.safetensors (k-means fitted to the encoder's features, so new whenever the encoder is).
    Nothing else is read: a tokenizer folder may also hold its training run, hundreds of MB that come
    and go."""
    h = hashlib.sha256()
    for name in ("config.json", "codebook.safetensors"):
        if (path := Path(folder) / name).is_file():  # a folder without them is refused by its reader
            h.update(name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def default_shards(data: Path, tokenizer_dir: Path) -> Path:
    """Where DATA's tokens by the tokenizer in TOKENIZER_DIR live: DATA/tokens/<name>-<digest>."""
    return Path(data) / "tokens" / f"{Path(tokenizer_dir).name}-{tokenizer_digest(Path(tokenizer_dir))}"


def tokenize_manifests(tokenizer_dir: Path, data: Path, out: Path, splits: list[str], jobs: int = 1,
                       shard_size: int = 500, progress: bool = True, reuse: Sequence[Path] = ()) -> dict:
    """Tokenize DATA/{split}.jsonl for each split into OUT; returns (and writes) the index. Recordings that are
    hard links to recordings of the worlds in `reuse` take the tokens this tokenizer made of those (`linked_tokens`)."""
    from audiopalm.data.manifest import audio_rows, read_jsonl, write_text_atomic

    tokenizer_config = json.loads((tokenizer_dir / "config.json").read_text()) if (tokenizer_dir / "config.json").exists() else None
    if tokenizer_config is None:
        raise AudiopalmError(f"{tokenizer_dir} is not an audio tokenizer folder (no config.json)")
    index_path = out / "index.json"
    old = json.loads(index_path.read_text()) if index_path.exists() else {}
    if old and old.get("tokenizer_config") != tokenizer_config:
        raise AudiopalmError(f"{out} holds tokens of another tokenizer; choose another --out")
    jobs_list, counts, stale = [], {}, []
    for split in splits:
        manifest = data / f"{split}.jsonl"
        if not manifest.exists():
            raise AudiopalmError(f"{manifest} not found")
        rows = audio_rows(read_jsonl(manifest))
        counts[split] = len(rows)
        wanted = set()
        for k in range(0, len(rows), shard_size):
            path = out / split / f"shard-{k // shard_size:05d}.safetensors"
            wanted.add(path.name)
            if not (path.exists() and _shard_matches(path, data, rows[k: k + shard_size])):
                jobs_list.append((str(data), rows[k: k + shard_size], str(path)))
        stale += [p for p in (out / split).glob("shard-*.safetensors") if p.name not in wanted]
    linked = linked_tokens(tokenizer_dir, reuse) if reuse and jobs_list else {}
    jobs_list = [(d, chunk, path, known_tokens(chunk, data, linked)) for d, chunk, path in jobs_list]
    if not jobs_list and not stale and old.get("status") == "complete" and \
            all(old.get("utterances", {}).get(s) == counts[s] for s in splits):
        return old  # all made: nothing to write
    for split in splits:
        (out / split).mkdir(parents=True, exist_ok=True)
    write_text_atomic(index_path, json.dumps({**old, "tokenizer": str(tokenizer_dir), "tokenizer_config": tokenizer_config,
                                              "data": str(data), "status": "tokenizing"}, indent=2))
    for path in stale:  # shards past the end of a shortened manifest
        path.unlink()
    bar = tqdm(total=len(jobs_list), desc="tokenize", unit="shard", disable=not progress, dynamic_ncols=True)
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    # spawn, not fork: a forked child of a process that already ran torch ops can deadlock in OpenMP.
    ctx = multiprocessing.get_context("spawn")
    for job in (job for job in jobs_list if len(job[3]) == len(job[1])):  # every token known: nothing to encode
        _shard_job(job)
        bar.update()
    if to_encode := [job for job in jobs_list if len(job[3]) < len(job[1])]:
        with ProcessPoolExecutor(max(1, jobs), mp_context=ctx, initializer=_init_worker,
                                 initargs=(str(tokenizer_dir), threads)) as pool:
            for _ in pool.map(_shard_job, to_encode):
                bar.update()
    bar.close()
    failures, tokens_per_split = {}, {}
    for split in splits:
        n, fails = 0, []
        for path in sorted((out / split).glob("shard-*.safetensors")):
            toks, f = read_shard(path)
            n += sum(len(t) for t in toks.values())
            fails += f
        failures[split], tokens_per_split[split] = fails, n
    before = {k: v for k in ("utterances", "tokens", "failed") if isinstance(v := old.get(k), dict)}  # other splits
    index = {"tokenizer": str(tokenizer_dir), "tokenizer_config": tokenizer_config, "data": str(data),
             "status": "complete", "utterances": {**before.get("utterances", {}), **counts},
             "tokens": {**before.get("tokens", {}), **tokens_per_split},
             "failed": {**before.get("failed", {}), **failures}}
    write_text_atomic(index_path, json.dumps(index, indent=2))
    return index


@dataclass
class TokenizeConfig:
    """`audiopalm tokenize`: manifests into reusable token shards."""

    tokenizer: str = help_field("tokenizer folder")
    data: str = help_field("folder with {split}.jsonl manifests")
    out: str | None = help_field("output folder (default: DATA/tokens/<tokenizer folder name>-<digest of its config "
                                 "and codebook>)", None)
    splits: list[str] = help_field("splits to tokenize", ["train", "dev", "test"])
    jobs: int = help_field("parallel processes", os.cpu_count() or 1, min=1)
    shard_size: int = help_field("utterances per shard", 500, min=1)
    quiet: bool = help_field("no progress bar", False)


def run(cfg: TokenizeConfig) -> dict:
    """The shard index (made or completed), with where it is."""
    out = Path(cfg.out) if cfg.out else default_shards(Path(cfg.data), Path(cfg.tokenizer))
    index = tokenize_manifests(Path(cfg.tokenizer), Path(cfg.data), out, cfg.splits, cfg.jobs, cfg.shard_size,
                               progress=not cfg.quiet)
    return {**index, "folder": str(out), "splits": cfg.splits}


def tokenize_text(index: dict) -> str:
    lines = [f"{split}: {index['utterances'][split]} utterances, {index['tokens'][split]} tokens -> "
             f"{Path(index['folder']) / split}" for split in index["splits"]]
    failed = [f for fs in index["failed"].values() for f in fs]
    if failed:
        lines += [f"{len(failed)} files failed:", *(f"  {f}" for f in failed)]
    return "\n".join(lines)
