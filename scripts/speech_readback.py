"""How much of the speech a language model writes its own ears understand, before any rendering.

For each model: TTS of the first N sentences of a split in each language, and S2ST of the first N
utterances of each language into English; the semantic tokens it writes are read back by its own ASR
task and scored (BLEU) against the sentence (TTS) or the English reference (S2ST). Beside them, ASR of
the recordings' own tokens (the ceiling of the read-back measure) and the model's AST BLEU on the same
utterances. No speech stage, no external recogniser: minutes per model on 2 cores, for comparing the
speech-writing tasks of finetuning runs (the full picture, rendered and heard by Whisper, is
`audiopalm eval --tasks s2st,tts`).

    python scripts/speech_readback.py --data data/babel-small --model bundle=models/babel-small \
        --model speech=runs/ab-speech/model --n 40 --split dev
    python scripts/speech_readback.py --data data/babel-small --model bundle=models/babel-small --s2st-task S2ST

S2ST is decoded as `translate_speech` does (the combined task `[ASR AST S2ST X Y]` where the model was
finetuned on it), or by the task given with --s2st-task.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.speech import read_back, s2st_semantic, tts_semantic
from audiopalm.evaluation.text import bleu
from audiopalm.evaluation.unified import decode_task, split_tokens
from audiopalm.generation.decode import SPEECH_SAMPLING
from audiopalm.models.audiopalm import TRANSLATION_SEGMENT, AudioPaLM

LANGS = ("en", "fr", "es", "de", "it", "pt")


def pairs_into(rows: list[dict], tokens: dict[str, torch.Tensor], src: str, tgt: str, n: int) -> list[tuple[dict, dict]]:
    """The first n (source row in src, the same speaker's row of the same sentence in tgt) with tokens."""
    by_key = {(r["sentence_id"], r["lang"], r["speaker"]): r for r in rows if r["id"] in tokens}
    out = []
    for r in rows:
        same = by_key.get((r["sentence_id"], tgt, r["speaker"]))
        if r["lang"] == src and r["id"] in tokens and same is not None:
            out.append((r, same))
        if len(out) == n:
            break
    return out


def measure(model_dir: Path, data: Path, split: str, n: int, seed: int, s2st_task: str | None = None) -> dict:
    model = AudioPaLM.from_pretrained(model_dir)
    tokens, _ = split_tokens(model_dir, data, split)
    rows = read_jsonl(data / f"{split}.jsonl")
    out: dict = {"tts": {}, "s2st": {}, "s2st_task": s2st_task or model.s2st_task}
    for lang in LANGS:
        chosen = [r for r in rows if r["lang"] == lang and r["id"] in tokens][:n]
        texts = [r["text"] for r in chosen]
        torch.manual_seed(seed)
        written = tts_semantic(model, texts, lang, SPEECH_SAMPLING)
        out["tts"][lang] = {"read_back": bleu(texts, read_back(model, written, lang))[0],
                            "recordings": bleu(texts, read_back(model, [tokens[r["id"]] for r in chosen], lang))[0],
                            "length": float(np.mean([len(w) / max(1, len(tokens[r["id"]])) for w, r in zip(written, chosen)]))}
    for src in LANGS[1:]:
        chosen = pairs_into(rows, tokens, src, "en", n)
        refs = [ref["text"] for _, ref in chosen]
        source = [tokens[r["id"]] for r, _ in chosen]
        torch.manual_seed(seed)
        written = s2st_semantic(model, source, src, "en", SPEECH_SAMPLING, task=s2st_task)
        ast = decode_task(model, model.ast_task, [(src, "en", t) for t in source], segment=TRANSLATION_SEGMENT[model.ast_task])
        out["s2st"][f"{src}-en"] = {"read_back": bleu(refs, read_back(model, written, "en"))[0], "ast": bleu(refs, ast)[0],
                                    "length": float(np.mean([len(w) / max(1, len(tokens[ref["id"]]))
                                                             for w, (_, ref) in zip(written, chosen)]))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", action="append", required=True, help="NAME=DIR (repeat for several)")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--s2st-task", choices=("S2ST", "ASR AST S2ST"), help="default: as translate_speech does")
    parser.add_argument("--out", help="also write the results here (JSON)")
    args = parser.parse_args()
    results = {}
    for spec in args.model:
        name, _, folder = spec.partition("=")
        results[name] = r = measure(Path(folder), Path(args.data), args.split, args.n, args.seed, args.s2st_task)
        tts = "  ".join(f"{k} {v['read_back']:.1f}/{v['recordings']:.1f}" for k, v in r["tts"].items())
        s2st = "  ".join(f"{k} {v['read_back']:.1f} (AST {v['ast']:.1f})" for k, v in r["s2st"].items())
        print(f"{name}\n  TTS read back / recordings' tokens (BLEU): {tts}\n"
              f"  S2ST into English read back ({r['s2st_task']}): {s2st}")
        def mean(part: str, key: str) -> float:
            return float(np.mean([v[key] for v in r[part].values()]))

        print(f"  means: TTS {mean('tts', 'read_back'):.1f} (recordings {mean('tts', 'recordings'):.1f}, "
              f"length {mean('tts', 'length'):.2f}x), S2ST {mean('s2st', 'read_back'):.1f} (AST {mean('s2st', 'ast'):.1f}, "
              f"length {mean('s2st', 'length'):.2f}x)")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
