"""How good is an audio tokenizer? Measures as in the AudioPaLM tokenizer ablation, on every test
condition a world has (`test`: held-out speakers, `test-noisy`, `test-unseen-synth`: a synthesizer
family nothing was trained on):

    probe       WER/CER of a small CTC ASR model trained on the train split's tokens alone, same
                budget for every tokenizer: tokens that keep what was said make this easy
    encoder     the CTC encoder's own greedy CER (and phoneme error rate, with a phoneme head)
    usage       codebook perplexity exp(H(p)) and the share of codes used on the test set
    invariance  normalised edit distance between the (run-length de-duplicated) tokens of two
                speakers of one synthesizer family saying the same sentence in the same language:
                0 = speaker-independent
    cross-synth the same distance between two synthesizer families (espeak-ng vs MBROLA vs Pico)
plus the real-time factor of tokenization on this machine.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

from audiopalm.audio.encoders.ctc import sinusoidal_positions
from audiopalm.audio.tokenizer import AudioTokenizer, dedup
from audiopalm.config import help_field
from audiopalm.evaluation.text import error_rates
from audiopalm.training.batching import make_batches
from audiopalm.text.chars import CharCodec, build_char_vocab
from audiopalm.training.precision import bf16_autocast


@dataclass
class ProbeConfig:
    dim: int = help_field("probe width", 256, min=1)
    layers: int = help_field("transformer layers over the token embeddings", 3, min=1)
    heads: int = help_field("attention heads", 4, min=1)
    steps: int = help_field("probe training steps: the budget every tokenizer gets", 1500, min=1)
    batch_tokens: int = help_field("tokens per batch (4000: 160 s of audio)", 4000, min=1)
    lr: float = help_field("peak learning rate", 1e-3, min=0)
    warmup: int = help_field("linear warm-up steps", 150, min=0)
    seed: int = help_field("random seed", 0)
    char_rate: int = help_field("characters the probe may write per token: 2 spells at 50 Hz, so fast speech (over "
                                "25 characters a second) is not cut to one character a token (at 750 steps it "
                                "measured worse: docs/tokenizers.md)", 1, min=1)


@dataclass
class TokenizerEvalConfig:
    """`audiopalm tokenizer eval`: every measure of a tokenizer on a world's test conditions."""

    tokenizer: str = help_field("tokenizer folder")
    data: str = help_field("world folder with train and test manifests")
    tokens: str | None = help_field("token shards (default: DATA/tokens/<tokenizer name>-<digest>; made if missing)", None)
    probe: ProbeConfig = help_field("the ASR probe (--probe-steps: the shared budget)", ProbeConfig)
    jobs: int = help_field("tokenization processes", os.cpu_count() or 1, min=1)
    out: str | None = help_field("also write the report to this JSON file", None)


def run(cfg: TokenizerEvalConfig) -> dict:
    """Tokenize train and every test condition (shards reused), then `evaluate_tokenizer`; the report."""
    from audiopalm.data.manifest import available_conditions, json_output, write_json
    from audiopalm.data.shards import default_shards, tokenize_manifests

    if cfg.out:
        json_output(cfg.out)
    tok_dir, data = Path(cfg.tokenizer), Path(cfg.data)
    tokens = Path(cfg.tokens) if cfg.tokens else default_shards(data, tok_dir)
    tokenize_manifests(tok_dir, data, tokens, ["train", *available_conditions(data)], cfg.jobs, progress=True)
    report = evaluate_tokenizer(tok_dir, data, tokens, cfg.probe)
    if cfg.out:
        write_json(cfg.out, report)
    return report


