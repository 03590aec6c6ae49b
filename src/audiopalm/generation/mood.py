"""A transcript's mood beside its words: question or statement, as a question head heard it (models/question.py).

A transcript hypothesis shows its mood once its text has a question mark ("?", or Spanish's opening "¿") or
ends a sentence with "." or "!"; from then on it is ranked with the head's log-probability of that mood, less
that of the likelier one, so a hypothesis in the likelier mood (or one that has not shown its mood yet) loses
nothing, and one in the other mood loses what the head is sure of. Spanish shows a question at its first
character, the others at their last.

    mood = MoodScorer(log_question=-0.05, log_statement=-3.0, text_of=model.text_of)
    mood.score(ids)     # 0.0 for "¿Un vecino bebió", -2.95 for "Un vecino bebió en el mercado."
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

QUESTION_MARKS = ("?", "¿")
STATEMENT_ENDS = (".", "!")


def mood_of(text: str) -> bool | None:
    """True: the text is a question; False: a statement; None: it does not say yet."""
    if any(mark in text for mark in QUESTION_MARKS):
        return True
    return False if text.rstrip().endswith(STATEMENT_ENDS) else None


@dataclass
class MoodScorer:
    """How well a transcript's mood agrees with a question head's reading of the recording."""

    log_question: float  # log p(question) from the head
    log_statement: float  # log p(statement)
    text_of: Callable[[list[int]], str]  # vocabulary ids -> text
    memo: dict[tuple[int, ...], float] = field(default_factory=dict, repr=False)

    def score(self, ids: list[int]) -> float:
        """Vocabulary ids of a transcript (or its beginning) -> 0, or <= 0 where it shows the less likely mood."""
        key = tuple(ids)
        if key not in self.memo:
            mood = mood_of(self.text_of(list(ids)))
            best = max(self.log_question, self.log_statement)
            self.memo[key] = 0.0 if mood is None else (self.log_question if mood else self.log_statement) - best
        return self.memo[key]
