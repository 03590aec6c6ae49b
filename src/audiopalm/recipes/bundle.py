"""Recipe: the default bundle, every stage from nothing (`audiopalm recipe run babel-small`, resumable).

    world      the Babel world (synthetic speech: espeak-ng, MBROLA, Flite, Festival, Pico voices)
    tokenizer  CTC encoder + k-means audio tokenizer
    listener   a second CTC encoder, read for its character head alone (none when listener_freeze_layers is None)
    listener_50hz  the listener trained on with its character head at 50 Hz, for fast speech (none when
               listener_50hz_steps is 0)
    listener_voices  that one trained on again, a fresh schedule, on the world's train with its second voices
               (generator 2.2: Festival's Spanish and Italian); none when listener_voices_steps is 0
    codec      the built-in mel codec (residual k-means + vocoder)
    acoustic   the acoustic model: SoundStorm-style codes, or unit-to-mel frames (`acoustic_model`)
    units      the text-to-unit model, aligned by the tokenizer's phoneme head (none when units_steps is 0)
    acoustic_units  the acoustic model trained on, as well, the tokens the text-to-unit model writes for each
               training text (what it renders when the model speaks text); none when units_acoustic_steps is 0
    text_lm    the text LM pretrained on the world's text (PaLM-2's role)
    audiopalm  multitask finetuning from the text LM (none when finetune_steps is 0)
    next_world a larger world (`next_data`, medium: small's audio linked, 4x its training sentences)
    audiopalm_next  finetuning on it, from the model above (or from the text LM)
    audiopalm_long  finetuning on, on data, with speech of several sentences at once among the examples (groups of
               2-3 sentences of one speaker, `long_joined` per utterance); none when long_steps is 0
    speech     the speech output stage attached to the model
    decoding   the listener and word models (of the text LM's corpus) attached to the model, then the CTC head's
               weight per language chosen on dev speakers
    export     BUNDLE: the model folder with every weight in fp16
    eval       ASR, AST, MT, LID and S2ST of BUNDLE on the test split, beside the cascade, and of speech of several
               sentences (WORK/eval/),
               so the model card's numbers are those of the shipped fp16 weights
    card       BUNDLE/MODEL_CARD.md

Each stage is a library call with its typed config (the equivalent command takes the same settings as
flags), skipped when its output exists (the speech stage: when it holds the parts the recipe names; the eval:
when it is newer than the model it measured); a stage cut short by --max-minutes resumes from its last
checkpoint when the recipe runs again. Wall time per stage (summed over resumed parts; the speech and eval
stages, which start over when run again, their last run; written every minute while it runs, so a killed run
keeps all but its last minute) goes to WORK/stages.json and into the model card.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors.torch import load_file, save_file

from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError

if TYPE_CHECKING:
    from audiopalm.models.speech_out import AttachConfig


# The finetuning mixture of the default bundle: the default one (data/multitask.py), but half of the S2ST examples
# through the combined task (transcript, translation, then speech) and LID at 0.25 (German clips were taken for
# other languages at 0.1; LID examples are short)
BUNDLE_MIXTURE = {"ASR": 1.0, "AST": 1.0, "S2ST": 0.25, "ASR AST S2ST": 0.25, "TTS": 0.25, "MT": 0.25,
                  "ASR AST": 0.5, "LID": 0.25}


@dataclass
class BundleRecipe:
    name: str = "babel-small"
    data: str = "data/babel-small"  # world folder
    world_preset: str = "small"
    work: str = "runs/babel-small"  # every stage's run folder
    bundle: str = "models/babel-small"  # the exported model folder
    ctc_steps: int = 2000  # CTC encoder training steps (120 s of audio each)
    ctc_init: str | None = "whisper-tiny.en"  # start the CTC encoder from a Whisper encoder (tokenizer v3; None: v2)
    ctc_lr: float = 5e-4  # CTC peak learning rate
    ctc_freeze_layers: int = 0  # pretrained front end and first N layers kept fixed (tokenizer v3.1: 2)
    ctc_dropout: float | None = 0.0  # dropout while the tokenizer's and the listener's encoders train: none trains
    # 1.34x faster on 2 cores and reached a lower dev CER in 600 steps (20.4 -> 16.3%, docs/tokenizers.md); None:
    # the encoder's own 0.1, with which the shipped bundle's encoders were trained
    listener_freeze_layers: int | None = 2  # a second CTC encoder, read for its character head alone (joint
    # decoding, LID; models/listener.py), trained as the tokenizer's with this many layers fixed; None: no listener
    listener_50hz_steps: int = 300  # steps more of the listener with a 50 Hz character head (char_rate 2): at 25 Hz
    # it spells at most 25 characters a second, which fast voices exceed; 0: none
    listener_50hz_lr: float = 2e-4
    listener_voices_steps: int = 300  # steps more of the 50 Hz listener, its settings and a fresh schedule, on data's
    # train with its second voices (unseen-synthesizer WER 23.3 -> 18.7%, LID 92.6 -> 95.0; docs/model.md); 0: none
    question_per_language: int | None = 2000  # train utterances per language a question head (models/question.py)
    # learns from, reading the listener's (else the tokenizer encoder's) layer 2; None: no question head
    codec_steps: int = 3000  # vocoder steps (16 crops of 0.8 s)
    acoustic_model: str = "mel_decoder"  # unit-to-mel (models/mel_decoder.py) or soundstorm (codec codes)
    acoustic_steps: int = 1000  # acoustic model steps
    acoustic_batch_frames: int = 9000  # codec frames per acoustic batch, prompts included
    acoustic_lr: float = 2e-3
    acoustic_warmup: int = 100
    acoustic_preset: str = "small"
    units_steps: int = 2000  # text-to-unit model steps (0: none; spoken output then comes from the LM's speech tokens)
    units_preset: str = "small"
    units_dropout: float | None = 0.0  # dropout while the text-to-unit model trains: none, 1.42x faster steps, dev
    # token accuracy 53.2% at 2 000 steps (the shipped model's at 0.1: 53.1%), Whisper WER of its English through the
    # bundle's acoustic model 34.7% (34.9%; docs/model.md); None: the preset's 0.1, with which the shipped one trained
    units_acoustic_steps: int = 6400  # acoustic steps more, on the text-to-unit model's tokens too (0: none)
    units_acoustic_lr: float = 1e-3
    codec_preset: str = "small"
    lm_preset: str = "base"
    lm_steps: int = 1500  # text LM steps of 8 192 tokens
    lm_lr: float = 1.5e-3
    finetune_steps: int = 0  # multitask steps of 8 192 tokens on data (0 with next_data: finetune on that world only)
    finetune_eval_every: int | None = 425  # dev evaluations every N steps (None: three in all)
    mixture: dict[str, float] | None = field(default_factory=lambda: dict(BUNDLE_MIXTURE))  # None: the default
    next_data: str | None = "data/babel-medium"  # a larger world whose train split extends data's (None: none)
    next_preset: str = "medium"  # that world's preset
    next_version: str | None = "2.1"  # its generator version (None: the latest): 2.1, the speech the bundle's
    # finetuning heard (2.2's second voices would add 12 h of Festival's Spanish and Italian to medium's 50)
    next_finetune_steps: int = 3400  # multitask steps on it, from the model finetuned on data (or the text LM)
    long_steps: int = 600  # multitask steps more on data with multi-sentence examples, from the model above (0: none;
    # docs/model.md "Speech of several sentences")
    long_joined: float = 0.3  # multi-sentence groups per utterance in those steps (data/multitask.py: join_groups)
    long_lr: float = 5e-4
    tune_per_language: int = 100  # dev utterances per language the CTC head's weights are chosen on
    eval_per_language: int = 10  # test utterances per language (and per S2ST pair)
    eval_pairs: tuple[str, ...] = ("de-it",)  # besides every language into English (de-it: zero-shot)
    eval_tasks: str = "asr,ast,mt,lid,s2st,long"
    eval_cascade: bool = True  # also ASR -> MT (-> TTS) by the same model
    jobs: int = 2


RECIPES = {
    # the shipped bundle: tokenizer v3 (the CTC encoder started from Whisper tiny.en's encoder), the text LM at
    # 1 500 steps on small's text, then 3 400 finetuning steps on medium (small's audio linked, 4x its training
    # sentences) straight from it, the unit-to-mel acoustic model, and a text-to-unit model that speaks the text the
    # model writes; sized for cores without native bf16, where everything trains in float32
    "babel-small": BundleRecipe(),
    # the recipe of the bundle before it (whose run was seeded with an older tokenizer v1, docs/model.md): tokenizer
    # v2 (trained from nothing), an 800-step text LM, a curriculum (1 700 finetuning steps on small, then 1 200 on
    # medium) and the default mixture
    "babel-small-curriculum": BundleRecipe(name="babel-small-curriculum", work="runs/babel-small-curriculum",
                                           bundle="models/babel-small-curriculum", ctc_init=None, ctc_lr=2e-3,
                                           lm_steps=800, finetune_steps=1700, finetune_eval_every=None, mixture=None,
                                           next_finetune_steps=1200, units_steps=0, listener_freeze_layers=None,
                                           question_per_language=None, long_steps=0, ctc_dropout=None,
                                           units_dropout=None),
    # the next bundle's recipe: the default with tokenizer v3.1 (Whisper's front end and first two layers kept fixed
    # while the CTC encoder trains: unseen-synthesizer encoder CER 37.9 -> 28.6%, docs/tokenizers.md) and a
    # text-to-unit model that speaks the text the model writes (docs/speech.md)
    "babel-small-v31": BundleRecipe(name="babel-small-v31", work="runs/babel-small-v31", bundle="models/babel-small-v31",
                                    ctc_freeze_layers=2, listener_freeze_layers=None, question_per_language=None,
                                    ctc_dropout=None, units_dropout=None),
    # the same stages in seconds, on a tiny world (tests, smoke runs)
    "babel-tiny": BundleRecipe(name="babel-tiny", data="data/babel-tiny", world_preset="tiny", work="runs/babel-tiny",
                               bundle="runs/babel-tiny/bundle", ctc_steps=4, ctc_init=None, codec_steps=4,
                               acoustic_steps=4, acoustic_preset="tiny", codec_preset="tiny", units_steps=4,
                               units_acoustic_steps=2, listener_freeze_layers=0, listener_50hz_steps=0,
                               question_per_language=20,
                               units_preset="tiny", lm_preset="tiny",
                               lm_steps=4, finetune_steps=4, finetune_eval_every=None, long_steps=2,
                               tune_per_language=1,
                               eval_per_language=1,
                               eval_pairs=("de-it",), eval_tasks="asr,ast,lid", eval_cascade=False, next_data=None,
                               jobs=1),
}


@dataclass
class Stage:
    name: str
    done: Path  # the file that marks it done
    run: Callable[[float | None], object]  # minutes left (None: no limit) -> runs or resumes the stage
    command: str  # what it runs, with its config (printed)
    feeds: str | None = None  # the one stage that reads its output: not needed once that stage is done
    complete: Callable[[Path], bool] = Path.exists  # whether `done` marks a whole output
    resumes: bool = True  # run again, it goes on from its checkpoints (its clock adds up); else it starts over

    def finished(self) -> bool:
        return self.complete(self.done)


def world_complete(path: Path) -> bool:
    """Whether PATH (a world.json) marks a finished world: synthesis writes it first as "rendering", so a
    world whose rendering was cut short is made again (resuming: rendered files are kept)."""
    try:
        return json.loads(path.read_text()).get("status") != "rendering"
    except (OSError, ValueError, AttributeError):
        return False


def same_weights(a: Path, b: Path) -> bool:
    """Whether two safetensors files hold the same tensors, compared as float32 (fp16 weights saved again from a
    float32 model still match their source)."""
    x, y = load_file(str(a)), load_file(str(b))
    return x.keys() == y.keys() and all(torch.equal(x[k].float(), y[k].float()) for k in x)


def speech_attached(cfg: AttachConfig) -> bool:
    """Whether MODEL/speech_out holds the parts an AttachConfig names: a part trained again since (a new
    acoustic model, a new vocoder) makes the speech stage attach again. Parts named by a hub id are not compared."""
    out = Path(cfg.model) / "speech_out"
    parts = {"codec": cfg.codec, "acoustic": cfg.acoustic, **({"units": cfg.units} if cfg.units else {})}
    for name, source in parts.items():
        mine, theirs = out / name / "model.safetensors", Path(source) / "model.safetensors"
        if not mine.exists() or (theirs.exists() and not same_weights(mine, theirs)):
            return False
    return True


def newer_than(path: Path, folder: Path) -> bool:
    """Whether PATH exists and was written after every file under FOLDER (an evaluation of what FOLDER holds)."""
    files = [f.stat().st_mtime for f in folder.rglob("*") if f.is_file()]
    return path.exists() and path.stat().st_mtime >= max(files, default=0.0)


def stages(r: BundleRecipe) -> list[Stage]:
    """Every stage in order, each a library call with its typed config."""
    from audiopalm.data.babel.synth import SynthConfig
    from audiopalm.data.babel.synth import run as run_synth
    from audiopalm.evaluation.decoding import TuneCtcConfig
    from audiopalm.evaluation.decoding import run as run_tune_ctc
    from audiopalm.evaluation.suite import EvalConfig
    from audiopalm.evaluation.suite import run as run_eval
    from audiopalm.models.audiopalm import WORDS
    from audiopalm.models.listener import LISTENER, AttachListenerConfig, attach_listener
    from audiopalm.models.question import QUESTION_HEAD
    from audiopalm.models.speech_out import AttachConfig, attach
    from audiopalm.recipes import acoustic, codec, pretrain_text, tokenizer
    from audiopalm.recipes.ctc import CtcTrainConfig, train_ctc_encoder
    from audiopalm.recipes.finetune import FinetuneConfig
    from audiopalm.recipes.finetune import run as run_finetune
    from audiopalm.recipes.question import QuestionHeadStage
    from audiopalm.recipes.question import run as run_question_head
    from audiopalm.recipes.units import UnitsStage, UnitsTrainConfig
    from audiopalm.recipes.units import run as run_units
    from audiopalm.recipes.words import AttachWordsConfig, attach_words
    from audiopalm.training.lm import LmTrainConfig

    work = Path(r.work)
    model = work / "audiopalm" / "model"
    final = final_model(r)
    tiny = r.world_preset == "tiny"
    tok = tokenizer.TokenizerStage(r.data, "ctc", str(work / "tok-ctc"), codebook_size=16 if tiny else 1024,
                                   ctc=CtcTrainConfig(preset="tiny" if tiny else "small", init=r.ctc_init,
                                                      freeze_layers=r.ctc_freeze_layers,
                                                      steps=r.ctc_steps, lr=r.ctc_lr, dropout=r.ctc_dropout))
    codec_cfg = codec.CodecStage(r.data, str(work / "codec"), codec.CodecTrainConfig(preset=r.codec_preset, steps=r.codec_steps))
    acoustic_cfg = acoustic.AcousticStage(r.data, tok.out, str(work / "codec" / "codec"), str(work / "acoustic"),
                                          acoustic.AcousticTrainConfig(
                                              model=r.acoustic_model, preset=r.acoustic_preset, steps=r.acoustic_steps,
                                              batch_frames=r.acoustic_batch_frames, lr=r.acoustic_lr,
                                              warmup=r.acoustic_warmup))
    units_cfg = UnitsStage(r.data, tok.out, str(work / "units"),
                           UnitsTrainConfig(preset=r.units_preset, steps=r.units_steps, dropout=r.units_dropout))
    speaks_units = bool(r.units_steps and r.units_acoustic_steps)  # an acoustic model that has rendered them
    units_acoustic_cfg = replace(acoustic_cfg, out=str(work / "acoustic-units"), train=replace(
        acoustic_cfg.train, steps=r.units_acoustic_steps, lr=r.units_acoustic_lr, warmup=50, inputs="both",
        units=units_cfg.out, init=str(work / "acoustic" / "model")))
    lm_cfg = pretrain_text.PretrainTextStage(
        r.data, str(work / "lm"),
        pretrain_text.PretrainTextConfig(r.lm_preset, *((600, 20) if tiny else (4000, 20_000))),
        LmTrainConfig(steps=r.lm_steps, lr=r.lm_lr, batch_tokens=512 if tiny else 8192))

    def limited(run, cfg):
        return lambda left: run(replace(cfg, max_minutes=left))

    first = []  # finetuning on `data`, from the text LM
    if r.finetune_steps:
        finetune_cfg = FinetuneConfig.from_dict(finetune_config(r))
        first = [Stage("audiopalm", model / "config.json", limited(run_finetune, finetune_cfg),
                       f"train: {finetune_cfg}")]
    elif not r.next_data:
        raise AudiopalmError(f"recipe {r.name}: finetune_steps 0 needs next_data (a world to finetune on)")

    synth_cfg = SynthConfig(r.data, r.world_preset, jobs=r.jobs, quiet=True)
    attach_cfg = AttachConfig(str(final), acoustic_cfg.codec,
                              str(Path(units_acoustic_cfg.out if speaks_units else acoustic_cfg.out) / "model"),
                              str(work / "units" / "model") if r.units_steps else None)
    eval_cfg = EvalConfig(r.data, r.bundle, per_language=r.eval_per_language, targets=["en"], pairs=list(r.eval_pairs),
                          tasks=r.eval_tasks, cascade=r.eval_cascade, jobs=r.jobs, out=str(work / "eval"),
                          wavs=str(work / "eval" / "wavs"))

    tune_cfg = TuneCtcConfig(str(final), r.data, per_language=r.tune_per_language, jobs=r.jobs)
    listening = r.listener_freeze_layers is not None
    listener_train = replace(tok.ctc, freeze_layers=r.listener_freeze_layers or 0)
    slow = work / "listener" / "model" / "model.safetensors"
    fast_train = replace(listener_train, init=str(slow.parent), char_rate=2, steps=r.listener_50hz_steps,
                         lr=r.listener_50hz_lr, warmup=50, eval_every=r.listener_50hz_steps)
    fast = work / "listener-50hz" / "model" / "model.safetensors"
    listening_fast = listening and r.listener_50hz_steps > 0
    voices_train = replace(fast_train, init=str(fast.parent), steps=r.listener_voices_steps,
                           eval_every=r.listener_voices_steps)
    voiced = work / "listener-voices" / "model" / "model.safetensors"
    listening_voices = listening_fast and r.listener_voices_steps > 0
    listener = voiced if listening_voices else fast if listening_fast else slow  # the one the model reads with
    listener_attach = AttachListenerConfig(str(final), str(listener.parent))

    words_attach = AttachWordsConfig(str(final), r.data, lm_cfg.lm.extra_sentences, lm_cfg.train.seed)

    def choose_decoding(_: float | None) -> None:
        if listening:
            attach_listener(listener_attach)
        attach_words(words_attach)  # the text LM's corpus as word models: the head spells words it knows
        print(run_tune_ctc(tune_cfg))

    def decoding_chosen(config: Path) -> bool:  # weights chosen, with the listener the recipe trained and word models
        attached = final / LISTENER / "model.safetensors"
        return (config.exists() and "ctc_weights" in json.loads(config.read_text()) and (final / WORDS).exists()
                and (not listening or attached.exists() and same_weights(attached, listener)))

    question_cfg = QuestionHeadStage(str(final), r.data, r.question_per_language or 0, r.tune_per_language)

    def evaluate(_: float | None) -> None:
        from audiopalm.evaluation.report import markdown, write_report

        report = run_eval(eval_cfg)
        print(markdown(report))
        write_report(report, work / "eval")

    later = []
    if r.next_data:  # the larger world (small's audio linked, not rendered again), then further finetuning
        next_synth = SynthConfig(r.next_data, r.next_preset, jobs=r.jobs, generator_version=r.next_version,
                                 quiet=True)
        next_cfg = FinetuneConfig.from_dict(finetune_config(r, next_world=True))

        def next_world(_: float | None) -> None:
            link_audio(Path(r.data), Path(r.next_data))
            run_synth(next_synth)

        later = [Stage("next_world", Path(r.next_data) / "world.json", next_world, f"data synth: {next_synth}",
                       complete=world_complete),
                 Stage("audiopalm_next", finetuned_model(r) / "config.json", limited(run_finetune, next_cfg),
                       f"train: {next_cfg}")]
    if r.long_steps:  # then speech of several sentences at once, on data
        long_cfg = FinetuneConfig.from_dict(long_config(r))
        later.append(Stage("audiopalm_long", final / "config.json", limited(run_finetune, long_cfg),
                           f"train: {long_cfg}"))
    return [
        Stage("world", Path(r.data) / "world.json", lambda _: run_synth(synth_cfg), f"data synth: {synth_cfg}",
              complete=world_complete),
        Stage("tokenizer", work / "tok-ctc" / "config.json", limited(tokenizer.run, tok), f"tokenizer train: {tok}"),
        *([Stage("listener", slow,
                 lambda left: train_ctc_encoder(Path(r.data), work / "listener", listener_train, left),
                 f"CTC encoder training: {listener_train}")] if listening else []),
        *([Stage("listener_50hz", fast, lambda left: train_ctc_encoder(Path(r.data), work / "listener-50hz",
                                                                         fast_train, left),
                 f"CTC encoder training: {fast_train}")] if listening_fast else []),
        *([Stage("listener_voices", voiced, lambda left: train_ctc_encoder(Path(r.data), work / "listener-voices",
                                                                           voices_train, left),
                 f"CTC encoder training: {voices_train}")] if listening_voices else []),
        Stage("codec", work / "codec" / "codec" / "config.json", limited(codec.run, codec_cfg), f"codec train: {codec_cfg}"),
        Stage("acoustic", work / "acoustic" / "model" / "config.json", limited(acoustic.run, acoustic_cfg),
              f"train-acoustic: {acoustic_cfg}"),
        *([Stage("units", work / "units" / "model" / "config.json", limited(run_units, units_cfg),
                 f"train-units: {units_cfg}")] if r.units_steps else []),
        *([Stage("acoustic_units", work / "acoustic-units" / "model" / "config.json",
                 limited(acoustic.run, units_acoustic_cfg), f"train-acoustic: {units_acoustic_cfg}")]
          if speaks_units else []),
        Stage("text_lm", work / "lm" / "model" / "config.json", limited(pretrain_text.run, lm_cfg), f"pretrain-text: {lm_cfg}",
              feeds="audiopalm" if first else "audiopalm_next"),
        *first,
        *later,
        Stage("speech", final / "speech_out" / ("units" if r.units_steps else "acoustic") / "config.json",
              lambda _: attach(attach_cfg), f"attach-speech: {attach_cfg}",
              complete=lambda done: done.exists() and speech_attached(attach_cfg), resumes=False),
        Stage("decoding", final / "config.json", choose_decoding,
              (f"attach-listener: {listener_attach}; " if listening else "") + f"attach-words: {words_attach}; "
              f"tune-ctc: {tune_cfg}",
              complete=decoding_chosen, resumes=False),
        *([Stage("question", final / QUESTION_HEAD / "model.safetensors",
                 lambda _: print(run_question_head(question_cfg)), f"train-question-head: {question_cfg}",
                 resumes=False)] if r.question_per_language else []),
        Stage("eval", work / "eval" / "results.json", evaluate, f"eval: {eval_cfg}",
              complete=lambda done: newer_than(done, final), resumes=False),
    ]


def finetune_config(r: BundleRecipe, next_world: bool = False) -> dict:
    """The finetuning stage's config: from the text LM on `data`, or (next_world) from that model on `next_data`
    (from the text LM when there was no finetuning on `data`)."""
    work = Path(r.work)
    steps = r.next_finetune_steps if next_world else r.finetune_steps
    start = work / "audiopalm" / "model" if next_world and r.finetune_steps else work / "lm"
    mixture = {"mixture": dict(r.mixture)} if r.mixture is not None else {}
    return {"data": r.next_data if next_world else r.data, "audio_tokenizer": str(work / "tok-ctc"),
            "text_lm": str(start), "out": str(work / ("audiopalm_next" if next_world else "audiopalm")), "jobs": r.jobs,
            **mixture, **({"reuse_tokens": [r.data]} if next_world else {}),  # its audio links data's
            "train": {"steps": steps, "batch_tokens": 8192 if r.world_preset != "tiny" else 2048,
                      "lr": 1.0e-3, "warmup": min(100, steps // 4),
                      "eval_every": r.finetune_eval_every or max(1, steps // 3),
                      "checkpoint_every": 100}}


def long_config(r: BundleRecipe) -> dict:
    """The multi-sentence stage's finetuning config: on `data`, from the model finetuned before it, the recipe's
    mixture with `long_joined` multi-sentence groups per utterance (its own draw: seed 2)."""
    on_data, steps = finetune_config(r), r.long_steps
    return {**on_data, "text_lm": str(finetuned_model(r)), "out": str(Path(r.work) / "audiopalm_long"),
            "joined": r.long_joined, "seed": 2,
            "train": {**on_data["train"], "steps": steps, "lr": r.long_lr, "warmup": min(50, steps // 4),
                      "eval_every": max(1, steps // 2)}}


def finetuned_model(r: BundleRecipe) -> Path:
    """The model folder of the main finetuning stage: `audiopalm_next`'s, or `audiopalm`'s without a next world."""
    return Path(r.work) / ("audiopalm_next" if r.next_data else "audiopalm") / "model"


def final_model(r: BundleRecipe) -> Path:
    """The model folder the bundle is exported from: the last finetuning stage's."""
    return Path(r.work) / "audiopalm_long" / "model" if r.long_steps else finetuned_model(r)


