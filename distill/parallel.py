"""Numpy work on every core: threads over independent blocks of rows or features.

numpy and scipy release the GIL inside their loops (searchsorted, take, sorting, sparse
products, interpolation), so a handful of threads over independent blocks uses every core
for the students' large arrays without copying them into other processes. Results are put
together in block order: the same numbers as one thread (bench/results/speed.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

WORKERS = min(4, os.cpu_count() or 1)  # more threads than this gain little on these sizes


def set_threads(n: int) -> None:
    """Threads for this process's numpy work and torch's: a pool's worker processes and a
    cluster's tasks share the cores, so each takes its share."""
    global WORKERS
    import torch
    WORKERS = max(1, int(n))
    torch.set_num_threads(WORKERS)


def pool(workers: int | None = None) -> ThreadPoolExecutor:
    """A thread pool for :func:`in_order`; use it in a ``with`` block."""
    return ThreadPoolExecutor(workers or WORKERS, thread_name_prefix="numpy")


def in_order(fn: Callable, items: Iterable, workers: int | None = None) -> list:
    """``[fn(item) for item in items]``, computed on ``workers`` threads."""
    items, workers = list(items), workers or WORKERS
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with pool(workers) as threads:
        return list(threads.map(fn, items))


def map_rows(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, block: int = 4096,
             workers: int | None = None) -> np.ndarray:
    """``fn(x)`` for a ``fn`` that treats rows independently, over blocks of ``block`` rows
    on ``workers`` threads."""
    blocks = [x[i:i + block] for i in range(0, len(x), block)] or [x]
    return np.concatenate(in_order(fn, blocks, workers))
