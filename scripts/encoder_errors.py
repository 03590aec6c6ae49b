"""Where a CTC speech encoder mishears: its own greedy CER / PER per test condition, language and
synthesizer family.

    python scripts/encoder_errors.py --encoder models/babel-small/audio_tokenizer --data data/babel-small
    python scripts/encoder_errors.py --encoder runs/tok-x/ctc/model --data data/babel-small --out runs/x.json

`--encoder` is a tokenizer folder with a CTC encoder or a CTC model folder (config.json +
model.safetensors). Prints one row per (condition, language) with the CER / PER of each family.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from audiopalm.audio.encoders.ctc import CtcEncoderModel, load_ctc_model
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.data.manifest import available_conditions, read_jsonl, speaker_families, spread
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.tokenizer_quality import encoder_ctc_rates


def load_encoder(folder: Path) -> CtcEncoderModel:
    """A CTC model folder, or the CTC encoder inside a tokenizer folder."""
    if (folder / "model.safetensors").exists():
        return load_ctc_model(folder)
    encoder = AudioTokenizer.from_pretrained(folder).encoder
    if encoder.name != "ctc":
        raise AudiopalmError(f"{folder}: a {encoder.name} tokenizer, not a CTC encoder")
    return encoder.model


def breakdown(model: CtcEncoderModel, data: Path, per_lang: int) -> dict:
    """{condition: {lang: encoder_ctc_rates(...) on `per_lang` utterances}}."""
    family = speaker_families(data)
    out: dict = {}
    for cond in available_conditions(data):
        rows = read_jsonl(data / f"{cond}.jsonl")
        langs = sorted({r["lang"] for r in rows})
        out[cond] = {lang: encoder_ctc_rates(model, spread([r for r in rows if r["lang"] == lang], per_lang), data,
                                             family=family) for lang in langs}
    return out


def table(result: dict) -> str:
    lines = ["| condition | lang | all CER / PER | per family CER / PER (n) |", "|---|---|---|---|"]
    for cond, langs in result.items():
        for lang, r in langs.items():
            fams = ", ".join(f"{f} {v['cer'] * 100:.1f} / {v.get('per', 0) * 100:.1f} ({v['n']})"
                             for f, v in r.get("per_family", {}).items())
            lines.append(f"| {cond} | {lang} | {r['cer'] * 100:.1f} / {r.get('per', 0) * 100:.1f} | {fams} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encoder", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--per-lang", type=int, default=100, help="utterances per condition and language")
    ap.add_argument("--out", type=Path, help="also write the numbers as JSON")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    result = breakdown(load_encoder(args.encoder), args.data, args.per_lang)
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
