"""Language identification three ways, on each test condition: the model's `[LID]` task alone, the CTC head's
own greedy transcript (the listener's, else the tokenizer's) read by the character n-gram language identifier
alone, and the two added (the [LID] log-probabilities + WEIGHT x the n-gram log-likelihoods; the model's
`identify_language` uses LANGID_WEIGHT).

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
    """Each row -> {"lang", "lm": [LID] log-probabilities, "ngram": n-gram log-likelihoods of the transcript}."""
    out = []
    for r in rows:
        heard = model.listen(load_audio(data / r["audio"]))
        lm = log_softmax(model.language_scores_of_tokens(model.vocab.audio_ids(heard.tokens)))
        out.append({"lang": r["lang"], "lm": lm,
                    "ngram": model.langid.log_likelihoods(model.spelling(heard.wav))})
    return out


def accuracy(items: list[dict], weight: float | None) -> float:
    """% right: the [LID] task alone (weight 0), the n-grams alone (None), or the two added."""
    def best(x: dict) -> str:
        s = x["ngram"] if weight is None else {c: x["lm"][c] + weight * x["ngram"][c] for c in x["lm"]}
        return max(s, key=s.get)
    return 100 * sum(best(x) == x["lang"] for x in items) / len(items)


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
    columns = ["[LID] task", "n-grams of the encoder's transcript", *(f"[LID] + {w:g} x n-grams" for w in args.weights)]
    print("| condition | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns))
    for cond in ["dev", *available_conditions(args.data)]:
        rows = read_jsonl(args.data / f"{cond}.jsonl")
        rows = [r for lang in sorted({r["lang"] for r in rows})
                for r in spread([r for r in rows if r["lang"] == lang], args.per_language)]
        items = scored(model, args.data, rows)
        cells = [accuracy(items, 0.0), accuracy(items, None), *(accuracy(items, w) for w in args.weights)]
        print(f"| {cond} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
