"""The one training loop every recipe shares; a recipe supplies only its loss and its evaluation.

    sizes -> length-bucketed batches (seeded per epoch) -> step_loss(module, batch, step) -> AdamW
    with warm-up + cosine, gradient accumulation, clipping -> CSV log, evaluation every N steps,
    atomic checkpoints with the data position, so a killed run resumes to the same weights.

One process trains into a folder at a time (OUT/.lock); Ctrl-C finishes the step, saves a checkpoint
and stops (a second Ctrl-C stops at once); a resumed run drops log rows after its checkpoint.

Under torchrun / accelerate launch, rank r of W takes micro-batches r, r+W, ... of the same order
(training/distributed.py: DDP or FSDP), so one optimizer step sees W micro-batches.
"""

from __future__ import annotations

import csv
import fcntl
import io
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from audiopalm.config import help_field
from audiopalm.data.manifest import write_text_atomic
from audiopalm.errors import AudiopalmError
from audiopalm.training.batching import make_batches
from audiopalm.training import distributed
from audiopalm.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint

# (module to call, batch indices, step) -> (loss, tokens); the module may be a DDP wrapper
StepLoss = Callable[[torch.nn.Module, list[int], int], tuple[torch.Tensor, int]]


@dataclass
class LoopConfig:
    steps: int = help_field("optimizer steps", 2000, min=1)
    lr: float = help_field("peak learning rate", 1e-3, min=0)
    min_lr_ratio: float = help_field("cosine floor, as a fraction of lr", 0.1, min=0, max=1)
    warmup: int = help_field("linear warm-up steps", 100, min=0)
    weight_decay: float = help_field("AdamW weight decay, on matrices only", 0.1, min=0)
    beta2: float = help_field("AdamW's second-moment decay", 0.95, min=0, max=1)
    clip: float = help_field("gradient norm clip", 1.0, min=0)
    accumulate: int = help_field("micro-batches per optimizer step", 1, min=1)
    eval_every: int = help_field("steps between dev evaluations", 250, min=1)
    checkpoint_every: int = help_field("steps between checkpoints", 250, min=1)
    seed: int = help_field("random seed", 0)
    distributed: str = help_field("under a multi-process launcher (torchrun)", "ddp", choices=("ddp", "fsdp"))


