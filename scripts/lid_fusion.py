"""Language identification several ways, on each test condition: the model's `[LID]` task alone; the CTC head's
own greedy transcript (the listener's, else the tokenizer's) read by the character n-gram language identifier
alone, and added to the [LID] task (its log-probabilities + 0.25 x the n-gram log-likelihoods: the way before
`best_spelling`); each language's best spelling of the CTC head's frames under its character model
(`AudioPaLM.spelling_scores`) alone, and added to WEIGHT x the [LID] task's log-probabilities (the
model's `identify_language` uses LID_TASK_WEIGHT).

    python scripts/lid_fusion.py --model models/babel-small --data data/babel-small --weights 0.1 0.25 0.5

The identifier is the model's own (`langid.json`, fitted on its finetuning texts) or, for a model without
one, fitted here on DATA's train texts. Prints accuracy % per condition (dev first: held-out speakers of the
trained families; it is near 100% whatever the weight, so it cannot choose one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import available_conditions, read_jsonl, spread
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import AudioPaLM, log_softmax
from audiopalm.text.langid import CharNgramLid


@torch.inference_mode()
def scored(model: AudioPaLM, data: Path, rows: list[dict]) -> list[dict]:
    """Each row -> {"lang", "lm": [LID] log-probabilities, "ngram": n-gram log-likelihoods of the transcript,
    "spelled": each language's best-spelling score}."""
    out = []
    for r in rows:
        heard = model.listen(load_audio(data / r["audio"]))
        lm = log_softmax(model.language_scores_of_tokens(model.vocab.audio_ids(heard.tokens)))
        out.append({"lang": r["lang"], "lm": lm, "ngram": model.langid.log_likelihoods(model.spelling(heard)),
                    "spelled": model.spelling_scores(heard, list(lm))})
    return out


def accuracy(items: list[dict], score) -> float:
    """% right, choosing by score(item) -> {language: score}."""
    def best(x: dict) -> str:
        s = score(x)
        return max(s, key=s.get)
    return 100 * sum(best(x) == x["lang"] for x in items) / len(items)


def ways(weights: list[float]) -> dict[str, object]:
    """Column name -> the scores it chooses by."""
    out = {"[LID] task": lambda x: x["lm"], "n-grams of the transcript": lambda x: x["ngram"],
           "[LID] + 0.25 x n-grams": lambda x: {c: x["lm"][c] + 0.25 * x["ngram"][c] for c in x["lm"]},
           "best spelling": lambda x: x["spelled"]}
    for w in weights:
        out[f"{w:g} x [LID] + best spelling"] = lambda x, w=w: {c: w * x["lm"][c] + x["spelled"][c] for c in x["lm"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--per-language", type=int, default=100)
    ap.add_argument("--weights", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    args = ap.parse_args()
    model = AudioPaLM.from_pretrained(args.model)
    if model.char_model is None:  # `spelling` needs a character head: the listener's or the tokenizer's
        raise AudiopalmError(f"{args.model}: no listener, and its tokenizer ({model.audio_tokenizer.encoder.name}) "
                             "spells nothing")
    if model.langid is None:
        model.langid = CharNgramLid.fit((r["text"], r["lang"]) for r in read_jsonl(args.data / "train.jsonl"))
    columns = ways(args.weights)
    print("| condition | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns))
    for cond in ["dev", *available_conditions(args.data)]:
        rows = read_jsonl(args.data / f"{cond}.jsonl")
        rows = [r for lang in sorted({r["lang"] for r in rows})
                for r in spread([r for r in rows if r["lang"] == lang], args.per_language)]
        items = scored(model, args.data, rows)
        cells = [accuracy(items, score) for score in columns.values()]
        print(f"| {cond} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
