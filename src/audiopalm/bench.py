"""`audiopalm bench`: how fast audiopalm is on this machine, as ratios measured in one run.

    peak       the best FLOP/s of square matrix multiplies (bf16 and fp32): the machine's limit
    training   LM tokens/s under bf16 autocast -> model FLOP/s -> MFU = model FLOP/s / bf16 peak
    decoding   greedy S2ST decoding of the bundle's LM at batch 1: audiopalm's decoder against
               Hugging Face `generate` on the same weights, prompts and number of new tokens
    s2st       seconds per stage for one ~5 s utterance (tokenizer, LM, acoustic model, codec) and
               the real-time factor (seconds of compute per second of source speech)
    tokenizer  real-time factor of the audio tokenizer alone, batch 1 and batch 16
    encoder    seconds per training step of a CTC encoder of Whisper tiny.en's size (the tokenizer's and the
               listener's) with dropout 0.1 and without: on a CPU, drawing dropout's masks is a third of a step

Goals on 2 CPU cores: S2ST real-time factor <= 0.2, decoding >= 1.5x `generate`, MFU >= 40%.
`--device cuda` runs the peak, training, encoder and decoding sections on a GPU.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError

SECTIONS = ("peak", "training", "decoding", "s2st", "tokenizer", "encoder")


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def matmul_peak(dtype: torch.dtype, device: str = "cpu", n: int = 2048, repeats: int = 8,
                budget_s: float = 5.0) -> float:
    """Best FLOP/s of a square product in `dtype` over `repeats` tries, at size n, or at the largest power-of-two
    size from 256 whose tries fit in `budget_s` (a dtype the device only emulates, such as bf16 on an AVX2
    CPU, multiplies hundreds of times slower: at 2048 its tries would take minutes)."""
    size = min(n, 256)
    while True:
        a = torch.randn(size, size, device=device, dtype=dtype)
        b = torch.randn(size, size, device=device, dtype=dtype)
        a @ b  # warm-up
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        if size >= n or 8 * (time.perf_counter() - t0) * repeats > budget_s:  # doubling costs 8x
            break
        size = min(n, 2 * size)
    n = size
    best = 0.0
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = max(best, 2 * n**3 / (time.perf_counter() - t0))
    return best


def seconds_per_step(step: Callable[[], None], steps: int, device: str) -> float:
    """Mean seconds of `steps` calls of `step`, after one untimed call (the first allocates)."""
    step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return (time.perf_counter() - t0) / steps


def lm_flops_per_token(model, seq: int) -> float:
    """Training FLOPs per token: 6 x (non-embedding parameters + the output layer) + attention 12 L d T."""
    cfg = model.config
    n_params = sum(p.numel() for p in model.parameters())
    n_embed = model.get_input_embeddings().weight.numel()
    head = cfg.vocab_size * cfg.hidden_size
    return 6 * (n_params - n_embed + head) + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq


def bench_training(preset: str, device: str = "cpu", seq: int = 256, batch: int = 16, steps: int = 5,
                   vocab: int = 5025) -> dict:
    """Tokens/s and model FLOP/s of LM training steps (forward, backward, AdamW) under bf16 autocast where bf16
    is native, else in float32 (as the trainers run); "dtype" says which."""
    from audiopalm.models.lm import build_llama
    from audiopalm.training.precision import bf16_autocast, use_bf16

    bf16 = use_bf16(True, device.split(":")[0])

    torch.manual_seed(0)
    model = build_llama(preset, vocab, 2, 3, 0).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(4, vocab, (batch, seq), device=device)

    def step() -> None:
        with bf16_autocast(bf16, device.split(":")[0]):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    tokens_per_second = batch * seq / seconds_per_step(step, steps, device)
    return {"preset": preset, "parameters": sum(p.numel() for p in model.parameters()), "batch": batch, "seq": seq,
            "dtype": "bf16" if bf16 else "fp32", "tokens_per_second": tokens_per_second,
            "model_flops_per_second": tokens_per_second * lm_flops_per_token(model, seq)}


def five_second_utterance(lang: str = "fr", seconds: float = 5.0, seed: int = 0) -> tuple[np.ndarray, str]:
    """New sentences by a held-out voice, joined until they last `seconds` -> (wav [N], text)."""
    from audiopalm.data.babel.languages import LANGUAGES
    from audiopalm.data.babel.render import synthesize
    from audiopalm.data.babel.sampler import sample_sentence
    from audiopalm.data.babel.speakers import SPEAKERS

    rng, sentences = random.Random(seed), []
    speaker = SPEAKERS["test"][0]
    while True:
        sentences.append(LANGUAGES[lang].realize(sample_sentence(rng)))
        text = " ".join(sentences)
        wav = synthesize(text, lang, speaker)
        if len(wav) >= seconds * SAMPLE_RATE:
            return wav, text


def bench_decoding(model, prompt: torch.Tensor, device: str = "cpu", repeats: int = 2,
                   dtypes: tuple[torch.dtype, ...] = (torch.float32, torch.float16)) -> dict:
    """Greedy S2ST decoding at batch 1, per dtype: audiopalm's decoder against `generate` on the same
    weights in the same dtype, forced to write as many tokens (best of `repeats` runs each)."""
    import copy

    from audiopalm.generation.decode import greedy_decode
    from audiopalm.generation.fast import supports

    lm, vocab = model.lm.to(device).eval(), model.vocab
    limit = min(600, 2 * len(prompt))

    def ours(dtype: torch.dtype) -> tuple[float, int]:
        t0 = time.perf_counter()
        segments = greedy_decode(lm, vocab, [prompt], ["audio"], limit, dtype=dtype)[0]
        _sync(device)
        return time.perf_counter() - t0, len(segments[0]) + 1  # the terminator is a decoded token too

    def hf(same: torch.nn.Module, n: int) -> float:
        ids = prompt[None].to(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            same.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                          do_sample=False, pad_token_id=vocab.pad_id)
        _sync(device)
        return time.perf_counter() - t0

    out = {"prompt_tokens": len(prompt), "fast_path": supports(lm)}
    for dtype in dtypes:
        same = lm if dtype == lm.dtype else copy.deepcopy(lm).to(dtype)
        n = ours(dtype)[1]  # also the warm-up
        hf(same, 4)
        t_ours = min(ours(dtype)[0] for _ in range(repeats))
        t_hf = min(hf(same, n) for _ in range(repeats))
        out[str(dtype).removeprefix("torch.")] = {"new_tokens": n, "tokens_per_second": n / t_ours,
                                                 "generate_tokens_per_second": n / t_hf, "speedup": t_hf / t_ours}
    return out


def bench_s2st(model, wav: np.ndarray, src: str, tgt: str, repeats: int = 2) -> dict:
    """Per-stage seconds of S2ST on one utterance (best of `repeats` after a warm-up) and RTFs, by the path
    `translate --speak` takes with the model's defaults (its task, its speech source), as `audiopalm eval` times it."""
    from audiopalm.evaluation.speech import stage_times
    from audiopalm.models.audiopalm import speech_task

    task, speech_from = speech_task(model.s2st_task), model.speech_source(None)
    stage_times(model, wav, src, tgt, task=task, speech_from=speech_from)  # warm-up
    runs = [stage_times(model, wav, src, tgt, task=task, speech_from=speech_from) for _ in range(repeats)]
    names = ("tokenizer", "language_model", "acoustic", "codec")
    best = min(runs, key=lambda r: sum(r[k] for k in names))
    seconds = len(wav) / SAMPLE_RATE
    stages = {k: best[k] for k in names}
    return {"source_seconds": seconds, "output_seconds": best["output_seconds"], "seconds": stages,
            "rtf": {k: v / seconds for k, v in stages.items()}, "rtf_total": sum(stages.values()) / seconds,
            "task": task, "speech_from": speech_from}