def link_audio(small: Path, larger: Path) -> None:
    """Hard-link SMALL's rendered audio into LARGER (a preset whose sentences extend small's): synthesis skips
    files that exist, their names carry a digest of what is said and by which voice."""
    if (small / "audio").is_dir() and not (larger / "audio").exists():
        shutil.copytree(small / "audio", larger / "audio", copy_function=os.link)


STAGE_CLOCK_SECONDS = 60.0  # how often a running stage's wall time is written to WORK/stages.json


def _times(work: Path) -> dict[str, float]:
    path = work / "stages.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _write_time(work: Path, name: str, seconds: float) -> None:
    from audiopalm.data.manifest import write_text_atomic

    write_text_atomic(work / "stages.json", json.dumps({**_times(work), name: round(seconds, 1)}, indent=2))


@contextmanager
def stage_clock(work: Path, name: str, every: float = STAGE_CLOCK_SECONDS, add: bool = True) -> Iterator[None]:
    """Add the wall time of stage NAME to WORK/stages.json (`add`: to what its earlier parts took; else in place of
    it, for a stage that starts over): every `every` seconds while it runs and once when it ends, so a run killed
    mid-stage keeps all but its last interval."""
    before = _times(work).get(name, 0.0) if add else 0.0
    t0 = time.time()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            _write_time(work, name, before + time.time() - t0)

    clock = threading.Thread(target=tick, daemon=True)
    clock.start()
    try:
        yield
    finally:
        stop.set()
        clock.join()
        _write_time(work, name, before + time.time() - t0)