def report_text(report: dict) -> str:
    """The report as a short table: per condition probe and encoder rates, speaker distance; usage, speed."""
    lines = [f"{report['encoder']} tokenizer, {report['codebook_size']} codes",
             f"  {'condition':<18}{'probe WER':>10}{'probe CER':>10}{'enc. CER':>9}{'enc. PER':>9}{'spk dist':>9}"]
    for name, c in report["conditions"].items():
        enc = c.get("encoder", {})
        cells = [100 * c["probe"]["wer"], 100 * c["probe"]["cer"], 100 * enc.get("cer", float("nan")),
                 100 * enc.get("per", float("nan"))]
        lines.append(f"  {name:<18}" + "".join(f"{v:>9.1f}%" if i < 2 else f"{v:>8.1f}%" for i, v in enumerate(cells))
                     + f"{c['invariance']['normalised_edit_distance']:>9.3f}")
    lines.append(f"  usage:      perplexity {report['usage']['perplexity']:.0f}, "
                 f"{100 * report['usage']['used']:.0f}% of codes used")
    if report["cross_synth"]:
        lines.append(f"  cross-synthesizer distance (same sentence, two families): "
                     f"{report['cross_synth']['normalised_edit_distance']:.3f} ({report['cross_synth']['pairs']} pairs)")
    lines.append(f"  speed:      real-time factor {report['real_time_factor']:.4f} "
                 f"({1 / report['real_time_factor']:.0f}x real time, {report['threads']} threads)")
    return "\n".join(lines)


class TokenProbe(nn.Module):
    """tokens [B, T] -> character logits [B, char_rate * T, V] (each token's position writes char_rate frames)."""

    def __init__(self, codebook_size: int, vocab_size: int, cfg: ProbeConfig):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(codebook_size, cfg.dim)
        self.layers = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(cfg.dim, cfg.heads, 4 * cfg.dim, 0.1, activation="gelu",
                                       batch_first=True, norm_first=True), cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.char_rate * vocab_size)

    def forward(self, tokens: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens) + sinusoidal_positions(tokens.shape[1], self.embed.embedding_dim)
        logits = self.head(self.norm(self.layers(x, src_key_padding_mask=pad)))  # [B, T, char_rate * V]
        return logits.reshape(tokens.shape[0], -1, self.vocab_size)


def _pad(seqs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs])
    x = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    return x, torch.arange(x.shape[1])[None, :] >= lengths[:, None], lengths


Probe = list[tuple[torch.Tensor, str, str]]  # (tokens [T], text, lang)


