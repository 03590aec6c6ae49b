"""A recipe's language-model stages at a larger size on one GPU, fitted to a wall-clock budget.

    python scripts/larger_lm_run.py --recipe babel-small --preset medium --minutes 8 \
        --work runs/babel-large --export OUT

    calibrate  training tokens/s of PRESET on this device (bench.bench_training, bf16 where native)
    text LM    the recipe's pretrain-text stage at PRESET on its world's text (more meanings than the
               recipe draws, so the larger model sees fewer repeats), a share of the budget
    finetune   the recipe's finetuning on its next world, from that text LM, in what is left; the steps
               are set once the mixture is built, from the text LM's measured seconds per step
    export     WORK/model, the AudioPaLM folder with fp16 weights as a bundle stores them; with --export,
               one tar of it, both logs and timings.json, cut in 15 MB parts (cat part-* | tar x)

The text LM's tokenizer is reused when WORK/lm/text_tokenizer exists (train it beforehand, where CPU
time is cheaper: `--tokenizer-only`). Each stage's steps are the smaller of what the budget allows and
its cap (--lm-max-steps, --max-steps), so a fast device does not repeat the data without end. Needs
the recipe's audio tokenizer and the next world's manifests and token shards (`audiopalm tokenize`),
not its audio.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import torch

from audiopalm.bench import bench_training
from audiopalm.recipes import finetune as ft
from audiopalm.recipes.bundle import RECIPES, export_bundle, finetune_config
from audiopalm.recipes.pretrain_text import PretrainTextConfig, corpus, pretrain_text, train_text_tokenizer
from audiopalm.training.checkpoint import latest_checkpoint
from audiopalm.training.lm import LmTrainConfig, train_lm


def seconds_per_step(log: Path) -> float:
    """Mean wall seconds of a training step, from a run's log.csv (its `seconds` column)."""
    rows = list(csv.DictReader(log.read_text().splitlines()))
    return float(rows[-1]["seconds"]) / int(rows[-1]["step"])