def run_recipe(r: BundleRecipe, max_minutes: float | None = None) -> Path | None:
    """Every stage in order; the bundle folder, or None when --max-minutes paused a stage."""
    work = Path(r.work)
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    model = final_model(r)
    exported = False
    every = stages(r)
    done = {stage.name for stage in every if stage.finished()}
    for stage in every:
        # asked again, not from `done`: a stage run just now (a new acoustic model) can leave a later one stale
        if stage.feeds in done or stage.finished():
            continue
        if stage.name == "eval":  # the eval measures the shipped fp16 weights
            export_bundle(model, Path(r.bundle))
            exported = True
        left = None if max_minutes is None else max_minutes - (time.time() - started) / 60
        if left is not None and left <= 0:
            return None
        print(f"recipe {r.name}: {stage.name}: {stage.command}", flush=True)
        with stage_clock(work, stage.name, add=stage.resumes):
            stage.run(left)
        if not stage.finished():
            return None  # paused inside a resumable stage
    if not exported:  # eval done in an earlier run: the bundle may be missing or older than the model
        export_bundle(model, Path(r.bundle))
    write_model_card(r, Path(r.bundle))
    return Path(r.bundle)


@dataclass
class RecipeRunConfig:
    """`audiopalm recipe run`: a bundle from nothing."""

    name: str = help_field("babel-small (the default bundle), babel-small-curriculum (the bundle before it), "
                           "babel-small-v31 (the default with tokenizer v3.1 and a text-to-unit model) or babel-tiny "
                           "(seconds; a smoke run)",
                           choices=tuple(RECIPES))
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)
    work: str | None = help_field("run folder instead of the recipe's (a rebuild beside the one that made the "
                                  "shipped bundle)", None)
    bundle: str | None = help_field("bundle folder instead of the recipe's", None)

    def recipe(self) -> BundleRecipe:
        """The named recipe, with the run and bundle folders asked for."""
        r = RECIPES[self.name]
        return replace(r, work=self.work or r.work, bundle=self.bundle or r.bundle)


