"""Tune how speech tokens are drawn, on the dev split: TTS of N dev sentences in one language, rendered in
the voice of another dev recording of each speaker, scored by a recogniser the model was not trained with
(Whisper tiny.en, so English) beside ground truth and the oracle (the recordings' own tokens -> speech).

    python scripts/speech_sampling.py --model runs/v3-mel/model --data data/babel-small --n 30 \
        --setting 0.8/50 --setting 0.5/50 --setting greedy

A setting is TEMPERATURE/TOP_K or "greedy". Prints one line per setting: Whisper WER %, output length
against the recordings' tokens, seconds.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import torch

from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.speech import Judges, tts_semantic
from audiopalm.evaluation.text import error_rates
from audiopalm.evaluation.unified import split_tokens
from audiopalm.generation.decode import Sampling
from audiopalm.models.audiopalm import AudioPaLM


def parse_setting(text: str) -> Sampling | None:
    if text == "greedy":
        return None
    temperature, top_k = text.split("/")
    return Sampling(float(temperature), int(top_k))


def dev_sentences(data: Path, tokens: dict[str, torch.Tensor], n: int) -> list[tuple[dict, dict]]:
    """The first n English dev rows, each with another dev row of its speaker (the voice prompt)."""
    rows = [r for r in read_jsonl(data / "dev.jsonl") if r["lang"] == "en" and r["id"] in tokens]
    by_speaker = defaultdict(list)
    for r in rows:
        by_speaker[r["speaker"]].append(r)
    pairs = []
    for r in rows:
        prompts = [o for o in by_speaker[r["speaker"]] if o["sentence_id"] != r["sentence_id"]]
        if prompts:
            pairs.append((r, prompts[0]))
        if len(pairs) == n:
            break
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default="data/babel-small")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--setting", action="append", default=[], help="TEMPERATURE/TOP_K or greedy (repeatable)")
    args = ap.parse_args()
    model_dir, data = Path(args.model), Path(args.data)
    model = AudioPaLM.from_pretrained(model_dir)
    judges = Judges(whisper=True)
    tokens, _ = split_tokens(model_dir, data, "dev", 1)
    pairs = dev_sentences(data, tokens, args.n)
    stage = model.speech_out
    prompts = [stage.prompt(load_audio(data / p["audio"]), tokens[p["id"]]) for _, p in pairs]
    refs = [r["text"] for r, _ in pairs]

    def wer(hyps: list[str]) -> float:
        return 100 * error_rates(refs, hyps, "en")["wer"]

    print(f"{len(pairs)} English dev sentences")
    print(f"ground truth  WER {wer([judges.whisper(load_audio(data / r['audio'])) for r, _ in pairs]):.1f}")
    oracle = [judges.whisper(stage.synthesize(tokens[r["id"]], p)) for (r, _), p in zip(pairs, prompts)]
    print(f"oracle        WER {wer(oracle):.1f}")
    reference_length = sum(len(tokens[r["id"]]) for r, _ in pairs)
    for text in args.setting:
        t0 = time.time()
        semantic = tts_semantic(model, refs, "en", parse_setting(text))
        hyps = [judges.whisper(stage.synthesize(t, p)) for t, p in zip(semantic, prompts)]
        print(f"{text:<13} WER {wer(hyps):.1f}  length {sum(len(t) for t in semantic) / reference_length:.2f}x  "
              f"{time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
