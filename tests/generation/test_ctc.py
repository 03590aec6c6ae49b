"""CTC prefix scores and beam search guided by them (joint CTC / language-model decoding)."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from audiopalm.generation.ctc import CtcPrefixScorer, TokenSpellings, best_spelling
from audiopalm.generation.decode import CtcGuide, beam_decode
from audiopalm.text.chars import CharCodec
from tests.generation.conftest import VOCAB

CODEC = CharCodec(["<blank>", " ", "a", "b", "c"])


def text_of(ids: list[int]) -> str:
    """A toy tokenizer: every text id from 4 spells one character ("a", "b", "c" or a space)."""
    return "".join("abc "[(i - 4) % 4] for i in ids if 4 <= i < VOCAB.text_size)


def _log_probs(frames: int, seed: int = 0, codec: CharCodec = CODEC) -> torch.Tensor:
    """[frames, V] float64, so each frame's probabilities sum to 1 to the precision the tests compare at."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(frames, len(codec.vocab), generator=g, dtype=torch.float64).log_softmax(-1)


def _collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    out, prev = [], None
    for p in path:
        if p != prev and p != 0:
            out.append(p)
        prev = p
    return tuple(out)


@pytest.mark.parametrize("text", ["a", "aa", "abc", "a b", "ccbb", "b a c a"])
def test_the_full_score_is_the_ctc_likelihood(text):
    log_probs = _log_probs(12)
    ids = [4 + "abc ".index(ch) for ch in text]
    target = torch.tensor(CODEC.encode(text, "en"))
    loss = F.ctc_loss(log_probs[:, None], target[None], torch.tensor([12]), torch.tensor([len(target)]),
                      reduction="sum")
    assert CtcPrefixScorer(log_probs, CODEC, "en", text_of).full(ids) == pytest.approx(-float(loss), abs=1e-9)


def test_the_prefix_score_sums_every_path_that_begins_with_the_prefix():
    log_probs = _log_probs(6, seed=1)
    scorer = CtcPrefixScorer(log_probs, CODEC, "en", text_of)
    for prefix in ["a", "aa", "ab", "b a"]:
        chars = tuple(CODEC.encode(prefix, "en"))
        paths = [p for p in itertools.product(range(len(CODEC.vocab)), repeat=6) if _collapse(p)[: len(chars)] == chars]
        brute = torch.stack([log_probs[range(6), list(p)].sum() for p in paths]).logsumexp(0)
        assert scorer.prefix([4 + "abc ".index(ch) for ch in prefix]) == pytest.approx(float(brute), abs=1e-9)
    assert scorer.prefix([]) == 0.0, "every transcript begins with nothing"


def test_candidates_read_together_score_as_each_read_alone():
    log_probs = _log_probs(10, seed=2)
    alone = CtcPrefixScorer(log_probs, CODEC, "en", text_of)
    together = CtcPrefixScorer(log_probs, CODEC, "en", text_of)
    many = [[4], [4, 4], [4, 5, 7, 6], [6, 7], [5, 5, 5], [4, 5, 7]]  # "a", "aa", "ab c", "c ", "bbb", "ab "
    together.read_ahead(many)
    assert set(together.prefix_scores) == {chars[:n] for chars in map(together.spell, many)
                                           for n in range(len(chars) + 1)}, "every prefix of each, once"
    assert together.spell([4, 5, 7, 6]) not in together.states, "a candidate's own states wait until needed"
    for ids in many:
        assert together.prefix(ids) == alone.prefix(ids) and together.full(ids) == alone.full(ids)


def test_an_impossible_transcript_scores_minus_infinity():
    scorer = CtcPrefixScorer(_log_probs(3), CODEC, "en", text_of)
    assert scorer.full([4, 4, 4]) == float("-inf"), "'aaa' needs 5 frames (blanks between repeats), not 3"


