"""How much worse than the head's own spelling a transcript may read before it is written again, bound to that
spelling (`AudioPaLM.spelt_instead`, SPELT_MARGIN): WER % per split at several margins.

    python scripts/spelt_margin.py --model models/babel-small --data data/babel-small \
        --splits dev test test-unseen-synth --per-language 30 --margins 0 0.1 0.2 0.3 0.5 inf --beam 64

For the first PER_LANGUAGE utterances of each language: the transcript the model writes with its CTC guide (not
bound), the head's best spelling under the language's character model (mixed with its word model where the model
has one; BEAM prefixes, BONUS nats a word), the CTC log-probability of each and the head's frames. A margin m keeps
the transcript unless the spelling's CTC log-probability is more than m a frame above it; a bound transcript writes
the spelling's characters exactly, so its WER is the spelling's. Margin inf: never bound. Per-utterance readings are
cached in OUT (JSON lines), one file per split: give each model, beam and bonus its own OUT.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import torch
from tqdm import tqdm

from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import word_errors
from audiopalm.generation.ctc import best_spelling
from audiopalm.models.audiopalm import SPELT_BEAM, SPELT_LM_WEIGHT, SPELT_WORD_BONUS, AudioPaLM
from audiopalm.text.normalize import normalize


@torch.inference_mode()
def reading(model: AudioPaLM, data: Path, row: dict, beam: int, bonus: float) -> dict:
    """One utterance: word errors of the free transcript and of the spelling, their CTC log-probabilities."""
    lang = row["lang"]
    heard = model.listen(load_audio(data / row["audio"]))
    guide = model.ctc_guide(heard, lang)
    if guide is None or guide.scorer is None or model.langid is None:
        raise AudiopalmError(f"{lang}: the model needs a CTC head at a weight above 0 and a language identifier")
    prompt = model.prompt("ASR", lang, None, model.vocab.audio_ids(heard.tokens))
    ids = model.run("ASR", [prompt], None, 120, guides=[guide], bind_to_spelling=False)[0][0]
    scorer = guide.scorer
    _, spelt = best_spelling(scorer.x.T, scorer.codec.vocab, model.spelling_model(lang), SPELT_LM_WEIGHT, beam=beam,
                             bonus=bonus)
    free = model.text_of(ids)
    words = len(normalize(row["text"], lang).split())
    return {"id": row["id"], "lang": lang, "frames": scorer.x.shape[1], "words": words, "free": free, "spelt": spelt,
            "free_errors": word_errors(row["text"], free, lang), "spelt_errors": word_errors(row["text"], spelt, lang),
            "free_ctc": scorer.full(ids),
            "spelt_ctc": scorer.full_chars(tuple(scorer.codec.encode(spelt, lang)))}


def wer(readings: list[dict], margin: float) -> float:
    """Mean over languages of the corpus WER % with transcripts bound at `margin`."""
    errors, words = defaultdict(int), defaultdict(int)
    for r in readings:
        bound = r["spelt"] and r["spelt_ctc"] - r["free_ctc"] > margin * r["frames"]
        errors[r["lang"]] += r["spelt_errors"] if bound else r["free_errors"]
        words[r["lang"]] += r["words"]
    return 100 * sum(errors[lang] / words[lang] for lang in words) / len(words)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--splits", nargs="+", default=["dev", "test", "test-unseen-synth"])
    ap.add_argument("--per-language", type=int, default=30)
    ap.add_argument("--margins", nargs="+", type=float, default=[0, 0.1, 0.2, 0.3, 0.5, float("inf")])
    ap.add_argument("--beam", type=int, default=SPELT_BEAM, help="prefixes the spelling search keeps")
    ap.add_argument("--bonus", type=float, default=SPELT_WORD_BONUS, help="the spelling search's reward a word")
    ap.add_argument("--out", default="runs/spelt-margin", help="cache folder (one for each model, beam and bonus)")
    args = ap.parse_args()
    model, data, out = AudioPaLM.from_pretrained(args.model), Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = {}
    for split in args.splits:
        cache = out / f"{split}.jsonl"
        done = {r["id"]: r for r in read_jsonl(cache)} if cache.exists() else {}
        rows, count = [], defaultdict(int)
        for r in read_jsonl(data / f"{split}.jsonl"):
            if count[r["lang"]] < args.per_language:
                rows.append(r)
                count[r["lang"]] += 1
        with cache.open("a") as f:
            for r in tqdm([r for r in rows if r["id"] not in done], desc=split, mininterval=10):
                done[r["id"]] = reading(model, data, r, args.beam, args.bonus)
                f.write(json.dumps(done[r["id"]], ensure_ascii=False) + "\n")
        readings = [done[r["id"]] for r in rows]
        table[split] = [(wer(readings, m), sum(r["spelt_ctc"] - r["free_ctc"] > m * r["frames"] for r in readings))
                        for m in args.margins]
    print("| margin a frame | " + " | ".join(f"{s} WER % (bound)" for s in table) + " |")
    print("|---" * (len(table) + 1) + "|")
    for i, m in enumerate(args.margins):
        print(f"| {m:g} | " + " | ".join(f"{table[s][i][0]:.1f} ({table[s][i][1]})" for s in table) + " |")


if __name__ == "__main__":
    main()
