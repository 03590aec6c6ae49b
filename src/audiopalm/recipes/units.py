"""Recipe: train the text-to-unit model (`audiopalm train-units`, resumable).

    setup   the semantic tokens of the train/dev splits (the audio tokenizer's shards, made if missing);
            every text phonemized (espeak-ng, cached in OUT/phonemes.jsonl, which starts from the
            tokenizer's own phoneme targets when its training run is in its folder) and force-aligned to its
            recording by the tokenizer's own phoneme CTC head: frames per symbol, at the token rate
            (OUT/align-{split}.safetensors, made once)
    train   cross-entropy of each 25 Hz token given the true durations, plus the squared error of the
            predicted log(1 + frames) per symbol; the voice prompt is ~3 s of tokens from *another*
            utterance of the same speaker, as at S2ST time (one example in ten without one)
    cleanup OUT/model: the text-to-unit folder (models/units.py)

Forced alignment is the Viterbi path of CTC: the frames of a symbol are those of its spike and the blanks
after it; the blanks before the first symbol belong to <s>, those after the last to </s>.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from audiopalm.audio.encoders import TOKEN_RATE
from audiopalm.audio.encoders.ctc import CtcEncoder, mel_for_tokens, pad_mels
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.audio.tokenizer import AudioTokenizer
from audiopalm.config import help_field
from audiopalm.data.shards import default_shards, load_tokens, tokenize_manifests
from audiopalm.errors import AudiopalmError
from audiopalm.models.units import PAD, UNITS_PRESETS, TextToUnit, symbol_ids, units_loss
from audiopalm.recipes.acoustic import speaker_groups
from audiopalm.text.phonemes import PhoneCodec, phonemize
from audiopalm.training.loop import LoopConfig, run_training
from audiopalm.training.precision import bf16_autocast

NO_PROMPT = 0.1  # share of examples trained without a voice prompt
ALIGN_BATCH = 16  # recordings per encoder pass while aligning


def ctc_align(log_probs: np.ndarray, targets: list[int], blank: int = 0) -> np.ndarray | None:
    """The Viterbi CTC path: log-probs [T, V], targets [L] (no blanks) -> the state of each frame [T] in the
    extended sequence (blank, y1, blank, y2, ..., yL, blank: state 2i + 1 is symbol i), or None when T frames
    cannot hold the targets (each symbol needs a frame, a repeated symbol a blank between)."""
    t_len, n = len(log_probs), len(targets)
    states = 2 * n + 1
    ext = np.full(states, blank)
    ext[1::2] = targets
    emit = log_probs[:, ext]  # [T, S]
    skip = np.zeros(states, dtype=bool)  # s may come from s - 2: a symbol unlike the one before it
    skip[3::2] = np.asarray(targets[1:]) != np.asarray(targets[:-1])
    neg = -np.inf
    alpha = np.full(states, neg)
    alpha[0] = emit[0, 0]
    if states > 1:
        alpha[1] = emit[0, 1]
    back = np.zeros((t_len, states), dtype=np.int8)
    for t in range(1, t_len):
        one = np.concatenate([[neg], alpha[:-1]])
        two = np.where(skip, np.concatenate([[neg, neg], alpha[:-2]]), neg)
        cand = np.stack([alpha, one, two])  # [3, S]: stay, from s - 1, from s - 2
        k = cand.argmax(0)
        alpha = cand[k, np.arange(states)] + emit[t]
        back[t] = k
    end = states - 1 if states == 1 or alpha[-1] >= alpha[-2] else states - 2
    if not np.isfinite(alpha[end]):
        return None
    path = np.zeros(t_len, dtype=np.int64)
    s = end
    for t in range(t_len - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    return path


def frames_per_symbol(path: np.ndarray, n: int) -> np.ndarray:
    """A CTC path over n symbols -> frames [n + 2] for (<s>, the n symbols, </s>): a symbol's spike and the
    blanks after it are its frames; blanks before the first symbol are <s>'s, after the last </s>'s."""
    frames = np.zeros(n + 2, dtype=np.int64)
    for s in path:
        if s % 2:  # symbol (s - 1) / 2
            frames[1 + (s - 1) // 2] += 1
        elif s == 0:
            frames[0] += 1
        elif s == 2 * n:
            frames[n + 1] += 1
        else:  # the blank between symbols s/2 - 1 and s/2
            frames[s // 2] += 1
    return frames


def align_rows(encoder: CtcEncoder, codec: PhoneCodec, rows: list[dict], ipa: dict[tuple[str, str], str],
               data: Path) -> tuple[dict[str, torch.Tensor], list[str]]:
    """{id: symbols and frames [2, L + 2] int16} for each row the tokenizer's phoneme head can align;
    the skipped rows' messages."""
    model = encoder.model
    if not model.cfg.phonemes:
        raise AudiopalmError("the audio tokenizer's encoder has no phoneme head: forced alignment needs one (a "
                             "CTC tokenizer trained with phonemes, tokenizer v2 or later)")
    out, skipped = {}, []
    rows = sorted(rows, key=lambda r: r.get("duration", 0))
    for start in tqdm(range(0, len(rows), ALIGN_BATCH), desc="align", unit="batch", dynamic_ncols=True, mininterval=2):
        batch, mels = [], []
        for r in rows[start: start + ALIGN_BATCH]:
            try:
                wav = load_audio(data / r["audio"])
            except AudioError as e:
                skipped.append(str(e))
                continue
            batch.append(r)
            mels.append(mel_for_tokens(wav, model.cfg.n_mels, model.cfg.features))
        if not batch:
            continue
        mel, pad, lengths = pad_mels(mels)
        with torch.inference_mode():
            _, phones = model(mel, pad_mask=pad if len(batch) > 1 else None, with_phones=True)
        log_probs = phones.float().log_softmax(-1).numpy()
        for r, lp, t in zip(batch, log_probs, lengths.tolist()):
            ids = codec.encode(ipa[(r["text"], r["lang"])])
            path = ctc_align(lp[:t], ids) if ids else None
            if path is None:
                skipped.append(f"{r['id']}: {len(ids)} phoneme symbols do not fit {t} frames")
                continue
            out[r["id"]] = torch.tensor([symbol_ids(ids), frames_per_symbol(path, len(ids)).tolist()], dtype=torch.int16)
    return out, skipped


