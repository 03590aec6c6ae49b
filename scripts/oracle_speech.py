"""How intelligible an acoustic stage makes *correct* semantic tokens: the oracle row of the speech goal table,
for several acoustic models side by side, on the same clips.

Each of the first N English test recordings has its own semantic tokens rendered in the voice of the same
speaker's recording of that sentence in another language (the S2ST case: ~3 s of the source as the prompt),
then Whisper tiny.en (a listener none of our models was trained with) transcribes the result. The recordings
themselves and the codec's round trip are scored alongside, so every row reads against the same ground truth.

    python scripts/oracle_speech.py --data data/babel-small --tokenizer runs/babel-small/tok-ctc \
        --codec runs/babel-small/codec/codec --acoustic codes=runs/babel-small/acoustic/model \
        --acoustic mel=runs/ac-mel/model --n 40

Several `--codec NAME=FOLDER` render every row with each codec's vocoder (the acoustic models' mel frames do not
depend on it), so vocoders are compared on the same clips and the same recordings row.

With `--units NAME=FOLDER` (a text-to-unit model, `audiopalm train-units`), the reference *text* is also spoken:
its phonemes -> semantic tokens in the prompt's voice -> each acoustic model. This is TTS with the voice of
the S2ST case, and what the speech stage says when it speaks the translation the model wrote.

`--voice-strength 1 0.4` renders every acoustic row at each strength (the unit-to-mel model's share of the
prompt's voice, `SpeechOutput.voice_strength`).

Prints one line per system (the recordings, the codec's vocoder on their unquantised mels, the codec's round
trip, each acoustic model's oracle, each text-to-unit model): Whisper WER %, the share of clips Whisper gets
exactly right, DNSMOS OVRL, and the voice: where its Resemblyzer cosine to the reference recording sits between
another speaker's recording of the sentence (0) and the source recording, the same speaker (100%), as
`audiopalm eval` reports it for S2ST.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np

from audiopalm.audio.codecs import load_codec
from audiopalm.audio.io import load_audio
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.shards import default_shards, load_tokens
from audiopalm.evaluation.speech import Judges, cosine
from audiopalm.evaluation.text import error_rates
from audiopalm.models.speech_out import SpeechOutput, load_acoustic
from audiopalm.models.units import TextToUnit


def clips(data: Path, tokenizer: Path, n: int, sources: tuple[str, ...],
          split: str = "test") -> tuple[list[dict], dict]:
    """The first n English recordings of `split`, each with the same speaker's recording of that sentence in one of
    `sources` (taken in turn), another speaker's English recording (of that sentence where the split has one:
    test, not dev), and the semantic tokens of all (from the test shards where made, else made here)."""
    rows = read_jsonl(data / f"{split}.jsonl")
    by_key = {(r["sentence_id"], r["lang"], r["speaker"]): r for r in rows}
    english = [r for r in rows if r["lang"] == "en"]
    utts = []
    for r in english:
        turn = [sources[(len(utts) + k) % len(sources)] for k in range(len(sources))]
        source = next((by_key[key] for lang in turn if (key := (r["sentence_id"], lang, r["speaker"])) in by_key), None)
        others = [o for o in english if o["speaker"] != r["speaker"]]
        other = next((o for o in others if o["sentence_id"] == r["sentence_id"]),
                     others[len(utts) % len(others)] if others else None)
        if source is not None:
            utts.append({"source": source, "reference": r, **({"other": other} if other else {})})
        if len(utts) == n:
            break
    shards = default_shards(data, tokenizer)
    if (shards / split).is_dir():
        tokens = load_tokens(shards, split)
    else:
        tok = AudioTokenizer.from_pretrained(tokenizer)
        tokens = {x["id"]: tok.encode(load_audio(data / x["audio"])) for u in utts for x in u.values()}
    return utts, tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--tokenizer", type=Path, required=True, help="the audio tokenizer the acoustic models read")
    ap.add_argument("--codec", action="append", required=True, metavar="[NAME=]FOLDER",
                    help="codecs whose vocoder renders every row, side by side when more than one")
    ap.add_argument("--acoustic", action="append", required=True, metavar="NAME=FOLDER")
    ap.add_argument("--units", action="append", default=[], metavar="NAME=FOLDER",
                    help="text-to-unit models: the reference text spoken through each acoustic model")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--split", default="test", help="the world's split the clips come from (dev to choose settings)")
    ap.add_argument("--sources", default="fr,es,de,it,pt", help="languages whose recordings give the voice prompt")
    ap.add_argument("--voice-strength", type=float, nargs="+", default=[1.0],
                    help="the unit-to-mel model's share of the prompt's voice; several: every acoustic row at each")
    args = ap.parse_args()

    utts, tokens = clips(args.data, args.tokenizer, args.n, tuple(args.sources.split(",")), args.split)
    judges = Judges()
    refs = [u["reference"]["text"] for u in utts]
    recordings = [load_audio(args.data / u["reference"]["audio"]) for u in utts]
    sources = [load_audio(args.data / u["source"]["audio"]) for u in utts]
    systems: dict[str, list[np.ndarray]] = {"recordings": recordings}
    seconds: dict[str, float] = {}
    for codec_item in args.codec:
        codec_name, codec_folder = codec_item.split("=", 1) if "=" in codec_item else ("codec", codec_item)
        suffix = f" [{codec_name}]" if len(args.codec) > 1 else ""
        codec = load_codec(codec_folder)
        systems["vocoder, unquantised mel" + suffix] = [codec.vocode(codec.log_mel(w)) for w in recordings]
        systems["codec round trip" + suffix] = [codec.decode(codec.encode(w)) for w in recordings]
        strengths = [(f" x{v:g}" if len(args.voice_strength) > 1 else "", v) for v in args.voice_strength]
        for item, (tag, strength) in itertools.product(args.acoustic, strengths):
            name, folder = item.split("=", 1)
            stage = SpeechOutput(codec, load_acoustic(folder), voice_strength=strength)
            start, wavs = time.perf_counter(), []
            for u, source in zip(utts, sources):
                prompt = stage.prompt(source, tokens[u["source"]["id"]])
                wavs.append(stage.synthesize(tokens[u["reference"]["id"]], prompt))
            key = f"oracle {name}{tag}{suffix}"
            systems[key], seconds[key] = wavs, time.perf_counter() - start
        for item, acoustic, (tag, strength) in itertools.product(args.units, args.acoustic, strengths):
            (name, folder), (acoustic_name, acoustic_folder) = item.split("=", 1), acoustic.split("=", 1)
            stage = SpeechOutput(codec, load_acoustic(acoustic_folder), units=TextToUnit.from_pretrained(folder),
                                 voice_strength=strength)
            start, wavs = time.perf_counter(), []
            for u, source in zip(utts, sources):
                prompt = stage.prompt(source, tokens[u["source"]["id"]])
                wavs.append(stage.say(u["reference"]["text"], "en", prompt))
            key = f"units {name} -> {acoustic_name}{tag}{suffix}"
            systems[key], seconds[key] = wavs, time.perf_counter() - start
    print(f"{len(utts)} English {args.split} clips ({len(set(refs))} sentences); prompts from {args.sources}")
    voice = voice_position(judges, args.data, utts, sources, recordings)
    for name, wavs in systems.items():
        hyps = [judges.whisper(w) for w in wavs]
        rates = error_rates(refs, hyps, "en")
        exact = np.mean([error_rates([r], [h], "en")["wer"] == 0 for r, h in zip(refs, hyps)])
        mos = np.mean([judges.mos(w)["ovrl"] for w in wavs])
        extra = f"  render {seconds[name]:.1f} s" if name in seconds else ""
        print(f"{name:36s} Whisper WER {100 * rates['wer']:5.1f}%  exact {100 * exact:5.1f}%  DNSMOS {mos:.2f}  "
              f"voice {100 * voice(wavs):4.0f}%{extra}", flush=True)


def voice_position(judges: Judges, data: Path, utts: list[dict], sources: list[np.ndarray],
                   recordings: list[np.ndarray]):
    """-> a function of one waveform per clip: where the mean Resemblyzer cosine to each reference recording sits
    between the floor (another speaker's recording: 0) and the ceiling (the source, the same speaker: 1)."""
    keep = [i for i, u in enumerate(utts) if "other" in u]  # a split of one speaker has no floor
    refs = {i: judges.voice(recordings[i]) for i in keep}
    ceiling = np.mean([cosine(judges.voice(sources[i]), refs[i]) for i in keep]) if keep else 0.0
    floor = np.mean([cosine(judges.voice(load_audio(data / utts[i]["other"]["audio"])), refs[i]) for i in keep]) \
        if keep else 0.0

    def position(wavs: list[np.ndarray]) -> float:
        sims = [cosine(judges.voice(wavs[i]), refs[i]) for i in keep if len(wavs[i])]
        return (np.mean(sims) - floor) / (ceiling - floor) if sims and ceiling != floor else float("nan")
    return position

if __name__ == "__main__":
    main()
