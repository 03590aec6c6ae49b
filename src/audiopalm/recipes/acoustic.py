"""Recipe: train the acoustic model (`audiopalm train-acoustic`, resumable).

    setup   semantic tokens of the train/dev splits (the audio tokenizer's shards, made if missing);
            the targets of the same utterances, made once: codec codes (OUT/codes-{split}.safetensors)
            or, for the mel decoder with `targets: mel`, the recordings' own standardised log-mel
            frames (OUT/mels-{split}.safetensors, int8 in steps of MEL_STEP)
    train   each target utterance gets a voice prompt: ~3 s of *another* utterance by the same
            speaker (another sentence, often another language), exactly as at S2ST time, when the
            prompt is the source speech;
              soundstorm   MaskGIT loss on one codec level per example
              mel_decoder  L1 on standardised mel frames (mel codec only): those the codes stand for
                           (`targets: codes`, the default) or the recordings' own (`targets: mel`;
                           measured no more intelligible at 1 000 steps, docs/speech.md)
            the semantic tokens read are the tokenizer's (`inputs: tokens`), or also (`both`) or only (`units`)
            those a text-to-unit model writes for each utterance's text on its forced-aligned durations
            (OUT/spoken-{split}.safetensors): what the model renders when it speaks text; `init` starts it
            from a trained acoustic model
    cleanup OUT/model: the acoustic model folder
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from audiopalm.audio.codecs import Codec, load_codec
from audiopalm.audio.codecs.mel import MelCodec
from audiopalm.audio.encoders import TOKEN_RATE
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.data.shards import default_shards, load_tokens, tokenize_manifests
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.models.mel_decoder import MEL_DECODER_PRESETS, MelDecoder, mel_loss
from audiopalm.models.soundstorm import (SOUNDSTORM_PRESETS, SoundStorm, frame_semantic, level_probabilities,
                                         masked_loss, training_example)
from audiopalm.training.loop import LoopConfig, run_training
from audiopalm.training.precision import bf16_autocast

PRESETS = {"soundstorm": SOUNDSTORM_PRESETS, "mel_decoder": MEL_DECODER_PRESETS}
NO_PROMPT = 0.1  # mel_decoder: share of examples trained without a voice prompt
MEL_STEP = 0.05  # cached mel frames are int8 multiples of this (standardised units; mean error 0.012)


@dataclass
class AcousticTrainConfig:
    model: str = help_field("mel_decoder (unit-to-mel frames, the built-in codec) or soundstorm (codec codes, any "
                            "codec)", "mel_decoder")
    targets: str = help_field("mel_decoder: learn the mel frames the codec's codes stand for (codes) or the "
                              "recordings' own (mel); soundstorm always learns codes", "codes", choices=("codes", "mel"))
    preset: str = help_field("model size: tiny, small or medium (vocabularies come from the tokenizer and codec)",
                             "small")
    inputs: str = help_field("the semantic tokens it learns to render: the tokenizer's (tokens), those a text-to-unit "
                             "model writes for the same text on the recording's durations (units: what it renders "
                             "when the model speaks text; needs --units), or both, each utterance twice", "tokens",
                             choices=("tokens", "units", "both"))
    units: str | None = help_field("a `train-units` run folder (its model/ and alignments), for --inputs units/both",
                                   None)
    init: str | None = help_field("an acoustic model folder to start from (same model and preset)", None)
    steps: int = help_field("training steps", 3000, min=1)
    batch_frames: int = help_field("padded codec frames per batch, prompts included", 12000, min=1)
    prompt_seconds: float = help_field("voice prompt length", 3.0, min=0)
    coarse_bias: float = help_field("soundstorm: train level q with probability ~ (q + 1) ** -BIAS; 0 is uniform",
                                    1.0, min=0)
    lr: float = help_field("peak learning rate", 1e-3, min=0)
    warmup: int = help_field("linear learning-rate warm-up steps", 200, min=0)
    eval_every: int = help_field("steps between dev evaluations", 500, min=1)
    checkpoint_every: int = help_field("steps between checkpoints", 250, min=1)
    dev_utterances: int = help_field("dev utterances for the dev loss", 200, min=1)
    bf16: bool = help_field("bf16 autocast", True)
    seed: int = help_field("random seed", 0)

    def loop(self) -> LoopConfig:
        return LoopConfig(steps=self.steps, lr=self.lr, min_lr_ratio=0.05, warmup=self.warmup, weight_decay=0.01,
                          beta2=0.98, eval_every=self.eval_every, checkpoint_every=self.checkpoint_every, seed=self.seed)


@dataclass(frozen=True)
class Utterance:
    """One training utterance: its semantic tokens and one target stream at the codec's frame rate."""

    speaker: str
    semantic: torch.Tensor  # [T_s] at 25 Hz
    codes: torch.Tensor | None = None  # [K, T] codec codes, T = T_s * frames per token
    mel: torch.Tensor | None = None  # [T, n_mels] int8: the recording's standardised log-mel / MEL_STEP

    @property
    def frames(self) -> int:
        return self.codes.shape[1] if self.codes is not None else self.mel.shape[0]

    def span(self, start: int, end: int) -> torch.Tensor:
        """Frames [start, end) of the stream it holds: codes [K, n] or int8 mel [n, n_mels]."""
        return self.codes[:, start:end] if self.codes is not None else self.mel[start:end]


