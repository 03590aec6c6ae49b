"""A transcript's mood beside its words: the question head's reading ranks transcripts that show a mood."""

import pytest
import torch

from audiopalm.generation.decode import CtcGuide, beam_decode
from audiopalm.generation.mood import MoodScorer, mood_of
from tests.generation.conftest import VOCAB


@pytest.mark.parametrize("text, mood", [
    ("¿Un vecino bebió", True), ("Un vecino bebió en el mercado?", True), ("Est-ce que vous lavez ?", True),
    ("Un vecino bebió en el mercado.", False), ("Attention !", False), ("Un vecino bebió", None),
    ("Dr. Smith will", None), ("", None),
])
def test_a_text_shows_its_mood_by_its_punctuation(text, mood):
    assert mood_of(text) is mood


def marks(ids: list[int]) -> str:
    """A toy tokenizer: text ids 4, 7, 10, ... write ".", ids 5, 8, 11, ... "?", the others a letter."""
    return "".join(".?a"[(i - 4) % 3] for i in ids if 4 <= i < VOCAB.text_size)


def test_only_the_less_likely_mood_costs_a_transcript_anything():
    mood = MoodScorer(log_question=-0.05, log_statement=-3.0, text_of=marks)
    assert mood.score([6, 6]) == 0.0, "no mood shown yet"
    assert mood.score([6, 5]) == 0.0, "a question, the likelier mood"
    assert mood.score([6, 4]) == pytest.approx(-2.95), "a statement: log p(statement) - log p(question)"
    assert mood.score([5, 6, 4]) == 0.0, "a question mark anywhere makes a question"


def _prompt() -> torch.Tensor:
    return torch.tensor([2, 70, 71, 72, 73, VOCAB.sep_id])


def _guide(log_question: float, log_statement: float) -> CtcGuide:
    return CtcGuide(None, 0.0, pre_beam=20, mood=MoodScorer(log_question, log_statement, marks), mood_weight=1.0)


def test_a_sure_question_head_turns_the_transcript_s_mood(model):
    unguided = marks(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 12)[0])
    assert mood_of(unguided) is False, "the untrained model alone writes a statement"
    asked = marks(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 12, ctc=_guide(-1e-4, -9.2))[0])
    assert mood_of(asked) is True, asked
    told = marks(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 12, ctc=_guide(-9.2, -1e-4))[0])
    assert told == unguided, "a head sure of the statement keeps it"
    unsure = marks(beam_decode(model, VOCAB, _prompt(), ["text"], 4, 12, ctc=_guide(-0.7, -0.7))[0])
    assert unsure == unguided, "a head that cannot tell changes nothing"
