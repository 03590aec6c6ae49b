"""The `audiopalm` command line: one table from command names to functions.

Each command is `name -> (function, add_arguments, help)`; groups (`data ...`) are nested tables. A
command's arguments are its config dataclass's fields (config.py): flags, or `--config file.yaml` and
KEY=VALUE overrides; the function builds the config, calls the library and prints the result.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from audiopalm.config import add_arguments, add_config_file_arguments, from_args
from audiopalm.errors import AudiopalmError, first_line


# --- data ------------------------------------------------------------------------------------
def cmd_data_synth(args: argparse.Namespace) -> int:
    from audiopalm.data.babel.synth import SynthConfig, run, summary_text

    print(summary_text(run(from_args(SynthConfig, args))))
    return 0


def cmd_data_intelligibility(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.whisper import IntelligibilityConfig, intelligibility_text, run

    print(intelligibility_text(run(from_args(IntelligibilityConfig, args))))
    return 0


def cmd_data_import(args: argparse.Namespace) -> int:
    from audiopalm.data.importers import ImportConfig, run

    print(run(from_args(ImportConfig, args)))
    return 0


# --- audio tokenizer -------------------------------------------------------------------------
def cmd_tokenizer_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.tokenizer import TokenizerStage, run

    cfg = from_args(TokenizerStage, args)
    tok = run(cfg)
    if tok is None:
        print("CTC encoder training paused; run the same command again to resume")
        return 0
    print(f"tokenizer ({cfg.encoder}, {tok.codebook_size} tokens at 25 Hz) saved to {cfg.out}")
    return 0


def cmd_codec_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.codec import CodecStage, run

    codec_dir = run(from_args(CodecStage, args))
    print(f"codec saved to {codec_dir}" if codec_dir.exists() else "paused; run the same command again to resume")
    return 0


def cmd_train_acoustic(args: argparse.Namespace) -> int:
    from audiopalm.recipes.acoustic import AcousticStage, run

    model_dir = run(from_args(AcousticStage, args))
    print(f"acoustic model saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


def cmd_train_units(args: argparse.Namespace) -> int:
    from audiopalm.recipes.units import UnitsStage, run

    model_dir = run(from_args(UnitsStage, args))
    print(f"text-to-unit model saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    from audiopalm.data.shards import TokenizeConfig, run, tokenize_text

    print(tokenize_text(run(from_args(TokenizeConfig, args))))
    return 0


def cmd_tokenizer_eval(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.tokenizer_quality import TokenizerEvalConfig, report_text, run

    print(report_text(run(from_args(TokenizerEvalConfig, args))))
    return 0


# --- the text LM ---------------------------------------------------------------------------------
def cmd_pretrain_text(args: argparse.Namespace) -> int:
    from audiopalm.recipes.pretrain_text import PretrainTextStage, run

    model_dir = run(from_args(PretrainTextStage, args))
    print(f"text LM saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


# --- the unified model -----------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    from audiopalm.recipes.finetune import FinetuneConfig, run

    model_dir = run(from_args(FinetuneConfig, args))
    print(f"model saved to {model_dir}" if model_dir.exists() else "paused; run the same command again to resume")
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    from audiopalm.inference import TranscribeConfig, run_transcribe

    print(run_transcribe(from_args(TranscribeConfig, args)))
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from audiopalm.inference import TranslateConfig, run_translate

    print(run_translate(from_args(TranslateConfig, args)))
    return 0


def cmd_speak(args: argparse.Namespace) -> int:
    from audiopalm.inference import SpeakConfig, run_speak

    print(run_speak(from_args(SpeakConfig, args)))
    return 0


def cmd_attach_speech(args: argparse.Namespace) -> int:
    from audiopalm.models.speech_out import AttachConfig, attach

    print(f"speech output stage written to {attach(from_args(AttachConfig, args))}")
    return 0


def cmd_attach_listener(args: argparse.Namespace) -> int:
    from audiopalm.models.listener import AttachListenerConfig, attach_listener

    print(f"listener written to {attach_listener(from_args(AttachListenerConfig, args))}; its CTC weights are "
          "chosen by `audiopalm tune-ctc`")
    return 0


def cmd_attach_words(args: argparse.Namespace) -> int:
    from audiopalm.recipes.words import AttachWordsConfig, attach_words

    print(f"word models written to {attach_words(from_args(AttachWordsConfig, args))}")
    return 0


def cmd_train_question_head(args: argparse.Namespace) -> int:
    from audiopalm.recipes.question import QuestionHeadStage, run

    print(run(from_args(QuestionHeadStage, args)))
    return 0


def cmd_tune_ctc(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.decoding import TuneCtcConfig, run

    print(run(from_args(TuneCtcConfig, args)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from audiopalm.evaluation.report import markdown, write_report
    from audiopalm.evaluation.suite import EvalConfig, run

    cfg = from_args(EvalConfig, args)
    report = run(cfg)
    print(markdown(report))
    if cfg.out:
        print(f"\nreport: {', '.join(str(p) for p in write_report(report, Path(cfg.out)))}")
    return 0


def cmd_experiment_run(args: argparse.Namespace) -> int:
    from audiopalm.recipes.experiment import ExperimentRunConfig, run

    run(from_args(ExperimentRunConfig, args))
    return 0


def cmd_recipe_run(args: argparse.Namespace) -> int:
    from audiopalm.recipes.bundle import RecipeRunConfig, run

    print(run(from_args(RecipeRunConfig, args)))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from audiopalm.bench import BenchConfig, run

    run(from_args(BenchConfig, args))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from audiopalm.serve import ServeConfig, run

    run(from_args(ServeConfig, args))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from audiopalm.demo import DemoConfig, run

    run(from_args(DemoConfig, args))
    return 0


def _config(spec: str, positional: tuple[str, ...] = ()) -> Callable[[argparse.ArgumentParser], None]:
    """Flags of a stage's config dataclass ("module:Class"), imported only when that command runs;
    `positional` fields are plain arguments."""

    def add(p: argparse.ArgumentParser) -> None:
        import importlib

        module, name = spec.split(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError as e:  # an optional dependency of this command
            sys.exit(f"audiopalm: error: this command needs {e.name}: pip install 'audiopalm[all]'")
        add_arguments(p, cls, positional)
        if not positional:  # a trailing KEY=VALUE list would swallow a positional argument
            add_config_file_arguments(p)

    return add


Command = tuple[Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None], str]
COMMANDS: dict[str, Command | dict[str, Command]] = {
    "data": {
        "synth": (cmd_data_synth, _config("audiopalm.data.babel.synth:SynthConfig"), "build a Babel synthetic speech world"),
        "intelligibility": (cmd_data_intelligibility, _config("audiopalm.evaluation.whisper:IntelligibilityConfig"),
                            "WER of Whisper tiny.en on English utterances of a world"),
        "import": (cmd_data_import, _config("audiopalm.data.importers:ImportConfig", ("corpus",)), "add FLEURS, CoVoST 2 or CVSS to a dataset folder"),
    },
    "tokenizer": {
        "train": (cmd_tokenizer_train, _config("audiopalm.recipes.tokenizer:TokenizerStage"),
                  "fit an audio tokenizer (encoder + k-means)"),
        "eval": (cmd_tokenizer_eval, _config("audiopalm.evaluation.tokenizer_quality:TokenizerEvalConfig"),
                 "probe WER, codebook usage, speaker invariance, speed"),
    },
    "tokenize": (cmd_tokenize, _config("audiopalm.data.shards:TokenizeConfig"), "tokenize manifests into reusable shards"),
    "codec": {
        "train": (cmd_codec_train, _config("audiopalm.recipes.codec:CodecStage"),
                  "train the built-in acoustic codec (mel RVQ + vocoder)"),
    },
    "pretrain-text": (cmd_pretrain_text, _config("audiopalm.recipes.pretrain_text:PretrainTextStage"),
                      "pretrain the text LM on a world's text (PaLM-2's role)"),
    "train": (cmd_train, _config("audiopalm.recipes.finetune:FinetuneConfig"),
              "finetune AudioPaLM on the multitask mixture (--config file.yaml, KEY=VALUE overrides)"),
    "train-acoustic": (cmd_train_acoustic, _config("audiopalm.recipes.acoustic:AcousticStage"),
                       "train the acoustic model (semantic tokens + voice prompt -> codec codes or mel frames)"),
    "train-units": (cmd_train_units, _config("audiopalm.recipes.units:UnitsStage"),
                    "train the text-to-unit model (a text's phonemes + voice prompt -> semantic tokens)"),
    "transcribe": (cmd_transcribe, _config("audiopalm.inference:TranscribeConfig", ("file",)), "speech -> text (ASR)"),
    "translate": (cmd_translate, _config("audiopalm.inference:TranslateConfig", ("file",)),
                  "speech -> text in another language (AST), optionally spoken (S2ST)"),
    "speak": (cmd_speak, _config("audiopalm.inference:SpeakConfig", ("text",)),
              "text -> speech (TTS), optionally in the voice of a recording"),
    "attach-speech": (cmd_attach_speech, _config("audiopalm.models.speech_out:AttachConfig"),
                      "add a codec + acoustic model to an AudioPaLM folder"),
    "eval": (cmd_eval, _config("audiopalm.evaluation.suite:EvalConfig"), "ASR WER, AST BLEU, LID, S2ST (ASR-BLEU, voice, DNSMOS, RTF) on a test split"),
    "attach-listener": (cmd_attach_listener, _config("audiopalm.models.listener:AttachListenerConfig"),
                        "add a CTC encoder whose character head reads recordings (joint decoding, LID)"),
    "attach-words": (cmd_attach_words, _config("audiopalm.recipes.words:AttachWordsConfig"),
                     "add word models of a model's languages (the head's spelling reads words it knows)"),
    "train-question-head": (cmd_train_question_head, _config("audiopalm.recipes.question:QuestionHeadStage"),
                            "teach a model to hear a question from its intonation (a head on its CTC encoder)"),
    "tune-ctc": (cmd_tune_ctc, _config("audiopalm.evaluation.decoding:TuneCtcConfig"),
                 "choose the CTC head's weight in each language's transcripts on dev speakers"),
    "recipe": {
        "run": (cmd_recipe_run, _config("audiopalm.recipes.bundle:RecipeRunConfig", ("name",)), "build a model bundle from nothing: world, tokenizer, LM, speech, eval"),
    },
    "experiment": {
        "run": (cmd_experiment_run, _config("audiopalm.recipes.experiment:ExperimentRunConfig", ("files",)), "train and evaluate a grid of configs x seeds; mean and std"),
    },
    "serve": (cmd_serve, _config("audiopalm.serve:ServeConfig"), "an HTTP API (OpenAI's audio endpoints) for one model"),
    "demo": (cmd_demo, _config("audiopalm.demo:DemoConfig"), "run the main job on the embedded default"),
    "bench": (cmd_bench, _config("audiopalm.bench:BenchConfig"), "speed as ratios: MFU, decoding vs HF generate, S2ST and tokenizer RTF"),
}


class Parser(argparse.ArgumentParser):
    """argparse with the toolkit's one error line (no usage block; `--help` shows the usage)."""

    def error(self, message: str):
        print(f"audiopalm: error: {self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Every command, with the arguments of the one `argv` names (the others' are not built: some
    import a recipe to read its config)."""
    parser = Parser(prog="audiopalm", description="A speech-text language model that listens and speaks.")
    sub = parser.add_subparsers(dest="command", required=True)
    words = [a for a in argv if not a.startswith("-")][:2]
    for name, entry in COMMANDS.items():
        if isinstance(entry, dict):
            group = sub.add_parser(name, help=f"{name} commands").add_subparsers(dest="subcommand", required=True)
            for sub_name, (fn, add_args, help_) in entry.items():
                p = group.add_parser(sub_name, help=help_)
                if words == [name, sub_name]:
                    add_args(p)
                p.set_defaults(func=fn)
        else:
            fn, add_args, help_ = entry
            p = sub.add_parser(name, help=help_)
            if words[:1] == [name]:
                add_args(p)
            p.set_defaults(func=fn)
    return parser


# commands that keep their progress (checkpoints, finished shards or recordings) when interrupted
RESUMABLE = {cmd_data_synth, cmd_tokenizer_train, cmd_codec_train, cmd_train_acoustic, cmd_train_units, cmd_tokenize,
             cmd_pretrain_text, cmd_train, cmd_experiment_run, cmd_recipe_run}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' per-load "Loading weights" bars
    debug = os.environ.get("AUDIOPALM_DEBUG", "") not in ("", "0")
    try:
        return args.func(args)
    except AudiopalmError as e:
        if debug:
            raise
        print(f"audiopalm: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # what the machine refused: a read-only or full folder, a missing file, no permission
        if debug:
            raise
        where = f"{e.filename}: " if e.filename else ""
        print(f"audiopalm: error: {where}{e.strerror or first_line(e)} (AUDIOPALM_DEBUG=1 shows where)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("audiopalm: interrupted" + ("; run the same command again to resume from the last checkpoint"
                                          if args.func in RESUMABLE else ""), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