def train_probe(train: Probe, test: Probe | dict[str, Probe], codebook_size: int, cfg: ProbeConfig) -> dict:
    """Train on `train`, score `test` -> {'wer', 'cer', 'per_language': {...}}; with a dict of test
    sets (condition -> list), one such result per condition, from the same probe."""
    torch.manual_seed(cfg.seed)
    codec = CharCodec(build_char_vocab((t, l) for _, t, l in train))
    train = [(tok, codec.encode(t, l)) for tok, t, l in train]
    train = [(tok, lab) for tok, lab in train if 0 < len(lab) <= cfg.char_rate * len(tok)]
    model = TokenProbe(codebook_size, len(codec.vocab), cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    batches: list[list[int]] = []
    epoch = 0
    model.train()
    for step in tqdm(range(cfg.steps), desc="probe", dynamic_ncols=True, mininterval=5):
        if not batches:
            batches = make_batches([len(tok) for tok, _ in train], cfg.batch_tokens, cfg.seed, epoch)
            epoch += 1
        idx = batches.pop()
        x, pad, lengths = _pad([train[i][0] for i in idx])
        targets = torch.tensor([c for i in idx for c in train[i][1]])
        target_lengths = torch.tensor([len(train[i][1]) for i in idx])
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * step / cfg.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        with bf16_autocast():
            logits = model(x, pad)
        loss = F.ctc_loss(F.log_softmax(logits.float(), -1).transpose(0, 1), targets, lengths * cfg.char_rate,
                          target_lengths, zero_infinity=True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    if isinstance(test, dict):
        return {name: _score_probe(model, codec, rows, cfg) for name, rows in test.items()}
    return _score_probe(model, codec, test, cfg)


def _score_probe(model: TokenProbe, codec: CharCodec, test: Probe, cfg: ProbeConfig) -> dict:
    hyps = []
    with torch.inference_mode():
        for i in range(0, len(test), 64):
            x, pad, lengths = _pad([tok for tok, _, _ in test[i: i + 64]])
            for row, n in zip(model(x, pad).argmax(-1), lengths * cfg.char_rate):
                hyps.append(codec.decode_ctc(row[:n].tolist()))
    by_lang = defaultdict(lambda: ([], []))
    for (_, text, lang), hyp in zip(test, hyps):
        by_lang[lang][0].append(text)
        by_lang[lang][1].append(hyp)
    per_language = {lang: error_rates(refs, hs, lang) for lang, (refs, hs) in sorted(by_lang.items())}
    overall = error_rates([t for _, t, _ in test], hyps, "xx")
    return {**overall, "per_language": per_language, "config": asdict(cfg),
            "examples": [{"ref": t, "hyp": h} for (_, t, _), h in list(zip(test, hyps))[:5]]}


def codebook_usage(tokens: list[torch.Tensor], codebook_size: int) -> dict:
    """Perplexity exp(H) of the unigram token distribution and the share of codes used."""
    counts = torch.bincount(torch.cat(tokens), minlength=codebook_size).double()
    p = counts / counts.sum()
    nz = p[p > 0]
    return {"perplexity": float(torch.exp(-(nz * nz.log()).sum())), "used": float((counts > 0).double().mean())}


def speaker_invariance(rows: list[dict], tokens: dict[str, torch.Tensor], family: dict[str, str] | None = None,
                       cross: bool = False) -> dict:
    """Mean normalised edit distance between de-duplicated tokens of two speakers, same sentence and
    language. With `family` (speaker id -> synthesizer family): pairs from one family, or with
    `cross`, pairs from two different families."""
    groups = defaultdict(list)
    for r in rows:
        if r["id"] in tokens:
            groups[(r["sentence_id"], r["lang"])].append(r)
    dists, per_lang = [], defaultdict(list)
    for (_, lang), group in groups.items():
        pair = _pick_pair(group, family, cross)
        if pair is None:
            continue
        a, b = (dedup(tokens[r["id"]]).tolist() for r in pair)
        d = Levenshtein.distance(a, b) / max(len(a), len(b))
        dists.append(d)
        per_lang[lang].append(d)
    return {"normalised_edit_distance": float(np.mean(dists)) if dists else float("nan"), "pairs": len(dists),
            "per_language": {k: float(np.mean(v)) for k, v in sorted(per_lang.items())}}


def _pick_pair(group: list[dict], family: dict[str, str] | None, cross: bool) -> tuple[dict, dict] | None:
    """The first two rows of different speakers, of the same family (or, with `cross`, of different ones)."""
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            if a["speaker"] == b["speaker"]:
                continue
            if family is None:
                return a, b
            same = family.get(a["speaker"]) == family.get(b["speaker"])
            if same != cross:
                return a, b
    return None


@torch.inference_mode()
def encoder_ctc_rates(model, rows: list[dict], data: Path, batch: int = 16, family: dict[str, str] | None = None) -> dict:
    """A CTC encoder's own greedy transcription of `rows` -> {'cer', 'wer', 'per' (with a phoneme head)},
    and with `family` (speaker -> synthesizer family) the same per family under 'per_family'."""
    from audiopalm.audio.encoders.ctc import mel_for_tokens
    from audiopalm.audio.io import load_audio
    from audiopalm.text.phonemes import PhoneCodec, phonemize
    from audiopalm.audio.encoders.ctc import pad_mels

    codec = CharCodec(model.cfg.vocab)
    phone_codec = PhoneCodec(model.cfg.phonemes) if model.cfg.phonemes else None
    phones = phonemize({(r["text"], r["lang"]) for r in rows}) if phone_codec else {}
    refs, hyps, phone_refs, phone_hyps = [], [], [], []
    for i in range(0, len(rows), batch):
        chunk = rows[i: i + batch]
        x, pad, lengths = pad_mels([mel_for_tokens(load_audio(data / r["audio"]), model.cfg.n_mels, model.cfg.features) for r in chunk])
        logits, phone_logits = model(x, pad, with_phones=True)
        for k, (r, n) in enumerate(zip(chunk, lengths.tolist())):
            refs.append(r["text"])
            hyps.append(codec.decode_ctc(logits[k, : n * model.cfg.char_rate].argmax(-1).tolist()))
            if phone_logits is not None:
                phone_refs.append(phones[(r["text"], r["lang"])])
                phone_hyps.append(phone_codec.decode_ctc(phone_logits[k, :n].argmax(-1).tolist()))

    def summary(keep: list[int]) -> dict:
        rates = error_rates([refs[i] for i in keep], [hyps[i] for i in keep], "xx")
        out = {"cer": rates["cer"], "wer": rates["wer"], "n": len(keep)}
        if phone_hyps:
            out["per"] = error_rates([phone_refs[i] for i in keep], [phone_hyps[i] for i in keep], "xx")["cer"]
        return out

    result = summary(list(range(len(rows))))
    if family is not None:
        groups = defaultdict(list)
        for i, r in enumerate(rows):
            groups[family.get(r["speaker"], "?")].append(i)
        result["per_family"] = {f: summary(keep) for f, keep in sorted(groups.items())}
    return result


def real_time_factor(tokenizer: AudioTokenizer, wavs: list[np.ndarray], repeats: int = 1) -> float:
    """Seconds of compute per second of audio for `encode_batch` (lower is faster; 0.01 = 100x real time)."""
    audio_seconds = sum(len(w) for w in wavs) / 16_000 * repeats
    tokenizer.encode_batch(wavs[:2])  # warm-up: first calls allocate
    start = time.perf_counter()
    for _ in range(repeats):
        for i in range(0, len(wavs), 16):
            tokenizer.encode_batch(wavs[i: i + 16])
    return (time.perf_counter() - start) / audio_seconds


def evaluate_tokenizer(tokenizer_dir: Path, data: Path, tokens_dir: Path, probe: ProbeConfig,
                       rtf_utterances: int = 100, encoder_utterances: int = 600) -> dict:
    """All measures on DATA, per test condition present (tokens already in TOKENS_DIR for train and
    each condition). The top-level probe numbers are those of `test`."""
    from audiopalm.audio.io import load_audio
    from audiopalm.data.shards import load_tokens
    from audiopalm.data.manifest import available_conditions, read_jsonl, speaker_families, spread

    conditions = available_conditions(data)
    train_rows = read_jsonl(data / "train.jsonl")
    train_tok = load_tokens(tokens_dir, "train")
    tokenizer = AudioTokenizer.from_pretrained(tokenizer_dir)
    k = tokenizer.codebook_size
    rows = {c: read_jsonl(data / f"{c}.jsonl") for c in conditions}
    toks = {c: load_tokens(tokens_dir, c) for c in conditions}
    train = [(train_tok[r["id"]], r["text"], r["lang"]) for r in train_rows if r["id"] in train_tok]
    tests = {c: [(toks[c][r["id"]], r["text"], r["lang"]) for r in rows[c] if r["id"] in toks[c]] for c in conditions}
    start = time.perf_counter()
    probes = train_probe(train, tests, k, probe)
    train_seconds = round(time.perf_counter() - start, 1)
    family = speaker_families(data)
    ctc_model = getattr(tokenizer.encoder, "model", None) if tokenizer.encoder.name == "ctc" else None
    per_condition = {}
    for c in conditions:
        per_condition[c] = {"probe": probes[c],
                            "invariance": speaker_invariance(rows[c], toks[c], family)}
        if ctc_model is not None:
            per_condition[c]["encoder"] = encoder_ctc_rates(ctc_model, spread(rows[c], encoder_utterances), data,
                                                            family=family)
    cross = None
    if family is not None:
        both = [r for c in ("test", "test-unseen-synth") if c in rows for r in rows[c]]
        merged = {**toks.get("test", {}), **toks.get("test-unseen-synth", {})}
        cross = speaker_invariance(both, merged, family, cross=True)
    test = conditions[0]
    wavs = [load_audio(data / r["audio"]) for r in rows[test][:rtf_utterances]]
    return {
        "tokenizer": str(tokenizer_dir),
        "encoder": tokenizer.encoder.name,
        "codebook_size": k,
        "probe": {**probes[test], "train_seconds": train_seconds},
        "usage": codebook_usage(list(toks[test].values()), k),
        "invariance": per_condition[test]["invariance"],
        "cross_synth": cross,
        "conditions": per_condition,
        "real_time_factor": real_time_factor(tokenizer, wavs),
        "threads": torch.get_num_threads(),
    }
