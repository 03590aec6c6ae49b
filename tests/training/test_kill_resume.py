"""kill -9 at five points of each trainer (while it starts, after three random checkpoints, while it writes a
checkpoint), then the same command again: the final weights equal those of an uninterrupted run (max abs diff
0). Slow: each trainer runs seven times."""

import csv
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml
from safetensors.torch import load_file


STEPS, EVERY = 30, 3


def _argv(trainer: str, data, parts, out) -> list[str]:
    every = ["--checkpoint-every", str(EVERY), "--steps", str(STEPS)]
    if trainer == "pretrain-text":
        return ["pretrain-text", "--data", str(data), "--out", str(out), "--preset", "tiny", "--batch-tokens", "512",
                "--text-vocab", "600", "--extra-sentences", "20", "--eval-every", "5", *every]
    if trainer == "codec train":
        return ["codec", "train", "--data", str(data), "--out", str(out), "--preset", "tiny", "--eval-every", "5", *every]
    if trainer == "train-acoustic":
        return ["train-acoustic", "--data", str(data), "--tokenizer", str(parts / "tok"), "--codec",
                str(parts / "codec" / "codec"), "--out", str(out), "--preset", "tiny", "--eval-every", "5", *every]
    config = out.with_suffix(".yaml")
    config.write_text(yaml.safe_dump({
        "data": str(data), "audio_tokenizer": str(parts / "tok"), "text_lm": str(parts / "lm"), "out": str(out),
        "jobs": 1, "train": {"steps": STEPS, "batch_tokens": 1024, "eval_every": 5, "checkpoint_every": EVERY}}))
    return ["train", "--config", str(config)]


def _checkpointed(out) -> int:
    """The step of the run's latest checkpoint (0 before the first)."""
    try:
        return int((out / "checkpoints" / "latest.txt").read_text().strip().rsplit("-", 1)[-1])
    except (OSError, ValueError):
        return 0


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "audiopalm", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _weights(out) -> dict:
    """Every final weight file of a run (checkpoints aside): {relative path: {name: tensor}}."""
    return {str(p.relative_to(out)): load_file(str(p)) for p in sorted(out.rglob("*.safetensors"))
            if "checkpoints" not in p.parts}


@pytest.fixture(scope="module")
def parts(tiny_parts):
    """The tiny world's tokenizer and text LM, and a tiny codec for the acoustic trainer."""
    from audiopalm.cli import main

    data, root = tiny_parts
    if not (root / "codec" / "codec").exists():
        assert main(["codec", "train", "--data", str(data), "--out", str(root / "codec"), "--preset", "tiny",
                     "--steps", "2"]) == 0
    return data, root


@pytest.mark.slow
@pytest.mark.parametrize("trainer", ["pretrain-text", "train", "train-acoustic", "codec train"])
def test_kill_9_at_random_points_then_resume_gives_the_same_weights(parts, tmp_path, trainer):
    data, root = parts
    whole = _argv(trainer, data, root, tmp_path / "whole")
    done = subprocess.run([sys.executable, "-m", "audiopalm", *whole], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]

    out = tmp_path / "killed"
    argv = _argv(trainer, data, root, out)
    rng = random.Random(trainer)
    kills = []
    # kill -9 while it starts (before its first checkpoint), then after 3 random checkpoints, then while it
    # writes one (the checkpoint's temporary folder exists)
    targets = ["start", *sorted(rng.sample(range(EVERY, STEPS - 3 * EVERY + 1, EVERY), 3)), "writing"]
    for target in targets:
        proc, deadline = _start(argv), time.time() + 600
        if target == "start":
            time.sleep(rng.uniform(0.5, 2.0))
        elif target == "writing":  # a write of a tiny model takes milliseconds: if two pass unseen, kill after them
            start = _checkpointed(out)
            while (proc.poll() is None and not list((out / "checkpoints").glob(".tmp-step-*"))
                   and _checkpointed(out) < start + 2 * EVERY and time.time() < deadline):
                pass
        else:
            while proc.poll() is None and _checkpointed(out) < target and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.15))  # inside one of the steps after it
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kills.append(_checkpointed(out))
    assert all(k < STEPS for k in kills), f"a kill came after the run ended: {kills}"
    resumed = subprocess.run([sys.executable, "-m", "audiopalm", *argv], capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    a, b = _weights(tmp_path / "whole"), _weights(out)
    assert a.keys() == b.keys() and a
    for path in a:
        assert a[path].keys() == b[path].keys()
        for name in a[path]:
            assert (a[path][name].float() - b[path][name].float()).abs().max().item() == 0, (path, name)
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, STEPS + 1))  # each step logged once
