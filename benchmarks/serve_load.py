"""Load on `audiopalm serve`: 1, 4 and 16 concurrent clients on 127.0.0.1 sending test clips to
/v1/audio/transcriptions for a fixed time, with the server batching (max_batch 16) and one at a time
(max_batch 1), in one run. Prints throughput (seconds of audio per wall second), p50/p95 latency,
the count of every status (2xx, 4xx, 503, other, lost: connection errors) and the mean batch.
The server runs in a process of its own (`audiopalm serve`), as it does for real clients: the load
generator's threads do not share its interpreter.

    python benchmarks/serve_load.py [--model models/babel-small] [--data data/babel-small]
                                    [--seconds 30] [--clients 1,4,16] [--serve-args "..."]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from audiopalm.audio.io import duration
from audiopalm.data.manifest import read_jsonl, spread


def load(url: str, clips: list[tuple[bytes, float, str]], clients: int, seconds: float) -> dict:
    """`clients` threads, each sending clips back to back until `seconds` pass."""
    latencies, audio, counts, lock = [], [0.0], {"2xx": 0, "4xx": 0, "503": 0, "other": 0, "lost": 0}, threading.Lock()
    stop = time.monotonic() + seconds

    def client(k: int) -> None:
        with httpx.Client(timeout=300) as http:
            i = k
            while time.monotonic() < stop:
                data, length, lang = clips[i % len(clips)]
                i += clients
                t0 = time.monotonic()
                try:
                    r = http.post(url + "/v1/audio/transcriptions", files={"file": ("clip.wav", data, "audio/wav")},
                                  data={"language": lang})
                    key = "2xx" if r.is_success else "503" if r.status_code == 503 else \
                        "4xx" if 400 <= r.status_code < 500 else "other"
                except httpx.HTTPError:
                    key = "lost"
                with lock:
                    counts[key] += 1
                    if key == "2xx":
                        latencies.append(time.monotonic() - t0)
                        audio[0] += length

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    return {"clients": clients, "requests": sum(counts.values()), **counts,
            "x_real_time": round(audio[0] / wall, 2),
            "p50_s": round(float(np.percentile(latencies, 50)), 3) if latencies else None,
            "p95_s": round(float(np.percentile(latencies, 95)), 3) if latencies else None}


def start_server(model: str, max_batch: int, extra: list[str]) -> tuple[subprocess.Popen, str]:
    """`audiopalm serve` on a free port of 127.0.0.1 -> (its process, base URL), once /health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "audiopalm", "serve", "--model", model, "--port", str(port),
                             "--max-batch", str(max_batch), "--max-queue", "64", "--max-concurrent", "64",
                             "--log-level", "warning", *extra], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/health", timeout=5).is_success:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server did not start (exit code {proc.poll()})")


def batches(url: str) -> tuple[int, int]:
    """(batches run, clips in them) so far."""
    health = httpx.get(url + "/health", timeout=30).json()
    return health["batches"], health["batched_clips"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/babel-small")
    parser.add_argument("--data", default="data/babel-small")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--serve-args", default="", help="more `audiopalm serve` flags, e.g. '--batch-wait-ms 0'")
    args = parser.parse_args()
    rows = spread([r for r in read_jsonl(Path(args.data) / "test.jsonl") if r.get("audio")], 64)
    clips = [((Path(args.data) / r["audio"]).read_bytes(), duration(Path(args.data) / r["audio"]), r["lang"])
             for r in rows]
    print(f"{len(clips)} test clips, mean {np.mean([c[1] for c in clips]):.1f} s; {args.seconds:g} s per setting")
    results = []
    for max_batch in (16, 1):
        proc, url = start_server(args.model, max_batch, args.serve_args.split())
        try:
            load(url, clips, 1, 3.0)  # warm-up
            for clients in (int(c) for c in args.clients.split(",")):
                before = batches(url)
                row = {"max_batch": max_batch, **load(url, clips, clients, args.seconds)}
                runs, clipped = (a - b for a, b in zip(batches(url), before))
                row["mean_batch"] = round(clipped / runs, 2) if runs else None
                results.append(row)
                print(json.dumps(row))
        finally:
            proc.terminate()
            proc.wait()
    by = {(r["max_batch"], r["clients"]): r["x_real_time"] for r in results}
    most = max(int(c) for c in args.clients.split(","))
    print(f"batched, {most} clients vs 1: {by[(16, most)] / by[(16, 1)]:.2f}x throughput; "
          f"batched vs one at a time at {most} clients: {by[(16, most)] / by[(1, most)]:.2f}x; "
          f"aggregate {by[(16, most)]:.1f}x real time")


if __name__ == "__main__":
    main()
