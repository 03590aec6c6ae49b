#!/usr/bin/env bash
# The tokenizer comparison of docs/tokenizers.md: mfcc vs ctc (and a tiny random hf model as a smoke run)
# on the Babel small world, each judged by the same ASR-probe budget. About 50 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
A=.venv/bin/audiopalm
DATA=${DATA:-data/babel-small}
[ -f "$DATA/world.json" ] || $A data synth --preset small --out "$DATA" --jobs 2
$A tokenizer train --data "$DATA" --encoder mfcc --out runs/tok-mfcc
$A tokenizer train --data "$DATA" --encoder ctc --out runs/tok-ctc          # trains the CTC encoder first (~25 min)
.venv/bin/python scripts/tiny_hf_encoder.py runs/tiny-w2v-bert
$A tokenizer train --data "$DATA" --encoder hf:runs/tiny-w2v-bert --out runs/tok-hf
for t in mfcc ctc hf; do
    $A tokenizer eval --tokenizer runs/tok-$t --data "$DATA" --out runs/tok-$t-eval.json
done