def _cached(rows: list[dict], data: Path, path: Path, desc: str, compute) -> dict[str, torch.Tensor]:
    """{utterance id: compute(waveform)} of every readable row, cached in `path` (written atomically)."""
    if path.exists():
        return load_file(str(path))
    out, failed = {}, []
    for r in tqdm(rows, desc=desc, unit="utt", dynamic_ncols=True, mininterval=2):
        try:
            out[r["id"]] = compute(load_audio(data / r["audio"]))
        except AudioError as e:
            failed.append(str(e))
    for msg in failed:
        print(f"skipped: {msg}")
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in out.items()}, str(tmp))
    tmp.replace(path)
    return out


def codec_codes(codec: Codec, rows: list[dict], data: Path, path: Path) -> dict[str, torch.Tensor]:
    """{utterance id: codes [K, T] int16} of every readable row, cached in `path`."""
    return _cached(rows, data, path, "codec codes", lambda wav: codec.encode(wav).to(torch.int16))


def mel_frames(codec: MelCodec, rows: list[dict], data: Path, path: Path) -> dict[str, torch.Tensor]:
    """{utterance id: the recording's standardised log-mel [T, n_mels] as int8 multiples of MEL_STEP}, cached."""
    def compute(wav) -> torch.Tensor:
        return (codec.log_mel(wav) / MEL_STEP).round().clamp(-127, 127).to(torch.int8)
    return _cached(rows, data, path, "mel frames", compute)


def _fit(x: torch.Tensor, t: int, dim: int) -> torch.Tensor:
    """x trimmed, or padded by repeating its last frame, to length t along `dim`."""
    n = x.shape[dim]
    if n >= t:
        return x.narrow(dim, 0, t)
    return torch.cat([x, x.narrow(dim, n - 1, 1).expand(*[t - n if d == dim else -1 for d in range(x.dim())])], dim)


def utterances(rows: list[dict], semantic: dict[str, torch.Tensor], streams: dict[str, torch.Tensor],
               per_token: int, kind: str = "codes") -> list[Utterance]:
    """Rows with semantic tokens and a target stream (kind "codes": [K, T]; "mel": [T, n_mels]) -> utterances
    whose stream is trimmed/padded to len(semantic) * per_token frames."""
    out = []
    for r in rows:
        if r["id"] in semantic and r["id"] in streams and len(semantic[r["id"]]):
            s, x = semantic[r["id"]].long(), streams[r["id"]]
            t = len(s) * per_token
            if kind == "codes":
                out.append(Utterance(r["speaker"], s, codes=_fit(x.long(), t, 1)))
            else:
                out.append(Utterance(r["speaker"], s, mel=_fit(x, t, 0)))
    return out


