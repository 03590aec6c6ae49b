"""The `audiopalm` command line: one table from command names to functions.

Each command is `name -> (function, add_arguments, help)`; groups (`data ...`) are nested tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from audiopalm.errors import AudiopalmError

if TYPE_CHECKING:
    from audiopalm.generation.decode import Sampling


# --- data ------------------------------------------------------------------------------------
def _synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder (manifests, audio, world.json)")
    p.add_argument("--preset", default="tiny", help="tiny (seconds), small (>= 2 h/language), full (10 h/language)")
    p.add_argument("--languages", nargs="+", help="language codes (default: all six: en fr es de it pt)")
    p.add_argument("--hours-per-language", nargs="+", metavar="H|LANG=H",
                   help="train hours: one number for all, or LANG=H pairs (e.g. en=2 pt=0.2)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel rendering processes")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--noise-snr", type=float, default=None, help="SNR in dB of test-noisy (default 10)")
    p.add_argument("--no-noise", action="store_true", help="do not write test-noisy")
    p.add_argument("--force", action="store_true", help="replace a world with another configuration in --out")
    p.add_argument("--generator-version", default=None,
                   help="2.0 (default: espeak-ng, MBROLA and Pico voices) or 1.0 (espeak-ng voices only)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _parse_hours(values: list[str] | None) -> dict:
    """['2'] -> {'default_hours': 2.0}; ['en=2', 'pt=0.2'] -> {'hours_per_language': {...}}."""
    if not values:
        return {}
    out: dict = {}
    per_lang = {}
    for v in values:
        try:
            if "=" in v:
                lang, h = v.split("=", 1)
                per_lang[lang] = float(h)
            else:
                out["default_hours"] = float(v)
        except ValueError:
            raise AudiopalmError(f"--hours-per-language: cannot read {v!r}; use a number or LANG=HOURS") from None
    if per_lang:
        out["hours_per_language"] = per_lang
    return out


def cmd_data_synth(args: argparse.Namespace) -> int:
    from audiopalm.data.babel.synth import synth
    from audiopalm.data.babel.world import preset_config

    overrides = {"seed": args.seed, "languages": args.languages, "noisy_snr_db": args.noise_snr,
                 "version": args.generator_version, **_parse_hours(args.hours_per_language)}
    config = preset_config(args.preset, **overrides)
    if args.no_noise:
        config.noisy_snr_db = None
    summary = synth(args.out, config, jobs=args.jobs, force=args.force, progress=not args.quiet)
    print(format_world_summary(summary))
    return 0


def format_world_summary(summary: dict) -> str:
    """A short, human-readable table of a world.json."""
    lines = [f"Babel world (preset {summary['preset']}, seed {summary['seed']}, generator {summary['generator_version']})"]
    lines.append(f"  concepts: {summary['concepts']}   sentences: " + ", ".join(f"{k} {v}" for k, v in summary["sentences"].items()))
    n_spk = {k: len(v) for k, v in summary["speakers"].items()}
    lines.append("  speakers: " + ", ".join(f"{k} {v}" for k, v in n_spk.items()))
    unseen = "test-unseen-synth" in summary["hours"]
    lines.append(f"  {'lang':<6}{'train h':>9}{'dev h':>8}{'test h':>8}" + (f"{'unseen h':>10}" if unseen else "")
                 + f"{'vocab':>7}")
    for lang in summary["languages"]:
        h = [summary["hours"].get(s, {}).get(lang, 0.0) for s in ("train", "dev", "test", "test-unseen-synth")]
        lines.append(f"  {lang:<6}{h[0]:>9.3f}{h[1]:>8.3f}{h[2]:>8.3f}" + (f"{h[3]:>10.3f}" if unseen else "")
                     + f"{summary['vocabulary_size'][lang]:>7}")
    for family, f in summary.get("families", {}).items():
        hours = ", ".join(f"{k} {v:.2f} h" for k, v in f["hours"].items())
        voices = len({v for vs in f["voices"].values() for v in vs})
        lines.append(f"  {family:<7} {voices} voices, {' '.join(f['languages'])}: {hours}"
                     + ("  (held out of train and dev)" if f.get("held_out") else ""))
    render = summary.get("render", {})
    if render.get("rendered_this_run"):
        lines.append(f"  rendered {render['rendered_this_run']} files in {render['wall_seconds_this_run']:.1f} s "
                     f"({render.get('audio_seconds_per_wall_second', 0):.0f} audio s per wall s, {render['jobs']} jobs)")
    return "\n".join(lines)


def _intelligibility_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="Babel world folder")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, default=50, help="number of English utterances")
    p.add_argument("--out", help="write the per-utterance results to this JSON file")


def cmd_data_intelligibility(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.whisper import english_intelligibility

    result = english_intelligibility(Path(args.data), args.split, args.limit)
    print(f"Whisper tiny.en on {result['n']} English {args.split} utterances: "
          f"WER {100 * result['wer']:.1f}%  CER {100 * result['cer']:.1f}%  (normalisation: {result['normalisation']})")
    for family, rates in result["per_family"].items():
        print(f"  {family:<24} WER {100 * rates['wer']:5.1f}%  CER {100 * rates['cer']:5.1f}%  ({rates['n']} utterances)")
    for speaker, rates in result["per_speaker"].items():
        print(f"  {speaker:<24} WER {100 * rates['wer']:5.1f}%  CER {100 * rates['cer']:5.1f}%")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", choices=["fleurs", "covost2", "cvss"], help="what --source holds")
    p.add_argument("--source", required=True,
                   help="fleurs/covost2: a hub name, a local dataset folder or a save_to_disk folder; cvss: a pair "
                        "folder of the CVSS release (train.tsv, train/...)")
    p.add_argument("--config", help="dataset config (fleurs: fr_fr; covost2: fr_en)")
    p.add_argument("--lang", required=True, help="the (source) language: a Babel code (en fr es de it pt) or an English name")
    p.add_argument("--target-lang", help="covost2/cvss: the translation's language")
    p.add_argument("--common-voice", help="cvss: the source language's Common Voice folder (clips/, *.tsv)")
    p.add_argument("--variant", default="c", choices=["c", "t"], help="cvss: C (canonical voice) or T (source voice)")
    p.add_argument("--out", required=True, help="dataset folder to create or add to")
    p.add_argument("--splits", nargs="+", default=["train", "dev", "test"], help="splits to import")
    p.add_argument("--limit", type=int, help="at most this many rows per split (a quick look)")


def cmd_data_import(args: argparse.Namespace) -> int:
    from audiopalm.data import importers

    out, splits = Path(args.out), args.splits
    if args.corpus in ("covost2", "cvss") and not args.target_lang:
        raise AudiopalmError(f"{args.corpus} needs --target-lang")
    importers.check_out(out)
    if args.corpus == "fleurs":
        report = importers.import_fleurs(args.source, args.config, args.lang, out, splits, args.limit)
    elif args.corpus == "covost2":
        report = importers.import_covost2(args.source, args.config, args.lang, args.target_lang, out, splits, args.limit)
    else:
        if not args.common_voice:
            raise AudiopalmError("cvss needs --common-voice (the source language's Common Voice folder)")
        report = importers.import_cvss(Path(args.source), Path(args.common_voice), args.lang, args.target_lang, out,
                                       splits, args.variant, args.limit)
    rows = ", ".join(f"{split} {n}" for split, n in report.rows.items())
    print(f"{args.corpus} -> {out}: rows {rows}; {len(report.failures)} skipped")
    return 0


# --- audio tokenizer -------------------------------------------------------------------------
def _tokenizer_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="Babel (or any manifest) folder with train.jsonl")
    p.add_argument("--encoder", required=True, help="mfcc, ctc, or hf:<model id or local path>")
    p.add_argument("--out", required=True, help="tokenizer folder to write")
    p.add_argument("--codebook-size", type=int, default=1024, help="k-means clusters (tokens)")
    p.add_argument("--layer", type=int, help="encoder layer to quantize (ctc: 1-based; hf: hidden_states index)")
    p.add_argument("--max-frames", type=int, default=200_000, help="frames sampled for k-means")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ctc-preset", default="small", help="CTC encoder size: tiny or small")
    p.add_argument("--ctc-steps", type=int, default=3000, help="CTC encoder training steps")
    p.add_argument("--no-phonemes", action="store_true",
                   help="CTC on characters only (tokenizer v1); default: characters and IPA phonemes (v2)")
    p.add_argument("--no-augment", action="store_true",
                   help="train the CTC encoder on clean audio only (v1); default: speed, reverb, noise, "
                        "telephone, gain and vocal tract length perturbation")
    p.add_argument("--max-minutes", type=float, help="pause CTC training after this long (resume by re-running)")


def cmd_tokenizer_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.tokenizer import train_tokenizer
    from audiopalm.recipes.ctc import CtcTrainConfig

    ctc = CtcTrainConfig(preset=args.ctc_preset, steps=args.ctc_steps, seed=args.seed, phonemes=not args.no_phonemes,
                         augment=not args.no_augment)
    tok = train_tokenizer(Path(args.data), args.encoder, Path(args.out), args.codebook_size, args.layer,
                          args.max_frames, args.seed, ctc, args.max_minutes)
    if tok is None:
        print("CTC encoder training paused; run the same command again to resume")
        return 0
    print(f"tokenizer ({args.encoder}, {tok.codebook_size} tokens at 25 Hz) saved to {args.out}")
    return 0


def _codec_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="world (or any manifest) folder with train.jsonl and dev.jsonl")
    p.add_argument("--out", required=True, help="run folder: quantizer, checkpoints/, log.csv, codec/")
    p.add_argument("--preset", default="small", help="codec size: tiny or small")
    p.add_argument("--steps", type=int, default=4000, help="vocoder training steps")
    p.add_argument("--warmup", type=int, default=200, help="linear learning-rate warm-up steps")
    p.add_argument("--max-utterances", type=int, default=4000, help="train utterances held in memory")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")
    p.add_argument("--seed", type=int, default=0)


def cmd_codec_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.codec import CodecTrainConfig, train_codec

    cfg = CodecTrainConfig(preset=args.preset, steps=args.steps, warmup=args.warmup, max_utterances=args.max_utterances,
                           seed=args.seed)
    codec_dir = train_codec(Path(args.data), Path(args.out), cfg, args.max_minutes)
    print(f"codec saved to {codec_dir}" if codec_dir.exists() else "paused; run the same command again to resume")
    return 0


def _train_acoustic_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="world folder (manifests with speakers)")
    p.add_argument("--tokenizer", required=True, help="audio tokenizer folder (the semantic tokens)")
    p.add_argument("--codec", required=True, help="codec folder (audiopalm codec train) or a Hugging Face codec")
    p.add_argument("--out", required=True, help="run folder: codes, checkpoints/, log.csv, model/")
    p.add_argument("--preset", default="small", help="model size: tiny or small")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--coarse-bias", type=float, default=1.0,
                   help="train level q with probability ~ (q + 1) ** -BIAS; 0 is uniform (SoundStorm)")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")
    p.add_argument("--seed", type=int, default=0)


def cmd_train_acoustic(args: argparse.Namespace) -> int:
    from audiopalm.recipes.acoustic import AcousticTrainConfig, train_acoustic

    cfg = AcousticTrainConfig(preset=args.preset, steps=args.steps, lr=args.lr, coarse_bias=args.coarse_bias,
                              seed=args.seed)
    model_dir = train_acoustic(Path(args.data), Path(args.tokenizer), Path(args.codec), Path(args.out), cfg,
                               args.max_minutes)
    print(f"acoustic model saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


def _tokenize_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tokenizer", required=True, help="tokenizer folder")
    p.add_argument("--data", required=True, help="folder with {split}.jsonl manifests")
    p.add_argument("--out", help="output folder (default: DATA/tokens/<tokenizer folder name>)")
    p.add_argument("--splits", nargs="+", default=["train", "dev", "test"])
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel processes")
    p.add_argument("--shard-size", type=int, default=500, help="utterances per shard")
    p.add_argument("--quiet", action="store_true")


def cmd_tokenize(args: argparse.Namespace) -> int:
    from audiopalm.data.shards import tokenize_manifests

    out = Path(args.out) if args.out else Path(args.data) / "tokens" / Path(args.tokenizer).name
    index = tokenize_manifests(Path(args.tokenizer), Path(args.data), out, args.splits, args.jobs,
                               args.shard_size, progress=not args.quiet)
    for split in args.splits:
        print(f"{split}: {index['utterances'][split]} utterances, {index['tokens'][split]} tokens -> {out / split}")
    failed = [f for fs in index["failed"].values() for f in fs]
    if failed:
        print(f"{len(failed)} files failed:")
        for f in failed:
            print(f"  {f}")
    return 0


def _tokenizer_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tokenizer", required=True, help="tokenizer folder")
    p.add_argument("--data", required=True, help="world folder with train/test manifests")
    p.add_argument("--tokens", help="token shards (default: DATA/tokens/<tokenizer name>; made if missing)")
    p.add_argument("--probe-steps", type=int, default=1500, help="ASR probe training steps (the shared budget)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", help="write the report to this JSON file")


def cmd_tokenizer_eval(args: argparse.Namespace) -> int:
    from audiopalm.data.shards import tokenize_manifests
    from audiopalm.data.manifest import available_conditions
    from audiopalm.evaluation.tokenizer_quality import ProbeConfig, evaluate_tokenizer

    tok_dir, data = Path(args.tokenizer), Path(args.data)
    tokens = Path(args.tokens) if args.tokens else data / "tokens" / tok_dir.name
    tokenize_manifests(tok_dir, data, tokens, ["train", *available_conditions(data)], args.jobs, progress=True)
    report = evaluate_tokenizer(tok_dir, data, tokens, ProbeConfig(steps=args.probe_steps))
    print(f"{report['encoder']} tokenizer, {report['codebook_size']} codes")
    print(f"  {'condition':<18}{'probe WER':>10}{'probe CER':>10}{'enc. CER':>9}{'enc. PER':>9}{'spk dist':>9}")
    for name, c in report["conditions"].items():
        enc = c.get("encoder", {})
        cells = [100 * c["probe"]["wer"], 100 * c["probe"]["cer"], 100 * enc.get("cer", float("nan")),
                 100 * enc.get("per", float("nan"))]
        print(f"  {name:<18}" + "".join(f"{v:>9.1f}%" if i < 2 else f"{v:>8.1f}%" for i, v in enumerate(cells))
              + f"{c['invariance']['normalised_edit_distance']:>9.3f}")
    print(f"  usage:      perplexity {report['usage']['perplexity']:.0f}, {100 * report['usage']['used']:.0f}% of codes used")
    if report["cross_synth"]:
        print(f"  cross-synthesizer distance (same sentence, two families): "
              f"{report['cross_synth']['normalised_edit_distance']:.3f} ({report['cross_synth']['pairs']} pairs)")
    print(f"  speed:      real-time factor {report['real_time_factor']:.4f} ({1 / report['real_time_factor']:.0f}x real time, "
          f"{report['threads']} threads)")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


# --- the text LM ---------------------------------------------------------------------------------
def _pretrain_text_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="Babel world folder (its sentences.jsonl)")
    p.add_argument("--out", required=True, help="LM folder: model/, text_tokenizer/, checkpoints/, log.csv")
    p.add_argument("--preset", default="small", help="LM size: tiny, mini, base or small")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--batch-tokens", type=int, default=8192)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--text-vocab", type=int, default=4000, help="SentencePiece vocabulary size")
    p.add_argument("--extra-sentences", type=int, default=20_000, help="meanings beyond the world's train split")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")
    p.add_argument("--seed", type=int, default=0)


def cmd_pretrain_text(args: argparse.Namespace) -> int:
    from audiopalm.recipes.pretrain_text import PretrainTextConfig, pretrain_text
    from audiopalm.training.lm import LmTrainConfig

    cfg = PretrainTextConfig(args.preset, args.text_vocab, args.extra_sentences, seed=args.seed)
    train_cfg = LmTrainConfig(steps=args.steps, batch_tokens=args.batch_tokens, lr=args.lr, seed=args.seed)
    model_dir = pretrain_text(Path(args.data), Path(args.out), cfg, train_cfg, args.max_minutes)
    print(f"text LM saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


# --- the unified model -----------------------------------------------------------------------------
def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML config (see configs/)")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")


def cmd_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.finetune import finetune, load_config

    model_dir = finetune(load_config(Path(args.config)), args.max_minutes)
    print(f"model saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


def _sampling_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speech-temperature", type=float, default=0.8,
                   help="speech tokens are sampled at this temperature from the top k (0: greedy, which tends to "
                        "loop; --beams applies to speech only when greedy)")
    p.add_argument("--speech-top-k", type=int, default=50)
    p.add_argument("--speech-seed", type=int, default=0)


def _sampling(args: argparse.Namespace) -> Sampling | None:
    from audiopalm.generation.decode import Sampling

    return Sampling(args.speech_temperature, args.speech_top_k, args.speech_seed) if args.speech_temperature > 0 else None


def _speech_args(p: argparse.ArgumentParser, translate: bool) -> None:
    p.add_argument("file", help="audio file (wav, flac, ogg, mp3)")
    p.add_argument("--model", required=True, help="AudioPaLM folder")
    p.add_argument("--lang", help="spoken language (code such as fr, or English name); default: identified")
    if translate:
        p.add_argument("--to", required=True, help="target language")
        p.add_argument("--speech", metavar="OUT.wav", help="also write the spoken translation (S2ST) here")
        _sampling_args(p)
    p.add_argument("--beams", type=int, default=1)


def cmd_transcribe(args: argparse.Namespace) -> int:
    from audiopalm.models.audiopalm import AudioPaLM

    print(AudioPaLM.from_pretrained(args.model).transcribe(args.file, args.lang, args.beams))
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from audiopalm.models.audiopalm import AudioPaLM

    sampling = _sampling(args)
    model = AudioPaLM.from_pretrained(args.model)
    heard = model.listen(args.file)  # one tokenisation for the language, the text and the voice
    print(model.translate(heard, args.to, args.lang, args.beams))
    if args.speech:
        from audiopalm.audio.io import write_wav

        beams = args.beams if sampling is None else 1
        write_wav(Path(args.speech), model.translate_speech(heard, args.to, args.lang, beams, sampling=sampling))
        print(f"speech: {args.speech}")
    return 0


def _speak_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("text")
    p.add_argument("--model", required=True, help="AudioPaLM folder with a speech output stage")
    p.add_argument("--lang", required=True, help="language of the text (code such as fr, or English name)")
    p.add_argument("--voice", help="a recording whose first seconds give the voice")
    p.add_argument("-o", "--out", required=True, help="wav file to write")
    _sampling_args(p)


def cmd_speak(args: argparse.Namespace) -> int:
    from audiopalm.audio.io import write_wav
    from audiopalm.models.audiopalm import AudioPaLM

    sampling = _sampling(args)
    model = AudioPaLM.from_pretrained(args.model)
    write_wav(Path(args.out), model.speak(args.text, args.lang, args.voice, sampling))
    print(args.out)
    return 0


def _attach_speech_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="AudioPaLM folder to extend")
    p.add_argument("--codec", required=True, help="codec folder (audiopalm codec train) or a Hugging Face codec")
    p.add_argument("--acoustic", required=True, help="acoustic model folder (audiopalm train-acoustic)")


def cmd_attach_speech(args: argparse.Namespace) -> int:
    from audiopalm.audio.codecs import load_codec
    from audiopalm.models.soundstorm import SoundStorm
    from audiopalm.models.speech_out import SpeechOutput

    vocab = json.loads((Path(args.model) / "config.json").read_text())["vocab"]
    stage = SpeechOutput(load_codec(args.codec), SoundStorm.from_pretrained(args.acoustic))
    if stage.acoustic.cfg.semantic_size != vocab["audio_size"]:
        raise AudiopalmError(f"the acoustic model reads {stage.acoustic.cfg.semantic_size} semantic tokens, the model "
                             f"writes {vocab['audio_size']}")
    stage.save_pretrained(Path(args.model) / "speech_out")
    print(f"speech output stage written to {Path(args.model) / 'speech_out'}")
    return 0


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="AudioPaLM folder")
    p.add_argument("--text-lm", help="instead: a pretrain-text folder, scored on MT of the gold test text")
    p.add_argument("--data", required=True, help="world folder")
    p.add_argument("--per-language", type=int, default=50, help="test utterances per language (and per S2ST pair)")
    p.add_argument("--targets", nargs="*", default=["en"], help="AST/MT/S2ST target languages")
    p.add_argument("--pairs", nargs="+", default=[], metavar="SRC-TGT", help="more pairs, such as de-it")
    p.add_argument("--tasks", default="asr,ast,lid",
                   help=f"comma-separated, of {','.join(EVAL_TASKS)}; s2st and tts need a speech output stage and the "
                        "eval extra (Resemblyzer, DNSMOS, Whisper)")
    p.add_argument("--cascade", action="store_true",
                   help="also the cascade the model replaces: its ASR, then MT (and for s2st, then TTS)")
    p.add_argument("--no-lid", action="store_true", help="skip language identification")
    p.add_argument("--conditions", nargs="*", default=None,
                   help="test conditions scored side by side (default: every one the world has, of test, test-noisy, "
                        "test-unseen-synth); ASR, AST and LID on each, S2ST on test and test-noisy")
    p.add_argument("--rtf-utterances", type=int, default=10, help="s2st: utterances timed stage by stage")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", help="report folder: results.json, results.md and PNG plots")
    p.add_argument("--wavs", help="write the output waveforms under WAVS/s2st/SRC-TGT/ and WAVS/tts/LANG/ "
                                  "(other conditions under WAVS/CONDITION/)")
    _sampling_args(p)


EVAL_TASKS = ("asr", "ast", "mt", "lid", "s2st", "tts")


def _eval_speech(args: argparse.Namespace, tasks: set[str], condition: str = "test") -> dict:
    from audiopalm.data.languages import Languages
    from audiopalm.evaluation.speech import evaluate_speech
    from audiopalm.evaluation.unified import translation_pairs

    languages = Languages.of_dataset(Path(args.data)).codes
    pairs = [f"{s}-{t}" for s, t in translation_pairs(languages, tuple(args.targets), tuple(args.pairs))]
    wavs = Path(args.wavs) if args.wavs else None
    if wavs is not None and condition != "test":
        wavs = wavs / condition  # beside the test condition's waveforms, not over them
    return evaluate_speech(Path(args.model), Path(args.data), tuple(pairs) if "s2st" in tasks else (),
                           args.per_language, wavs, args.rtf_utterances,
                           jobs=args.jobs, tts=tuple(languages) if "tts" in tasks else (), cascade=args.cascade,
                           sampling=_sampling(args), condition=condition)


def _eval_conditions(args: argparse.Namespace, tasks: set[str]) -> dict:
    """ASR, AST and LID (and S2ST where a same-voice reference exists) on each test condition but `test`."""
    from audiopalm.data.manifest import CONDITIONS, available_conditions
    from audiopalm.evaluation.unified import evaluate_unified

    data = Path(args.data)
    wanted = available_conditions(data) if args.conditions is None else args.conditions
    if unknown := set(wanted) - set(CONDITIONS):
        raise AudiopalmError(f"unknown condition(s) {', '.join(sorted(unknown))}; choose from {', '.join(CONDITIONS)}")
    out = {}
    for condition in [c for c in wanted if c != "test"]:
        report = evaluate_unified(Path(args.model), data, args.per_language, tuple(args.targets), args.jobs,
                                  tuple(args.pairs), frozenset(tasks & {"asr", "ast", "lid"}), split=condition)
        if "s2st" in tasks and condition == "test-noisy":
            report.update(_eval_speech(args, {"s2st"}, condition))
        out[condition] = report
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.report import markdown, write_report
    from audiopalm.evaluation.unified import evaluate_text_mt, evaluate_unified

    started = time.time()
    if args.text_lm:
        report = {"mt": evaluate_text_mt(Path(args.text_lm), Path(args.data), args.per_language, tuple(args.targets),
                                          pairs=tuple(args.pairs))}
        report["meta"] = {"text LM": args.text_lm, "data": args.data}
    elif args.model:
        tasks = {t.strip().lower() for t in args.tasks.split(",") if t.strip()} - ({"lid"} if args.no_lid else set())
        if unknown := tasks - set(EVAL_TASKS):
            raise AudiopalmError(f"unknown evaluation task(s) {', '.join(sorted(unknown))}; "
                                 f"choose from {', '.join(EVAL_TASKS)}")
        report = evaluate_unified(Path(args.model), Path(args.data), args.per_language, tuple(args.targets), args.jobs,
                                  tuple(args.pairs), frozenset(tasks), args.cascade)
        if tasks & {"s2st", "tts"}:
            report.update(_eval_speech(args, tasks))
        report["conditions"] = _eval_conditions(args, tasks)
        report["meta"] = {"model": args.model, "data": args.data, "tasks": ",".join(sorted(tasks)),
                          "cascade": args.cascade, "utterances per language": args.per_language}
    else:
        raise AudiopalmError("give --model (an AudioPaLM folder) or --text-lm (a pretrain-text folder)")
    import torch

    report["meta"].update({"wall seconds": round(time.time() - started, 1), "threads": torch.get_num_threads(),
                           "machine": platform.processor() or platform.machine()})
    print(markdown(report))
    if args.out:
        written = write_report(report, Path(args.out))
        print(f"\nreport: {', '.join(str(p) for p in written)}")
    return 0


def _experiment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="experiment YAML (see configs/experiments/), run in order")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")


def cmd_experiment_run(args: argparse.Namespace) -> int:
    from audiopalm.recipes.experiment import load_experiment, run_experiment, summary_markdown

    configs = [load_experiment(Path(f)) for f in args.files]  # every file is checked before anything trains
    started = time.time()
    for cfg in configs:
        left = None if args.max_minutes is None else args.max_minutes - (time.time() - started) / 60
        summary = None if left is not None and left <= 0 else run_experiment(cfg, left)
        if summary is None:
            print("paused; run the same command again to resume")
            return 0
        print(summary_markdown(cfg, summary))
        print(f"summary: {Path(cfg.out) / 'summary.md'}, {Path(cfg.out) / 'summary.json'}")
    return 0


def _recipe_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="babel-small (the default bundle) or babel-tiny (seconds; a smoke run)")
    p.add_argument("--max-minutes", type=float, help="pause after this long (resume by re-running)")


def cmd_recipe_run(args: argparse.Namespace) -> int:
    from audiopalm.recipes.bundle import RECIPES, folder_megabytes, run_recipe

    if args.name not in RECIPES:
        raise AudiopalmError(f"unknown recipe {args.name!r}; choose from {', '.join(RECIPES)}")
    bundle = run_recipe(RECIPES[args.name], args.max_minutes)
    if bundle is None:
        print("paused; run the same command again to resume")
    else:
        print(f"bundle written to {bundle} ({folder_megabytes(bundle):.1f} MB); model card {bundle / 'MODEL_CARD.md'}")
    return 0


def _bench_args(p: argparse.ArgumentParser) -> None:
    from audiopalm.bench import SECTIONS

    p.add_argument("--model", default="models/babel-small", help="bundle for decoding, s2st and tokenizer")
    p.add_argument("--device", default="cpu", help="cpu or cuda (peak, training, decoding)")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of: {', '.join(SECTIONS)}")
    p.add_argument("--train-preset", default="base", help="LM preset of the training section")
    p.add_argument("--train-steps", type=int, default=5)
    p.add_argument("--out", help="also write the results to this JSON file")


def cmd_bench(args: argparse.Namespace) -> int:
    from audiopalm.bench import SECTIONS, BenchConfig, run_bench

    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    if unknown := [s for s in sections if s not in SECTIONS]:
        raise AudiopalmError(f"unknown bench section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if {"decoding", "s2st", "tokenizer"} & set(sections) and not (Path(args.model) / "config.json").exists():
        raise AudiopalmError(f"no model bundle at {args.model} (needed by decoding, s2st and tokenizer): build one "
                             "with `audiopalm recipe run babel-small`, or run --sections peak,training")
    results = run_bench(BenchConfig(Path(args.model), args.device, sections, args.train_preset, args.train_steps))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2))
        print(f"results written to {args.out}")
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="models/babel-small", help="bundle (default: the shipped babel-small)")
    p.add_argument("--out", default="runs/demo", help="working folder: clips/ and s2st/ wavs")
    p.add_argument("--seed", type=int, default=2024, help="which new sentences the clips say")


def cmd_demo(args: argparse.Namespace) -> int:
    from audiopalm.demo import run_demo

    if (Path(args.model) / "config.json").exists():
        run_demo(Path(args.model), Path(args.out), args.seed)
        return 0
    # No bundle: show the world it would be trained on, and say how to build one.
    from audiopalm.data.babel.synth import synth
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.data.babel.world import preset_config

    print(f"no model bundle at {args.model}: build one with `audiopalm recipe run babel-small` "
          "(resumable), then run `audiopalm demo` again. Meanwhile, the synthetic world it learns from:\n")
    world_dir = Path(args.out) / "babel-tiny"
    summary = synth(world_dir, preset_config("tiny"), jobs=os.cpu_count() or 1, progress=False)
    print(format_world_summary(summary))
    print("\nOne meaning in every language (test split, held-out speakers):")
    rows = read_jsonl(world_dir / "test.jsonl")
    first = rows[0]["sentence_id"]
    for r in rows:
        if r["sentence_id"] == first and r["speaker"] == rows[0]["speaker"]:
            print(f"  {r['lang']}  {r['text']:<70} {world_dir / r['audio']}")
    return 0


Command = tuple[Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None], str]
COMMANDS: dict[str, Command | dict[str, Command]] = {
    "data": {
        "synth": (cmd_data_synth, _synth_args, "build a Babel synthetic speech world"),
        "intelligibility": (cmd_data_intelligibility, _intelligibility_args,
                            "WER of Whisper tiny.en on English utterances of a world"),
        "import": (cmd_data_import, _import_args, "add FLEURS, CoVoST 2 or CVSS to a dataset folder"),
    },
    "tokenizer": {
        "train": (cmd_tokenizer_train, _tokenizer_train_args, "fit an audio tokenizer (encoder + k-means)"),
        "eval": (cmd_tokenizer_eval, _tokenizer_eval_args, "probe WER, codebook usage, speaker invariance, speed"),
    },
    "tokenize": (cmd_tokenize, _tokenize_args, "tokenize manifests into reusable shards"),
    "codec": {
        "train": (cmd_codec_train, _codec_train_args, "train the built-in acoustic codec (mel RVQ + vocoder)"),
    },
    "pretrain-text": (cmd_pretrain_text, _pretrain_text_args, "pretrain the text LM on a world's text (PaLM-2's role)"),
    "train": (cmd_train, _train_args, "finetune AudioPaLM on the multitask mixture"),
    "train-acoustic": (cmd_train_acoustic, _train_acoustic_args,
                       "train the SoundStorm-style acoustic model (semantic tokens + voice prompt -> codec codes)"),
    "transcribe": (cmd_transcribe, lambda p: _speech_args(p, translate=False), "speech -> text (ASR)"),
    "translate": (cmd_translate, lambda p: _speech_args(p, translate=True), "speech -> text in another language (AST)"),
    "speak": (cmd_speak, _speak_args, "text -> speech (TTS), optionally in the voice of a recording"),
    "attach-speech": (cmd_attach_speech, _attach_speech_args, "add a codec + acoustic model to an AudioPaLM folder"),
    "eval": (cmd_eval, _eval_args, "ASR WER, AST BLEU, LID, S2ST (ASR-BLEU, voice, DNSMOS, RTF) on a test split"),
    "recipe": {
        "run": (cmd_recipe_run, _recipe_args, "build a model bundle from nothing: world, tokenizer, LM, speech, eval"),
    },
    "experiment": {
        "run": (cmd_experiment_run, _experiment_args, "train and evaluate a grid of configs x seeds; mean and std"),
    },
    "demo": (cmd_demo, _demo_args, "run the main job on the embedded default"),
    "bench": (cmd_bench, _bench_args, "speed as ratios: MFU, decoding vs HF generate, S2ST and tokenizer RTF"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audiopalm", description="A speech-text language model that listens and speaks.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, entry in COMMANDS.items():
        if isinstance(entry, dict):
            group = sub.add_parser(name, help=f"{name} commands").add_subparsers(dest="subcommand", required=True)
            for sub_name, (fn, add_args, help_) in entry.items():
                p = group.add_parser(sub_name, help=help_)
                add_args(p)
                p.set_defaults(func=fn)
        else:
            fn, add_args, help_ = entry
            p = sub.add_parser(name, help=help_)
            add_args(p)
            p.set_defaults(func=fn)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AudiopalmError as e:
        print(f"audiopalm: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("audiopalm: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
