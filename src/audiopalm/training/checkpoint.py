"""Resumable training checkpoints: safetensors for tensors, JSON for the rest, written atomically.

    DIR/step-000500/{model,optimizer}.safetensors, trainer_state.json
    DIR/latest.txt   -> "step-000500", replaced atomically once the step folder is complete

A crash while writing leaves an unreferenced folder behind, never a broken `latest`. Tensors are
full (unsharded) and keyed by parameter name; training/distributed.py gathers and scatters them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

KEEP = 2  # step folders kept; older ones are deleted once a newer one is complete


def _split_optimizer_state(sd: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, scalars = {}, {}
    for pid, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{pid}.{key}"] = value.contiguous()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _join_optimizer_state(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        pid, key = name.rsplit(".", 1)  # "model.layers.0.mlp.up_proj.weight.exp_avg" (or "3.exp_avg")
        state.setdefault(_pid(pid), {})[key] = value
    for pid, scalars in meta["scalars"].items():
        state.setdefault(_pid(pid), {}).update(scalars)
    return {"state": state, "param_groups": meta["param_groups"]}


def _pid(name: str) -> int | str:
    return int(name) if name.isdigit() else name


def _unshared(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Contiguous CPU tensors; a second name of one storage (tied embeddings) gets its own copy."""
    seen, out = set(), {}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        out[name] = t.clone() if t.data_ptr() in seen else t
        seen.add(t.data_ptr())
    return out


def save_checkpoint(folder: str | Path, step: int, model_state: dict[str, torch.Tensor], optimizer_state: dict,
                    state: dict) -> Path:
    """Write step `step` and point latest.txt at it; `state` is any JSON-serialisable dict."""
    folder = Path(folder)
    target = folder / f"step-{step:06d}"
    tmp = folder / f".tmp-step-{step:06d}"
    for stale in folder.glob(".tmp-step-*"):  # left by a killed run (one writer: the folder is locked)
        shutil.rmtree(stale, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_file(_unshared(model_state), str(tmp / "model.safetensors"))
        opt_tensors, opt_meta = _split_optimizer_state(optimizer_state)
        save_file({**_unshared(opt_tensors), "__torch_rng__": torch.get_rng_state()}, str(tmp / "optimizer.safetensors"))
        (tmp / "trainer_state.json").write_text(json.dumps({"step": step, "optimizer": opt_meta, **state}, indent=1))
    except BaseException:  # a full disk, Ctrl-C: no half-written folder stays behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    latest_tmp = folder / ".latest.txt.tmp"
    latest_tmp.write_text(target.name)
    os.replace(latest_tmp, folder / "latest.txt")
    for old in sorted(folder.glob("step-*"))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def latest_checkpoint(folder: str | Path) -> Path | None:
    pointer = Path(folder) / "latest.txt"
    if not pointer.exists():
        return None
    path = Path(folder) / pointer.read_text().strip()
    return path if path.exists() else None


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict, dict]:
    """-> (model state, optimizer state, trainer state); restores the torch RNG."""
    state = json.loads((path / "trainer_state.json").read_text())
    tensors = load_file(str(path / "optimizer.safetensors"))
    torch.set_rng_state(tensors.pop("__torch_rng__"))
    return load_file(str(path / "model.safetensors")), _join_optimizer_state(tensors, state["optimizer"]), state