def run(cfg: RecipeRunConfig) -> str:
    bundle = run_recipe(cfg.recipe(), cfg.max_minutes)
    if bundle is None:
        return "paused; run the same command again to resume"
    return f"bundle written to {bundle} ({folder_megabytes(bundle):.1f} MB); model card {bundle / 'MODEL_CARD.md'}"


def export_bundle(model_dir: Path, bundle: Path, dtype: torch.dtype = torch.float16) -> None:
    """Copy an AudioPaLM folder with every floating-point safetensors tensor stored as `dtype`
    (loaders cast back to float32). Written to a temporary folder, then moved into place."""
    tmp = bundle.with_name(bundle.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(model_dir, tmp)
    for path in tmp.rglob("*.safetensors"):
        tensors = load_file(str(path))
        save_file({k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()}, str(path))
    shutil.rmtree(bundle, ignore_errors=True)
    tmp.rename(bundle)


def folder_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def write_model_card(r: BundleRecipe, bundle: Path) -> None:
    """BUNDLE/MODEL_CARD.md: how the bundle was made, its measured metrics, its limits."""
    from audiopalm.evaluation.report import markdown

    work = Path(r.work)
    report = json.loads((work / "eval" / "results.json").read_text())
    meta = report.pop("meta", {})
    notes = "".join(f"\n\n{k.upper()}: {v}." for k, v in meta.items() if k in ("s2st",))  # how a part was re-measured
    if "text decoding" in meta:  # the model's default decode, with the CTC weights it chose on dev
        notes += f"\n\nText decoding: {meta['text decoding']}."
    times = _times(work)
    world = json.loads((Path(r.data) / "world.json").read_text())
    timed = [s.name for s in stages(r) if s.name in times]
    stage_rows = "\n".join(f"| {name} | {times[name] / 60:.1f} |" for name in timed)
    stage_rows += f"\n| all stages | {sum(times[name] for name in timed) / 60:.1f} |"
    families = ", ".join(world.get("families", {"espeak": {}}))
    provenance = work / "provenance.md"  # how this run differs from running the recipe from nothing, if it does
    provenance = f"\n\n{provenance.read_text().strip()}" if provenance.exists() else ""
    card = f"""# {r.name}

The default audiopalm bundle: audio tokenizer, unified speech-text model and speech output stage, trained
from nothing on 2 CPU cores by `audiopalm recipe run {r.name}`. {folder_megabytes(bundle):.1f} MB of weights
in fp16 (safetensors; loaded as float32).

## How it was made

World: Babel `{r.world_preset}` ({", ".join(world["languages"])}; synthetic speech from {families}, held-out
test speakers and sentences). Recipe settings:

```json
{json.dumps(asdict(r), indent=2)}
```

| stage | wall minutes (2 CPU cores) |
|---|---|
{stage_rows}{provenance}

## Measured

`audiopalm eval` of this bundle's fp16 weights on the Babel test split (first {r.eval_per_language} utterances
per language and pair), by the recipe's eval stage; reproduce with
`audiopalm eval --model {r.bundle} --data {r.data} --tasks {r.eval_tasks} --per-language {r.eval_per_language} --targets en --pairs {" ".join(r.eval_pairs)}{" --cascade" if r.eval_cascade else ""}`.{notes}

{markdown(report).removeprefix("# Evaluation report").strip()}

## Limits

- A synthetic world: six languages spoken by synthetic voices, a closed vocabulary of about 400
  concepts and a grammar of simple sentences. It does not transcribe or translate real speech.
- Small and briefly trained (at most two hours per stage on a CPU): transcripts and translations are
  fluent but still wrong in some content words, most on voices unlike its training speakers. Its spoken output keeps the voice; how much of it can be understood is
  what an S2ST evaluation measures, in its rows "output" (the model's speech: its text-to-unit model saying
  the translation, where the speech stage has one), "lm" (then, the language model's own speech tokens),
  "oracle" (its speech stage on ground-truth tokens) and "ground truth" (the recordings).
- Voice copying works between the world's synthetic voices; it is no measure of real voice cloning.
"""
    (bundle / "MODEL_CARD.md").write_text(card)
