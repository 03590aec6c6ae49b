"""Per-task teacher-forced loss of a finetuned model on train and on dev sequences: which tasks it has
learnt by heart (train far below dev) and which it has not yet fitted (train high too).

    python scripts/task_losses.py --model runs/audiopalm-v3/model --data data/babel-small --tokens data/babel-small/tokens/tok-wh

Sequences are drawn as in finetuning (data/multitask.py), one task at a time, from the first speaker
groups of each split; the loss is the mean cross-entropy per output token (nats).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from audiopalm.data.manifest import read_jsonl
from audiopalm.data.multitask import MixtureConfig, build_mixture, group_utterances
from audiopalm.data.shards import load_tokens
from audiopalm.models.audiopalm import AudioPaLM

TASKS = ("ASR", "AST", "ASR AST", "S2ST", "ASR AST S2ST", "TTS", "MT", "LID")


@torch.inference_mode()
def mean_loss(model: AudioPaLM, sequences: list) -> float:
    total, count = 0.0, 0
    for ids, mask in sequences:
        ids, mask = torch.as_tensor(ids), torch.as_tensor(mask).bool()
        logits = model.lm(input_ids=ids[None]).logits[0, :-1].float()
        keep = mask[1:]
        total += float(torch.nn.functional.cross_entropy(logits[keep], ids[1:][keep], reduction="sum"))
        count += int(keep.sum())
    return total / max(count, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default="data/babel-small")
    ap.add_argument("--tokens", required=True, help="token shards of the model's tokenizer (DATA/tokens/NAME)")
    ap.add_argument("--groups", type=int, default=300, help="speaker groups per split")
    ap.add_argument("--sequences", type=int, default=120, help="sequences per task and split")
    args = ap.parse_args()
    model, data = AudioPaLM.from_pretrained(args.model), Path(args.data)
    held = json.loads((data / "world.json").read_text()).get("zero_shot_pairs", [])
    losses = {}
    for split in ("train", "dev"):
        groups = group_utterances(read_jsonl(data / f"{split}.jsonl"), load_tokens(Path(args.tokens), split))[: args.groups]
        for task in TASKS:
            mix = MixtureConfig(weights={task: 1.0}, zero_shot_pairs=held)
            sequences = build_mixture(groups, model.vocab, model.text_tokenizer, model.languages, mix)[: args.sequences]
            losses[(split, task)] = mean_loss(model, sequences)
    print("| task | train loss | dev loss | dev - train |\n|---|---|---|---|")
    for task in TASKS:
        train, dev = losses[("train", task)], losses[("dev", task)]
        print(f"| {task} | {train:.3f} | {dev:.3f} | {dev - train:+.3f} |")


if __name__ == "__main__":
    main()