@dataclass
class UnitsTrainConfig:
    preset: str = help_field("model size: tiny, small or medium", "small", choices=tuple(UNITS_PRESETS))
    steps: int = help_field("training steps", 2000, min=1)
    batch_frames: int = help_field("token frames per batch, prompts included", 8000, min=1)
    prompt_seconds: float = help_field("voice prompt length", 3.0, min=0)
    lr: float = help_field("peak learning rate", 1e-3, min=0)
    warmup: int = help_field("linear learning-rate warm-up steps", 200, min=0)
    eval_every: int = help_field("steps between dev evaluations", 500, min=1)
    checkpoint_every: int = help_field("steps between checkpoints", 250, min=1)
    dev_utterances: int = help_field("dev utterances for the dev loss", 300, min=1)
    limit: int | None = help_field("train utterances used (default: all)", None, min=1)
    bf16: bool = help_field("bf16 autocast", True)
    dropout: float | None = help_field("dropout in the transformer layers (0: none; default: the preset's, 0.1)",
                                       None, min=0)
    seed: int = help_field("random seed", 0)

    def loop(self) -> LoopConfig:
        return LoopConfig(steps=self.steps, lr=self.lr, min_lr_ratio=0.05, warmup=self.warmup, weight_decay=0.01,
                          beta2=0.98, eval_every=self.eval_every, checkpoint_every=self.checkpoint_every, seed=self.seed)


@dataclass
class UnitsStage:
    """`audiopalm train-units`: a text's phonemes (+ a voice prompt) -> the audio tokenizer's tokens."""

    data: str = help_field("world folder (manifests with texts, languages and speakers)")
    tokenizer: str = help_field("audio tokenizer folder with a CTC encoder that has a phoneme head")
    out: str = help_field("run folder: phonemes, alignments, checkpoints/, log.csv, model/")
    train: UnitsTrainConfig = help_field("training settings", UnitsTrainConfig, flat=True)
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)


@dataclass(frozen=True)
class Example:
    id: str
    speaker: str
    language: int
    symbols: torch.Tensor  # [L] with the boundaries
    frames: torch.Tensor  # [L], summing to len(tokens)
    tokens: torch.Tensor  # [T]


def _examples(rows: list[dict], aligned: dict[str, torch.Tensor], tokens: dict[str, torch.Tensor],
              languages: list[str]) -> list[Example]:
    out = []
    for r in rows:
        a, tok = aligned.get(r["id"]), tokens.get(r["id"])
        if a is None or tok is None or int(a[1].sum()) != len(tok) or r["lang"] not in languages:
            continue
        out.append(Example(r["id"], r["speaker"], languages.index(r["lang"]), a[0].long(), a[1].long(), tok.long()))
    return out


