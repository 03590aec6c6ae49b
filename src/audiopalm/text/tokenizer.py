"""Text tokenizers behind one small interface: our own SentencePiece model, or any Hugging Face one.

    tok = SentencePieceTokenizer.train(texts, "runs/lm/text_tokenizer", vocab_size=4000)
    tok = load_text_tokenizer("runs/lm/text_tokenizer")         # either kind, from its folder
    ids = tok.encode("Le chien mange la pomme.")               # list[int], no BOS/EOS
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from audiopalm.errors import AudiopalmError

KIND_FILE = "text_tokenizer.json"  # {"kind": "sentencepiece" | "hf"} beside the tokenizer files


SEP = "<sep>"  # segment separator; our SentencePiece models reserve it so text pretraining learns it


class TextTokenizer(Protocol):
    vocab_size: int
    bos_id: int
    eos_id: int
    pad_id: int
    sep_id: int | None  # id of SEP when the tokenizer has it

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...

    def save(self, folder: Path) -> None: ...


class SentencePieceTokenizer:
    """A SentencePiece unigram model trained on the world's text (the PaLM-2 tokenizer's kind)."""

    MODEL = "spm.model"

    def __init__(self, model_file: Path):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.model_file = Path(model_file)
        self.vocab_size = self.sp.get_piece_size()
        self.bos_id, self.eos_id, self.pad_id = self.sp.bos_id(), self.sp.eos_id(), self.sp.pad_id()
        sep = self.sp.piece_to_id(SEP)
        self.sep_id = sep if sep != self.sp.unk_id() else None

    @classmethod
    def train(cls, texts: Iterable[str], folder: Path, vocab_size: int = 4000) -> SentencePieceTokenizer:
        """Fit on all of `texts` (deterministic: SentencePiece samples nothing when given the whole corpus)."""
        try:
            import sentencepiece as spm
        except ImportError:
            raise AudiopalmError("training a text tokenizer needs sentencepiece: pip install sentencepiece") from None
        folder.mkdir(parents=True, exist_ok=True)
        corpus = folder / "corpus.txt"
        corpus.write_text("\n".join(texts) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(folder / "spm"), vocab_size=vocab_size, model_type="unigram",
            character_coverage=1.0,  # six Latin-script languages: keep every accented letter
            pad_id=0, unk_id=1, bos_id=2, eos_id=3, byte_fallback=True, user_defined_symbols=[SEP],
            minloglevel=2, num_threads=2,
        )
        corpus.unlink()
        (folder / KIND_FILE).write_text(json.dumps({"kind": "sentencepiece"}))
        return cls(folder / cls.MODEL)

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode(ids)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.MODEL
        if target.resolve() != self.model_file.resolve():
            target.write_bytes(self.model_file.read_bytes())
        (folder / KIND_FILE).write_text(json.dumps({"kind": "sentencepiece"}))


class HfTextTokenizer:
    """Any Hugging Face tokenizer (the real-world path: the text LM's own tokenizer, unchanged)."""

    def __init__(self, source: str | Path):
        from transformers import AutoTokenizer
        self.tok = AutoTokenizer.from_pretrained(str(source))
        self.vocab_size = len(self.tok)
        self.bos_id = self.tok.bos_token_id if self.tok.bos_token_id is not None else self.tok.eos_token_id
        self.eos_id = self.tok.eos_token_id
        self.pad_id = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.eos_id
        if self.eos_id is None:
            raise AudiopalmError(f"tokenizer {source} has no end-of-sequence token")
        sep = self.tok.convert_tokens_to_ids(SEP)
        self.sep_id = sep if isinstance(sep, int) and sep != self.tok.unk_token_id else None

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)

    def save(self, folder: Path) -> None:
        self.tok.save_pretrained(str(folder))
        (folder / KIND_FILE).write_text(json.dumps({"kind": "hf"}))


def load_text_tokenizer(folder: str | Path) -> TextTokenizer:
    """Whichever kind a folder holds (SentencePiece from `train`, or a saved Hugging Face tokenizer)."""
    folder = Path(folder)
    kind_file = folder / KIND_FILE
    kind = json.loads(kind_file.read_text())["kind"] if kind_file.exists() else "hf"
    if kind == "sentencepiece":
        return SentencePieceTokenizer(folder / SentencePieceTokenizer.MODEL)
    return HfTextTokenizer(folder)