def prompt_for(utts: list[Utterance], i: int, by_speaker: dict[str, list[int]], tokens: int,
               rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    """A crop of `tokens` semantic tokens (and their frames: codes [K, n] or int8 mel [n, n_mels]) from another
    utterance of i's speaker."""
    others = [j for j in by_speaker[utts[i].speaker] if j != i] or [i]
    u = utts[rng.choice(others)]
    per_token = u.frames // max(1, len(u.semantic))
    start = rng.randrange(0, max(1, len(u.semantic) - tokens))
    sem = u.semantic[start: start + tokens]
    return sem, u.span(start * per_token, (start + len(sem)) * per_token)


def collate(utts: list[Utterance], batch: list[int], by_speaker: dict[str, list[int]], model: SoundStorm,
            prompt_tokens: int, seed: int, level_probs: torch.Tensor | None = None):
    """-> semantic [B, T], masked [B, K, T], loss mask [B, T], levels [B], codes [B, K, T], pad [B, T]."""
    cfg = model.cfg
    rng, gen = random.Random(seed), torch.Generator().manual_seed(seed)
    items = []
    for i in batch:
        p_sem, p_codes = prompt_for(utts, i, by_speaker, prompt_tokens, rng)
        u = utts[i]
        codes = torch.cat([p_codes, u.codes], dim=1)[:, : cfg.max_frames]
        sem = torch.cat([frame_semantic(p_sem, p_codes.shape[1], cfg.frames_per_token),
                         frame_semantic(u.semantic, u.codes.shape[1], cfg.frames_per_token)])[: cfg.max_frames]
        masked, loss_mask, q = training_example(codes, p_codes.shape[1], model.mask_id, gen, level_probs)
        items.append((sem, masked, loss_mask, q, codes))
    longest = max(len(s) for s, *_ in items)
    b, k = len(items), cfg.num_codebooks
    sem = torch.full((b, longest), cfg.semantic_size, dtype=torch.long)
    masked = torch.full((b, k, longest), model.mask_id, dtype=torch.long)
    codes = torch.zeros((b, k, longest), dtype=torch.long)
    loss_mask = torch.zeros((b, longest), dtype=torch.bool)
    pad = torch.ones((b, longest), dtype=torch.bool)
    for row, (s, m, lm, _, c) in enumerate(items):
        n = len(s)
        sem[row, :n], masked[row, :, :n], codes[row, :, :n], loss_mask[row, :n], pad[row, :n] = s, m, c, lm, False
    return sem, masked, loss_mask, torch.tensor([q for *_, q, _ in items]), codes, pad


def standardised_mel(codec: MelCodec, frames: torch.Tensor) -> torch.Tensor:
    """Codes [K, T] (what they stand for) or int8 mel [T, n_mels] -> standardised log-mel [T, n_mels]."""
    return frames.float() * MEL_STEP if frames.dtype == torch.int8 else codec.frames(frames)


def collate_mel(utts: list[Utterance], batch: list[int], by_speaker: dict[str, list[int]], codec: MelCodec,
                model: MelDecoder, prompt_tokens: int, seed: int):
    """-> semantic [B, T], prompt mel [B, P, n_mels], prompt pad [B, P], target mel [B, T, n_mels], pad [B, T].

    One example in ten has no prompt (all padding: a zero speaker vector), as when speaking with no voice given."""
    cfg, rng = model.cfg, random.Random(seed)
    prompts = [standardised_mel(codec, prompt_for(utts, i, by_speaker, prompt_tokens, rng)[1]) for i in batch]
    prompts = [m[:0] if rng.random() < NO_PROMPT else m for m in prompts]
    b, t, p = len(batch), max(utts[i].frames for i in batch), max(len(m) for m in prompts)  # p may be 0
    sem = torch.full((b, t), cfg.semantic_size, dtype=torch.long)
    target = torch.zeros((b, t, cfg.n_mels))
    pad = torch.ones((b, t), dtype=torch.bool)
    prompt = torch.zeros((b, p, cfg.n_mels))
    prompt_pad = torch.ones((b, p), dtype=torch.bool)
    for row, i in enumerate(batch):
        u, n, m = utts[i], utts[i].frames, len(prompts[row])
        sem[row, :n] = u.semantic.repeat_interleave(cfg.frames_per_token)[:n]
        target[row, :n], pad[row, :n] = standardised_mel(codec, u.span(0, n)), False
        prompt[row, :m], prompt_pad[row, :m] = prompts[row], False
    return sem, prompt, prompt_pad, target, pad


def _split(data: Path, split: str, tokenizer_dir: Path, codec: Codec, out: Path, per_token: int, targets: str,
           limit: int | None = None, inputs: str = "tokens", units: Path | None = None) -> list[Utterance]:
    """The split's utterances: each with the tokenizer's tokens, the text-to-unit model's (`inputs`: units; `units`
    is its `train-units` run folder), or twice, once with each (both)."""
    from audiopalm.data.manifest import audio_rows, read_jsonl

    rows = audio_rows(read_jsonl(data / f"{split}.jsonl"))[:limit]
    shards = default_shards(data, tokenizer_dir)
    tokenize_manifests(tokenizer_dir, data, shards, [split], 2, progress=True)
    if targets == "mel":
        streams = mel_frames(codec, rows, data, out / f"mels-{split}.safetensors")
    else:
        streams = codec_codes(codec, rows, data, out / f"codes-{split}.safetensors")
    tokens = load_tokens(shards, split)
    out_utts = utterances(rows, tokens, streams, per_token, targets) if inputs != "units" else []
    if inputs != "tokens":
        from audiopalm.recipes.units import spoken_tokens

        spoken = spoken_tokens(units, rows, split, tokens, out / f"spoken-{split}.safetensors")
        out_utts += utterances(rows, spoken, streams, per_token, targets)
    return out_utts


@dataclass
class AcousticStage:
    """`audiopalm train-acoustic`: semantic tokens + voice prompt -> codec codes or mel frames."""

    data: str = help_field("world folder (manifests with speakers)")
    tokenizer: str = help_field("audio tokenizer folder (the semantic tokens)")
    codec: str = help_field("codec folder (audiopalm codec train) or a Hugging Face codec")
    out: str = help_field("run folder: codes, checkpoints/, log.csv, model/")
    train: AcousticTrainConfig = help_field("training settings", AcousticTrainConfig, flat=True)
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)


