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

from collections import namedtuple

from .events import decode_tag, parse_event, scalar_of
from .records import BAD_LENGTH, DATA_CRC, LENGTH_CRC, TRUNCATED, Damage, read_records
from .runs import Run, find_runs
from .scalars import NOT_AN_EVENT, Other, Series, read_scalars, sort_series

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


def read_run(run, *, keep_tag=None, keep_duplicates=False, problems=None, others=None, sources=None):
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
    """
    series = {}
    for path in run.files:
        damage = []
        count = 0
        try:
            with open(path, "rb") as f:
                count = read_scalars(
                    f, series, keep_tag=keep_tag, keep_duplicates=keep_duplicates, damage=damage, others=others
                )
                size = f.tell()
        except OSError as error:
            damage.append(Damage(0, f"{CANNOT_READ}: {error.strerror or error}", 0))
        else:
            if size == 0:
                damage.append(Damage(0, EMPTY, 0))
            elif damage == [(0, LENGTH_CRC, size)]:
                damage = [Damage(0, NO_RECORDS, size)]
        _report(path, damage, problems)
        if sources is not None:
            sources.append((path, count))
    if keep_duplicates:
        series = {tag: sort_series(s) for tag, s in series.items()}
    return dict(sorted(series.items()))


def _report(path, damage, problems):
    if problems is not None:
        problems.extend(Problem(path, *d) for d in damage)
