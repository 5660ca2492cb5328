"""Read TensorBoard event files: the library the ``modagg`` command is built on.

Everything here returns plain Python data::

    import modagg.reader as reader

    for run in reader.find_runs("outputs/"):
        scalars = reader.read_run(run)              # {tag: Series}
        loss = scalars["Train/loss_aggregated"]
        print(run.name, loss.steps[-1], loss.values[-1])

A :class:`Series` holds three parallel arrays: ``steps``, ``values`` and
``wall_times``. For single files, :func:`iter_records`, :func:`iter_events`
and :func:`iter_scalars` stream what a file holds, in file order.

Damaged input never raises: what could not be read is appended to a
``problems`` list, when one is given, as :class:`Problem` tuples naming the
file, the byte offset and what was wrong; everything intact is returned.
"""

import os
from collections import namedtuple

from .events import decode_tag, parse_event, scalar_of
from .records import BAD_LENGTH, DATA_CRC, LENGTH_CRC, TRUNCATED, Damage, Misaligned, find_record, read_records
from .runs import Run, find_runs
from .scalars import NOT_AN_EVENT, Other, Series, merge_others, merge_series, read_scalars, sort_series
from .workers import ordered_map

__all__ = [
    "Run",
    "Series",
    "Other",
    "Scalar",
    "Problem",
    "find_runs",
    "read_run",
    "iter_records",
    "iter_events",
    "iter_scalars",
    "is_damage",
    "TRUNCATED",
    "DATA_CRC",
    "LENGTH_CRC",
    "BAD_LENGTH",
    "NOT_AN_EVENT",
]

Scalar = namedtuple("Scalar", "tag step value wall_time")
Scalar.__doc__ = "One logged scalar: its tag, step, value (float or int) and wall time in seconds."

Problem = namedtuple("Problem", "path offset problem skipped")
Problem.__doc__ = """Something in a file that could not be read.

path: the file. offset: byte offset where it starts (0 for the whole file).
problem: what was wrong. skipped: how many bytes were passed over.
"""

CANNOT_READ = "cannot be read"
EMPTY = "empty file"
NO_RECORDS = "holds no records: not an event file?"
DAMAGE = frozenset([DATA_CRC, LENGTH_CRC, BAD_LENGTH, NOT_AN_EVENT, NO_RECORDS])


def is_damage(problem):
    """True if a Problem means data was lost (not a tail still being written, not an empty file)."""
    return problem.problem in DAMAGE or problem.problem.startswith("cannot")


def iter_records(path, problems=None):
    """Yield ``(offset, data)`` for each intact record of the event file at *path*."""
    damage = []
    try:
        with open(path, "rb") as f:
            yield from read_records(f, damage)
    finally:
        _report(path, damage, problems)


def iter_events(path, problems=None):
    """Yield each Event (a ``modagg.event_pb2.Event`` message) of the file at *path*."""
    damage = []
    try:
        for offset, data in iter_records(path, problems):
            event = parse_event(data)
            if event is None:
                damage.append(Damage(offset, NOT_AN_EVENT, len(data)))
            else:
                yield event
    finally:
        _report(path, damage, problems)


def iter_scalars(path, problems=None):
    """Yield a :class:`Scalar` for each scalar of the file at *path*, in file order.

    No resume rule is applied here: every logged point comes out.
    """
    for event in iter_events(path, problems):
        if event.WhichOneof("what") == "summary":
            for value in event.summary.value:
                scalar = scalar_of(value)
                if scalar is not None:
                    yield Scalar(decode_tag(value.tag), event.step, scalar[0], event.wall_time)


