"""Learning curves of training runs from their log.csv: the training loss (a moving mean) and every dev
column, against optimizer steps.

    python scripts/learning_curves.py --run text-LM=runs/lm-base --run AudioPaLM=runs/audiopalm-base \
        --out docs/img/learning-curves.png
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_log(path: Path) -> dict[str, list[tuple[int, float]]]:
    """log.csv -> {column: [(step, value)]} for "loss" and every "dev_*" column, finite values only."""
    series: dict[str, list[tuple[int, float]]] = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if (key == "loss" or key.startswith("dev_")) and value and math.isfinite(float(value)):
                    series.setdefault(key, []).append((int(row["step"]), float(value)))
    return series


def moving_mean(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def plot(runs: dict[str, Path], out: Path, window: int = 50) -> None:
    logs = {name: read_log(folder / "log.csv") for name, folder in runs.items()}
    columns = sorted({c for log in logs.values() for c in log}, key=lambda c: (c != "loss", c))
    fig, axes = plt.subplots(1, len(columns), figsize=(5 * len(columns), 3.6), squeeze=False)
    for ax, column in zip(axes[0], columns):
        for name, log in logs.items():
            if points := log.get(column):
                steps, values = zip(*points)
                if column == "loss":
                    ax.plot(steps, moving_mean(list(values), window), label=name)
                else:
                    ax.plot(steps, values, marker="o", label=name)
        ax.set_title(f"training loss (mean of {window} steps)" if column == "loss" else column.replace("_", " "))
        ax.set_xlabel("step")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, metavar="NAME=DIR", help="a run folder with log.csv")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--window", type=int, default=50, help="moving mean of the training loss, in steps")
    args = parser.parse_args()
    runs = {}
    for spec in args.run:
        name, _, folder = spec.partition("=")
        runs[name if folder else Path(name).name] = Path(folder or name)
    plot(runs, args.out, args.window)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