def _frames(spoken: list[dict[str, float]]) -> torch.Tensor:
    """One frame per entry (its characters' probabilities, the rest near zero), a blank frame after each."""
    log_probs = torch.full((2 * len(spoken), len(CODEC.vocab)), 1e-6)
    for t, probs in enumerate(spoken):
        for ch, p in probs.items():
            log_probs[2 * t, CODEC.vocab.index(ch)] = p
        log_probs[2 * t + 1, 0] = 1.0
    return (log_probs / log_probs.sum(-1, keepdim=True)).log().double()


def test_best_spelling_without_a_language_model_is_the_heads_own_reading():
    log_probs = _frames([{"a": 0.9}, {"b": 0.9}, {" ": 0.9}, {"c": 0.9}, {"c": 0.9}])
    score, spelling = best_spelling(log_probs.numpy(), CODEC.vocab, lambda history, ch: 0.0, weight=0.0)
    assert spelling == "ab cc", "a blank between two c's keeps both"
    exact = CtcPrefixScorer(log_probs, CODEC, "en", text_of).full([4, 5, 7, 6, 6])
    assert score == pytest.approx(exact, abs=1e-3), "every alignment of the spelling, summed"


def test_best_spelling_lets_the_language_model_settle_what_the_head_is_unsure_of():
    log_probs = _frames([{"c": 0.9}, {"a": 0.9}, {"b": 0.5, "c": 0.5}]).numpy()

    def after_ca(letter: str):
        """A language model that finds `letter` after "ca" likely and the other of b, c unlikely."""
        return lambda history, ch: -5.0 if history.endswith("ca") and ch in "bc" and ch != letter else 0.0

    assert best_spelling(log_probs, CODEC.vocab, after_ca("b"), weight=1.0)[1] == "cab"
    assert best_spelling(log_probs, CODEC.vocab, after_ca("c"), weight=1.0)[1] == "cac"


def test_best_spelling_offers_a_frames_likeliest_characters_only():
    log_probs = _frames([{"c": 0.9}, {"a": 0.9}, {"b": 0.5, "c": 0.45}]).numpy()

    def c_after_ca(history: str, ch: str) -> float:
        return -5.0 if history.endswith("ca") and ch == "b" else 0.0

    assert best_spelling(log_probs, CODEC.vocab, c_after_ca, weight=1.0)[1] == "cac"
    assert best_spelling(log_probs, CODEC.vocab, c_after_ca, weight=1.0, chars=1)[1] == "cab", "c is not offered"


def test_a_wider_beam_keeps_a_prefix_the_language_model_favours_later():
    log_probs = _frames([{"a": 0.6, "c": 0.3}, {"b": 0.9}]).numpy()

    def b_after_c(history: str, ch: str) -> float:
        """A language model for which "b" follows "c" and hardly ever "a"."""
        return -10.0 if history.endswith("a") and ch == "b" else 0.0

    assert best_spelling(log_probs, CODEC.vocab, b_after_c, weight=1.0, beam=1)[1] in {"a", "ab"}, "c was dropped"
    assert best_spelling(log_probs, CODEC.vocab, b_after_c, weight=1.0, beam=4)[1] == "cb"


def test_a_word_bonus_keeps_a_word_the_head_hears_faintly():
    log_probs = _frames([{"a": 0.9}, {" ": 0.4, "<blank>": 0.6}, {"b": 0.4, "<blank>": 0.6}]).numpy()

    def words(history: str, ch: str) -> float:
        """A language model for which every word's end costs 1.5 nats."""
        return -1.5 if ch == " " else -0.5

    assert best_spelling(log_probs, CODEC.vocab, words, weight=1.0)[1] == "a", "one more word costs more than it adds"
    assert best_spelling(log_probs, CODEC.vocab, words, weight=1.0, bonus=3.0)[1] == "a b"
    score, _ = best_spelling(log_probs, CODEC.vocab, words, weight=1.0, bonus=4.0)
    assert score == pytest.approx(best_spelling(log_probs, CODEC.vocab, words, weight=1.0, bonus=3.0)[0] + 2.0), \
        "two words, each paid once (the end of the last one too)"