def bench_tokenizer(tokenizer, wav: np.ndarray, repeats: int = 3) -> dict:
    """Real-time factor of `encode` at batch 1 and of `encode_batch` on 16 copies."""
    tokenizer.encode(wav)  # warm-up
    seconds = len(wav) / SAMPLE_RATE
    t0 = time.perf_counter()
    for _ in range(repeats):
        tokenizer.encode(wav)
    one = (time.perf_counter() - t0) / (repeats * seconds)
    t0 = time.perf_counter()
    tokenizer.encode_batch([wav] * 16)
    batched = (time.perf_counter() - t0) / (16 * seconds)
    return {"rtf_batch_1": one, "rtf_batch_16": batched}


def bench_encoder_training(dropouts: tuple[float, ...] = (0.1, 0.0), seconds: float = 120.0, utterance: float = 3.75,
                           steps: int = 3, device: str = "cpu") -> dict:
    """Seconds per training step (forward, both CTC losses, backward, AdamW; bf16 autocast where native) of a CTC
    encoder of Whisper tiny.en's size (4 layers of 384 at 50 Hz, a character head and a phoneme head; random
    weights) on `seconds` of audio in utterances of `utterance` seconds, at each dropout of `dropouts`; the same
    batch and initial weights for each."""
    from audiopalm.audio.encoders.ctc import CtcEncoderConfig, CtcEncoderModel
    from audiopalm.audio.features import FRAMES_PER_TOKEN
    from audiopalm.recipes.ctc import _ctc
    from audiopalm.training.precision import bf16_autocast, use_bf16

    kind = device.split(":")[0]
    bf16 = use_bf16(True, kind)
    batch, tokens = max(1, round(seconds / utterance)), round(25 * utterance)
    gen = torch.Generator().manual_seed(0)
    mel = torch.randn(batch, FRAMES_PER_TOKEN * tokens, 80, generator=gen).to(device)
    lengths = torch.full((batch,), tokens)
    pad = torch.zeros(batch, tokens, dtype=torch.bool, device=device)  # a padding mask, as training passes one
    chars = torch.randint(1, 40, (batch, tokens // 2), generator=gen).tolist()
    phones = torch.randint(1, 50, (batch, tokens // 2), generator=gen).tolist()
    per_step = {}
    for dropout in dropouts:
        torch.manual_seed(0)
        cfg = CtcEncoderConfig(dim=384, layers=4, heads=6, read_layer=4, phone_layer=3, arch="whisper",
                               features="whisper", vocab=[str(i) for i in range(40)],
                               phonemes=[str(i) for i in range(50)], dropout=dropout)
        model = CtcEncoderModel(cfg).to(device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step() -> None:
            with bf16_autocast(bf16, kind):
                logits, phone_logits = model(mel, pad, with_phones=True)
            loss = _ctc(logits, chars, lengths, mel.device) + _ctc(phone_logits, phones, lengths, mel.device)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        per_step[dropout] = seconds_per_step(step, steps, device)
    return {"seconds_of_audio": batch * utterance, "utterances": batch, "dtype": "bf16" if bf16 else "fp32",
            "seconds_per_step": {str(d): t for d, t in per_step.items()},
            "speedup": per_step[dropouts[0]] / per_step[dropouts[-1]]}


@dataclass
class BenchConfig:
    """`audiopalm bench`: speed as ratios measured in one run."""

    model: str = help_field("bundle for decoding, s2st and tokenizer", "models/babel-small")
    device: str = help_field("cpu or cuda (peak, training, encoder, decoding)", "cpu")
    sections: str = help_field(f"comma-separated, of: {', '.join(SECTIONS)}", ",".join(SECTIONS))
    train_preset: str = help_field("LM preset of the training section", "base")
    train_steps: int = help_field("steps timed in the training section", 5, min=1)
    train_batch: int = help_field("sequences of 256 tokens a training step (16 suits a CPU; a GPU needs 128 or more "
                                  "to be bound by arithmetic, not kernel launches)", 16, min=1)
    source: str = help_field("source language of the decoding and s2st sections", "fr")
    target: str = help_field("target language of the decoding and s2st sections", "en")
    seconds: float = help_field("length of the timed utterance", 5.0, min=0.5)
    encoder_seconds: float = help_field("audio per step in the encoder section (the recipe's encoders: 120)", 120.0,
                                        min=1)
    out: str | None = help_field("also write the results to this JSON file", None)

    def section_list(self) -> tuple[str, ...]:
        sections = tuple(s.strip() for s in self.sections.split(",") if s.strip())
        if unknown := [s for s in sections if s not in SECTIONS]:
            raise AudiopalmError(f"unknown bench section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
        return sections


def run(cfg: BenchConfig) -> dict:
    """Check the settings, run every section, write OUT if asked -> {section: results}."""
    from audiopalm.data.manifest import json_output, write_json

    sections = cfg.section_list()
    if cfg.out:
        json_output(cfg.out)
    if {"decoding", "s2st", "tokenizer"} & set(sections) and not (Path(cfg.model) / "config.json").exists():
        raise AudiopalmError(f"no model bundle at {cfg.model} (needed by decoding, s2st and tokenizer): build one "
                             "with `audiopalm recipe run babel-small`, or run --sections peak,training")
    results = run_bench(cfg)
    if cfg.out:
        write_json(cfg.out, results)
        print(f"results written to {cfg.out}")
    return results


def run_bench(cfg: BenchConfig) -> dict:
    """Every section of `sections`, printed as it finishes -> {section: results}."""
    sections = cfg.section_list()
    out: dict = {"device": cfg.device, "threads": torch.get_num_threads(), "torch": torch.__version__}
    print(f"device {cfg.device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    if "peak" in sections or "training" in sections:
        out["peak"] = {"bf16": matmul_peak(torch.bfloat16, cfg.device), "fp32": matmul_peak(torch.float32, cfg.device)}
        print(f"matmul peak      bf16 {out['peak']['bf16'] / 1e9:8.1f} GFLOP/s   fp32 {out['peak']['fp32'] / 1e9:8.1f} GFLOP/s")
    if "training" in sections:
        t = bench_training(cfg.train_preset, cfg.device, batch=cfg.train_batch, steps=cfg.train_steps)
        t["mfu"] = t["model_flops_per_second"] / out["peak"][t["dtype"]]
        out["training"] = t
        print(f"training         LM {t['preset']} ({t['parameters'] / 1e6:.1f} M, {t['batch']} x {t['seq']} tokens a "
              f"step): {t['tokens_per_second']:.0f} tokens/s, "
              f"{t['model_flops_per_second'] / 1e9:.1f} GFLOP/s -> MFU {100 * t['mfu']:.1f}% of the {t['dtype']} peak "
              f"(goal 40%)")
    if "encoder" in sections:
        e = out["encoder"] = bench_encoder_training(seconds=cfg.encoder_seconds, device=cfg.device)
        times = e["seconds_per_step"]
        print(f"encoder training CTC encoder of Whisper tiny.en's size ({e['seconds_of_audio']:.0f} s of audio a step, "
              f"{e['dtype']}): {times['0.1']:.3f} s a step at dropout 0.1, {times['0.0']:.3f} without: "
              f"{e['speedup']:.2f}x")
    needs_model = {"decoding", "s2st", "tokenizer"} & set(sections)
    if not needs_model:
        return out
    from audiopalm.models.audiopalm import AudioPaLM

    model = AudioPaLM.from_pretrained(cfg.model)
    wav, _ = five_second_utterance(cfg.source, cfg.seconds)
    semantic = model.audio_tokenizer.encode(wav)
    if "tokenizer" in sections:
        out["tokenizer"] = bench_tokenizer(model.audio_tokenizer, wav)
        print(f"tokenizer        RTF {out['tokenizer']['rtf_batch_1']:.4f} at batch 1, "
              f"{out['tokenizer']['rtf_batch_16']:.4f} at batch 16 ({len(wav) / SAMPLE_RATE:.1f} s utterance)")
    if "decoding" in sections:
        prompt = model.prompt("S2ST", cfg.source, cfg.target, model.vocab.audio_ids(semantic))
        out["decoding"] = d = bench_decoding(model, prompt, cfg.device)
        for name in ("float32", "float16"):
            r = d[name]
            print(f"decoding {name:<8}{r['tokens_per_second']:.0f} tokens/s vs {r['generate_tokens_per_second']:.0f} with "
                  f"HF generate on the same weights: {r['speedup']:.2f}x (goal 1.5x; batch 1, {r['new_tokens']} tokens "
                  f"after {d['prompt_tokens']})")
        model.lm.to("cpu")
    if "s2st" in sections and model.speech_out is not None:
        s = bench_s2st(model, wav, cfg.source, cfg.target)
        out["s2st"] = s
        stages = "  ".join(f"{k} {v:.3f}" for k, v in s["rtf"].items())
        print(f"s2st             RTF {s['rtf_total']:.3f} (goal 0.2) on {s['source_seconds']:.1f} s -> "
              f"{s['output_seconds']:.1f} s of speech through [{s['task']}], speech from {s['speech_from']}; "
              f"per stage: {stages}")
    return out
