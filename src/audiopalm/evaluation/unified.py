"""ASR WER and AST BLEU of an AudioPaLM model on a world's test split.

Audio tokens come from the token shards of the model's own tokenizer (made if missing), prompts
are decoded in batches with the KV-cached greedy decoder, and scores are per language (ASR) and per
pair (AST), with zero-shot pairs (world.json) reported apart from supervised ones.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import torch
from tqdm import tqdm

from audiopalm.audio.shards import load_tokens, tokenize_manifests
from audiopalm.data.babel.synth import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates
from audiopalm.models.audiopalm import AudioPaLM


def bleu(refs: list[str], hyps: list[str]) -> tuple[float, str]:
    """Corpus BLEU (sacrebleu defaults: 13a tokenisation, case-sensitive) and its signature."""
    import sacrebleu

    metric = sacrebleu.metrics.BLEU()
    return metric.corpus_score(hyps, [refs]).score, str(metric.get_signature())


def _folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def split_tokens(model_dir: Path, data: Path, split: str = "test", jobs: int = 2) -> dict[str, torch.Tensor]:
    """Tokens of a split by the model's own audio tokenizer (shards under DATA/tokens, made once per
    tokenizer: the folder is named by a digest of the tokenizer's files)."""
    out = data / "tokens" / f"audio-{_folder_digest(model_dir / 'audio_tokenizer')}"
    tokenize_manifests(model_dir / "audio_tokenizer", data, out, [split], jobs)
    return load_tokens(out, split)


def translation_pairs(langs: list[str], targets: tuple[str, ...], pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each language into each target (itself excluded), then the extra "src-tgt" pairs."""
    wanted = [(src, tgt) for src in langs for tgt in targets if tgt != src]
    return wanted + [p for p in _parse_pairs(pairs) if p not in wanted]


def _parse_pairs(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    """("de-it", ...) -> [("de", "it"), ...]"""
    out = []
    for pair in pairs:
        src, dash, tgt = pair.partition("-")
        if not (dash and src and tgt):
            raise AudiopalmError(f"translation pair {pair!r} is not SRC-TGT (such as de-it)")
        out.append((src, tgt))
    return out


def decode_task(model: AudioPaLM, task: str, jobs: list[tuple[str, str | None, torch.Tensor]], batch: int = 16,
                max_new_tokens: int = 120) -> list[str]:
    """(source lang, target lang, audio tokens) -> the decoded text of the first output segment."""
    out = []
    for i in tqdm(range(0, len(jobs), batch), desc=task, dynamic_ncols=True, mininterval=5):
        chunk = jobs[i: i + batch]
        prompts = [model.prompt(task, s, t, model.vocab.audio_ids(tok)) for s, t, tok in chunk]
        for segments in model.run(task, prompts, max_new_tokens=max_new_tokens):
            out.append(model.text_of(segments[0]).strip())
    return out


def evaluate_unified(model_dir: Path, data: Path, per_language: int = 50, targets: tuple[str, ...] = ("en",),
                     jobs: int = 2, pairs: tuple[str, ...] = (), tasks: frozenset[str] = frozenset({"asr", "ast", "lid"})
                     ) -> dict:
    """On `per_language` test utterances of each language: ASR ("asr" in `tasks`), AST into each of
    `targets` and for each "src-tgt" in `pairs` ("ast"), language identification accuracy ("lid")."""
    model = AudioPaLM.from_pretrained(model_dir)
    world = json.loads((data / "world.json").read_text())
    zero_shot = {tuple(p) for p in world.get("zero_shot_pairs", [])}
    rows = read_jsonl(data / "test.jsonl")
    tokens = split_tokens(model_dir, data, "test", jobs)
    by_lang, texts = defaultdict(list), {}
    for r in rows:
        texts[(r["sentence_id"], r["lang"])] = r["text"]
        if r["id"] in tokens and len(by_lang[r["lang"]]) < per_language:
            by_lang[r["lang"]].append(r)
    report: dict = {"asr": {}, "ast": {}, "lid": {}, "zero_shot_pairs": sorted(zero_shot)}
    extra = defaultdict(list)
    for src, tgt in _parse_pairs(pairs):
        extra[src].append(tgt)
    for lang, utts in sorted(by_lang.items()):
        if "lid" in tasks:
            guesses = [model.identify_language_of_tokens(model.vocab.audio_ids(tokens[r["id"]])) for r in utts]
            report["lid"][lang] = {"accuracy": sum(g == lang for g in guesses) / len(utts), "n": len(utts)}
        if "asr" in tasks:
            hyps = decode_task(model, "ASR", [(lang, None, tokens[r["id"]]) for r in utts])
            report["asr"][lang] = {**error_rates([r["text"] for r in utts], hyps, lang), "n": len(utts),
                                   "examples": [{"ref": r["text"], "hyp": h} for r, h in list(zip(utts, hyps))[:3]]}
        for tgt in dict.fromkeys([*targets, *extra[lang]]):
            if tgt == lang or "ast" not in tasks:
                continue
            hyps = decode_task(model, "AST", [(lang, tgt, tokens[r["id"]]) for r in utts])
            refs = [texts[(r["sentence_id"], tgt)] for r in utts]
            score, signature = bleu(refs, hyps)
            report["ast"][f"{lang}-{tgt}"] = {"bleu": score, "zero_shot": (lang, tgt) in zero_shot, "n": len(utts),
                                              "signature": signature, "examples": [{"ref": a, "hyp": b} for a, b in list(zip(refs, hyps))[:3]]}
    return report


def evaluate_text_mt(lm_dir: Path, data: Path, per_language: int = 50, targets: tuple[str, ...] = ("en",),
                     batch: int = 16, pairs: tuple[str, ...] = ()) -> dict:
    """MT BLEU of a pretrained text LM (LMDIR of pretrain-text) on the test sentences' gold text: the
    ceiling for AST, whose input is speech instead of the transcript."""
    from transformers import AutoModelForCausalLM

    from audiopalm.data.babel.languages import LANGUAGES
    from audiopalm.data.tasks import tag
    from audiopalm.generation.decode import greedy_decode
    from audiopalm.text.tokenizer import load_text_tokenizer
    from audiopalm.text.vocab import UnifiedVocab

    lm = AutoModelForCausalLM.from_pretrained(lm_dir / "model").eval()
    tok = load_text_tokenizer(lm_dir / "text_tokenizer")
    vocab = UnifiedVocab(tok.vocab_size, 0, tok.bos_id, tok.eos_id, tok.pad_id, tok.sep_id)
    rows = [r for r in read_jsonl(data / "sentences.jsonl") if r["split"] == "test"][:per_language]
    report = {}
    for src, tgt in translation_pairs(list(LANGUAGES), targets, pairs):
        prompts = [torch.tensor([tok.bos_id, *tok.encode(f"{tag('MT', LANGUAGES[src].name, LANGUAGES[tgt].name)} "
                                                         f"{r['texts'][src]}"), tok.sep_id]) for r in rows]
        hyps = []
        for i in range(0, len(prompts), batch):
            for segments in greedy_decode(lm, vocab, prompts[i: i + batch], ["text"], max_new_tokens=80):
                hyps.append(tok.decode(segments[0]).strip())
        refs = [r["texts"][tgt] for r in rows]
        score, signature = bleu(refs, hyps)
        report[f"{src}-{tgt}"] = {"bleu": score, "n": len(rows), "signature": signature,
                                  "examples": [{"ref": a, "hyp": b} for a, b in list(zip(refs, hyps))[:3]]}
    return report