def _prompt() -> torch.Tensor:
    return torch.tensor([2, 70, 71, 72, 73, VOCAB.sep_id])


def test_a_guide_of_weight_zero_leaves_beam_search_as_it_was(model):
    guide = CtcGuide(CtcPrefixScorer(_log_probs(20), CODEC, "en", text_of), weight=0.0, pre_beam=8)
    assert beam_decode(model, VOCAB, _prompt(), ["text"], 3, 15, ctc=guide) == \
        beam_decode(model, VOCAB, _prompt(), ["text"], 3, 15)


def letters(ids: list[int]) -> str:
    """A toy tokenizer whose every text id writes a letter (prefix scores never rise: a token that writes
    nothing the head can hear would cost a hypothesis nothing, and only the language model ends a transcript)."""
    return "".join("abc"[i % 3] for i in ids)


def test_a_confident_ctc_head_writes_what_it_heard(model):
    spoken = "cab"  # frames: c, blank, a, blank, b, then blanks
    log_probs = torch.full((10, len(CODEC.vocab)), -20.0)
    for t, ch in enumerate(["c", "<blank>", "a", "<blank>", "b"] + ["<blank>"] * 5):
        log_probs[t, CODEC.vocab.index(ch)] = 0.0
    guide = CtcGuide(CtcPrefixScorer(log_probs.log_softmax(-1), CODEC, "en", letters), weight=0.9, pre_beam=60)
    unguided = letters(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 15)[0])
    assert unguided != spoken, "the untrained model alone writes something else"
    assert letters(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 15, ctc=guide)[0]) == spoken
    two = beam_decode(model, VOCAB, _prompt(), ["text", "text"], 4, 15, ctc=guide)
    assert letters(two[0]) == spoken, "the guide reads the first segment (the transcript) of a combined task"


# A toy SentencePiece: "▁" starts a word; the text of a sequence drops its leading space.
PIECES = ["▁ab", "c", "▁c", ".", "?", "'", "▁", "AB", "▁Ab", "7", "¿", "▁a", "b", "a"]
APOSTROPHE = CharCodec(["<blank>", " ", "'", "a", "b", "c"])


def pieces(ids: list[int]) -> str:
    return "".join(PIECES[(i - 4) % len(PIECES)] for i in ids if 4 <= i < VOCAB.text_size).replace("▁", " ").lstrip()


def _piece(text: str) -> int:
    return 4 + PIECES.index(text)


def _chars(text: str) -> tuple[int, ...]:
    """APOSTROPHE's character ids of `text`, a space kept as one."""
    return tuple(APOSTROPHE.vocab.index(c) for c in text)


def _names(ids: list[int]) -> list[str]:
    """The pieces of token ids, sorted."""
    return sorted(PIECES[i - 4] for i in ids)


def test_mute_run_counts_the_last_tokens_that_add_no_character():
    scorer = CtcPrefixScorer(_log_probs(6, codec=APOSTROPHE), APOSTROPHE, "en", pieces)
    ab, dot, space, ask = _piece("▁ab"), _piece("."), _piece("▁"), _piece("?")
    assert scorer.mute_run([]) == 0 and scorer.mute_run([ab]) == 0
    assert scorer.mute_run([ab, dot]) == 1 and scorer.mute_run([ab, space, ask]) == 2
    assert scorer.mute_run([ab, dot, _piece("c")]) == 0


def test_a_guide_lets_a_transcript_stand_still_for_at_most_mute_run_tokens():
    from audiopalm.generation.decode import CTC_FLOOR, MUTE_RUN, Hypothesis

    guide = CtcGuide(CtcPrefixScorer(_log_probs(20, codec=APOSTROPHE), APOSTROPHE, "en", pieces), weight=0.5)
    ab, dot = _piece("▁ab"), _piece(".")
    still = Hypothesis([[ab] + [dot] * MUTE_RUN])
    assert guide.score(still, 0, dot, False) == 0.5 * CTC_FLOOR, "one more mark: the spelling stands still too long"
    assert guide.score(still, 0, _piece("c"), False) > 0.5 * CTC_FLOOR
    assert guide.score(Hypothesis([[ab] + [dot] * (MUTE_RUN - 1)]), 0, dot, False) > 0.5 * CTC_FLOOR


