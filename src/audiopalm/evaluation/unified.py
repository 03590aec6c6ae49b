"""ASR WER and AST BLEU of an AudioPaLM model on a world's test split.

Audio tokens come from the token shards of the model's own tokenizer (made if missing), prompts
are decoded in batches with the KV-cached greedy decoder, and scores are per language (ASR) and per
pair (AST), with zero-shot pairs (world.json) reported apart from supervised ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import torch
from tqdm import tqdm

from audiopalm.audio.io import load_audio
from audiopalm.data.shards import load_tokens, tokenize_manifests, tokenizer_digest
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import error_rates, translation_scores
from audiopalm.generation.decode import TEXT_BEAMS
from audiopalm.models.audiopalm import TRANSLATION_SEGMENT, AudioPaLM, Heard


def token_cache() -> Path:
    """Where evaluation keeps the token shards it makes: $AUDIOPALM_CACHE/tokens, else
    $XDG_CACHE_HOME/audiopalm/tokens (~/.cache/audiopalm/tokens); never inside a dataset."""
    root = os.environ.get("AUDIOPALM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "audiopalm"
    return Path(root) / "tokens"


def split_tokens(model_dir: Path, data: Path, split: str = "test", jobs: int = 2
                 ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tokens of a split by the model's own audio tokenizer -> ({utterance id: tokens [T]}, {id: why it has
    none}). Shards live in the token cache, one folder per (dataset path, tokenizer): made once,
    and re-made where the manifest changed."""
    place = hashlib.sha256(str(data.resolve()).encode()).hexdigest()[:12]
    out = token_cache() / f"{place}-{tokenizer_digest(model_dir / 'audio_tokenizer')}"
    index = tokenize_manifests(model_dir / "audio_tokenizer", data, out, [split], jobs)
    failed = dict(f.split(": ", 1) if ": " in f else (f, "unreadable") for f in index["failed"].get(split, []))
    return load_tokens(out, split), failed


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
                max_new_tokens: int = 120, segment: int = 0, beams: int | None = None,
                heard: list[Heard | None] | None = None, ctc_weight: float | None = None) -> list[str]:
    """(source lang, target lang, audio tokens [T]) -> the decoded text of output segment `segment`
    (1 for the translation of "ASR AST"); greedy with `beams` 1, else beam search (None: the model's default).
    With the recordings `heard` (one per job; None where absent), a task that writes a transcript first (ASR,
    ASR AST) decodes it jointly with the model's CTC head at `ctc_weight` (None: the model's;
    `AudioPaLM.ctc_guide`); a `Heard` keeps the head's reading, so decoding it again reads nothing again."""
    ids = [(s, t, model.vocab.audio_ids(tok)) for s, t, tok in jobs]
    if heard is None or ctc_weight == 0 or task not in ("ASR", "ASR AST"):
        return _decode(model, task, ids, batch, max_new_tokens, segment, beams)
    out = []
    for i in tqdm(range(0, len(jobs), batch), desc=task, dynamic_ncols=True, mininterval=5):
        # a batch's guides at a time: each keeps the states of every prefix it scored
        guides = [model.ctc_guide(h, s, ctc_weight) if h is not None else None
                  for h, (s, _, _) in zip(heard[i: i + batch], jobs[i: i + batch])]
        out += _decode(model, task, ids[i: i + batch], batch, max_new_tokens, segment, beams, guides, progress=False)
    return out


def decode_text_task(model: AudioPaLM, task: str, jobs: list[tuple[str, str | None, str]], batch: int = 16,
                     max_new_tokens: int = 120, beams: int | None = None) -> list[str]:
    """(source lang, target lang, text) -> the decoded text of the first output segment (MT)."""
    ids = [torch.tensor(model.text_tokenizer.encode(text), dtype=torch.long) for _, _, text in jobs]
    return _decode(model, task, [(s, t, i) for (s, t, _), i in zip(jobs, ids)], batch, max_new_tokens, beams=beams)


def _decode(model: AudioPaLM, task: str, jobs: list[tuple[str, str | None, torch.Tensor]], batch: int,
            max_new_tokens: int, segment: int = 0, beams: int | None = None, guides: list | None = None,
            progress: bool = True) -> list[str]:
    out = []
    for i in tqdm(range(0, len(jobs), batch), desc=task, dynamic_ncols=True, mininterval=5, disable=not progress):
        prompts = [model.prompt(task, s, t, ids) for s, t, ids in jobs[i: i + batch]]
        for segments in model.run(task, prompts, beams=beams, max_new_tokens=max_new_tokens,
                                  guides=guides[i: i + batch] if guides else None):
            out.append(model.text_of(segments[segment]).strip() if len(segments) > segment else "")
    return out


