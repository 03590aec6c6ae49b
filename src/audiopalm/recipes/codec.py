"""Recipe: train the built-in mel codec on a world's train split (resumable).

    setup   load train audio (unreadable files reported and skipped); fit the residual quantiser
            with k-means on a sample of mel frames (OUT/quantizer.safetensors, made once), or start
            from a trained codec (`init`: its quantiser and vocoder)
    train   the vocoder on random crops: crop -> mel -> quantise -> decode -> vocoder -> wav,
            multi-resolution STFT + mel losses, in the shared loop (checkpoints, dev mel loss);
            with `adversarial`, also discriminators (multi-period, multi-resolution; hinge and
            feature-matching losses) trained in the same step
    cleanup OUT/codec: the codec folder (config.json + safetensors)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from audiopalm.audio.codecs.discriminators import Discriminators, discriminator_loss, generator_losses
from audiopalm.audio.codecs.mel import (MEL_CODEC_PRESETS, MelCodec, MelCodecConfig, ResidualQuantizer, codec_mel,
                                        fit_residual_quantizer)
from audiopalm.audio.features import log_mel
from audiopalm.audio.io import AudioError, load_audio
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.training.loop import LoopConfig, run_training
from audiopalm.training.precision import bf16_autocast

STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (n_fft, hop) of the spectral losses


@dataclass
class CodecTrainConfig:
    preset: str = help_field("codec size: tiny or small (MEL_CODEC_PRESETS)", "small")
    steps: int = help_field("vocoder training steps", 4000, min=1)
    batch: int = help_field("crops per step", 16, min=1)
    crop_frames: int = help_field("frames per crop at 50 Hz (40: 0.8 s)", 40, min=2)
    lr: float = help_field("peak learning rate", 1e-3, min=0)
    warmup: int = help_field("linear learning-rate warm-up steps", 200, min=0)
    eval_every: int = help_field("steps between dev evaluations", 500, min=1)
    checkpoint_every: int = help_field("steps between checkpoints", 250, min=1)
    max_utterances: int | None = help_field("train utterances held in memory", 4000, min=1)
    quantizer_frames: int = help_field("mel frames for the residual k-means", 200_000, min=1)
    dev_utterances: int = help_field("dev utterances for the dev loss", 50, min=1)
    bf16: bool = help_field("bf16 autocast", True)
    seed: int = help_field("random seed", 0)
    init: str | None = help_field("start from this mel codec folder: its quantiser and vocoder (preset ignored)", None)
    adversarial: bool = help_field("train discriminators beside the vocoder (hinge + feature-matching losses)", False)
    adversarial_weight: float = help_field("weight of the adversarial loss (feature matching: twice it) against the "
                                           "spectral loss", 0.05, min=0)

    def loop(self) -> LoopConfig:
        return LoopConfig(steps=self.steps, lr=self.lr, min_lr_ratio=0.05, warmup=self.warmup, weight_decay=0.01,
                          beta2=0.99, eval_every=self.eval_every, checkpoint_every=self.checkpoint_every, seed=self.seed)


def load_wavs(rows: list[dict], data: Path, desc: str) -> list[torch.Tensor]:
    """Manifest rows -> int16 waveforms; unreadable audio is reported and skipped."""
    out, failed = [], []
    for r in tqdm(rows, desc=desc, unit="utt", dynamic_ncols=True, mininterval=2):
        try:
            out.append(torch.from_numpy((load_audio(data / r["audio"]) * 32767).astype(np.int16)))
        except AudioError as e:
            failed.append(str(e))
    for msg in failed:
        print(f"skipped: {msg}")
    return out


def spectral_loss(pred: torch.Tensor, target: torch.Tensor, n_mels: int) -> torch.Tensor:
    """Multi-resolution STFT loss (spectral convergence + log-magnitude L1) + log-mel L1; wav [B, N]."""
    loss = 0.0
    for n_fft, hop in STFT_RESOLUTIONS:
        window = torch.hann_window(n_fft, device=pred.device)
        p = torch.stft(pred, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-5)
        t = torch.stft(target, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-5)
        loss = loss + torch.linalg.norm(t - p) / torch.linalg.norm(t) + (t.log() - p.log()).abs().mean()
    mel = (log_mel(pred, n_mels, 1024, 256) - log_mel(target, n_mels, 1024, 256)).abs().mean()
    return loss / len(STFT_RESOLUTIONS) + mel


def quantised_mel(codec: MelCodec, wav: torch.Tensor) -> torch.Tensor:
    """wav [B, N] -> what the decoder hands the vocoder: the standardised quantised mel [B, T, n_mels]."""
    mel = codec_mel(wav, codec.cfg)
    return torch.stack([codec.frames(codec.quantizer.encode(m)) for m in mel])


def crops(wavs: list[torch.Tensor], batch: list[int], samples: int, gen: torch.Generator) -> torch.Tensor:
    """One random crop of `samples` from each utterance in `batch` (zero-padded if shorter) -> [B, samples]."""
    out = torch.zeros(len(batch), samples)
    for row, i in enumerate(batch):
        w = wavs[i].float() / 32767
        start = int(torch.randint(0, max(1, len(w) - samples), (1,), generator=gen))
        piece = w[start: start + samples]
        out[row, : len(piece)] = piece
    return out


class AdversarialVocoder(torch.nn.Module):
    """The vocoder and its discriminators: one forward gives both sides' losses, so one backward (and one
    optimizer) trains both. The discriminators judge the generated audio twice: detached, for their own
    loss, and with their parameters frozen, for the vocoder's."""

    def __init__(self, vocoder: torch.nn.Module, n_mels: int, weight: float, bf16: bool):
        super().__init__()
        self.vocoder, self.discriminators = vocoder, Discriminators()
        self.n_mels, self.weight, self.bf16 = n_mels, weight, bf16

    def forward(self, mel: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """mel [B, T, n_mels], target wav [B, (T-1) * hop] -> losses: loss (to minimise), spectral, d_loss."""
        with bf16_autocast(self.bf16):
            pred = self.vocoder(mel).float()
            real = self.discriminators(target)
            d_loss = discriminator_loss(real, self.discriminators(pred.detach()))
            self.discriminators.requires_grad_(False)
            try:
                adversarial, matching = generator_losses(real, self.discriminators(pred))
            finally:
                self.discriminators.requires_grad_(True)
        spectral = spectral_loss(pred, target, self.n_mels)
        loss = spectral + self.weight * (adversarial.float() + 2 * matching.float()) + d_loss.float()
        return {"loss": loss, "spectral": spectral, "d_loss": d_loss}


def _init_codec(folder: str) -> MelCodec:
    """The mel codec in `folder`, in float32, to train on from; one error line when it is not one."""
    if not (Path(folder) / "config.json").exists():
        raise AudiopalmError(f"--init {folder}: not a codec folder (no config.json)")
    try:
        return MelCodec.from_pretrained(folder).float()
    except (KeyError, TypeError, RuntimeError) as e:
        raise AudiopalmError(f"--init {folder}: not a mel codec this code can load ({e})") from None


def _new_codec(wavs: list[torch.Tensor], cfg: MelCodecConfig, tcfg: CodecTrainConfig, out: Path) -> MelCodec:
    """A fitted quantiser (made once, OUT/quantizer.safetensors) and a seeded new vocoder."""
    quantizer = _fit_quantizer(wavs, cfg, tcfg, out / "quantizer.safetensors")
    torch.manual_seed(tcfg.seed)  # the vocoder's first weights, whether the quantizer was just fitted or loaded
    return MelCodec(cfg, quantizer)


def _fit_quantizer(wavs: list[torch.Tensor], cfg: MelCodecConfig, tcfg: CodecTrainConfig, path: Path) -> ResidualQuantizer:
    q = ResidualQuantizer(cfg)
    if path.exists():
        q.load_state_dict(load_file(str(path)))
        return q
    frames = torch.cat([codec_mel(w.float() / 32767, cfg) for w in tqdm(wavs, desc="mel frames", mininterval=2)])
    pick = torch.randperm(len(frames), generator=torch.Generator().manual_seed(tcfg.seed))[: tcfg.quantizer_frames]
    print(f"fitting {cfg.num_codebooks} x {cfg.codebook_size} residual codebooks on {len(pick)} mel frames")
    q = fit_residual_quantizer(frames[pick], cfg, tcfg.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in q.state_dict().items()}, str(tmp))
    tmp.replace(path)
    return q


