"""Transcripts decoded by the language model alone and jointly with the audio tokenizer's CTC head, side by side:
the language model reads quantised tokens, the head the continuous features the tokens were cut from, so what
one loses the other may keep (`AudioPaLM.ctc_guide`, generation/ctc.py).

    python scripts/joint_decoding.py --model models/babel-small --data data/babel-small \
        --splits dev test test-noisy test-unseen-synth --configs 1:0 4:0 4:0.3 8:0.3

For the first PER_LANGUAGE utterances of each language of each split, `[ASR X]` decoded with each BEAMS:WEIGHT
(weight 0: the language model alone; beams 1, weight 0: greedy). Prints WER % (mean of the languages) per split
and setting. Each decode is cached in OUT (JSON), so a second run with more settings decodes only those.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from tqdm import tqdm

from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.models.audiopalm import AudioPaLM


@torch.inference_mode()
def decoded(model: AudioPaLM, data: Path, rows: list[dict], beams: int, weight: float) -> list[str]:
    """Each row's transcript, decoded with `beams` and the CTC head at `weight`."""
    out = []
    for r in tqdm(rows, desc=f"beams {beams} ctc {weight:g}", mininterval=10):
        heard = model.listen(load_audio(data / r["audio"]))
        prompt = model.prompt("ASR", r["lang"], None, model.vocab.audio_ids(heard.tokens))
        ids = model.run("ASR", [prompt], beams, 120, guides=[model.ctc_guide(heard, r["lang"], weight)])[0][0]
        out.append(model.text_of(ids).strip())
    return out


def wer(rows: list[dict], hyps: list[str]) -> float:
    """Mean over languages of corpus WER %."""
    langs = sorted({r["lang"] for r in rows})
    rates = [error_rates([r["text"] for r in rows if r["lang"] == lang],
                         [h for r, h in zip(rows, hyps) if r["lang"] == lang], lang)["wer"] for lang in langs]
    return 100 * sum(rates) / len(rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--splits", nargs="+", default=["dev", "test", "test-noisy", "test-unseen-synth"])
    ap.add_argument("--per-language", type=int, default=100)
    ap.add_argument("--configs", nargs="+", default=["1:0", "4:0", "1:0.3", "4:0.3"],
                    help="BEAMS:WEIGHT pairs (weight 0: no CTC)")
    ap.add_argument("--out", type=Path, default=Path("runs/joint-decoding"))
    args = ap.parse_args()
    model = AudioPaLM.from_pretrained(args.model)
    if model.char_codec is None:
        raise AudiopalmError(f"{args.model}: its tokenizer ({model.audio_tokenizer.encoder.name}) has no CTC head")
    args.out.mkdir(parents=True, exist_ok=True)
    configs = [(int(b), float(w)) for b, w in (c.split(":") for c in args.configs)]
    print("| split | " + " | ".join(f"beams {b}, CTC {w:g}" for b, w in configs) + " |\n|---|" + "---|" * len(configs))
    for split in args.splits:
        rows, count = [], {}
        for r in read_jsonl(args.data / f"{split}.jsonl"):
            if r.get("audio") and count.get(r["lang"], 0) < args.per_language:
                rows.append(r)
                count[r["lang"]] = count.get(r["lang"], 0) + 1
        cells = []
        for beams, weight in configs:
            cache = args.out / f"{split}-{args.per_language}-b{beams}-w{weight:g}.json"
            if not cache.exists():
                cache.write_text(json.dumps(decoded(model, args.data, rows, beams, weight), ensure_ascii=False))
            cells.append(wer(rows, json.loads(cache.read_text())))
        print(f"| {split} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