def _split(data: Path, split: str, tokenizer_dir: Path, tokenizer: AudioTokenizer, codec: PhoneCodec, out: Path,
           languages: list[str], limit: int | None) -> list[Example]:
    from audiopalm.data.manifest import audio_rows, read_jsonl

    rows = audio_rows(read_jsonl(data / f"{split}.jsonl"))[:limit]
    shards = default_shards(data, tokenizer_dir)
    tokenize_manifests(tokenizer_dir, data, shards, [split], 2, progress=True)
    path = out / f"align-{split}{'' if limit is None else f'-{limit}'}.safetensors"
    if path.exists():
        aligned = load_file(str(path))
    else:
        ipa = phonemize({(r["text"], r["lang"]) for r in rows}, cache=out / "phonemes.jsonl")
        aligned, skipped = align_rows(tokenizer.encoder, codec, rows, ipa, data)
        for msg in skipped[:20]:
            print(f"skipped: {msg}")
        if len(skipped) > 20:
            print(f"skipped: {len(skipped) - 20} more")
        tmp = path.with_suffix(".tmp")
        save_file(aligned, str(tmp))
        tmp.replace(path)
    return _examples(rows, aligned, load_tokens(shards, split), languages)


def collate(examples: list[Example], batch: list[int], by_speaker: dict[str, list[int]], prompt_tokens: int,
            semantic_size: int, seed: int) -> tuple[torch.Tensor, ...]:
    """-> symbols [B, L], language [B], prompt [B, P], frames [B, L], tokens [B, T] (-100 at padding)."""
    rng = random.Random(seed)
    prompts = []
    for i in batch:
        others = [j for j in by_speaker[examples[i].speaker] if j != i] or [i]
        other = examples[rng.choice(others)].tokens
        start = rng.randrange(0, max(1, len(other) - prompt_tokens))
        prompts.append(other[:0] if rng.random() < NO_PROMPT else other[start: start + prompt_tokens])
    b = len(batch)
    longest_l = max(len(examples[i].symbols) for i in batch)
    longest_t = max(len(examples[i].tokens) for i in batch)
    symbols = torch.full((b, longest_l), PAD, dtype=torch.long)
    frames = torch.zeros((b, longest_l), dtype=torch.long)
    tokens = torch.full((b, longest_t), -100, dtype=torch.long)
    prompt = torch.full((b, max(1, max(len(p) for p in prompts))), semantic_size, dtype=torch.long)
    for row, i in enumerate(batch):
        e = examples[i]
        symbols[row, : len(e.symbols)], frames[row, : len(e.frames)] = e.symbols, e.frames
        tokens[row, : len(e.tokens)] = e.tokens
        prompt[row, : len(prompts[row])] = prompts[row]
    language = torch.tensor([examples[i].language for i in batch])
    return symbols, language, prompt, frames, tokens


@torch.inference_mode()
def spoken_tokens(units_run: Path, rows: list[dict], split: str, tokens: dict[str, torch.Tensor], path: Path,
                  prompt_seconds: float = 3.0, batch_size: int = 32) -> dict[str, torch.Tensor]:
    """{utterance id: the tokens [T] a trained text-to-unit model writes for its text on the recording's own
    durations}, for the manifest rows of `split` given, cached in `path` (written atomically).

    What the acoustic stage renders when the model speaks text, lined up frame for frame with the recording
    (T = len(its tokenizer tokens)), so an acoustic model can learn to render them into that recording's frames.
    `units_run` is a `train-units` run folder: its model/ and the forced alignments of `split`
    (align-{split}*.safetensors); the voice prompt is ~3 s of another utterance of the same speaker (none for one
    utterance in ten, as in its training)."""
    if path.exists():
        return load_file(str(path))
    model = TextToUnit.from_pretrained(units_run / "model")
    aligned: dict[str, torch.Tensor] = {}
    for f in sorted(units_run.glob(f"align-{split}*.safetensors")):
        aligned.update(load_file(str(f)))
    if not aligned:
        raise AudiopalmError(f"{units_run}: no alignments of {split} (align-{split}*.safetensors): "
                             "run `audiopalm train-units` there first")
    examples = _examples(rows, aligned, tokens, model.cfg.languages)
    by_speaker = speaker_groups(examples)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].tokens))
    prompt_tokens, out = round(prompt_seconds * TOKEN_RATE), {}
    for start in tqdm(range(0, len(order), batch_size), desc=f"spoken tokens ({split})", unit="batch",
                      dynamic_ncols=True, mininterval=2):
        batch = order[start: start + batch_size]
        symbols, language, prompt, frames, _ = collate(examples, batch, by_speaker, prompt_tokens,
                                                       model.cfg.semantic_size, start)
        logits, _, _ = model(symbols, language, prompt, frames)
        for row, i in enumerate(batch):
            out[examples[i].id] = logits[row, : len(examples[i].tokens)].argmax(-1).to(torch.int16)
    tmp = path.with_suffix(".tmp")
    save_file(out, str(tmp))
    tmp.replace(path)
    return out