@dataclass
class CodecStage:
    """`audiopalm codec train`: the mel codec of a dataset's train split."""

    data: str = help_field("world (or any manifest) folder with train.jsonl and dev.jsonl")
    out: str = help_field("run folder: quantizer, checkpoints/, log.csv, codec/")
    train: CodecTrainConfig = help_field("training settings", CodecTrainConfig, flat=True)
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)


def run(cfg: CodecStage) -> Path:
    """Train (or resume) the codec; OUT/codec once complete (missing while paused)."""
    return train_codec(Path(cfg.data), Path(cfg.out), cfg.train, cfg.max_minutes)


def train_codec(data: Path, out: Path, tcfg: CodecTrainConfig, max_minutes: float | None = None) -> Path:
    """Train (or resume) the mel codec on DATA/train.jsonl; returns OUT/codec once complete."""
    from audiopalm.data.manifest import audio_rows, read_jsonl

    init = _init_codec(tcfg.init) if tcfg.init else None  # checked before any audio is read
    if init is None and tcfg.preset not in MEL_CODEC_PRESETS:
        raise AudiopalmError(f"unknown codec preset {tcfg.preset!r}; choose from {', '.join(MEL_CODEC_PRESETS)}")
    rows = audio_rows(read_jsonl(data / "train.jsonl"))
    rows = [rows[i] for i in torch.randperm(len(rows), generator=torch.Generator().manual_seed(tcfg.seed))]
    wavs = load_wavs(rows[: tcfg.max_utterances], data, "train audio")
    dev = load_wavs(read_jsonl(data / "dev.jsonl")[: tcfg.dev_utterances], data, "dev audio")
    if not wavs:
        raise AudiopalmError(f"no usable training audio in {data / 'train.jsonl'}")
    codec = init or _new_codec(wavs, MEL_CODEC_PRESETS[tcfg.preset], tcfg, out)
    cfg, vocoder = codec.cfg, codec.vocoder
    samples = (tcfg.crop_frames - 1) * cfg.hop
    trained = vocoder
    if tcfg.adversarial:
        torch.manual_seed(tcfg.seed)  # the discriminators' first weights
        trained = AdversarialVocoder(vocoder, cfg.n_mels, tcfg.adversarial_weight, tcfg.bf16)

    def step_loss(module: torch.nn.Module, batch: list[int], step: int) -> tuple[torch.Tensor, int]:
        target = crops(wavs, batch, samples, torch.Generator().manual_seed(tcfg.seed * 1_000_003 + step))
        mel = quantised_mel(codec, target)
        if tcfg.adversarial:
            return module(mel, target)["loss"], target.numel()
        with bf16_autocast(tcfg.bf16):
            pred = module(mel)
        return spectral_loss(pred.float(), target, cfg.n_mels), target.numel()

    @torch.inference_mode()
    def evaluate() -> dict:
        losses = []
        for w in dev:
            target = (w.float() / 32767)[None, : (len(w) // cfg.hop) * cfg.hop]
            losses.append(float(spectral_loss(vocoder(quantised_mel(codec, target)), target, cfg.n_mels)))
        return {"dev_loss": round(float(np.mean(losses)), 4)}

    step = run_training(trained, [1] * len(wavs), tcfg.batch, step_loss, out, tcfg.loop(), evaluate if dev else None,
                        ("dev_loss",), max_minutes, desc="vocoder")
    if step >= tcfg.steps:
        codec.save_pretrained(out / "codec")
    return out / "codec"
