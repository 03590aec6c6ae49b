"""Language identification several ways, on each test condition: the model's `[LID]` task alone; the CTC head's
own greedy transcript (the listener's, else the tokenizer's) read by the character n-gram language identifier
alone, and added to the [LID] task (its log-probabilities + 0.25 x the n-gram log-likelihoods: the way before
`best_spelling`); each language's best spelling of the CTC head's frames (`AudioPaLM.spelling_scores`) under its
character model alone and under its spelling model (the character model mixed with the word model, where the model
has word models: what `identify_language` reads; searched with each of BEAMS prefixes), each alone and added to
WEIGHT x the [LID] task's log-probabilities (the model's `identify_language` uses LID_TASK_WEIGHT and
LID_SPELLING_BEAM, the character model's column that beam too).

    python scripts/lid_fusion.py --model models/babel-small --data data/babel-small --dev 150 --weights 0.5 1 \
        --beams 8 32

The identifier is the model's own (`langid.json`, fitted on its finetuning texts) or, for a model without
one, fitted here on DATA's train texts. Prints accuracy % per condition: dev and dev-noisy first (the first DEV
per language of dev, held-out speakers of the trained families, as recorded and with test-noisy's noise at its SNR:
what the weights are chosen on), then the first PER_LANGUAGE of each test condition (those `audiopalm eval` reads).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from audiopalm.audio.io import load_audio
from audiopalm.data.babel.synth import noisy_version
from audiopalm.data.manifest import available_conditions, first_per_language, read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import LID_SPELLING_BEAM, AudioPaLM, log_softmax
from audiopalm.text.langid import CharNgramLid

DEFAULT_SNR_DB = 10.0  # dev-noisy's SNR where DATA has no test-noisy to take it from


@torch.inference_mode()
def scored(model: AudioPaLM, data: Path, rows: list[dict], beams: list[int], snr_db: float | None = None) -> list[dict]:
    """Each row (with test-noisy's noise at `snr_db` where given) -> {"lang", "lm": [LID] log-probabilities,
    "ngram": n-gram log-likelihoods of the transcript, "chars": each language's best-spelling score under its
    character model, "spelled B": under its spelling model with B prefixes, for each of `beams`}."""
    out, words = [], model.words
    for r in rows:
        wav = load_audio(data / r["audio"])
        heard = model.listen(wav if snr_db is None else noisy_version(wav, r["id"], snr_db))
        lm = log_softmax(model.language_scores_of_tokens(model.vocab.audio_ids(heard.tokens)))
        spelled = {f"spelled {b}": model.spelling_scores(heard, list(lm), b) for b in beams}
        model.words = None  # each language's character model alone
        chars = model.spelling_scores(heard, list(lm))
        model.words = words
        out.append({"lang": r["lang"], "lm": lm, "ngram": model.langid.log_likelihoods(model.spelling(heard)),
                    "chars": chars, **spelled})
    return out


def accuracy(items: list[dict], score) -> float:
    """% right, choosing by score(item) -> {language: score}."""
    def best(x: dict) -> str:
        s = score(x)
        return max(s, key=s.get)
    return 100 * sum(best(x) == x["lang"] for x in items) / len(items)


def ways(weights: list[float], beams: list[int]) -> dict[str, object]:
    """Column name -> the scores it chooses by."""
    out = {"[LID] task": lambda x: x["lm"], "n-grams of the transcript": lambda x: x["ngram"],
           "[LID] + 0.25 x n-grams": lambda x: {c: x["lm"][c] + 0.25 * x["ngram"][c] for c in x["lm"]}}
    spellings = [("chars", "character model")] + [(f"spelled {b}", f"spelling model, beam {b}") for b in beams]
    for key, name in spellings:
        out[f"best spelling ({name})"] = lambda x, key=key: x[key]
        for w in weights:
            out[f"{w:g} x [LID] + best spelling ({name})"] = \
                lambda x, w=w, key=key: {c: w * x["lm"][c] + x[key][c] for c in x["lm"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--per-language", type=int, default=100)
    ap.add_argument("--dev", type=int, default=150, help="the first N dev utterances per language")
    ap.add_argument("--weights", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0])
    ap.add_argument("--beams", type=int, nargs="+", default=[LID_SPELLING_BEAM], help="spelling searches' widths")
    args = ap.parse_args()
    model = AudioPaLM.from_pretrained(args.model)
    if model.char_model is None:  # `spelling` needs a character head: the listener's or the tokenizer's
        raise AudiopalmError(f"{args.model}: no listener, and its tokenizer ({model.audio_tokenizer.encoder.name}) "
                             "spells nothing")
    if model.langid is None:
        model.langid = CharNgramLid.fit((r["text"], r["lang"]) for r in read_jsonl(args.data / "train.jsonl"))
    columns = ways(args.weights, args.beams)
    print("| condition | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns))
    dev = first_per_language(read_jsonl(args.data / "dev.jsonl"), args.dev)
    noisy = read_jsonl(args.data / "test-noisy.jsonl") if (args.data / "test-noisy.jsonl").exists() else []
    snr_db = noisy[0]["snr_db"] if noisy else DEFAULT_SNR_DB
    sets = {"dev": (dev, None), "dev-noisy": (dev, snr_db)}
    for cond in available_conditions(args.data):
        sets[cond] = (first_per_language(read_jsonl(args.data / f"{cond}.jsonl"), args.per_language), None)
    for cond, (rows, snr) in sets.items():
        items = scored(model, args.data, rows, args.beams, snr)
        cells = [accuracy(items, score) for score in columns.values()]
        print(f"| {cond} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
