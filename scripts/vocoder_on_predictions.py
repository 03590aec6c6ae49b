"""Train a mel codec's vocoder on an acoustic model's own mel frames (ground-truth aligned), as a TTS vocoder
is fine-tuned on its acoustic model's output: does it lose words to their smoothness?

Each of N training utterances is rendered by the acoustic model from its tokenizer tokens and, with --spoken
(the OUT/spoken-train.safetensors of `train-acoustic --inputs both`), from the text-to-unit model's tokens on
its true durations, in the voice of ~3 s of another utterance of the same speaker. The predicted frames line
up with the recording's, so crops of them are paired with the recording's samples; half of each batch is the
codec's usual quantised crops. Spectral losses (recipes/codec.py), AdamW, warm-up and cosine decay.

    python scripts/vocoder_on_predictions.py --data data/babel-small --codec runs/babel-small/codec/codec \
        --acoustic models/babel-small/speech_out/acoustic --tokenizer models/babel-small/audio_tokenizer \
        --spoken runs/babel-small/acoustic-units/spoken-train.safetensors --out runs/vocoder-pred/codec

Then `scripts/oracle_speech.py --codec pred=runs/vocoder-pred/codec ...` measures it (docs/speech.md).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from audiopalm.audio.codecs.mel import MelCodec
from audiopalm.audio.encoders import TOKEN_RATE
from audiopalm.audio.io import load_audio
from audiopalm.data.manifest import audio_rows, read_jsonl
from audiopalm.data.shards import default_shards, load_tokens
from audiopalm.models.mel_decoder import generate_mel
from audiopalm.models.speech_out import load_acoustic
from audiopalm.recipes.codec import quantised_mel, spectral_loss
from audiopalm.training.precision import bf16_autocast

CROP_FRAMES = 40  # 0.8 s, as in codec training


def predictions(codec: MelCodec, acoustic, rows: list[dict], wavs: dict[str, torch.Tensor],
                streams: list[dict[str, torch.Tensor]], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(predicted standardised mel [T, n_mels] fp16, the recording [N]) for every row and token stream."""
    by_speaker: dict[str, list[str]] = {}
    for r in rows:
        by_speaker.setdefault(r["speaker"], []).append(r["id"])
    rng, prompt_frames = random.Random(seed), round(3.0 * codec.frame_rate)
    out = []
    for r in rows:
        other = rng.choice([i for i in by_speaker[r["speaker"]] if i != r["id"]] or [r["id"]])
        voice = codec.frames(codec.encode(wavs[other].numpy()))  # quantised, as a prompt is at S2ST time
        start = rng.randrange(0, max(1, len(voice) - prompt_frames))
        prompt = voice[start: start + prompt_frames]
        for tokens in streams:
            if len(tokens.get(r["id"], [])):
                out.append((generate_mel(acoustic, tokens[r["id"]].long(), prompt).half(), wavs[r["id"]]))
    return out


def batch(codec: MelCodec, items, wavs: list[torch.Tensor], size: int, gen: torch.Generator):
    """Half predicted crops with their recordings' samples, half quantised crops -> mel [B, F, n_mels], wav [B, N]."""
    hop, samples = codec.cfg.hop, (CROP_FRAMES - 1) * codec.cfg.hop
    mels, targets = [], []
    while len(mels) < size:
        if len(mels) % 2 == 0:
            mel, wav = items[int(torch.randint(len(items), (1,), generator=gen))]
            s = int(torch.randint(0, max(1, min(len(mel), len(wav) // hop) - CROP_FRAMES), (1,), generator=gen))
            m, w = mel[s: s + CROP_FRAMES].float(), wav[s * hop: s * hop + samples]
        else:
            wav = wavs[int(torch.randint(len(wavs), (1,), generator=gen))]
            s = int(torch.randint(0, max(1, len(wav) - samples), (1,), generator=gen))
            w = wav[s: s + samples]
            m = quantised_mel(codec, w[None])[0] if len(w) == samples else None
        if m is not None and len(m) == CROP_FRAMES and len(w) == samples:
            mels.append(m)
            targets.append(w)
    return torch.stack(mels), torch.stack(targets)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--codec", type=Path, required=True, help="the mel codec to start from")
    ap.add_argument("--acoustic", type=Path, required=True, help="a unit-to-mel acoustic model")
    ap.add_argument("--tokenizer", type=Path, required=True, help="the audio tokenizer it reads (train shards)")
    ap.add_argument("--spoken", type=Path, help="text-to-unit tokens of the train split (train-acoustic's cache)")
    ap.add_argument("--out", type=Path, required=True, help="the codec folder to write")
    ap.add_argument("--n", type=int, default=2000, help="training utterances rendered")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    codec = MelCodec.from_pretrained(args.codec).float()
    acoustic = load_acoustic(args.acoustic).float()
    assert abs(codec.frame_rate - TOKEN_RATE * acoustic.cfg.frames_per_token) < 1e-6
    rows = audio_rows(read_jsonl(args.data / "train.jsonl"))
    random.Random(args.seed).shuffle(rows)
    tokens = load_tokens(default_shards(args.data, args.tokenizer), "train")
    rows = [r for r in rows if r["id"] in tokens][: args.n]
    wavs = {r["id"]: torch.from_numpy(load_audio(args.data / r["audio"])) for r in rows}
    streams = [tokens] + ([load_file(str(args.spoken))] if args.spoken else [])
    t0 = time.time()
    items = predictions(codec, acoustic, rows, wavs, streams, args.seed + 1)
    print(f"{len(items)} predicted mel sequences in {time.time() - t0:.0f} s", flush=True)

    vocoder, gen = codec.vocoder.train(), torch.Generator().manual_seed(args.seed)
    opt = torch.optim.AdamW(vocoder.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.01)
    for step in range(args.steps):
        warm = min(1.0, (step + 1) / 50)
        for group in opt.param_groups:
            group["lr"] = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        mel, target = batch(codec, items, list(wavs.values()), args.batch, gen)
        with bf16_autocast(True):
            pred = vocoder(mel)
        loss = spectral_loss(pred.float(), target, codec.cfg.n_mels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vocoder.parameters(), 1.0)
        opt.step()
        if step % 100 == 0:
            print(f"step {step}: loss {loss.item():.4f}", flush=True)
    codec.eval().save_pretrained(args.out)
    print(f"codec saved to {args.out}")


if __name__ == "__main__":
    main()
