"""Running one function over many items in worker processes, results in order.

At most a few results wait to be consumed at any time, so memory stays
bounded by a few items (runs, spans of a file) however many there are.
"""

from collections import namedtuple
from contextlib import contextmanager

__all__ = ["Pool", "ordered_map", "process_pool", "spread_map"]

Pool = namedtuple("Pool", "executor jobs")
Pool.__doc__ = "Worker processes: a concurrent.futures.ProcessPoolExecutor and how many processes it has."


@contextmanager
def process_pool(jobs):
    """A :class:`Pool` of *jobs* processes, shut down on exit; None when jobs is 1."""
    if jobs <= 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor  # here: it takes a while to import

    with ProcessPoolExecutor(jobs) as executor:
        yield Pool(executor, jobs)


def ordered_map(function, items, pool=None):
    """Yield ``function(*item)`` for each tuple in the iterable *items*, in order.

    The calls run in the workers of *pool* (a :class:`Pool`; *function*
    and the items must then be picklable), or here when it is None; the
    results are the same. Items are taken as tasks are started, so a
    generator of large items is never held whole.
    """
    if pool is None:
        for item in items:
            yield function(*item)
        return
    ahead = 2 * pool.jobs
    pending = []
    queued = iter(items)
    for item in queued:
        pending.append(pool.executor.submit(function, *item))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.pop(0).result()
        for item in queued:
            pending.append(pool.executor.submit(function, *item))
            break
        yield result


def spread_map(function, items, pool, size, large, batch=1 << 20):
    """Yield ``function(*item)`` for each tuple in *items*, in order, using the workers of *pool*.

    size(item) measures an item's work. An item larger than *large* is
    called here as ``function(*item, pool=pool)``, to spread its own work
    over the workers; the others go to the workers in batches of
    consecutive items of about *batch* in all (one task each is slower for
    small items).
    """
    small = []  # consecutive items below *large*, not yet sent
    for item in items:
        if size(item) > large:
            yield from _in_batches(function, small, pool, size, batch)
            small = []
            yield function(*item, pool=pool)
        else:
            small.append(item)
    yield from _in_batches(function, small, pool, size, batch)


def _in_batches(function, items, pool, size, batch):
    """ordered_map of *function* over *items* sent to the workers in batches of about *batch* in size."""
    batches, current, total = [], [], 0
    for item in items:
        current.append(item)
        total += size(item)
        if total >= batch:
            batches.append(current)
            current, total = [], 0
    if current:
        batches.append(current)
    for results in ordered_map(_call_each, [(function, batch) for batch in batches], pool=pool):
        yield from results


def _call_each(function, items):
    return [function(*item) for item in items]
