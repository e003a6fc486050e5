"""Releasing several threads at one instant, for race tests on a real PostgreSQL."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from engine.database import Database


def all_at_once(work: Callable[[int], object], workers: int = 8) -> tuple[list[object], list[BaseException]]:
    """Run ``work(n)`` for n in 0..workers-1 on threads released together by a barrier;
    what the calls returned and what they raised (each in no particular order)."""
    barrier, results, raised = threading.Barrier(workers), [], []

    def run(n: int) -> None:
        barrier.wait()
        try:
            results.append(work(n))
        except BaseException as error:  # anything at all is for the test to judge
            raised.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, raised


@contextmanager
def handle_for_racers(db: Database, racers: int) -> Iterator[Database]:
    """Another handle on ``db`` whose pool has a connection for each of ``racers`` (and a few
    more for the test itself), disposed of afterwards."""
    racing = Database(db.url.render_as_string(hide_password=False), pool_size=racers + 4)
    try:
        yield racing
    finally:
        racing.engine.dispose()
