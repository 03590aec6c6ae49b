"""k-means codebook: fitted with faiss on a sample of encoder frames, applied with one matmul."""

from __future__ import annotations

import numpy as np
import torch

from audiopalm.errors import AudiopalmError

MIN_POINTS_PER_CENTROID = 39  # below this, faiss warns that the clustering is unreliable


def fit_kmeans(frames: np.ndarray, k: int, iterations: int = 25, seed: int = 0) -> np.ndarray:
    """frames [N, D] float32 -> centroids [k, D] float32 (faiss, all CPU threads)."""
    try:
        import faiss
    except ImportError:
        raise AudiopalmError("k-means needs faiss: pip install faiss-cpu") from None
    n, d = frames.shape
    if n < k:
        raise AudiopalmError(f"k-means with k={k} needs at least {k} frames, got {n}; use a smaller --codebook-size")
    km = faiss.Kmeans(d, k, niter=iterations, seed=seed, verbose=False,
                      max_points_per_centroid=max(256, (n + k - 1) // k), min_points_per_centroid=1)
    km.train(np.ascontiguousarray(frames, dtype=np.float32))
    return km.centroids.astype(np.float32)


def assign(frames: torch.Tensor, centroids: torch.Tensor, centroid_sq: torch.Tensor | None = None) -> torch.Tensor:
    """frames [T, D], centroids [K, D] -> nearest centroid ids [T] (int64).

    argmin ||x - c||^2 = argmin (||c||^2 - 2 x.c): one matmul, no [T, K, D] tensor.
    """
    if centroid_sq is None:
        centroid_sq = (centroids**2).sum(dim=1)
    return (centroid_sq[None, :] - 2.0 * frames @ centroids.T).argmin(dim=1)