def run(cfg: UnitsStage) -> Path:
    """Train (or resume) the text-to-unit model; OUT/model once complete (missing while paused)."""
    return train_units(Path(cfg.data), Path(cfg.tokenizer), Path(cfg.out), cfg.train, cfg.max_minutes)


def train_units(data: Path, tokenizer_dir: Path, out: Path, tcfg: UnitsTrainConfig,
                max_minutes: float | None = None) -> Path:
    """Align, then train (or resume) the text-to-unit model; returns OUT/model once complete."""
    from audiopalm.data.languages import Languages

    tokenizer = AudioTokenizer.from_pretrained(tokenizer_dir)
    if not isinstance(tokenizer.encoder, CtcEncoder) or not tokenizer.encoder.model.cfg.phonemes:
        raise AudiopalmError(f"{tokenizer_dir}: the text-to-unit model is aligned by the tokenizer's phoneme CTC head; "
                             "this tokenizer has none (train one with `audiopalm tokenizer train --encoder ctc`)")
    phones = tokenizer.encoder.model.cfg.phonemes
    codec = PhoneCodec(phones)
    languages = sorted(Languages.of_dataset(data).codes)
    out.mkdir(parents=True, exist_ok=True)
    made = tokenizer_dir / "ctc-train" / "phonemes.jsonl"  # the tokenizer's own phoneme targets: same texts, same IPA
    if made.is_file() and not (out / "phonemes.jsonl").exists():
        shutil.copyfile(made, out / "phonemes.jsonl")
    train = _split(data, "train", tokenizer_dir, tokenizer, codec, out, languages, tcfg.limit)
    dev = _split(data, "dev", tokenizer_dir, tokenizer, codec, out, languages, tcfg.dev_utterances)
    if not train:
        raise AudiopalmError(f"no train utterance of {data} could be aligned to its tokens")
    torch.manual_seed(tcfg.seed)
    preset = UNITS_PRESETS[tcfg.preset]
    dropout = preset.dropout if tcfg.dropout is None else tcfg.dropout
    model = TextToUnit(type(preset)(**{**asdict(preset), "symbols": phones[1:], "languages": languages,
                                       "semantic_size": tokenizer.codebook_size, "dropout": dropout}))
    prompt_tokens = round(tcfg.prompt_seconds * TOKEN_RATE)
    by_speaker, dev_by_speaker = speaker_groups(train), speaker_groups(dev)
    sizes = [len(e.tokens) + prompt_tokens for e in train]
    size = model.cfg.semantic_size

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        device = next(model.parameters()).device
        tensors = collate(train, batch, by_speaker, prompt_tokens, size, tcfg.seed * 1_000_003 + step)
        with bf16_autocast(tcfg.bf16, device.type):
            loss, _, _, n, _ = units_loss(module, *(t.to(device) for t in tensors))
        return loss, n

    @torch.inference_mode()
    def evaluate() -> dict:  # the loop has put the model in eval mode
        sums, count = np.zeros(3), 0
        for start in range(0, len(dev), 16):
            batch = list(range(start, min(len(dev), start + 16)))
            _, token_loss, duration_loss, n, hits = units_loss(
                model, *collate(dev, batch, dev_by_speaker, prompt_tokens, size, start), with_hits=True)
            sums += np.array([float(token_loss) * n, float(duration_loss) * n, hits])
            count += n
        token_loss, duration_loss, hits = sums / max(1, count)
        return {"dev_token_loss": round(token_loss, 4), "dev_duration_loss": round(duration_loss, 4),
                "dev_token_accuracy": round(hits, 4)}

    step = run_training(model, sizes, tcfg.batch_frames, step_loss, out, tcfg.loop(), evaluate if dev else None,
                        ("dev_token_loss", "dev_duration_loss", "dev_token_accuracy"), max_minutes, desc="units")
    if step >= tcfg.steps:
        model.save_pretrained(out / "model")
        (out / "model" / "alignment.json").write_text(json.dumps(
            {"tokenizer": str(tokenizer_dir), "train_examples": len(train), "dev_examples": len(dev)}, indent=2))
    return out / "model"
