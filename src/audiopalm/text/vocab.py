"""The unified speech-text vocabulary: the sole owner of id offsets and special tokens.

    ids 0 .. T-1          the text tokenizer's own ids, unchanged (T = text vocabulary size)
    ids T .. T+K-1        audio token i has id T + i (K = audio codebook size)
    <sep>                 ends every segment but the last, which ends with the text EOS: the text
                          tokenizer's own <sep> when it has one (ours do, so text MT pretraining
                          already learns it), else one new id T+K

So E' = [E_text; E_audio (; e_sep)]: the text model's rows stay where they were.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch


@dataclass(frozen=True)
class UnifiedVocab:
    text_size: int  # T: size of the text tokenizer's vocabulary
    audio_size: int  # K: audio codebook size
    bos_id: int  # the text tokenizer's BOS
    eos_id: int  # the text tokenizer's EOS
    pad_id: int  # the text tokenizer's PAD
    text_sep_id: int | None = None  # the text tokenizer's <sep>, if it has one

    @classmethod
    def of_text(cls, tok) -> UnifiedVocab:
        """A text LM's vocabulary: its text tokenizer's, no audio rows."""
        return cls(tok.vocab_size, 0, tok.bos_id, tok.eos_id, tok.pad_id, tok.sep_id)

    @property
    def sep_id(self) -> int:
        return self.text_sep_id if self.text_sep_id is not None else self.text_size + self.audio_size

    @property
    def size(self) -> int:
        return self.text_size + self.audio_size + (0 if self.text_sep_id is not None else 1)

    def audio_ids(self, tokens: torch.Tensor) -> torch.Tensor:
        """audio tokens [T] in 0..K-1 -> vocabulary ids [T]."""
        return tokens + self.text_size

    def audio_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """vocabulary ids [T] of audio tokens -> audio tokens [T] in 0..K-1."""
        return ids - self.text_size

    def is_audio(self, ids: torch.Tensor) -> torch.Tensor:
        return (ids >= self.text_size) & (ids < self.text_size + self.audio_size)

    def allowed(self, modality: str, last: bool) -> torch.Tensor:
        """Boolean mask [size] of ids a segment of `modality` may emit: its own tokens and its terminator
        (EOS for the last segment, <sep> otherwise)."""
        mask = torch.zeros(self.size, dtype=torch.bool)
        if modality == "text":
            mask[: self.text_size] = True
            mask[[self.bos_id, self.pad_id, self.sep_id]] = False
        else:
            mask[self.text_size: self.text_size + self.audio_size] = True
        mask[self.eos_id if last else self.sep_id] = True
        if not last:
            mask[self.eos_id] = False
        return mask

    def to_dict(self) -> dict:
        return asdict(self)
