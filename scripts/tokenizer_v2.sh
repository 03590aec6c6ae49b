#!/usr/bin/env bash
# Tokenizer v1 vs v2 on the Babel small world (generator 2.0), as in docs/tokenizers.md:
#   v1  the shipped bundle's tokenizer (character CTC, clean espeak-ng audio of generator 1.0)
#   v2  character + phoneme CTC on augmented audio of three synthesizer families; the quantised
#       layer chosen by a probe on each candidate layer
# About 2 hours on 2 CPU cores with the world built (the v2 encoder: ~65 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
A=.venv/bin/audiopalm
DATA=${DATA:-data/babel-small}
LAYERS=${LAYERS:-"3 4 5 6"}
SWEEP_PROBE_STEPS=${SWEEP_PROBE_STEPS:-750}
[ -f "$DATA/world.json" ] || $A data synth --preset small --out "$DATA" --jobs 2
$A tokenizer train --data "$DATA" --encoder ctc --out runs/tok-ctc2 --ctc-steps 4000 --layer 4
for layer in $LAYERS; do   # one encoder, k-means on each layer's states
    out=runs/tok-ctc2-L$layer
    if [ ! -f "$out/config.json" ]; then
        mkdir -p "$out/ctc-train"
        ln -sfn "$(pwd)/runs/tok-ctc2/ctc-train/model" "$out/ctc-train/model"
        $A tokenizer train --data "$DATA" --encoder ctc --out "$out" --layer "$layer"
    fi
    $A tokenizer eval --tokenizer "$out" --data "$DATA" --tokens "$DATA/tokens/tok-ctc2-L$layer" \
        --probe-steps "$SWEEP_PROBE_STEPS" --out "runs/tok-ctc2-L$layer-sweep.json"
done
# the full probe budget for v1 and for the chosen layer (L, by the sweep's test-unseen-synth probe CER)
BEST=${BEST:-4}
$A tokenizer eval --tokenizer models/babel-small/audio_tokenizer --data "$DATA" --tokens "$DATA/tokens/tok-v1" \
    --out runs/tok-v1-eval.json
$A tokenizer eval --tokenizer runs/tok-ctc2-L$BEST --data "$DATA" --tokens "$DATA/tokens/tok-ctc2-L$BEST" \
    --out runs/tok-v2-eval.json
