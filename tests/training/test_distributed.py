"""Two processes (torchrun, Gloo on the CPU) train exactly like one process accumulating two micro-batches."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file


ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], nproc: int) -> None:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc), "--standalone"]
    cmd = (launcher if nproc > 1 else [sys.executable]) + ["-m", "tests.training.distributed_worker", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def _weights(out: Path) -> dict:
    ckpt = out / "checkpoints" / (out / "checkpoints" / "latest.txt").read_text().strip()
    return load_file(str(ckpt / "model.safetensors"))


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_ranks_match_one_process_with_accumulation(strategy, tmp_path):
    _run([str(tmp_path / "one"), "ddp", "4", "2"], nproc=1)
    _run([str(tmp_path / "two"), strategy, "4", "1"], nproc=2)
    one, two = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    assert one.keys() == two.keys()
    for name in one:
        assert (one[name] - two[name]).abs().max() < 1e-5, name
    log = (tmp_path / "two" / "log.csv").read_text().splitlines()
    assert len(log) == 5, "one log, written by rank 0"


def test_fsdp_run_resumes_on_one_process(tmp_path):
    """Checkpoints hold full tensors by name: a 2-rank FSDP run continues in a single process."""
    _run([str(tmp_path / "two"), "fsdp", "2", "1"], nproc=2)
    _run([str(tmp_path / "two"), "ddp", "4", "2"], nproc=1)
    _run([str(tmp_path / "one"), "ddp", "4", "2"], nproc=1)
    one, two = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    for name in one:
        assert (one[name] - two[name]).abs().max() < 1e-5, name