def text_tokenizer(world: Path, lm_dir: Path, extra: int) -> None:
    """LM_DIR/text_tokenizer as pretrain-text makes it for this corpus (the same draw, seed 0)."""
    items, _ = corpus(world, extra, LmTrainConfig().seed)
    train_text_tokenizer(items, lm_dir / "text_tokenizer", PretrainTextConfig().text_vocab)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="babel-small", choices=sorted(RECIPES))
    p.add_argument("--preset", default="medium", help="LM size (models.lm.LM_PRESETS)")
    p.add_argument("--work", default="runs/babel-large")
    p.add_argument("--text-data", default=None, help="world of the text LM's corpus (default: the recipe's)")
    p.add_argument("--data", default=None, help="world to finetune on (default: the recipe's next world)")
    p.add_argument("--tokenizer", default=None, help="audio tokenizer folder (default: the recipe's)")
    p.add_argument("--minutes", type=float, default=8.0, help="wall-clock budget of the whole run")
    p.add_argument("--lm-share", type=float, default=0.25, help="share of the training time for the text LM")
    p.add_argument("--batch-tokens", type=int, default=32768)
    p.add_argument("--lm-lr", type=float, default=1.5e-3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--extra-sentences", type=int, default=100_000, help="text LM meanings beyond the world's")
    p.add_argument("--lm-max-steps", type=int, default=2000)
    p.add_argument("--max-steps", type=int, default=4000)
    p.add_argument("--evals", type=int, default=6, help="dev evaluations during finetuning")
    p.add_argument("--reserve", type=float, default=45.0, help="seconds kept for saving and export")
    p.add_argument("--export", default=None, help="folder for the tar parts")
    p.add_argument("--tokenizer-only", action="store_true", help="only train WORK/lm/text_tokenizer, then stop")
    a = p.parse_args()

    r = RECIPES[a.recipe]
    work, text_world = Path(a.work), Path(a.text_data or r.data)
    if a.tokenizer_only:
        text_tokenizer(text_world, work / "lm", a.extra_sentences)
        return
    start = time.time()
    deadline = start + 60 * a.minutes - a.reserve
    work.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    times: dict = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "preset": a.preset}

    bench = bench_training(a.preset, device, seq=256, batch=max(1, a.batch_tokens // 256), steps=5)
    times["calibration"] = {k: v for k, v in bench.items() if k != "preset"}
    rate = bench["tokens_per_second"]
    print(f"{a.preset}: {bench['parameters'] / 1e6:.1f} M parameters, {rate:,.0f} training tokens/s ({bench['dtype']})",
          flush=True)

    # text LM: its share of the time left, at the calibrated rate (padding and batching cost ~25%)
    t = time.time()
    lm_seconds = a.lm_share * (deadline - t - 60)  # ~60 s: the corpus and the mixture are built in the budget
    lm_steps = max(1, min(a.lm_max_steps, int(lm_seconds * rate * 0.75 / a.batch_tokens)))
    lm_train = LmTrainConfig(steps=lm_steps, lr=a.lm_lr, batch_tokens=a.batch_tokens, warmup=min(200, lm_steps // 5),
                             eval_every=max(1, lm_steps // 4), checkpoint_every=lm_steps)
    print(f"text LM: {lm_steps} steps of {a.batch_tokens} tokens", flush=True)
    text = PretrainTextConfig(a.preset, 4000, a.extra_sentences)
    pretrain_text(text_world, work / "lm", text, lm_train,
                  max_minutes=max(0.5, (deadline - time.time()) / 60 * a.lm_share * 1.5))
    if not (work / "lm" / "model").exists():  # out of its time: the text LM as far as it got
        reached = int(json.loads((latest_checkpoint(work / "lm" / "checkpoints") / "trainer_state.json").read_text())["step"])
        pretrain_text(text_world, work / "lm", text, replace(lm_train, steps=reached))
        lm_steps = reached
    times["text_lm"] = {"steps": lm_steps, "seconds": round(time.time() - t, 1),
                        "seconds_per_step": round(seconds_per_step(work / "lm" / "log.csv"), 4)}

    # finetuning on the next world from it: steps set once its mixture is built
    t = time.time()
    cfg = ft.FinetuneConfig.from_dict({**finetune_config(r, next_world=True), "text_lm": str(work / "lm"),
                                       "out": str(work / "audiopalm"),
                                       "data": a.data or r.next_data or r.data,
                                       "audio_tokenizer": a.tokenizer or str(Path(r.work) / "tok-ctc")})
    prepared = ft.prepare(cfg)
    setup = time.time() - t
    per_step = times["text_lm"]["seconds_per_step"] * 1.15  # longer sequences, a larger output layer
    steps = max(1, min(a.max_steps, int((deadline - time.time()) / per_step)))
    cfg = replace(cfg, train={**cfg.train, "steps": steps, "batch_tokens": a.batch_tokens, "lr": a.lr,
                              "warmup": min(200, steps // 5), "eval_every": max(1, steps // a.evals),
                              "checkpoint_every": steps})
    print(f"finetuning: {steps} steps of {a.batch_tokens} tokens (mixture built in {setup:.0f} s)", flush=True)
    done = train_lm(prepared.lm, prepared.train, prepared.dev, prepared.model.vocab.pad_id, work / "audiopalm",
                    cfg.train_config(), max_minutes=max(0.5, (deadline - time.time() + a.reserve / 2) / 60))
    if done < steps:  # out of time: keep what it reached, under the steps it made
        cfg = replace(cfg, train={**cfg.train, "steps": done})
    ft.save_finetuned(cfg, prepared)
    times["finetune"] = {"steps": done, "planned": steps, "setup_seconds": round(setup, 1),
                         "seconds": round(time.time() - t, 1),
                         "seconds_per_step": round(seconds_per_step(work / "audiopalm" / "log.csv"), 4)}

    export_bundle(work / "audiopalm" / "model", work / "model")
    times["total_seconds"] = round(time.time() - start, 1)
    (work / "timings.json").write_text(json.dumps(times, indent=2))
    print(json.dumps(times, indent=2), flush=True)
    if a.export:
        out = Path(a.export)
        out.mkdir(parents=True, exist_ok=True)
        files = ["model", "timings.json", "lm/log.csv", "lm/pretrain_config.json", "audiopalm/log.csv",
                 "audiopalm/finetune_config.json"]
        subprocess.run(f"tar -C {work} -cf - --exclude=audio_tokenizer {' '.join(files)} | split -b 15M - {out}/part-",
                       shell=True, check=True)


if __name__ == "__main__":
    main()
