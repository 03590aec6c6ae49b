"""Training throughput and MFU of the decoder LM, against this machine's matrix-multiply peak, in one run.

    python benchmarks/train_throughput.py --preset small --steps 10 [--seq 256 --batch 16] [--device cuda]

The same measurement as `audiopalm bench --sections training`, with the sequence shape exposed:
MFU = model FLOP/s (6 N per token + the output layer + 12 L d T of attention) / the best bf16
matmul FLOP/s measured in this run.
"""

from __future__ import annotations

import argparse

import torch

from audiopalm.bench import bench_training, matmul_peak
from audiopalm.models.lm import LM_PRESETS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small", choices=list(LM_PRESETS))
    p.add_argument("--seq", type=int, default=256, help="tokens per sequence")
    p.add_argument("--batch", type=int, default=16, help="sequences per step")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    peak = matmul_peak(torch.bfloat16, args.device)
    t = bench_training(args.preset, args.device, args.seq, args.batch, args.steps)
    print(f"device {args.device}, {torch.get_num_threads()} threads; LM preset {args.preset}: "
          f"{t['parameters'] / 1e6:.1f} M parameters, {args.batch} x {args.seq} tokens a step")
    print(f"bf16 matmul peak {peak / 1e9:.0f} GFLOP/s; training {t['tokens_per_second']:.0f} tokens/s, "
          f"{t['model_flops_per_second'] / 1e9:.0f} GFLOP/s -> MFU {100 * t['model_flops_per_second'] / peak:.1f}%")


if __name__ == "__main__":
    main()
