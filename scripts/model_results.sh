#!/usr/bin/env bash
# The results of docs/model.md: text LM, AudioPaLM finetuned from it, the same from scratch, and their
# evaluation on the Babel small test split. About 2 hours on 2 CPU cores. Every step resumes if re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
A=.venv/bin/audiopalm
DATA=${DATA:-data/babel-small}
PAIRS="de-it it-de pt-fr fr-pt es-it en-de es-fr en-pt"   # zero-shot pairs, then supervised pairs into the same targets
[ -f "$DATA/world.json" ] || $A data synth --preset small --out "$DATA" --jobs 2
[ -f runs/tok-ctc/config.json ] || $A tokenizer train --data "$DATA" --encoder ctc --out runs/tok-ctc
until [ -f runs/lm-base/model/config.json ]; do
    $A pretrain-text --data "$DATA" --out runs/lm-base --preset base --steps 1500 --lr 1.5e-3 --max-minutes 60
done
for run in babel-small:runs/audiopalm-base babel-small-scratch:runs/audiopalm-base-scratch; do
    cfg=${run%%:*} out=${run#*:}
    until [ -f "$out/model/config.json" ]; do $A train --config configs/$cfg.yaml --max-minutes 60; done
    $A eval --model "$out/model" --data "$DATA" --per-language 100 --targets en --pairs $PAIRS --out "$out-eval"
done
$A eval --text-lm runs/lm-base --data "$DATA" --per-language 300 --targets en --pairs $PAIRS --out runs/lm-base-mt
