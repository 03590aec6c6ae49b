"""The SoundStorm-style acoustic model: masking, shapes, and learning to copy a voice from the prompt."""

import pytest
import torch

from audiopalm.models.soundstorm import (SOUNDSTORM_PRESETS, SoundStorm, frame_semantic, generate,
                                         level_probabilities, masked_loss, training_example)

CFG = SOUNDSTORM_PRESETS["tiny"]  # 16 semantic tokens, 2 levels of 16 codes, 2 frames per token


def _utterance(gen: torch.Generator, speaker: int, tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A toy world: level 0 follows the semantic token, level 1 also depends on the (hidden) speaker."""
    semantic = torch.randint(0, 16, (tokens,), generator=gen)
    frames = frame_semantic(semantic, tokens * 2, 2)
    return semantic, torch.stack([frames, (frames + 5 * speaker) % 16])


def _batch(gen: torch.Generator, size: int = 16):
    sem, masked, loss_mask, levels, codes = [], [], [], [], []
    for _ in range(size):
        speaker = int(torch.randint(0, 3, (1,), generator=gen))
        p_sem, p_codes = _utterance(gen, speaker, 6)
        t_sem, t_codes = _utterance(gen, speaker, 10)
        full = torch.cat([p_codes, t_codes], dim=1)
        m, lm, q = training_example(full, p_codes.shape[1], CFG.codebook_size, gen)
        sem.append(torch.cat([frame_semantic(p_sem, 12, 2), frame_semantic(t_sem, 20, 2)]))
        masked.append(m), loss_mask.append(lm), levels.append(q), codes.append(full)
    stack = torch.stack
    return stack(sem), stack(masked), stack(loss_mask), torch.tensor(levels), stack(codes)


def test_training_example_masks_the_chosen_level_and_everything_finer():
    codes = torch.arange(2 * 20).reshape(2, 20) % 16
    for seed in range(20):
        masked, loss_mask, q = training_example(codes, 8, 99, torch.Generator().manual_seed(seed))
        assert (masked[:, :8] == codes[:, :8]).all(), "the prompt stays visible"
        assert (masked[:q] == codes[:q]).all()
        assert loss_mask[:8].sum() == 0 and loss_mask.sum() >= 1
        assert ((masked[q] == 99) == loss_mask).all()
        assert (masked[q + 1:, 8:] == 99).all()


def test_learns_the_voice_from_the_prompt_and_decodes_in_parallel():
    torch.manual_seed(0)
    model = SoundStorm(CFG)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(400):
        sem, masked, loss_mask, levels, codes = _batch(gen)
        loss, _ = masked_loss(model, sem, masked, loss_mask, levels, codes, torch.zeros_like(sem, dtype=torch.bool))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    hits = total = 0
    for speaker in range(3):
        for trial in range(4):
            g = torch.Generator().manual_seed(100 + 10 * speaker + trial)
            p_sem, p_codes = _utterance(g, speaker, 6)
            t_sem, t_codes = _utterance(g, speaker, 10)
            out = generate(model, t_sem, p_sem, p_codes, iterations=(4, 1))
            assert out.shape == t_codes.shape
            hits += int((out == t_codes).sum())
            total += t_codes.numel()
    assert hits / total > 0.9, hits / total


def test_save_and_load(tmp_path):
    model = SoundStorm(CFG)
    model.save_pretrained(tmp_path / "ss")
    again = SoundStorm.from_pretrained(tmp_path / "ss")
    sem = torch.randint(0, 16, (1, 12))
    codes = torch.full((1, 2, 12), CFG.codebook_size)
    assert torch.allclose(model.eval()(sem, codes), again(sem, codes))


def test_level_probabilities_favour_coarse_levels_or_are_uniform():
    p = level_probabilities(8, 1.0)
    assert float(p.sum()) == pytest.approx(1.0)
    assert p[0] == pytest.approx(1 / sum(1 / k for k in range(1, 9)))
    assert bool((p[:-1] > p[1:]).all())
    assert torch.allclose(level_probabilities(4, 0.0), torch.full((4,), 0.25))


def test_training_example_draws_its_level_from_the_given_probabilities():
    codes = torch.randint(0, 16, (3, 20))
    only_level_1 = torch.tensor([0.0, 1.0, 0.0])
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        masked, loss_mask, q = training_example(codes, 5, 16, gen, only_level_1)
        assert q == 1
        assert bool((masked[2, 5:] == 16).all()) and bool((masked[0] == codes[0]).all())