def identified(model: AudioPaLM, heard: Heard | None, tokens: torch.Tensor) -> str:
    """The language `model.identify_language` finds in a recording heard with its tokens from the shards; from
    the tokens alone where the model has no language identifier to read the recording with, or the recording is
    absent (None: shards travel without their audio)."""
    if model.langid is None or heard is None:
        return model.identify_language_of_tokens(model.vocab.audio_ids(tokens))
    return model.identify_language(heard)


def heard_rows(data: Path, rows: list[dict], tokens: dict[str, torch.Tensor]) -> list[Heard | None]:
    """Each manifest row's recording with its tokens from the shards, read once for every task that reads it
    (identification, the CTC head's reading of transcripts); None where the recording is absent."""
    return [Heard(load_audio(data / r["audio"]), tokens[r["id"]]) if (data / r["audio"]).is_file() else None
            for r in rows]


def evaluate_unified(model_dir: Path, data: Path, per_language: int = 50, targets: tuple[str, ...] = ("en",),
                     jobs: int = 2, pairs: tuple[str, ...] = (), tasks: frozenset[str] = frozenset({"asr", "ast", "lid"}),
                     cascade: bool = False, ast_task: str | None = None, split: str = "test", beams: int | None = None,
                     ctc_weight: float | None = None, examples: int = 3) -> dict:
    """On `per_language` utterances of each language of `split` (a test condition: test, test-noisy or
    test-unseen-synth; translation references come from it and from test): ASR ("asr" in `tasks`), language
    identification ("lid"), and for each pair (each language into each of `targets`, and each "src-tgt"
    in `pairs`): AST ("ast"), the model's MT task on the gold transcripts ("mt"), and with `cascade`
    the cascade it replaces: the model's own ASR, then its MT on that transcript. `ast_task` "AST" (the
    translation alone) or "ASR AST" (the combined task, transcript first); None: the model's own choice,
    as `translate` makes it. Text is decoded with beam search of `beams` (None: the model's default; 1: greedy),
    transcripts (ASR, and the combined task's) jointly with the model's CTC head at `ctc_weight` (None: the
    model's, per language) where the recordings are there. Each entry keeps its first `examples` references and
    hypotheses."""
    if ast_task is not None and ast_task not in TRANSLATION_SEGMENT:
        raise AudiopalmError(f"ast_task must be 'AST' or 'ASR AST', not {ast_task!r}")
    model = AudioPaLM.from_pretrained(model_dir)
    ast_task = ast_task or model.ast_task
    world = json.loads((data / "world.json").read_text())
    zero_shot = {tuple(p) for p in world.get("zero_shot_pairs", [])}
    if not (data / f"{split}.jsonl").exists():
        raise AudiopalmError(f"{data / f'{split}.jsonl'} not found: this world has no {split} condition")
    tokens, failed = split_tokens(model_dir, data, split, jobs)
    by_lang, texts, skipped = defaultdict(list), {}, []
    for r in read_jsonl(data / "test.jsonl") if split != "test" else []:
        texts[(r["sentence_id"], r["lang"])] = r["text"]
    for r in read_jsonl(data / f"{split}.jsonl"):
        texts[(r["sentence_id"], r["lang"])] = r["text"]
        if not r.get("audio") or len(by_lang.get(r["lang"], ())) >= per_language:
            continue
        if r["id"] in tokens:  # a language whose recordings are all unreadable gets no entry
            by_lang[r["lang"]].append(r)
        else:  # an unreadable recording: counted and named in the report
            skipped.append(f"{r['id']}: {failed.get(r['id'], 'no tokens')}")
    if not by_lang:
        raise AudiopalmError(f"{data / f'{split}.jsonl'}: no recording to evaluate"
                             + (f" ({len(skipped)} unreadable, first: {skipped[0]})" if skipped else ""))
    report: dict = {"asr": {}, "ast": {}, "mt": {}, "lid": {}, "cascade": {"ast": {}}, "ast_task": ast_task,
                    "beams": beams or TEXT_BEAMS, "zero_shot_pairs": sorted(zero_shot), "split": split,
                    "skipped": skipped}
    if model.char_codec is None or not all((data / r["audio"]).is_file() for u in by_lang.values() for r in u):
        ctc_weight = 0.0  # no CTC head, or shards without their recordings: the language model alone
    reads_audio = ("lid" in tasks and model.langid is not None) or ctc_weight != 0
    report["ctc_weight"] = {lang: model.ctc_weight(lang) if ctc_weight is None else ctc_weight for lang in by_lang}
    wanted = translation_pairs(sorted(by_lang), targets, pairs)
    for lang, utts in sorted(by_lang.items()):
        heard = heard_rows(data, utts, tokens) if reads_audio else [None] * len(utts)
        if "lid" in tasks:
            guesses = [identified(model, h, tokens[r["id"]]) for r, h in zip(utts, heard)]
            wrong = Counter(g for g in guesses if g != lang)
            report["lid"][lang] = {"accuracy": sum(g == lang for g in guesses) / len(utts), "n": len(utts),
                                   "taken_for": dict(wrong.most_common())}
        transcripts = None
        if "asr" in tasks or cascade:
            transcripts = decode_task(model, "ASR", [(lang, None, tokens[r["id"]]) for r in utts], beams=beams,
                                      heard=heard, ctc_weight=ctc_weight)
        if "asr" in tasks:
            report["asr"][lang] = {**error_rates([r["text"] for r in utts], transcripts, lang), "n": len(utts),
                                   "examples": _examples([r["text"] for r in utts], transcripts, examples)}
        for tgt in [t for s, t in wanted if s == lang]:
            keep = [i for i, r in enumerate(utts) if (r["sentence_id"], tgt) in texts]  # those with a reference
            if not keep:
                continue
            pair_utts = [utts[i] for i in keep]
            refs = [texts[(r["sentence_id"], tgt)] for r in pair_utts]
            entry = {"zero_shot": (lang, tgt) in zero_shot, "n": len(pair_utts)}
            if "ast" in tasks:
                hyps = decode_task(model, ast_task, [(lang, tgt, tokens[r["id"]]) for r in pair_utts],
                                   segment=TRANSLATION_SEGMENT[ast_task], beams=beams,
                                   heard=[heard[i] for i in keep], ctc_weight=ctc_weight)
                report["ast"][f"{lang}-{tgt}"] = {**translation_scores(refs, hyps), **entry,
                                                  "examples": _examples(refs, hyps, examples)}
            if "mt" in tasks:
                hyps = decode_text_task(model, "MT", [(lang, tgt, r["text"]) for r in pair_utts], beams=beams)
                report["mt"][f"{lang}-{tgt}"] = {**translation_scores(refs, hyps), **entry,
                                                 "examples": _examples(refs, hyps, examples)}
            if cascade:
                hyps = decode_text_task(model, "MT", [(lang, tgt, transcripts[i]) for i in keep], beams=beams)
                report["cascade"]["ast"][f"{lang}-{tgt}"] = {**translation_scores(refs, hyps), **entry,
                                                              "examples": _examples(refs, hyps, examples)}
    return report


