"""Running one function over many runs in worker processes, results in order.

At most a few results wait to be consumed at any time, so memory stays
bounded by a few runs however many there are.
"""

__all__ = ["ordered_map"]


def ordered_map(function, items, jobs=1):
    """Yield ``function(*item)`` for each tuple in *items*, in order.

    With jobs > 1 the calls run in that many worker processes (*function*
    and the items must be picklable); the results are the same as with 1.
    """
    items = list(items)
    jobs = max(1, min(jobs, len(items)))
    if jobs == 1:
        for item in items:
            yield function(*item)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs) as pool:
        pending = []
        queued = iter(items)
        for item in queued:
            pending.append(pool.submit(function, *item))
            if len(pending) >= 2 * jobs:
                break
        while pending:
            result = pending.pop(0).result()
            for item in queued:
                pending.append(pool.submit(function, *item))
                break
            yield result
