"""Micro-batching for the server: requests that arrive together are decoded together.

    batcher = Batcher(lambda items: model_fn(items), max_batch=16, wait_ms=10, max_queue=64)
    result = batcher.submit(item, timeout=120)      # from any number of request threads

One worker thread takes the first waiting item and every item already waiting behind it, waits up to
`wait_ms` for more (at most `max_batch`) and calls `fn` once on all of them: a batch of 16 short clips
costs far less than 16 calls of one, so throughput grows with concurrency. The wait is spent only while
requests come in company (the last batch held more than one item): a lone client's request leaves at
once. With `coming` (how many requests are on their way: received, not yet submitted; a server counts
them while it reads their uploads) the worker waits up to `max_wait_ms` while any is, so that clients
answered by one batch all join the next one.

The queue is bounded: `submit` on a full queue raises Busy at once (the server answers 503), and a
caller that waited `timeout` seconds gets Busy too (its item is dropped if not yet started). If a batch
fails, its items are retried one by one, so one bad item fails alone.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from audiopalm.errors import AudiopalmError

T = TypeVar("T")
R = TypeVar("R")


class Busy(AudiopalmError):
    """The queue is full, or the item waited longer than its timeout."""


@dataclass
class _Job(Generic[T, R]):
    item: T
    done: threading.Event = field(default_factory=threading.Event)
    result: R | None = None
    error: BaseException | None = None
    cancelled: bool = False


class Batcher(Generic[T, R]):
    def __init__(self, fn: Callable[[list[T]], list[R]], max_batch: int = 16, wait_ms: float = 10.0,
                 max_queue: int = 64, coming: Callable[[], int] | None = None, max_wait_ms: float = 100.0):
        self.fn, self.max_batch, self.wait = fn, max_batch, wait_ms / 1000
        self.coming, self.max_wait = coming, max(wait_ms, max_wait_ms) / 1000
        self.queue: queue.Queue[_Job[T, R]] = queue.Queue(max_queue)
        self.batch_sizes: deque[int] = deque(maxlen=10_000)  # of the latest batches, for tests
        self.batches = self.batched_items = 0  # batches run and the items in them, since the start
        self.outstanding = 0  # items submitted and not yet answered
        self._company = True  # whether the last batch held more than one item (then the next waits for more)
        self._count = threading.Lock()
        threading.Thread(target=self._work, name="batcher", daemon=True).start()

    def submit(self, item: T, timeout: float | None = None) -> R:
        """Decode `item` in the next batch; raises Busy (queue full, or no result within `timeout` seconds)
        or what `fn` raised for this item."""
        job: _Job[T, R] = _Job(item)
        with self._count:
            self.outstanding += 1
        try:
            try:
                self.queue.put_nowait(job)
            except queue.Full:
                raise Busy(f"the server is busy ({self.queue.maxsize} requests waiting); try again shortly") from None
            if not job.done.wait(timeout):
                job.cancelled = True
                raise Busy(f"no result within {timeout:g} s; the server is overloaded, try again shortly")
        finally:
            with self._count:
                self.outstanding -= 1
        if job.error is not None:
            raise job.error
        return job.result

    def _collect(self) -> list[_Job[T, R]]:
        jobs = [self.queue.get()]
        start = time.monotonic()
        while len(jobs) < self.max_batch:
            try:  # what is already waiting joins at once, whatever the wait
                jobs.append(self.queue.get_nowait())
                continue
            except queue.Empty:
                pass
            more = self.coming is not None and self.coming() > 0
            left = start + (self.max_wait if more else self.wait if self._company else 0.0) - time.monotonic()
            if left <= 0:
                break
            try:  # while requests are on their way, look again every 2 ms
                jobs.append(self.queue.get(timeout=min(left, 0.002) if more else left))
            except queue.Empty:
                pass
        return [j for j in jobs if not j.cancelled]

    def _work(self) -> None:
        while True:
            jobs = self._collect()
            if not jobs:
                continue
            self.batch_sizes.append(len(jobs))
            self.batches += 1
            self.batched_items += len(jobs)
            self._company = len(jobs) > 1
            try:
                for job, result in zip(jobs, self.fn([j.item for j in jobs]), strict=True):
                    job.result = result
            except Exception as e:
                if len(jobs) == 1:
                    jobs[0].error = e
                else:  # find the item that failed: each alone
                    for job in jobs:
                        self._run_alone(job)
            for job in jobs:
                job.done.set()

    def _run_alone(self, job: _Job[T, R]) -> None:
        try:
            job.result = self.fn([job.item])[0]
        except Exception as e:
            job.error = e