def _examples(refs: list[str], hyps: list[str], n: int = 3) -> list[dict[str, str]]:
    return [{"ref": a, "hyp": b} for a, b in list(zip(refs, hyps))[:n]]


def evaluate_text_mt(lm_dir: Path, data: Path, per_language: int = 50, targets: tuple[str, ...] = ("en",),
                     batch: int = 16, pairs: tuple[str, ...] = ()) -> dict:
    """MT BLEU of a pretrained text LM (LMDIR of pretrain-text) on the test sentences' gold text: the
    ceiling for AST, whose input is speech instead of the transcript."""
    from transformers import AutoModelForCausalLM

    from audiopalm.data.languages import Languages
    from audiopalm.data.tasks import prompt_ids, task_tag
    from audiopalm.generation.decode import greedy_decode
    from audiopalm.text.tokenizer import load_text_tokenizer
    from audiopalm.text.vocab import UnifiedVocab

    lm = AutoModelForCausalLM.from_pretrained(lm_dir / "model", use_safetensors=True).eval()
    tok = load_text_tokenizer(lm_dir / "text_tokenizer")
    vocab = UnifiedVocab.of_text(tok)
    languages = Languages.of_dataset(data)
    rows = [r for r in read_jsonl(data / "sentences.jsonl", keys=()) if r["split"] == "test"][:per_language]
    zero_shot = {tuple(p) for p in json.loads((data / "world.json").read_text()).get("zero_shot_pairs", [])}
    report = {}
    for src, tgt in translation_pairs(languages.codes, targets, pairs):
        tag_ids = tok.encode(task_tag(languages, "MT", src, tgt))
        prompts = [prompt_ids(vocab, tag_ids, torch.tensor(tok.encode(r["texts"][src]), dtype=torch.long)) for r in rows]
        hyps = []
        for i in range(0, len(prompts), batch):
            for segments in greedy_decode(lm, vocab, prompts[i: i + batch], ["text"], max_new_tokens=80):
                hyps.append(tok.decode(segments[0]).strip())
        refs = [r["texts"][tgt] for r in rows]
        report[f"{src}-{tgt}"] = {**translation_scores(refs, hyps), "zero_shot": (src, tgt) in zero_shot, "n": len(rows),
                                  "examples": _examples(refs, hyps)}
    return report
