"""Does noise removal after the vocoder raise DNSMOS? The bundle speaks the first N English test sentences, each in
its speaker's voice (the text-to-unit model, the unit-to-mel model, the codec's vocoder); the vocoder's input mel
frames are kept and rendered again with a post-filter on the STFT magnitude it predicts, before its inverse STFT:

    none     as the bundle renders
    bias S   the vocoder's own mean magnitude on a silent input, S times, subtracted from each frame (floored at 0)
    floor S  each frequency bin's 10th-percentile magnitude over the utterance, S times, subtracted (kept >= 10%)

Prints DNSMOS (overall, signal, background) and Whisper tiny.en WER % per setting.

    python scripts/vocoder_postfilter.py --model models/babel-small --data data/babel-small --n 24
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.codecs.mel import Vocoder
from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.evaluation.speech import Judges
from audiopalm.evaluation.text import error_rates
from audiopalm.models.audiopalm import AudioPaLM

SETTINGS = [("none", 0.0), ("bias", 1.0), ("bias", 2.0), ("bias", 4.0), ("floor", 1.0), ("floor", 2.0)]


def magnitude_and_phase(vocoder: Vocoder, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardised mel [T, n_mels] -> the vocoder's STFT magnitude and phase, each [T, n_fft/2+1]."""
    x = vocoder.embed(mel.float()[None].transpose(1, 2))
    x = vocoder.norm(x.transpose(1, 2)).transpose(1, 2)
    for block in vocoder.blocks:
        x = block(x)
    log_mag, phase = vocoder.head(vocoder.final_norm(x.transpose(1, 2))).float().chunk(2, dim=-1)
    return log_mag.clamp(max=6.0).exp()[0], phase[0]


def render(vocoder: Vocoder, mel: torch.Tensor, kind: str, strength: float, bias: torch.Tensor) -> np.ndarray:
    """Mel [T, n_mels] -> wav [N] at 16 kHz with the post-filter `kind` at `strength`."""
    mag, phase = magnitude_and_phase(vocoder, mel)
    if kind == "bias":
        mag = (mag - strength * bias).clamp(min=0.0)
    elif kind == "floor":
        mag = torch.maximum(mag - strength * mag.quantile(0.1, dim=0), 0.1 * mag)
    spec = torch.polar(mag, phase).T[None]  # [1, F, T]
    cfg = vocoder.cfg
    wav = torch.istft(spec, cfg.n_fft, cfg.hop, cfg.n_fft, vocoder.window, center=True)
    return wav[0].clamp(-1, 1).numpy().astype(np.float32)


@torch.inference_mode()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--n", type=int, default=24, help="English test sentences")
    args = ap.parse_args()
    model = AudioPaLM.from_pretrained(args.model)
    codec = model._speech_stage().codec
    mels, vocode = [], codec.vocode
    codec.vocode = lambda mel: (mels.append(mel.clone()), vocode(mel))[1]  # keep what the vocoder is given
    rows = [r for r in read_jsonl(args.data / "test.jsonl") if r["lang"] == "en" and r.get("audio")][: args.n]
    for r in rows:
        model.speak(r["text"], "en", voice=load_audio(args.data / r["audio"]))
    bias = magnitude_and_phase(codec.vocoder, codec.log_mel(np.zeros(16000, np.float32)))[0].mean(0)
    judges = Judges()
    print("| post-filter | DNSMOS overall | signal | background | Whisper tiny.en WER % |\n|---|---|---|---|---|")
    for kind, strength in SETTINGS:
        wavs = [render(codec.vocoder, mel, kind, strength, bias) for mel in mels]
        mos = [judges.mos(w) for w in wavs]
        wer = error_rates([r["text"] for r in rows], [judges.whisper(w) for w in wavs], "en")["wer"]
        name = kind if kind == "none" else f"{kind} x{strength:g}"
        print(f"| {name} | " + " | ".join(f"{np.mean([m[k] for m in mos]):.2f}" for k in ("ovrl", "sig", "bak"))
              + f" | {100 * wer:.1f} |", flush=True)


if __name__ == "__main__":
    main()
