"""A question head: whether a recording is a question, heard from how it was said.

In Spanish, Italian and Portuguese a yes/no question can have a statement's words ("¿Un vecino bebió en el
mercado?"); only the pitch rising at its end tells them apart, and the translation differs ("Did a neighbour drink
at the market?"). The language model reads audio tokens that keep little of the pitch: a logistic probe on
tokenizer v3's quantised layer tells questions from statements 66% of the time (es, it, pt), the listener's second
layer 88% (docs/model.md). The head reads that layer of the model's CTC encoder (`char_model`: its listener, else
its tokenizer's encoder) around the end of the speech the CTC head found (its last non-blank frame), where a
question's pitch rises: one convolution over 1.2 s of frames and a linear read-out. On the Babel `small` bundle it
tells Spanish, Italian and Portuguese questions from statements 97% of the time on dev voices (yes/no questions
alone, those only intonation marks: 94%), where mean-pooled states with a logistic read-out reach 94% (81%).

    head = fit_question_head(windows [N, 30, D], is_question [N], QuestionHeadConfig(layer=2, dim=D))
    head.save(MODEL / QUESTION_HEAD); QuestionHead.load(MODEL / QUESTION_HEAD)
    log_probs, states = char_states(encoder, mel, head.cfg.layer)      # one pass of the encoder
    span = speech_span(log_probs, encoder.cfg.char_rate)                # token frames of the speech
    head.log_probs(head.window(states, span))                           # (log p(question), log p(statement))

Decoding ranks a transcript whose text shows its mood with that log-probability (generation/mood.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import load_model, save_model

from audiopalm.audio.encoders.ctc import CtcEncoderModel
from audiopalm.errors import AudiopalmError

QUESTION_HEAD = "question_head"  # the folder inside an AudioPaLM folder


@dataclass
class QuestionHeadConfig:
    layer: int  # 1-based: the CTC encoder layer read (its output, at 25 Hz)
    dim: int  # that layer's width
    hidden: int = 64  # channels of the head's convolution
    kernel: int = 5  # its width in frames (0.2 s)
    before: int = 24  # frames read before the end of speech (0.96 s: a question's last stressed syllable and rise)
    after: int = 6  # and after it (0.24 s: the last vowel outlasts the last character the CTC head emits)
    dropout: float = 0.2


class QuestionHead(nn.Module):
    """States around the end of speech [B, before + after, dim] -> the logit of "a question" [B]:
    layer norm, a linear map to `hidden` channels, one convolution over time, a linear read-out of every frame."""

    def __init__(self, cfg: QuestionHeadConfig):
        super().__init__()
        self.cfg = cfg
        self.norm = nn.LayerNorm(cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.hidden)
        self.conv = nn.Conv1d(cfg.hidden, cfg.hidden, cfg.kernel, padding=cfg.kernel // 2)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear((cfg.before + cfg.after) * cfg.hidden, 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        x = nn.functional.gelu(self.proj(self.norm(window)))  # [B, W, hidden]
        x = nn.functional.gelu(self.conv(x.transpose(1, 2))).transpose(1, 2)  # [B, W, hidden]
        return self.out(self.drop(x).flatten(1))[:, 0]  # [B]

    def window(self, states: torch.Tensor, span: tuple[int, int]) -> torch.Tensor:
        """`end_window` with this head's sizes."""
        return end_window(states, span, self.cfg)

    @torch.inference_mode()
    def log_probs(self, window: torch.Tensor) -> tuple[float, float]:
        """window [before + after, D] -> (log p(question), log p(statement))."""
        logit = self(window.float()[None])[0]
        return float(nn.functional.logsigmoid(logit)), float(nn.functional.logsigmoid(-logit))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(asdict(self.cfg), indent=2))
        save_model(self, str(folder / "model.safetensors"))

    @classmethod
    def load(cls, folder: Path) -> QuestionHead:
        head = cls(QuestionHeadConfig(**json.loads((folder / "config.json").read_text())))
        load_model(head, str(folder / "model.safetensors"))
        return head.eval()


def end_window(states: torch.Tensor, span: tuple[int, int], cfg: QuestionHeadConfig) -> torch.Tensor:
    """states [T, D] and the speech's frames [start, end) -> the `before` frames up to its end and the `after`
    frames past it [before + after, D], zero where they fall outside the speech (after it: the recording)."""
    start, end = span
    first, last = max(start, end - cfg.before), min(states.shape[0], end + cfg.after)
    out = states.new_zeros(cfg.before + cfg.after, states.shape[1])
    out[first - (end - cfg.before):last - (end - cfg.before)] = states[first:last]
    return out


def speech_span(log_probs: torch.Tensor, char_rate: int = 1) -> tuple[int, int]:
    """A CTC head's log-probabilities [char_rate * T, V] (blank first) -> the token frames [start, end) from its
    first to its last non-blank choice; all of them where it chose only blanks."""
    spoken = (log_probs.argmax(-1) != 0).nonzero()[:, 0]
    if not len(spoken):
        return 0, log_probs.shape[0] // char_rate
    return int(spoken[0]) // char_rate, int(spoken[-1]) // char_rate + 1


@torch.inference_mode()
def char_states(model: CtcEncoderModel, mel: torch.Tensor, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass of a CTC encoder over mel [1, 4T, n_mels] -> (its character log-probabilities [char_rate * T, V],
    the output of layer `layer` (1-based) [T, D] at 25 Hz)."""
    if not 1 <= layer <= model.cfg.layers:
        raise AudiopalmError(f"the question head reads layer {layer}; the CTC encoder has {model.cfg.layers}")
    logits, states = model(mel, tap=layer)
    return logits[0].float().log_softmax(-1), states[0].float()


def warmup_cosine(step: int, warmup: int, steps: int) -> float:
    """The learning rate's factor at `step`: linear warm-up over `warmup` steps, then a cosine down to 0."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup))))


def fit_question_head(windows: torch.Tensor, is_question: torch.Tensor, cfg: QuestionHeadConfig, epochs: int = 10,
                      batch: int = 128, lr: float = 1e-3, weight_decay: float = 0.05, seed: int = 0) -> QuestionHead:
    """windows [N, before + after, dim] (`end_window`) and labels [N] (bool) -> a trained QuestionHead:
    AdamW, warm-up then cosine decay, binary cross-entropy (12 000 Babel utterances: 10 epochs, about 10 s on 2 cores)."""
    if is_question.all() or not is_question.any():
        raise AudiopalmError("the question head needs questions and statements to learn from; the data has only "
                             + ("questions" if is_question.any() else "statements"))
    torch.manual_seed(seed)
    head = QuestionHead(cfg)
    steps = epochs * math.ceil(len(windows) / batch)
    opt = torch.optim.AdamW(head.parameters(), lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: warmup_cosine(i, max(1, steps // 10), steps))
    y = is_question.float()
    head.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(windows)).split(batch):
            loss = nn.functional.binary_cross_entropy_with_logits(head(windows[idx].float()), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
    return head.eval()
