"""A CTC encoder's own greedy transcripts, per test speaker: character error rate and speaking rate.

    python scripts/speaker_cer.py --model models/babel-small --data data/babel-small --split test
    python scripts/speaker_cer.py --model models/babel-small --data data/babel-small --encoder runs/x/model

Reads the model's listener (else its tokenizer's encoder), or ENCODER (a CTC encoder folder) in its place. Prints
one row per (language, speaker): utterances, characters a second (the normalised reference's length over the
recording's), CER %; then the CER of all of them. Speakers whose speech is faster than the character head's
frame rate allows (25 Hz: 25 characters a second, spaces included) show it here first.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import torch

from audiopalm.audio.encoders.ctc import CtcEncoderModel, load_ctc_model, mel_for_tokens
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.text.chars import CharCodec
from audiopalm.text.normalize import normalize


@torch.inference_mode()
def spelt(encoder: CtcEncoderModel, data: Path, rows: list[dict]) -> dict[tuple[str, str], dict]:
    """Rows -> {(lang, speaker): {"refs", "hyps", "chars", "seconds"}}; an unreadable recording is skipped."""
    codec = CharCodec(encoder.cfg.vocab)
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"refs": [], "hyps": [], "chars": 0, "seconds": 0.0})
    for r in rows:
        try:
            wav = load_audio(data / r["audio"])
        except AudioError as e:
            print(f"skipped: {e}")
            continue
        logits = encoder(mel_for_tokens(wav, encoder.cfg.n_mels, encoder.cfg.features)[None])[0]
        ref = " ".join(normalize(r["text"], r["lang"]).split())
        group = out[(r["lang"], r["speaker"])]
        group["refs"].append(ref)
        group["hyps"].append(codec.decode_ctc(logits.argmax(-1).tolist()))
        group["chars"] += len(ref)
        group["seconds"] += len(wav) / 16000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--encoder", type=Path, default=None, help="a CTC encoder folder read instead of the model's")
    args = ap.parse_args()
    encoder = load_ctc_model(args.encoder) if args.encoder else AudioPaLM.from_pretrained(args.model).char_model
    if encoder is None:
        raise AudiopalmError(f"{args.model}: no listener, and its tokenizer's encoder spells nothing")
    groups = spelt(encoder.eval(), args.data, read_jsonl(args.data / f"{args.split}.jsonl"))
    print(f"character head at {25 * encoder.cfg.char_rate} Hz\n")
    print("| language | speaker | utterances | chars / s | CER % |\n|---|---|---|---|---|")
    for (lang, speaker), g in sorted(groups.items()):
        cer = 100 * error_rates(g["refs"], g["hyps"], lang)["cer"]
        print(f"| {lang} | {speaker} | {len(g['refs'])} | {g['chars'] / g['seconds']:.1f} | {cer:.1f} |")
    refs = [x for g in groups.values() for x in g["refs"]]
    hyps = [x for g in groups.values() for x in g["hyps"]]
    print(f"| all | | {len(refs)} | | {100 * error_rates(refs, hyps, 'xx')['cer']:.1f} |")


if __name__ == "__main__":
    main()
