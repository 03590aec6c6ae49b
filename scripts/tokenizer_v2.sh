#!/usr/bin/env bash
# Tokenizer v1 vs v2 on the Babel small world (generator 2.0), as in docs/tokenizers.md:
#   v1  the shipped bundle's tokenizer (character CTC, clean espeak-ng audio of generator 1.0)
#   v2  character + phoneme CTC on augmented audio of two synthesizer families; the quantised layer
#       chosen by an ASR probe on each candidate layer (mean probe CER of test and test-unseen-synth)
# Every tokenizer gets the same ASR-probe budget (PROBE_STEPS). About 1 h 50 min on 2 CPU cores with the
# world built (the v2 encoder: ~65 minutes; each layer or tokenizer evaluated: ~10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
A=.venv/bin/audiopalm
PY=.venv/bin/python
DATA=${DATA:-data/babel-small-2.0}
LAYERS=${LAYERS:-"4 3 5"}
PROBE_STEPS=${PROBE_STEPS:-750}
[ -f "$DATA/world.json" ] || $A data synth --preset small --generator-version 2.0 --out "$DATA" --jobs 2
[ -f runs/tok-ctc2/config.json ] || $A tokenizer train --data "$DATA" --encoder ctc --out runs/tok-ctc2 --ctc-steps 4000 --layer 4 \
    --ctc-augment-config-p-vtlp 0  # v2 as measured: no vocal tract length perturbation yet
for layer in $LAYERS; do   # one encoder, k-means on each layer's states
    out=runs/tok-ctc2-L$layer
    if [ "$layer" = 4 ]; then
        out=runs/tok-ctc2
    elif [ ! -f "$out/config.json" ]; then
        mkdir -p "$out/ctc-train"
        ln -sfn "$(pwd)/runs/tok-ctc2/ctc-train/model" "$out/ctc-train/model"
        $A tokenizer train --data "$DATA" --encoder ctc --out "$out" --layer "$layer"
    fi
    [ -f "runs/tok-ctc2-L$layer-sweep.json" ] || $A tokenizer eval --tokenizer "$out" --data "$DATA" \
        --tokens "$DATA/tokens/tok-ctc2-L$layer" --probe-steps "$PROBE_STEPS" --out "runs/tok-ctc2-L$layer-sweep.json"
done
BEST=$($PY - "$LAYERS" <<'PY'
import json, sys
def score(layer):
    c = json.load(open(f"runs/tok-ctc2-L{layer}-sweep.json"))["conditions"]
    return (c["test"]["probe"]["cer"] + c["test-unseen-synth"]["probe"]["cer"]) / 2
print(min(sys.argv[1].split(), key=score))
PY
)
echo "chosen layer: $BEST"
cp "runs/tok-ctc2-L$BEST-sweep.json" runs/tok-v2-eval.json
[ -f runs/tok-v1-eval.json ] || $A tokenizer eval --tokenizer models/babel-small/audio_tokenizer --data "$DATA" \
    --tokens "$DATA/tokens/tok-v1" --probe-steps "$PROBE_STEPS" --out runs/tok-v1-eval.json
