"""Tasks as plain-text tags, exactly as AudioPaLM writes them: "[ASR French]", "[AST French English]",
"[ASR AST S2ST French English]". One table says what each task reads and writes; a new task is one row.

A training sequence is
    BOS  tag-text  input  <sep>  output_1 <sep> output_2 ... output_n EOS
and the loss covers the outputs and their terminators only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from audiopalm.data.languages import Languages
from audiopalm.errors import AudiopalmError
from audiopalm.text.vocab import UnifiedVocab


@dataclass(frozen=True)
class Segment:
    modality: str  # "text" or "audio"
    lang: str  # "source" or "target": whose language the segment is in; "name": the source language's name


@dataclass(frozen=True)
class Task:
    input: Segment
    outputs: tuple[Segment, ...]
    tagged: bool = True  # the tag names the languages ("[ASR French]"); False: "[LID]"

    @property
    def translates(self) -> bool:
        """True when the tag names a target language."""
        return any(s.lang == "target" for s in (self.input, *self.outputs))


Sequence = tuple[torch.Tensor, torch.Tensor]  # one training example: (ids [L] int64, loss mask [L] bool)

SRC_TEXT, TGT_TEXT = Segment("text", "source"), Segment("text", "target")
SRC_AUDIO, TGT_AUDIO = Segment("audio", "source"), Segment("audio", "target")

TASKS: dict[str, Task] = {
    "ASR": Task(SRC_AUDIO, (SRC_TEXT,)),
    "AST": Task(SRC_AUDIO, (TGT_TEXT,)),
    "S2ST": Task(SRC_AUDIO, (TGT_AUDIO,)),
    "TTS": Task(SRC_TEXT, (SRC_AUDIO,)),
    "MT": Task(SRC_TEXT, (TGT_TEXT,)),
    # combined tasks: the transcript, then the translation, then the translated speech
    "ASR AST": Task(SRC_AUDIO, (SRC_TEXT, TGT_TEXT)),
    "ASR AST S2ST": Task(SRC_AUDIO, (SRC_TEXT, TGT_TEXT, TGT_AUDIO)),
    # language identification: "[LID] audio <sep> French", so transcribe() works without a language
    "LID": Task(SRC_AUDIO, (Segment("text", "name"),), tagged=False),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise AudiopalmError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


def tag(task: str, source: str, target: str | None = None) -> str:
    """'AST', 'French', 'English' -> '[AST French English]' (language names in English, as in the paper)."""
    if not get_task(task).tagged:
        return f"[{task}]"
    if get_task(task).translates:
        if target is None:
            raise AudiopalmError(f"task {task} needs a target language")
        return f"[{task} {source} {target}]"
    return f"[{task} {source}]"


def task_tag(languages: Languages, task: str, source: str | None, target: str | None = None) -> str:
    """'AST', 'fr', 'en' -> '[AST French English]', the languages named as `languages` names them."""
    return tag(task, languages.name(source) if source else "", languages.name(target) if target else None)


def prompt_ids(vocab: UnifiedVocab, tag_ids: list[int], input_ids: torch.Tensor) -> torch.Tensor:
    """BOS tag input <sep> -> ids [L]: what the model reads before it writes; training and inference
    build every prompt here. `input_ids` are already in vocabulary ids (audio offset by `vocab.audio_ids`)."""
    return torch.cat([torch.tensor([vocab.bos_id, *tag_ids], dtype=torch.long), input_ids.long(),
                      torch.tensor([vocab.sep_id])])


def build_sequence(vocab: UnifiedVocab, tag_ids: list[int], input_ids: torch.Tensor,
                   output_ids: list[torch.Tensor]) -> Sequence:
    """-> (ids [L], loss mask [L] bool): the prompt, then each output and its terminator. `input_ids` and
    `output_ids` are already in vocabulary ids (audio tokens offset by `vocab.audio_ids`)."""
    prompt = prompt_ids(vocab, tag_ids, input_ids)
    pieces = [prompt]
    mask = [torch.zeros(len(prompt), dtype=torch.bool)]
    for k, out in enumerate(output_ids):
        end = vocab.eos_id if k == len(output_ids) - 1 else vocab.sep_id
        pieces += [out.long(), torch.tensor([end])]
        mask.append(torch.ones(len(out) + 1, dtype=torch.bool))
    return torch.cat(pieces), torch.cat(mask)
