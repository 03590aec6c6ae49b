"""Training sequences for the multitask mixture, from a world's manifests and token shards.

Utterances are grouped by (sentence, speaker): the same speaker saying one meaning in several
languages. A language the speaker did not say is borrowed from the sentence's other rows: another
speaker's recording (a CVSS target voice, a FLEURS reading) or a text-only row (a CoVoST2
translation); borrowed utterances are only ever targets, and text-only ones only of text outputs.
From a group, for a source language s and a target t:
    ASR  s-audio -> s-text          AST  s-audio -> t-text        S2ST s-audio -> t-audio (same voice)
    TTS  s-text  -> s-audio         MT   s-text  -> t-text        ASR AST, ASR AST S2ST: chained outputs
    LID  s-audio -> the name of s
Pairs listed in world.json's zero_shot_pairs are never used for AST, S2ST or the combined tasks.

People say more than one sentence at a time: with `joined` > 0, a speaker's groups are also joined into
groups of 2 to `join_max` sentences said one after another (tokens end to end, texts with a space between),
and every task is drawn on them as on one sentence.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

import torch

from audiopalm.data.tasks import TASKS, Languages, Segment, Sequence, build_sequence, task_tag
from audiopalm.text.tokenizer import TextTokenizer
from audiopalm.text.vocab import UnifiedVocab


@dataclass
class MixtureConfig:
    """Expected examples per utterance for each task (fractions are drawn at random)."""

    weights: dict[str, float] = field(default_factory=lambda: {"ASR": 1.0, "AST": 1.0, "S2ST": 0.5, "TTS": 0.25,
                                                               "MT": 0.25, "ASR AST": 0.5,
                                                               "LID": 0.1})
    zero_shot_pairs: list[list[str]] = field(default_factory=list)  # (source, target) kept out of translation
    max_tokens: int = 1200  # drop longer sequences (25 Hz audio: 1200 tokens is ~40 s of speech)
    seed: int = 0
    joined: float = 0.0  # expected multi-sentence groups per (sentence, speaker) group (`join_groups`)
    join_max: int = 3  # sentences in a multi-sentence group, at most


@dataclass(frozen=True)
class Utt:
    lang: str
    text: str
    tokens: torch.Tensor | None  # audio tokens [T] in 0..K-1; None for a text-only row
    borrowed: bool = False  # from another speaker's row (or a text-only one) of the same sentence
    speaker: str = ""  # who said it ("" where the manifest does not say)


def group_utterances(rows: list[dict], tokens: dict[str, torch.Tensor]) -> list[dict[str, Utt]]:
    """Manifest rows -> [{lang: Utt}] per (sentence, speaker) of the rows with tokens, each completed
    with the sentence's languages the speaker did not say (a recording before a text-only row, the
    first in manifest order). Rows with audio but no tokens (files that failed to tokenize) are skipped."""
    groups: dict[tuple[str, str], dict[str, Utt]] = defaultdict(dict)
    fill: dict[str, dict[str, Utt]] = defaultdict(dict)  # sentence -> lang -> what a group may borrow
    for r in rows:
        if r["id"] in tokens:
            utt = Utt(r["lang"], r["text"], tokens[r["id"]], speaker=r.get("speaker", ""))
            groups[(r["sentence_id"], r["speaker"])][r["lang"]] = utt
        elif not r.get("audio"):
            utt = Utt(r["lang"], r["text"], None)
        else:
            continue
        have = fill[r["sentence_id"]].get(r["lang"])
        if have is None or (have.tokens is None and utt.tokens is not None):
            fill[r["sentence_id"]][r["lang"]] = Utt(utt.lang, utt.text, utt.tokens, True, utt.speaker)
    for (sentence, _), group in groups.items():
        for lang, utt in fill[sentence].items():
            group.setdefault(lang, utt)
    return list(groups.values())


def joined_group(parts: list[dict[str, Utt]]) -> dict[str, Utt]:
    """Groups of one speaker -> one group of their sentences said one after another: each language all of them
    have, its texts joined with a space and its tokens end to end [T1 + T2 + ...] (None if one part has none;
    borrowed if one part is)."""
    langs = [lang for lang in parts[0] if all(lang in p for p in parts)]
    out = {}
    for lang in langs:
        utts = [p[lang] for p in parts]
        tokens = None if any(u.tokens is None for u in utts) else torch.cat([u.tokens for u in utts])
        out[lang] = Utt(lang, " ".join(u.text for u in utts), tokens, any(u.borrowed for u in utts),
                        utts[0].speaker)
    return out


def join_groups(groups: list[dict[str, Utt]], joined: float, most: int, seed: int) -> list[dict[str, Utt]]:
    """`joined` multi-sentence groups per group on average (`joined_group`): the group and 1 to `most` - 1 other
    sentences of its speaker, drawn at random (deterministic for `seed`)."""
    rng = random.Random(seed)
    by_speaker: dict[str, list[dict[str, Utt]]] = defaultdict(list)
    for group in groups:
        own = [u for u in group.values() if not u.borrowed]
        if own:
            by_speaker[own[0].speaker].append(group)
    out = []
    for mine in by_speaker.values():
        for i, group in enumerate(mine):
            others = mine[:i] + mine[i + 1:]
            for _ in range(int(joined) + (rng.random() < joined - int(joined))):
                if others and most >= 2:
                    out.append(joined_group([group, *rng.sample(others, min(rng.randint(1, most - 1), len(others)))]))
    return out


def _segment(vocab: UnifiedVocab, tok: TextTokenizer, languages: Languages, seg: Segment, src: Utt,
             tgt: Utt | None) -> torch.Tensor:
    if seg.lang == "name":
        return torch.tensor(tok.encode(languages.name(src.lang)), dtype=torch.long)
    utt = src if seg.lang == "source" else tgt
    if seg.modality == "audio":
        return vocab.audio_ids(utt.tokens)
    return torch.tensor(tok.encode(utt.text), dtype=torch.long)


def example(vocab: UnifiedVocab, tok: TextTokenizer, languages: Languages, task: str, src: Utt,
            tgt: Utt | None) -> Sequence:
    """One task on one (source, target) pair -> (ids, loss mask)."""
    spec = TASKS[task]
    tag_ids = tok.encode(task_tag(languages, task, src.lang, tgt.lang if tgt else None))
    outputs = [_segment(vocab, tok, languages, s, src, tgt) for s in spec.outputs]
    return build_sequence(vocab, tag_ids, _segment(vocab, tok, languages, spec.input, src, tgt), outputs)


def build_mixture(groups: list[dict[str, Utt]], vocab: UnifiedVocab, tok: TextTokenizer, languages: Languages,
                  cfg: MixtureConfig) -> list[Sequence]:
    """Draw the task mixture over all groups (and their multi-sentence groups: `cfg.joined`); deterministic for
    `cfg.seed`."""
    rng = random.Random(cfg.seed)
    held = {tuple(p) for p in cfg.zero_shot_pairs}
    if cfg.joined > 0:
        groups = [*groups, *join_groups(groups, cfg.joined, cfg.join_max, cfg.seed + 1)]
    out = []
    for group in groups:
        for src in [u for u in group.values() if not u.borrowed]:
            for task, weight in cfg.weights.items():
                n = int(weight) + (rng.random() < weight - int(weight))
                speaks = any(s.lang == "target" and s.modality == "audio" for s in TASKS[task].outputs)
                for _ in range(n):
                    tgt = None
                    if TASKS[task].translates:
                        targets = [u for lang, u in group.items() if lang != src.lang and (src.lang, lang) not in held
                                   and (u.tokens is not None or not speaks)]
                        if not targets:
                            continue
                        tgt = rng.choice(targets)
                    ids, mask = example(vocab, tok, languages, task, src, tgt)
                    if len(ids) <= cfg.max_tokens:
                        out.append((ids, mask))
    rng.shuffle(out)
    return out