def lr_at(step: int, cfg: LoopConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@contextmanager
def training_lock(out: Path) -> Iterator[None]:
    """Hold OUT/.lock while training: a second process training into the same folder is refused, since
    two writers would overwrite each other's checkpoints."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise AudiopalmError(f"{out} is being trained by another process; wait for it to finish or choose "
                             "another output folder") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class StopRequest:
    """Ctrl-C (SIGINT) while training sets `requested`: the loop saves a checkpoint after the current step
    and stops; a second Ctrl-C interrupts at once. Only the main thread can take signals."""

    requested = False

    def __enter__(self) -> StopRequest:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("interrupted: saving a checkpoint after this step (Ctrl-C again to stop at once)")

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def trim_log(path: Path, step: int) -> None:
    """Drop the rows of OUT/log.csv after `step` (a resumed run writes them again)."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = rows[:1] if rows and rows[0] and not rows[0][0].isdigit() else []  # a log may have lost its header
    keep = head + [r for r in rows[len(head):] if r and r[0].isdigit() and int(r[0]) <= step]
    if len(keep) == len(rows):
        return
    text = io.StringIO()
    csv.writer(text).writerows(keep)
    write_text_atomic(path, text.getvalue())


def _open_log(path: Path, eval_columns: tuple[str, ...]):
    """OUT/log.csv for appending, its header first: written at once when the file is new or empty (a run
    killed before its first flush leaves an empty file), put back when a log has lost it."""
    header = ["step", "loss", "lr", "tokens_per_second", "seconds", *eval_columns]
    text = path.read_text() if path.exists() else ""
    if text and text[0].isdigit():  # rows without their header
        out = io.StringIO()
        csv.writer(out).writerow(header)
        write_text_atomic(path, out.getvalue() + text)
    log = open(path, "a", newline="")
    writer = csv.writer(log)
    if not text:
        writer.writerow(header)
        log.flush()
    return log, writer


def run_training(model: torch.nn.Module, sizes: list[int], budget: int, step_loss: StepLoss, out: Path,
                 cfg: LoopConfig, evaluate: Callable[[], dict] | None = None, eval_columns: tuple[str, ...] = (),
                 max_minutes: float | None = None, desc: str = "train") -> int:
    """Train until `cfg.steps` (or `max_minutes`); OUT/checkpoints, OUT/log.csv. Returns the last step.

    `model` is moved to this rank's device; `step_loss` reads its batch's device from the module.
    Raises KeyboardInterrupt after saving a checkpoint when Ctrl-C asked to stop."""
    d = distributed.init(cfg.distributed)
    with training_lock(out) if d.main else nullcontext(), StopRequest() as stop:
        step = _train(model, sizes, budget, step_loss, out, cfg, evaluate, eval_columns, max_minutes, desc, d, stop)
    if stop.requested:
        raise KeyboardInterrupt
    return step


def _train(model: torch.nn.Module, sizes: list[int], budget: int, step_loss: StepLoss, out: Path, cfg: LoopConfig,
           evaluate: Callable[[], dict] | None, eval_columns: tuple[str, ...], max_minutes: float | None, desc: str,
           d: distributed.Dist, stop: StopRequest) -> int:
    torch.manual_seed(cfg.seed)
    module = distributed.wrap(model, d)
    trainable = [p for p in model.parameters() if p.requires_grad]  # LoRA freezes most of them
    decay = [p for p in trainable if p.ndim >= 2]
    no_decay = [p for p in trainable if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, cfg.beta2))
    step, epoch, position = 0, 0, 0
    if (ckpt := latest_checkpoint(out / "checkpoints")) is not None:
        model_sd, opt_sd, state = load_checkpoint(ckpt)
        distributed.load_state(model, opt, model_sd, opt_sd, d)
        step, epoch, position = state["step"], state["epoch"], state["position"]
        if d.main:
            print(f"resumed from {ckpt} (step {step})")
    out.mkdir(parents=True, exist_ok=True)
    if d.main:
        trim_log(out / "log.csv", step)
    log, writer = _open_log(out / "log.csv", eval_columns) if d.main else (None, None)
    batches = make_batches(sizes, budget, cfg.seed, epoch)
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc=desc, dynamic_ncols=True, mininterval=5, disable=not d.main)
    model.train()
    while step < cfg.steps:
        t0, tokens, loss_sum = time.perf_counter(), 0, 0.0
        opt.zero_grad(set_to_none=True)
        for _ in range(cfg.accumulate):
            if position + d.world > len(batches):
                epoch, position = epoch + 1, 0
                batches = make_batches(sizes, budget, cfg.seed, epoch)
            loss, n = step_loss(module, batches[position + d.rank], step)
            position += d.world
            (loss / cfg.accumulate).backward()
            tokens += n
            loss_sum += float(loss.detach()) / cfg.accumulate
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        torch.nn.utils.clip_grad_norm_(trainable, cfg.clip)
        opt.step()
        step += 1
        loss_sum, tokens = distributed.average(loss_sum, d), distributed.total(tokens, d)
        bar.update()
        bar.set_postfix(loss=f"{loss_sum:.3f}")
        row = [step, round(loss_sum, 4), round(lr_at(step - 1, cfg), 7),
               round(tokens / (time.perf_counter() - t0)), round(time.perf_counter() - start, 1)]
        if evaluate and (step % cfg.eval_every == 0 or step == cfg.steps):
            model.eval()
            results = evaluate()  # every rank (FSDP needs all of them in the forward pass)
            model.train()
            row += [results.get(c, "") for c in eval_columns]
            if d.main:
                tqdm.write(f"step {step}: " + "  ".join(f"{k} {v}" for k, v in results.items()))
        if writer:
            writer.writerow(row)
        out_of_time = max_minutes is not None and time.perf_counter() - start > 60 * max_minutes
        # all ranks stop together: any rank out of time or asked to stop
        out_of_time = bool(distributed.total(int(out_of_time), d))
        stop.requested = bool(distributed.total(int(stop.requested), d))
        if step % cfg.checkpoint_every == 0 or step == cfg.steps or out_of_time or stop.requested:
            model_sd, opt_sd = distributed.model_state(model, d), distributed.optimizer_state(model, opt, d)
            if d.main:
                log.flush()
                save_checkpoint(out / "checkpoints", step, model_sd, opt_sd,
                                {"epoch": epoch, "position": position, "config": asdict(cfg)})
            distributed.barrier(d)
        if out_of_time:
            if d.main:
                tqdm.write(f"stopping after {max_minutes} minutes at step {step}; run again to resume")
            break
        if stop.requested:
            if d.main:
                tqdm.write(f"checkpoint saved at step {step}; run the same command again to resume")
            break
    bar.close()
    if log:
        log.close()
    model.eval()
    return step
