"""Length-bucketed batches: sequences of similar length together, so padding wastes little."""

from __future__ import annotations

import numpy as np


def make_batches(lengths: list[int], budget: int, seed: int, epoch: int) -> list[list[int]]:
    """Indices grouped so that each batch's padded size (longest * count) stays within `budget`;
    ties in length are broken and batches ordered by a generator seeded with (seed, epoch), so a
    resumed run sees the same batches in the same order."""
    rng = np.random.default_rng(seed * 1000 + epoch)
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches, current, longest = [], [], 0
    for i in order:
        if current and max(longest, lengths[i]) * (len(current) + 1) > budget:
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, lengths[i])
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches
