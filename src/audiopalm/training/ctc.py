"""Recipe: train the CTC speech encoder on a world's train split (resumable).

    setup   read manifests, compute log-mels, build the character vocabulary
    train   CTC loss with bf16 autocast and SpecAugment, in the shared loop (training/loop.py:
            AdamW + warm-up/cosine, checkpoints every N steps, dev CER every M)
    cleanup save the final model (config.json + safetensors)

A killed run restarts from its last checkpoint with the same data order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from audiopalm.audio.encoders.ctc import CTC_PRESETS, CtcEncoderConfig, CtcEncoderModel, mel_for_tokens, save_ctc_model
from audiopalm.audio.features import FRAMES_PER_TOKEN
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.text.chars import CharCodec, build_char_vocab
from audiopalm.training.loop import LoopConfig, run_training


@dataclass
class CtcTrainConfig:
    preset: str = "small"  # model size, a key of CTC_PRESETS
    steps: int = 3000  # optimizer steps
    batch_seconds: float = 120.0  # audio per batch, in seconds
    lr: float = 2e-3  # peak learning rate
    warmup: int = 200  # linear warm-up steps
    weight_decay: float = 0.01
    eval_every: int = 500  # steps between dev evaluations
    checkpoint_every: int = 250  # steps between checkpoints
    dev_utterances: int = 300  # dev subset for CER during training
    max_utterances: int | None = None  # cap on train utterances (tests, smoke runs)
    bf16: bool = True  # bf16 autocast: ~1.7x faster than fp32 on CPUs with AVX512-BF16
    spec_augment: bool = True
    seed: int = 0

    def loop(self) -> LoopConfig:
        # cosine to zero and beta2 0.98: the usual recipe for CTC transformers
        return LoopConfig(steps=self.steps, lr=self.lr, min_lr_ratio=0.0, warmup=self.warmup,
                          weight_decay=self.weight_decay, beta2=0.98, eval_every=self.eval_every,
                          checkpoint_every=self.checkpoint_every, seed=self.seed)


@dataclass
class Example:
    mel: torch.Tensor  # [4T, n_mels] float16
    labels: list[int]
    text: str
    lang: str

    @property
    def tokens(self) -> int:
        return self.mel.shape[0] // FRAMES_PER_TOKEN


def load_examples(rows: list[dict], data: Path, codec: CharCodec, n_mels: int, desc: str) -> list[Example]:
    """Manifest rows -> examples; unreadable audio is reported and skipped."""
    out, failed = [], []
    for r in tqdm(rows, desc=desc, unit="utt", dynamic_ncols=True, mininterval=2):
        try:
            wav = load_audio(data / r["audio"])
        except AudioError as e:
            failed.append(str(e))
            continue
        ex = Example(mel_for_tokens(wav, n_mels).half(), codec.encode(r["text"], r["lang"]), r["text"], r["lang"])
        if 0 < len(ex.labels) <= ex.tokens:  # CTC needs at least one frame per label
            out.append(ex)
    for msg in failed:
        print(f"skipped: {msg}")
    return out


def collate(examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> mel [B, 4T, M] float32, pad mask [B, T], targets [sum L], input lengths [B], target lengths [B]."""
    mel = torch.nn.utils.rnn.pad_sequence([e.mel.float() for e in examples], batch_first=True)
    lengths = torch.tensor([e.tokens for e in examples])
    pad = torch.arange(int(lengths.max()))[None, :] >= lengths[:, None]
    targets = torch.tensor([t for e in examples for t in e.labels])
    return mel, pad, targets, lengths, torch.tensor([len(e.labels) for e in examples])


def spec_augment(mel: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Two frequency masks (<= 12 bins) and two time masks (<= 20 frames) per utterance, in place."""
    b, t, m = mel.shape
    fill = mel.mean()
    for i in range(b):
        for _ in range(2):
            w = int(torch.randint(0, 13, (1,), generator=gen))
            f0 = int(torch.randint(0, max(1, m - w), (1,), generator=gen))
            mel[i, :, f0: f0 + w] = fill
            w = int(torch.randint(0, 21, (1,), generator=gen))
            t0 = int(torch.randint(0, max(1, t - w), (1,), generator=gen))
            mel[i, t0: t0 + w, :] = fill
    return mel


@torch.inference_mode()
def evaluate(model: CtcEncoderModel, examples: list[Example], codec: CharCodec, batch: int = 32) -> dict:
    """Greedy CTC decoding -> corpus CER and WER (normalised text)."""
    hyps = []
    for i in range(0, len(examples), batch):
        chunk = examples[i: i + batch]
        mel, pad, _, lengths, _ = collate(chunk)
        device = model.mel_mean.device
        logits = model(mel.to(device), pad.to(device)).cpu()
        for row, n in zip(logits.argmax(-1), lengths):
            hyps.append(codec.decode_ctc(row[:n].tolist()))
    refs = [codec.decode_ctc(e.labels) for e in examples]
    return error_rates(refs, hyps, lang="xx")


def train_ctc_encoder(data: Path, out: Path, cfg: CtcTrainConfig, max_minutes: float | None = None) -> CtcEncoderModel:
    """Train (or resume) the CTC encoder on DATA/train.jsonl; the model lands in OUT/model."""
    from audiopalm.data.babel.synth import read_jsonl

    if cfg.preset not in CTC_PRESETS:
        raise AudiopalmError(f"unknown CTC preset {cfg.preset!r}; choose from {', '.join(CTC_PRESETS)}")
    torch.manual_seed(cfg.seed)
    rows = read_jsonl(data / "train.jsonl")
    if cfg.max_utterances:
        rows = rows[: cfg.max_utterances]
    vocab = build_char_vocab((r["text"], r["lang"]) for r in rows)
    model_cfg = CtcEncoderConfig(**CTC_PRESETS[cfg.preset], vocab=vocab)
    codec = CharCodec(vocab)
    train = load_examples(rows, data, codec, model_cfg.n_mels, "train mels")
    dev_rows = read_jsonl(data / "dev.jsonl")[: cfg.dev_utterances]
    dev = load_examples(dev_rows, data, codec, model_cfg.n_mels, "dev mels")
    if not train:
        raise AudiopalmError(f"no usable training utterances in {data / 'train.jsonl'}")

    model = CtcEncoderModel(model_cfg)
    sample = torch.cat([e.mel[:400].float() for e in train[:500]])
    model.mel_mean.copy_(sample.mean(0))
    model.mel_std.copy_(sample.std(0).clamp_min(1e-3))

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        mel, pad, targets, lengths, target_lengths = collate([train[i] for i in batch])
        if cfg.spec_augment:  # seeded per step, so that a resumed run masks exactly as an unbroken one
            mel = spec_augment(mel, torch.Generator().manual_seed(cfg.seed * 1_000_003 + step))
        device = model.mel_mean.device
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            logits = module(mel.to(device), pad.to(device))  # [B, T, V]
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # [T, B, V]
        loss = F.ctc_loss(log_probs, targets.to(device), lengths.to(device), target_lengths.to(device), blank=0,
                          zero_infinity=True)
        return loss, int(lengths.sum())

    def dev_rates() -> dict:
        rates = evaluate(model, dev, codec)
        return {"dev_cer": round(rates["cer"], 4), "dev_wer": round(rates["wer"], 4)}

    step = run_training(model, [e.tokens for e in train], int(cfg.batch_seconds * 25), step_loss, out,
                        cfg.loop(), dev_rates if dev else None, ("dev_cer", "dev_wer"), max_minutes, desc="ctc")
    if step >= cfg.steps:
        save_ctc_model(model, out / "model")
    return model
