"""KV-cached decoding with modality constraints.

The task says which segments the model writes (e.g. text, text, audio for "[ASR AST S2ST ...]").
While writing a text segment only text tokens and its terminator are allowed; in an audio segment
only audio tokens and its terminator. <sep> ends a segment, EOS the last one.

    greedy_decode(model, vocab, prompts, ["text"])        batched, left-padded prompts
    greedy_decode(model, vocab, prompts, ["audio"], audio_sampling=Sampling())
                                                          audio segments sampled (top-k), text greedy
    beam_decode(model, vocab, prompt, ["text"], beams=4)  one prompt, its beams batched
    beam_decode(..., ctc=CtcGuide(scorer, 0.3))           the transcript ranked with a CTC head's prefix
                                                          scores too (joint decoding, generation/ctc.py)
    beam_decode(..., ctc=CtcGuide(scorer, 0.3, mood=m))   and with its mood as a question head heard it
                                                          (generation/mood.py)
    beam_decode(..., ctc=CtcGuide(scorer, 0.3, spelt=chars, spellings=s))
                                                          the transcript bound to write a spelling exactly: the
                                                          model chooses its tokens, case and punctuation

Speech tokens are sampled by default in AudioPaLM (models/audiopalm.py): decoded greedily, 25 Hz
semantic tokens fall into loops that never reach EOS (on the default bundle's fr-en S2ST test
prompts, 5 of 8 ran to the length cap repeating a handful of tokens; sampled, all 8 stopped, at 0.93x
the reference length).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.generation.ctc import CtcPrefixScorer, TokenSpellings
from audiopalm.generation.fast import stepper
from audiopalm.generation.mood import MoodScorer
from audiopalm.text.vocab import UnifiedVocab


# Text is decoded by beam search of this width unless a call asks otherwise; a decode that writes speech is greedy
# in its text too (models/audiopalm.py).
TEXT_BEAMS = 4
# Transcripts (ASR, and the one the combined task writes before its translation) are decoded with a CTC character
# head beside the language model where the model has one (its listener's or its tokenizer's; `CtcGuide`):
# hypotheses ranked by (1 - CTC_WEIGHT) x the model's log-probability + CTC_WEIGHT x the head's.
CTC_WEIGHT = 0.3
CTC_FLOOR = -1e9  # a transcript the audio is too short to spell scores this, not -inf, and ranks by the LM
# Tokens that add no character (punctuation, a bare space) leave a CTC score as it was: on speech the head cannot read,
# a run of them ("L'acuamta..........") outranks every word. A transcript's spelling may stand still for at most this
# many tokens in a row (the most any training transcript of the Babel world has: ", " and French " ?").
MUTE_RUN = 2
# A transcript that shows a mood (question or statement) the model's question head finds less likely than the other
# loses MOOD_WEIGHT x the difference of their log-probabilities (generation/mood.py; chosen on dev, docs/model.md).
MOOD_WEIGHT = 2.0


@dataclass
class Hypothesis:
    segments: list[list[int]]  # vocabulary ids of each finished or open segment, terminators removed
    score: float = 0.0  # sum of log-probabilities
    done: bool = False
    ctc: float = 0.0  # with a guide: its weighted score of the first segment (a prefix while open, whole once closed)


@dataclass(frozen=True)
class Sampling:
    """Top-k sampling at a temperature, seeded: the generator restarts at `seed` for every call."""

    temperature: float = 0.5
    top_k: int = 50
    seed: int = 0

    def __post_init__(self):
        import math

        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise AudiopalmError(f"sampling temperature must be a finite number above 0 (greedy: no sampling), "
                             f"not {self.temperature}")
        if self.top_k < 1:
            raise AudiopalmError(f"sampling top_k must be at least 1, not {self.top_k}")

    def draw(self, logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """logits [B, V] (disallowed tokens at -inf) -> sampled ids [B]."""
        scaled = logits / max(self.temperature, 1e-6)
        kth = scaled.topk(min(self.top_k, scaled.shape[-1]), dim=-1).values[:, -1:]
        probs = scaled.masked_fill(scaled < kth, float("-inf")).softmax(-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)


# Speech tokens are sampled unless a caller asks for greedy (None): greedy 25 Hz tokens loop (see above).
SPEECH_SAMPLING = Sampling()


@dataclass
class SpeechSampling:
    """How a command draws speech tokens, as settings (text is always decoded greedily or with beams)."""

    speech_temperature: float = help_field("speech tokens are sampled at this temperature from the top k (0: greedy, "
                                           "which tends to loop; beams apply to speech only when greedy). 0.5: chosen on dev "
                                           "(scripts/speech_sampling.py)", Sampling.temperature, min=0)
    speech_top_k: int = help_field("speech sampling: the k most likely tokens", Sampling.top_k, min=1)
    speech_seed: int = help_field("speech sampling seed", 0)

    def sampling(self) -> Sampling | None:
        return Sampling(self.speech_temperature, self.speech_top_k, self.speech_seed) if self.speech_temperature > 0 else None


def _masks(vocab: UnifiedVocab, modalities: list[str]) -> torch.Tensor:
    """[n_segments, V] allowed-token masks (the last segment ends with EOS, the others with <sep>)."""
    return torch.stack([vocab.allowed(m, last=i == len(modalities) - 1) for i, m in enumerate(modalities)])


def _left_pad(prompts: list[torch.Tensor], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """-> ids [B, L], attention mask [B, L] with prompts aligned to the right."""
    longest = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), longest), pad_id, dtype=torch.long)
    mask = torch.zeros(len(prompts), longest, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, longest - len(p):] = p
        mask[i, longest - len(p):] = 1
    return ids, mask


@torch.inference_mode()
def greedy_decode(model, vocab: UnifiedVocab, prompts: list[torch.Tensor], modalities: list[str],
                  max_new_tokens: int = 400, fast: bool = True, dtype: torch.dtype | None = None,
                  audio_sampling: Sampling | None = None) -> list[list[list[int]]]:
    """prompts: list of ids [L_i] (BOS tag input <sep>) -> per prompt, the ids of each output segment.

    `fast`: the lean forward pass of generation/fast.py where the model supports it (same logits);
    `dtype`: its compute dtype (None: the model's); `audio_sampling`: sample the tokens of audio
    segments instead of taking the most likely (text segments stay greedy)."""
    masks = _masks(vocab, modalities)
    speaks = torch.tensor([m == "audio" for m in modalities])
    generator = torch.Generator().manual_seed(audio_sampling.seed) if audio_sampling is not None else None
    ids, attn = _left_pad(prompts, vocab.pad_id)
    positions = (attn.cumsum(-1) - 1).clamp_min(0)
    # each segment may only write its allowed tokens: the fast path computes just those logits
    rows = [m.nonzero().squeeze(1) for m in masks]
    run = stepper(model, len(prompts), ids.shape[1] + max_new_tokens, fast, dtype, rows)
    device = run.device
    attn = attn.bool().to(device)
    logits = run.forward(ids.to(device), positions.to(device), attn, rows=0).cpu()
    b = len(prompts)
    segment = torch.zeros(b, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    results: list[list[list[int]]] = [[[] for _ in modalities] for _ in range(b)]
    next_pos = positions[:, -1] + 1
    for _ in range(max_new_tokens):
        current = segment.clamp_max(len(modalities) - 1)
        scores = logits.float().masked_fill(~masks[current], float("-inf"))  # [B, V]
        token = scores.argmax(-1)  # [B]
        if audio_sampling is not None and (sample := speaks[current] & ~done).any():
            token[sample] = audio_sampling.draw(scores[sample], generator)
        for i in range(b):
            if done[i]:
                continue
            t = int(token[i])
            if t in (vocab.sep_id, vocab.eos_id):
                segment[i] += 1
                done[i] = bool(segment[i] >= len(modalities))
            else:
                results[i][int(segment[i])].append(t)
        if done.all():
            break
        token = token.masked_fill(done, vocab.pad_id)
        attn = torch.cat([attn, (~done).to(device)[:, None]], dim=1)
        open_segments = segment[~done].unique()  # one shared segment: only its rows of the output layer
        shared = int(open_segments[0]) if len(open_segments) == 1 else None
        logits = run.forward(token[:, None].to(device), next_pos[:, None].to(device), attn, rows=shared).cpu()
        next_pos = next_pos + 1
    return results


def beam_decode(model, vocab: UnifiedVocab, prompt: torch.Tensor, modalities: list[str], beams: int = 4,
                max_new_tokens: int = 400, length_penalty: float = 1.0, fast: bool = True,
                dtype: torch.dtype | None = None, ctc: CtcGuide | None = None) -> list[list[int]]:
    """Beam search for one prompt ids [L]; the best hypothesis's segments (score / length^penalty)."""
    return beam_search(model, vocab, prompt, modalities, beams, max_new_tokens, length_penalty, fast, dtype,
                       ctc)[0].segments


@dataclass(frozen=True)
class CtcGuide:
    """What the recording itself says of the first output segment (the transcript), beside the language model:
    a CTC character head's prefix score of that segment (generation/ctc.py) and, with `mood`, a question head's
    agreement with its mood (generation/mood.py). Hypotheses are ranked by (1 - weight) x their log-probability
    + weight x the CTC score + mood_weight x the mood score; each open hypothesis offers its `pre_beam` likeliest
    next tokens for them to rank. `scorer` None (or weight 0): the mood alone."""

    scorer: CtcPrefixScorer | None
    weight: float = CTC_WEIGHT
    pre_beam: int = 8
    mood: MoodScorer | None = None
    mood_weight: float = MOOD_WEIGHT
    spelt: tuple[int, ...] | None = None  # a spelling (character ids) the transcript must write exactly
    spellings: TokenSpellings | None = None  # with `spelt`: the tokens that can write it

    def fitting(self, h: Hypothesis, ends: tuple[int, int]) -> list[list[int]] | None:
        """With `spelt`: the tokens that may follow `h`'s transcript, in groups each offered on its own: those
        that write the spelling's next characters, the punctuation that may stand there (`TokenSpellings.between`),
        and the ends once the spelling is all written. None without `spelt`."""
        if self.spelt is None or self.spellings is None or self.scorer is None:
            return None
        chars = self.scorer.spell(h.segments[0])
        rest = self.spelt[len(chars):]
        ids = h.segments[0]
        after = ids[len(ids) - self.scorer.mute_run(ids):]  # the tokens that added no character just before
        return [self.spellings.fitting(rest, not chars, after), self.spellings.between(rest, not chars, after),
                [] if rest else list(ends)]

    def score(self, h: Hypothesis, segment: int, token: int, ends_segment: bool) -> float:
        """The recording's part of a child of `h` that writes `token` in `segment`, weighted (its CTC score at
        least CTC_FLOOR)."""
        if segment > 0:
            return h.ctc
        ids = _transcript(h, token, ends_segment)
        value = 0.0
        if self.scorer is not None and self.spelt is not None:
            chars = self.scorer.spell(ids)
            if chars != (self.spelt if ends_segment else self.spelt[: len(chars)]):
                return float("-inf")
        if self.scorer is not None and self.weight > 0:
            if not ends_segment and self.scorer.mute_run(ids) > MUTE_RUN:
                return self.weight * CTC_FLOOR
            value = self.weight * max(self.scorer.full(ids) if ends_segment else self.scorer.prefix(ids), CTC_FLOOR)
        if self.mood is not None:
            value += self.mood_weight * self.mood.score(ids)
        return value

    def read_ahead(self, children: list[tuple[Hypothesis, int, int, bool]]) -> None:
        """Score the transcripts of many children (parent, its segment, token, whether it ends the segment) in
        one batched pass of the CTC head's scorer, so that `score` then finds them read."""
        if self.scorer is not None and self.weight > 0:
            self.scorer.read_ahead([_transcript(h, t, ends) for h, segment, t, ends in children if segment == 0])

    def joint(self, lm: float, heard: float) -> float:
        return (1 - self.weight) * lm + heard


@torch.inference_mode()
def beam_search(model, vocab: UnifiedVocab, prompt: torch.Tensor, modalities: list[str], beams: int = 4,
                max_new_tokens: int = 400, length_penalty: float = 1.0, fast: bool = True,
                dtype: torch.dtype | None = None, ctc: CtcGuide | None = None) -> list[Hypothesis]:
    """Beam search for one prompt ids [L] -> its finished hypotheses (the open beams if none finished), best
    first by score / length^penalty; with `ctc`, by the language model and the CTC head together."""
    masks = _masks(vocab, modalities)
    run = stepper(model, 2 * beams, len(prompt) + max_new_tokens, fast, dtype)
    device = run.device
    valid = torch.ones(1, len(prompt), dtype=torch.bool, device=device)
    logits = run.forward(prompt[None].to(device), torch.arange(len(prompt), device=device)[None], valid).cpu()
    logp = logits.float().log_softmax(-1)  # [1, V]
    hyps = [Hypothesis([[] for _ in modalities])]
    segment_of = [0]
    finished: list[Hypothesis] = []
    position = len(prompt)
    ends = (vocab.sep_id, vocab.eos_id)
    for _ in range(max_new_tokens):
        allowed = masks[torch.tensor(segment_of)]  # [H, V]
        scores = logp.masked_fill(~allowed, float("-inf")) + torch.tensor([h.score for h in hyps])[:, None]
        new_hyps, new_segments, parents, tokens = [], [], [], []
        for parent, t, score, ctc_score in _candidates(scores, hyps, segment_of, beams, ctc, ends):
            h, seg = hyps[parent], segment_of[parent]
            child = Hypothesis([list(s) for s in h.segments], score, ctc=ctc_score)
            if t in ends:
                seg += 1
            else:
                child.segments[seg].append(t)
            if seg >= len(modalities):
                child.done = True
                finished.append(child)
            else:
                new_hyps.append(child)
                new_segments.append(seg)
                parents.append(parent)
                tokens.append(t)
            if len(new_hyps) == beams:
                break
        if len(finished) >= beams or not new_hyps:
            break
        # the prompt went in as one row: the first reorder copies it to every beam, later ones leave it
        run.reorder(torch.tensor(parents, device=device), shared=0 if position == len(prompt) else len(prompt))
        valid = torch.ones(len(tokens), position + 1, dtype=torch.bool, device=device)
        logits = run.forward(torch.tensor(tokens, device=device)[:, None],
                             torch.full((len(tokens), 1), position, device=device), valid).cpu()
        logp = logits.float().log_softmax(-1)
        hyps, segment_of = new_hyps, new_segments
        position += 1
    return sorted(finished or hyps, key=lambda h: -_normalised(h, length_penalty, ctc))


def _candidates(scores: torch.Tensor, hyps: list[Hypothesis], segment_of: list[int], beams: int,
                ctc: CtcGuide | None, ends: tuple[int, int]) -> list[tuple[int, int, float, float]]:
    """scores [H, V] (each hypothesis's log-probability plus each next token's) -> the 2 x beams likeliest
    children as (parent, token, log-probability, CTC score), best first."""
    if ctc is None:
        top = scores.flatten().topk(min(2 * beams, int(torch.isfinite(scores).sum())))
        return [(*divmod(flat, scores.shape[1]), score, 0.0) for score, flat in zip(top.values.tolist(),
                                                                                    top.indices.tolist())]
    offered = []
    for parent, every in enumerate(scores):
        groups = ctc.fitting(hyps[parent], ends) if segment_of[parent] == 0 else None
        for group in [None] if groups is None else groups:  # a spelling to write: the likeliest of each group
            row = every
            if group is not None:
                ids = torch.tensor(group, dtype=torch.long)
                row = torch.full_like(every, float("-inf")).index_copy_(0, ids, every[ids])
            top = row.topk(min(ctc.pre_beam, int(torch.isfinite(row).sum())))
            offered += [(parent, t, score) for score, t in zip(top.values.tolist(), top.indices.tolist())]
    ctc.read_ahead([(hyps[p], segment_of[p], t, t in ends) for p, t, _ in offered])
    out = [(p, t, score, ctc.score(hyps[p], segment_of[p], t, t in ends)) for p, t, score in offered]
    out = [c for c in out if c[3] > float("-inf")]  # bound to a spelling (`CtcGuide.spelt`): what departs from it
    return sorted(out, key=lambda c: -ctc.joint(c[2], c[3]))[: 2 * beams]


def memoised(text_of: Callable[[list[int]], str]) -> Callable[[list[int]], str]:
    """`text_of` (vocabulary ids -> text) that decodes each id sequence once: a guide's CTC scorer and mood scorer
    read the same candidate transcripts."""
    seen: dict[tuple[int, ...], str] = {}

    def text(ids: list[int]) -> str:
        key = tuple(ids)
        if key not in seen:
            seen[key] = text_of(list(ids))
        return seen[key]

    return text


def _transcript(h: Hypothesis, token: int, ends_segment: bool) -> list[int]:
    """The first segment of the child of `h` that writes `token` (`h`'s own where the token closes it)."""
    return h.segments[0] if ends_segment else [*h.segments[0], token]


def _normalised(h: Hypothesis, length_penalty: float, ctc: CtcGuide | None = None) -> float:
    length = sum(len(s) for s in h.segments) + len(h.segments)
    score = ctc.joint(h.score, h.ctc) if ctc else h.score
    return score / max(1, length) ** length_penalty
