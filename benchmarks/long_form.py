"""A 3-minute recording of joined English test clips (pauses 0.8-1.5 s): the long-form path (voice
activity, AudioPaLM.transcribe_segments) vs the clips one by one, and how close the segment times
fall to the true joins. Usage: python benchmarks/long_form.py [MODEL] [DATA] (default: the shipped
bundle on the generator-1.0 world it was trained on: audiopalm data synth --preset small
--generator-version 1.0 --out data/babel-small-v1)."""
import json
import sys
import time

import numpy as np
from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.text import error_rates
from audiopalm.models.audiopalm import AudioPaLM

model_dir = sys.argv[1] if len(sys.argv) > 1 else "models/babel-small"
data = sys.argv[2] if len(sys.argv) > 2 else "data/babel-small-v1"
rows = [r for r in read_jsonl(f"{data}/test.jsonl") if r["lang"] == "en"]
model = AudioPaLM.from_pretrained(model_dir)
rng = np.random.default_rng(0)
parts, spans, clips, t = [], [], [], 0.0
for r in rows[::7]:
    wav = load_audio(f"{data}/{r['audio']}")
    gap = float(rng.uniform(0.8, 1.5))
    parts += [0.001 * rng.standard_normal(int(16000 * gap)).astype(np.float32), wav]
    t += gap
    spans.append((t, t + len(wav) / 16000)); clips.append((r, wav)); t += len(wav) / 16000
    if t > 180:
        break
long = np.concatenate(parts)
t0 = time.time(); segs = model.transcribe_segments(long, lang="en"); t_long = time.time() - t0
t0 = time.time(); single = model.transcribe([w for _, w in clips], lang="en"); t_single = time.time() - t0
refs = " ".join(r["text"] for r, _ in clips)
long_hyp = " ".join(s["text"] for s in segs)
start_err = [min(abs(s["start"] - a) for a, _ in spans) for s in segs]
end_err = [min(abs(s["end"] - b) for _, b in spans) for s in segs]
out = {"seconds": round(len(long) / 16000, 1), "clips": len(clips), "segments": len(segs),
       "wer_long": error_rates([refs], [long_hyp], "en")["wer"],
       "wer_single": error_rates([refs], [" ".join(single)], "en")["wer"],
       "start_within_0.5s": sum(e <= 0.5 for e in start_err) / len(segs),
       "end_within_0.5s": sum(e <= 0.5 for e in end_err) / len(segs),
       "max_start_err": max(start_err), "max_end_err": max(end_err),
       "wall_long": round(t_long, 1), "wall_single": round(t_single, 1)}
print(json.dumps(out, indent=1))
