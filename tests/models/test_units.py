"""The text-to-unit model and its forced alignment."""

import itertools

import numpy as np
import pytest
import torch

from audiopalm.models.units import BOS, EOS, PAD, UNITS_PRESETS, TextToUnit, frames_of, generate_units, symbol_ids, units_loss
from audiopalm.recipes.units import ctc_align, frames_per_symbol


def _collapse(path: list[int]) -> list[int]:
    out, prev = [], None
    for s in path:
        if s != prev and s != 0:
            out.append(s)
        prev = s
    return out


def _best_by_brute_force(log_probs: np.ndarray, targets: list[int]) -> float:
    """The best score over every frame labelling that CTC-collapses to the targets."""
    scores = [sum(log_probs[t, s] for t, s in enumerate(path))
              for path in itertools.product(range(log_probs.shape[1]), repeat=len(log_probs))
              if _collapse(list(path)) == targets]
    return max(scores) if scores else -np.inf


@pytest.mark.parametrize("targets", [[1, 2], [2, 2], [1, 2, 1], [3]])
def test_ctc_alignment_is_the_best_path_that_spells_the_targets(targets):
    rng = np.random.default_rng(len(targets) * 7 + targets[0])
    for _ in range(5):
        log_probs = np.log(rng.dirichlet(np.ones(4), size=5))  # 5 frames, blank + 3 symbols
        states = ctc_align(log_probs, targets)
        ext = [0] + [x for t in targets for x in (t, 0)]  # blank, y1, blank, ..., yL, blank
        labels = [ext[s] for s in states]
        assert _collapse(labels) == targets
        assert np.isclose(sum(log_probs[t, s] for t, s in enumerate(labels)), _best_by_brute_force(log_probs, targets))


def test_an_alignment_that_cannot_fit_is_refused_and_frames_cover_every_frame():
    log_probs = np.log(np.full((2, 3), 1 / 3))
    assert ctc_align(log_probs, [1, 1]) is None  # a repeat needs a blank between: 3 frames
    assert ctc_align(log_probs, [1, 2, 1]) is None
    # blank blank a a blank b blank blank: <s> 2, a 3 (its frames and the blank after), b 1, </s> 2
    path = np.array([0, 0, 1, 1, 2, 3, 4, 4])
    assert frames_per_symbol(path, 2).tolist() == [2, 3, 1, 2]
    assert symbol_ids([1, 5]) == [BOS, 3, 7, EOS]


def _tiny() -> TextToUnit:
    cfg = UNITS_PRESETS["tiny"]
    return TextToUnit(type(cfg)(**{**cfg.__dict__, "symbols": list("abcde"), "languages": ["en", "fr"],
                                   "semantic_size": 16}))


def test_the_model_writes_one_token_per_predicted_frame_and_learns_a_fixed_mapping(tmp_path):
    torch.manual_seed(0)
    model = _tiny()
    symbols = torch.tensor([[BOS, 3, 4, 5, EOS], [BOS, 6, 7, EOS, PAD]])
    frames = torch.tensor([[1, 2, 3, 1, 0], [0, 2, 2, 2, 0]])
    tokens = torch.full((2, 7), -100)
    tokens[0, :7] = torch.tensor([0, 1, 1, 2, 2, 2, 0])
    tokens[1, :6] = torch.tensor([3, 3, 4, 4, 0, 0])
    prompt = torch.tensor([[5, 6, 16], [16, 16, 16]])  # the second without a voice
    language = torch.tensor([0, 1])
    logits, pad, log_durations = model(symbols, language, prompt, frames)
    assert logits.shape == (2, 7, 16) and pad[1].tolist() == [False] * 6 + [True] and log_durations.shape == (2, 5)
    assert torch.equal(model.voice(prompt)[1], torch.zeros(model.cfg.dim))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(300):
        loss, token_loss, duration_loss, n, _ = units_loss(model, symbols, language, prompt, frames, tokens)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    *_, n, hits = units_loss(model, symbols, language, prompt, frames, tokens, with_hits=True)
    assert n == 13 and hits == 13 and float(duration_loss) < 0.05
    out = generate_units(model, symbols[0], 0, prompt[0, :2])
    assert out.tolist() == [0, 1, 1, 2, 2, 2, 0]  # durations and tokens as taught
    model.save_pretrained(tmp_path / "units")
    again = TextToUnit.from_pretrained(tmp_path / "units")
    assert again.cfg == model.cfg and torch.equal(generate_units(again, symbols[0], 0, prompt[0, :2]), out)


def test_predicted_frames_keep_every_phoneme_and_may_drop_the_boundaries():
    symbols = torch.tensor([BOS, 3, 4, EOS])
    frames = frames_of(torch.log1p(torch.tensor([0.2, 0.2, 3.0, 0.0])), symbols)
    assert frames.tolist() == [0, 1, 3, 0]
    assert frames_of(torch.log1p(torch.tensor([4.0, 4.0, 4.0, 4.0])), symbols, pace=2.0).tolist() == [2, 2, 2, 2]