def test_token_spellings_offer_the_tokens_that_write_the_rest_of_a_spelling():
    spellings = TokenSpellings.of(pieces, APOSTROPHE, "en", 4 + len(PIECES), reference=_piece("a"))
    assert _names(spellings.fitting(_chars("ab c"), True, [])) == ["▁Ab"], \
        "a transcript begins with a capital; a piece in capitals never"
    assert _names(spellings.fitting(_chars("a b"), True, [])) == ["a", "▁a"], "where no token writes one, without"
    assert _names(spellings.fitting(_chars(" abc"), False, [])) == ["▁Ab", "▁a", "▁ab"], \
        "any word may begin with a capital (a German noun mid-sentence)"
    assert _names(spellings.fitting(_chars("bc"), False, [])) == ["b"], "a word goes on in lowercase"
    assert _names(spellings.fitting(_chars("'a"), False, [_piece("'")])) == ["a"], "the word an apostrophe joins"
    assert _names(spellings.between(_chars(" c"), start=True, after=[])) == ["¿"]
    assert _names(spellings.between((), start=False, after=[])) == [".", "?", "▁"]
    assert _names(spellings.between((), start=False, after=[_piece("▁")])) == [".", "?"], "French ' ?'"
    assert spellings.between((), start=False, after=[_piece(".")]) == [], "one mark a place"
    assert _names(spellings.between(_chars("'a"), start=False, after=[])) == ["'"], "an apostrophe joins words"
    assert spellings.between(_chars(" a"), start=False, after=[]) == [], "no punctuation between words"
    assert all(PIECES.index("7") + 4 not in group for group in (*spellings.after.values(), *spellings.marks.values()))


def test_a_words_known_case_chooses_the_tokens_that_begin_it():
    of = lambda casing: TokenSpellings.of(pieces, APOSTROPHE, "en", 4 + len(PIECES), _piece("a"), casing)  # noqa: E731
    assert _names(of({"abc": False}).fitting(_chars(" abc"), False, [])) == ["▁a", "▁ab"], "written lowercase"
    assert _names(of({"abc": True}).fitting(_chars(" abc"), False, [])) == ["▁Ab"], "a word written capitalised"
    assert _names(of({"ab": True}).fitting(_chars(" abc"), False, [])) == ["▁Ab", "▁a", "▁ab"], "a word not known"
    assert _names(of({"abc": False}).fitting(_chars("abc"), True, [])) == ["▁Ab"], "a first word: a capital"
    assert _names(of({"a": True}).fitting(_chars(" a b"), False, [])) == ["▁a"], "a case no token writes: the other"
    assert _names(of({"abc": False}).fitting(_chars("bc"), False, [])) == ["b"], "inside a word: as before"


def test_a_transcript_bound_to_a_spelling_writes_it_exactly(model):
    spellings = TokenSpellings.of(pieces, APOSTROPHE, "en", VOCAB.text_size, reference=_piece("a"))
    scorer = CtcPrefixScorer(_log_probs(20, codec=APOSTROPHE), APOSTROPHE, "en", pieces)
    free = beam_decode(model, VOCAB, _prompt(), ["text"], 4, 15, ctc=CtcGuide(scorer, 0.3))
    spelt = tuple(APOSTROPHE.encode("ab c'a", "en"))
    assert scorer.spell(free[0]) != spelt, "unbound, the untrained model writes something else"
    bound = CtcGuide(scorer, 0.3, spelt=spelt, spellings=spellings)
    for task in (["text"], ["text", "text"]):
        written = beam_decode(model, VOCAB, _prompt(), task, 4, 15, ctc=bound)
        assert scorer.spell(written[0]) == spelt
        assert pieces(written[0]).lstrip("¿ ").rstrip(".?").lower() == "ab c'a", "no mark between words, no digits"
