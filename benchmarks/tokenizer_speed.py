"""Tokenization speed of audio tokenizers on this machine, measured in one run.

    python benchmarks/tokenizer_speed.py --data data/babel-small runs/tok-mfcc runs/tok-ctc runs/tok-hf

Prints, per tokenizer, the real-time factor (compute seconds per audio second) of `encode_batch`
on the same test utterances, and how many times faster than real time that is. Goal: the ctc
tokenizer at least 100x faster than real time on 2 CPU cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from audiopalm import AudioTokenizer
from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.tokenizer_quality import real_time_factor


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tokenizers", nargs="+", help="tokenizer folders")
    p.add_argument("--data", required=True, help="world folder (its test split is used)")
    p.add_argument("--utterances", type=int, default=200)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    rows = read_jsonl(Path(args.data) / "test.jsonl")[: args.utterances]
    wavs = [load_audio(Path(args.data) / r["audio"]) for r in rows]
    seconds = sum(len(w) for w in wavs) / 16_000
    print(f"{len(wavs)} utterances, {seconds:.0f} s of audio, {torch.get_num_threads()} threads")
    print(f"{'tokenizer':<28}{'encoder':<8}{'RTF':>10}{'x real time':>14}")
    for folder in args.tokenizers:
        tok = AudioTokenizer.from_pretrained(folder)
        rtf = real_time_factor(tok, wavs, args.repeats)
        print(f"{folder:<28}{tok.encoder.name:<8}{rtf:>10.5f}{1 / rtf:>14.0f}")


if __name__ == "__main__":
    main()