def read_run(run, *, keep_tag=None, keep_duplicates=False, problems=None, others=None, sources=None, pool=None):
    """Return the scalars of a :class:`Run` as a dict ``{tag: Series}``, sorted by tag.

    The run's files are read in name order and merged: per tag, a point at
    step *s* replaces the points already read at steps >= *s* (a resumed
    run's new history replaces the discarded one). With *keep_duplicates*
    every logged point is kept instead, sorted by step (stable).

    keep_tag: a function of a tag returning whether to read it; None reads all.
    problems: a list to which :class:`Problem` entries are appended.
    others: a dict to which tags of other kinds (text, histograms, ...) are
    added as :class:`Other` entries.
    sources: a list to which ``(path, number of scalars read)`` is appended
    for each file.
    pool: a :class:`modagg.workers.Pool`: files of more than two spans
    (:data:`SPAN_SIZE`) are then read a span per task, in parallel, and
    *keep_tag* must be picklable. The result is the same.
    """
    series = {}
    for path in run.files:
        found, damage, count = _read_file(path, keep_tag, keep_duplicates, pool, others)
        merge_series(series, found, keep_duplicates)
        _report(path, damage, problems)
        if sources is not None:
            sources.append((path, count))
    if keep_duplicates:
        series = {tag: sort_series(s) for tag, s in series.items()}
    return dict(sorted(series.items()))


SPAN_SIZE = 8 << 20  # bytes of a file one task reads, when a pool reads it in spans
_SEARCH = 64 << 10  # how far past a cut to look for a record boundary


def _read_file(path, keep_tag, keep_duplicates, pool, others):
    """Read one event file: (series, damage, number of scalars read)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            starts = _span_starts(f, size) if pool is not None and size >= 2 * SPAN_SIZE else [0]
            found = _read_in_spans(path, starts, keep_tag, keep_duplicates, pool) if len(starts) > 1 else None
            if found is None:
                found = _scalars_of(f, keep_tag, keep_duplicates, start=0)
                size = f.tell()
        series, found_others, damage, count = found
    except OSError as error:
        return {}, [Damage(0, f"{CANNOT_READ}: {error.strerror or error}", 0)], 0
    if others is not None:
        merge_others(others, found_others)
    if size == 0:
        damage.append(Damage(0, EMPTY, 0))
    elif damage == [(0, LENGTH_CRC, size)]:
        damage = [Damage(0, NO_RECORDS, size)]
    return series, damage, count


def _span_starts(f, size):
    """Offsets where spans of about SPAN_SIZE bytes of the open file *f* start: record boundaries."""
    count = size // SPAN_SIZE
    starts = [0]
    for k in range(1, count):
        cut = k * size // count
        start = find_record(f, cut, before=cut + _SEARCH)
        if start is not None and start > starts[-1]:
            starts.append(start)
    return starts


def _read_in_spans(path, starts, keep_tag, keep_duplicates, pool):
    """Read the file at *path* a span per task: (series, others, damage, count), or None if the spans do not line up."""
    tasks = [(path, start, stop, keep_tag, keep_duplicates) for start, stop in zip(starts, starts[1:] + [None])]
    series, others, damage, count = {}, {}, [], 0
    for part in ordered_map(_read_span, tasks, pool=pool):
        if part is None:
            return None
        merge_series(series, part[0], keep_duplicates)
        merge_others(others, part[1])
        damage.extend(part[2])
        count += part[3]
    return series, others, damage, count


def _read_span(path, start, stop, keep_tag=None, keep_duplicates=False):
    """Read the scalars of the event file at *path* from offset *start* to *stop* (None: its end).

    *start* and *stop* are record boundaries (see :func:`modagg.records.find_record`).
    Returns ``(series, others, damage, count)``: the dict {tag: Series}, the
    dict {tag: Other}, the list of :class:`modagg.records.Damage` and the
    number of scalars read; or None if the records read do not end at *stop*.
    """
    with open(path, "rb") as f:
        try:
            return _scalars_of(f, keep_tag, keep_duplicates, start, stop)
        except Misaligned:
            return None


def _scalars_of(f, keep_tag, keep_duplicates, start=None, stop=None):
    """read_scalars of the open file *f* into new containers: (series, others, damage, count)."""
    series, others, damage = {}, {}, []
    count = read_scalars(
        f,
        series,
        keep_tag=keep_tag,
        keep_duplicates=keep_duplicates,
        damage=damage,
        others=others,
        start=start,
        stop=stop,
    )
    return series, others, damage, count


def _report(path, damage, problems):
    if problems is not None:
        problems.extend(Problem(path, *d) for d in damage)
