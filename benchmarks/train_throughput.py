"""Training throughput and MFU of the decoder LM, against this machine's matrix-multiply peak, in one run.

    python benchmarks/train_throughput.py --preset small --steps 10

1. peak: the best of several bf16 (and fp32) square matmuls, in FLOP/s, with all threads
2. training: `--steps` optimizer steps of the LM on random sequences of `--seq` tokens, bf16 autocast
3. MFU = achieved model FLOP/s / peak, with model FLOPs = 6 N per token + 12 L d T per token (attention)

On a GPU machine (`--device cuda`) the same script reports the GPU figures.
"""

from __future__ import annotations

import argparse
import time

import torch

from audiopalm.models.lm import LM_PRESETS, build_llama


def matmul_peak(dtype: torch.dtype, device: str, n: int = 2048, repeats: int = 10) -> float:
    """Best FLOP/s of n x n @ n x n in `dtype`."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = 0.0
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        best = max(best, 2 * n**3 / (time.perf_counter() - t0))
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small", choices=list(LM_PRESETS))
    p.add_argument("--vocab", type=int, default=5025, help="4000 text + 1024 audio + <sep>")
    p.add_argument("--seq", type=int, default=256, help="tokens per sequence")
    p.add_argument("--batch", type=int, default=16, help="sequences per step")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()

    dev = args.device
    peak_bf16, peak_fp32 = matmul_peak(torch.bfloat16, dev), matmul_peak(torch.float32, dev)
    torch.manual_seed(0)
    model = build_llama(args.preset, args.vocab, 2, 3, 0).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    n_params = sum(p.numel() for p in model.parameters())
    n_embed = model.get_input_embeddings().weight.numel()
    cfg = LM_PRESETS[args.preset]
    flops_per_token = 6 * (n_params - n_embed) + 6 * args.vocab * cfg.hidden + 12 * cfg.layers * cfg.hidden * args.seq
    ids = torch.randint(4, args.vocab, (args.batch, args.seq), device=dev)

    def step() -> None:
        with torch.autocast(dev, dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # warm-up: first call allocates
    if dev == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    if dev == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    tokens_per_second = args.steps * args.batch * args.seq / seconds
    achieved = tokens_per_second * flops_per_token
    print(f"device {dev}, {torch.get_num_threads()} threads; LM preset {args.preset}: {n_params / 1e6:.1f} M parameters")
    print(f"matmul peak: bf16 {peak_bf16 / 1e9:.0f} GFLOP/s, fp32 {peak_fp32 / 1e9:.0f} GFLOP/s")
    print(f"training: {tokens_per_second:.0f} tokens/s, {achieved / 1e9:.0f} GFLOP/s of model FLOPs")
    print(f"MFU: {100 * achieved / peak_bf16:.1f}% of the bf16 matmul peak measured in this run")


if __name__ == "__main__":
    main()