def run(cfg: AcousticStage) -> Path:
    """Train (or resume) the acoustic model; OUT/model once complete (missing while paused)."""
    return train_acoustic(Path(cfg.data), Path(cfg.tokenizer), Path(cfg.codec), Path(cfg.out), cfg.train, cfg.max_minutes)


def train_acoustic(data: Path, tokenizer_dir: Path, codec_dir: Path, out: Path, tcfg: AcousticTrainConfig,
                   max_minutes: float | None = None) -> Path:
    """Train (or resume) the acoustic model; returns OUT/model once complete."""
    if tcfg.model not in PRESETS:
        raise AudiopalmError(f"unknown acoustic model {tcfg.model!r}; choose from {', '.join(PRESETS)}")
    if tcfg.preset not in PRESETS[tcfg.model]:
        raise AudiopalmError(f"unknown {tcfg.model} preset {tcfg.preset!r}; choose from {', '.join(PRESETS[tcfg.model])}")
    codec = load_codec(codec_dir)
    if tcfg.model == "mel_decoder" and not isinstance(codec, MelCodec):
        raise AudiopalmError(f"the mel decoder needs the built-in mel codec (audiopalm codec train), not {codec_dir}")
    tok_config = json.loads((tokenizer_dir / "config.json").read_text())
    per_token = round(codec.frame_rate / TOKEN_RATE)
    if abs(codec.frame_rate - TOKEN_RATE * per_token) > 1e-6:
        raise AudiopalmError(f"the codec's frame rate ({codec.frame_rate} Hz) is not a multiple of {TOKEN_RATE} Hz")
    if tcfg.inputs != "tokens" and not tcfg.units:
        raise AudiopalmError(f"--inputs {tcfg.inputs} needs --units: a `train-units` run folder")
    targets = tcfg.targets if tcfg.model == "mel_decoder" else "codes"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(tcfg.seed)
    preset = PRESETS[tcfg.model][tcfg.preset]
    sizes_from_codec = {"semantic_size": tok_config["codebook_size"], "frames_per_token": per_token}
    if tcfg.model == "mel_decoder":
        model = MelDecoder(type(preset)(**{**asdict(preset), **sizes_from_codec, "n_mels": codec.cfg.n_mels,
                                           "quantised": targets == "codes"}))
    else:
        model = SoundStorm(type(preset)(**{**asdict(preset), **sizes_from_codec, "num_codebooks": codec.num_codebooks,
                                           "codebook_size": codec.codebook_size}))
    if tcfg.init:
        from audiopalm.models.speech_out import load_acoustic

        start = load_acoustic(tcfg.init)
        if type(start) is not type(model) or start.cfg != model.cfg:
            raise AudiopalmError(f"--init {tcfg.init}: a {type(start).__name__} of another size or vocabulary; this "
                                 f"run trains a {type(model).__name__} with {model.cfg}")
        model.load_state_dict(start.state_dict())
    units = Path(tcfg.units) if tcfg.units else None
    train = _split(data, "train", tokenizer_dir, codec, out, per_token, targets, None, tcfg.inputs, units)
    dev = _split(data, "dev", tokenizer_dir, codec, out, per_token, targets, tcfg.dev_utterances, tcfg.inputs, units)
    if not train:
        raise AudiopalmError(f"no utterances with both semantic tokens and codec codes in {data}")
    prompt_tokens = round(tcfg.prompt_seconds * TOKEN_RATE)
    by_speaker, dev_by_speaker = speaker_groups(train), speaker_groups(dev)
    sizes = [u.frames + prompt_tokens * per_token for u in train]
    level_probs = level_probabilities(codec.num_codebooks, tcfg.coarse_bias)

    def batch_loss(utts: list[Utterance], batch: list[int], speakers: dict[str, list[int]], seed: int,
                   module: torch.nn.Module, levels: torch.Tensor | None) -> tuple[torch.Tensor, int]:
        device = next(model.parameters()).device  # the training loop has put the model on this rank's device
        if isinstance(model, MelDecoder):
            tensors = collate_mel(utts, batch, speakers, codec, model, prompt_tokens, seed)
            return mel_loss(module, *(t.to(device) for t in tensors))
        tensors = collate(utts, batch, speakers, model, prompt_tokens, seed, levels)
        return masked_loss(module, *(t.to(device) for t in tensors))

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        with bf16_autocast(tcfg.bf16, next(model.parameters()).device.type):
            return batch_loss(train, batch, by_speaker, tcfg.seed * 1_000_003 + step, module, level_probs)

    @torch.inference_mode()
    def evaluate() -> dict:
        total, count = 0.0, 0
        for start in range(0, len(dev), 16):
            batch = list(range(start, min(len(dev), start + 16)))
            loss, n = batch_loss(dev, batch, dev_by_speaker, start, model, None)  # dev: levels uniform
            total, count = total + float(loss) * n, count + n
        return {"dev_loss": round(total / max(1, count), 4)}

    step = run_training(model, sizes, tcfg.batch_frames, step_loss, out, tcfg.loop(), evaluate if dev else None,
                        ("dev_loss",), max_minutes, desc="acoustic")
    if step >= tcfg.steps:
        model.save_pretrained(out / "model")
    return out / "model"


def speaker_groups(items: Sequence) -> dict[str, list[int]]:
    """Items with a `speaker` -> {speaker: the indices of their items}: where a voice prompt is drawn from."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        out[item.speaker].append(i)
    return out
