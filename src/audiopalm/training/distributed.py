"""One process or many: the same training loop under `torchrun` / `accelerate launch`.

    torchrun --nproc-per-node 8 -m audiopalm train --config cfg.yaml      # DDP (default) or FSDP
    accelerate launch --multi_gpu --num_processes 8 -m audiopalm train --config cfg.yaml

The launcher sets RANK / WORLD_SIZE / LOCAL_RANK; `init` joins the process group (NCCL on GPUs,
Gloo on CPUs). Each rank trains on its own micro-batches; DDP averages gradients, FSDP (FSDP2,
`fully_shard` per decoder layer) also shards parameters and optimizer state. Checkpoints hold
full, unsharded tensors keyed by parameter name, so a run resumes under any world size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist

from audiopalm.errors import AudiopalmError

STRATEGIES = ("ddp", "fsdp")


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")
    strategy: str = "ddp"  # how a multi-process run shares the model: ddp | fsdp

    @property
    def main(self) -> bool:
        return self.rank == 0


def init(strategy: str = "ddp") -> Dist:
    """Join the launcher's process group if there is one; pick this rank's device."""
    if strategy not in STRATEGIES:
        raise AudiopalmError(f"unknown distributed strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    if world == 1:
        return Dist(device=torch.device("cuda" if cuda else "cpu"), strategy=strategy)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return Dist(dist.get_rank(), world, device, strategy)


def wrap(model: torch.nn.Module, d: Dist) -> torch.nn.Module:
    """-> the module to call in the forward pass (DDP wraps; FSDP shards `model` in place)."""
    model.to(d.device)
    if d.world == 1:
        return model
    if d.strategy == "fsdp":
        from torch.distributed.fsdp import fully_shard

        for block in _blocks(model):
            fully_shard(block)
        fully_shard(model)
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[d.device.index] if d.device.type == "cuda" else None)


def _blocks(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The repeated layers to shard one by one: a Hugging Face decoder's `layers`, or any ModuleList."""
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 1:
            return list(module)
    return []


def _options():
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=True)


def model_state(model: torch.nn.Module, d: Dist) -> dict[str, torch.Tensor]:
    """Full parameters by name, on the CPU (every rank must call this under FSDP)."""
    if d.world > 1 and d.strategy == "fsdp":
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        return get_model_state_dict(model, options=_options())
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}


def optimizer_state(model: torch.nn.Module, opt: torch.optim.Optimizer, d: Dist) -> dict:
    """The optimizer state keyed by parameter name (resumable under any world size)."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

    return get_optimizer_state_dict(model, opt, options=_options() if d.world > 1 and d.strategy == "fsdp" else None)


def load_state(model: torch.nn.Module, opt: torch.optim.Optimizer | None, model_sd: dict, opt_sd: dict | None,
               d: Dist) -> None:
    from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict

    options = _options() if d.world > 1 and d.strategy == "fsdp" else None
    set_model_state_dict(model, _with_tied_names(model, model_sd), options=options)
    if opt is None or opt_sd is None:
        return
    if all(isinstance(k, int) for k in opt_sd["state"]):  # written by optimizer.state_dict(): ids, not names
        opt.load_state_dict(opt_sd)
    else:
        set_optimizer_state_dict(model, opt, opt_sd, options=options)


def _with_tied_names(model: torch.nn.Module, sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Add names the file left out because they share a tensor with a stored name (tied embeddings)."""
    by_ptr = {}
    for name, t in model.state_dict(keep_vars=True).items():
        by_ptr.setdefault(t.data_ptr(), []).append(name)
    out = dict(sd)
    for names in by_ptr.values():
        stored = next((n for n in names if n in sd), None)
        for n in names:
            if stored is not None and n not in out:
                out[n] = sd[stored]
    return out


def gathered(model: torch.nn.Module, out, fresh: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """After training, the model to save: `model` itself, or under FSDP (sharded parameters) `fresh()`,
    an unsharded model of the same architecture loaded from OUT's last checkpoint."""
    from audiopalm.training.checkpoint import latest_checkpoint, load_checkpoint

    sharded = any(type(p).__name__ == "DTensor" for p in model.parameters())
    if not sharded:
        return model
    model_sd, _, _ = load_checkpoint(latest_checkpoint(out / "checkpoints"))
    unsharded = fresh()
    unsharded.load_state_dict(_with_tied_names(unsharded, model_sd))
    return unsharded


def average(value: float, d: Dist) -> float:
    """Mean of a number over ranks (for logging)."""
    if d.world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=d.device)
    dist.all_reduce(t)
    return float(t) / d.world


def total(value: int, d: Dist) -> int:
    if d.world == 1:
        return value
    t = torch.tensor([value], dtype=torch.int64, device=d.device)
    dist.all_reduce(t)
    return int(t)


def barrier(d: Dist) -> None:
    if d.world > 1:
        dist.barrier()
