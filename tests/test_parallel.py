import threading

import numpy as np

from distill import parallel
from distill.parallel import in_order, map_rows


def test_blocks_come_back_in_order_whichever_thread_finishes_first():
    release = threading.Event()

    def slow_first(i):
        if i == 0:
            release.wait(30)  # the first block finishes last
        else:
            release.set()
        return i * 10

    assert in_order(slow_first, range(4), workers=2) == [0, 10, 20, 30]
    assert in_order(lambda i: i + 1, [], workers=2) == []


def test_map_rows_is_the_function_on_all_rows(rng):
    x = rng.random((1003, 5))
    np.testing.assert_array_equal(map_rows(lambda b: b.cumsum(1), x, block=100, workers=3),
                                  x.cumsum(1))
    assert map_rows(lambda b: b * 2, x[:0], workers=2).shape == (0, 5)


def test_a_pool_worker_process_takes_one_thread(monkeypatch):
    import torch
    monkeypatch.setattr(parallel, "WORKERS", parallel.WORKERS)  # restored after the test
    torch_threads = torch.get_num_threads()
    try:
        parallel.set_threads(1)
        assert torch.get_num_threads() == 1  # torch's share too
        here = threading.current_thread()
        assert in_order(lambda i: threading.current_thread() is here, range(3)) == [True] * 3
        parallel.set_threads(3)
        assert not all(in_order(lambda i: threading.current_thread() is here, range(3)))
    finally:
        torch.set_num_threads(torch_threads)
