"""Exporting the scalars of an experiment to one CSV file.

Standard (long) form: ``run,tag,step,value,wall_time``, rows sorted by
run, tag and step. Wide form: ``run,step,wall_time,<tag>...`` with tags
sorted, one row per run and step at which any exported tag has a value,
an empty cell where a tag has none, and the earliest wall time of the
row's values.

Runs are read one at a time (or a few at a time by worker processes) and
their rows written as soon as they are ready, so memory is bounded by the
largest run. The output file is written under a temporary name in its
folder and renamed once complete: it is whole or absent.
"""

import fnmatch
import math
import os
import re
import tempfile
from bisect import bisect_left, bisect_right
from collections import namedtuple
from functools import partial

from .csvtext import number_texts, quote, quoted_cell
from .hydra import read_overrides
from . import reader
from .reader import Problem, find_runs, is_damage, read_run
from .scalars import Series
from .workers import ordered_map, process_pool, spread_map

__all__ = [
    "Options",
    "Result",
    "export",
    "default_output_name",
    "KINDS",
    "select_runs",
    "tag_filter",
    "write_atomically",
]

# The original tool's kinds of tags (-et, -ev, -em): kind -> the text such a tag contains
KINDS = {"train": "Train", "validators": "Validators", "monitors": "Monitors"}

Options = namedtuple(
    "Options",
    "wide kinds tags runs sep keep_duplicates strict jobs pivot_strict hparams",
    defaults=(False, (), (), (), ",", False, False, 1, False, False),
)
Options.__doc__ = """What to export.

wide: the wide form. kinds: names from KINDS whose tags to keep (none: all).
tags: regular expressions, a tag is kept if any matches (none: all).
runs: glob patterns on run names (none: all). sep: the delimiter.
keep_duplicates: keep every logged point, not only the resumed history.
strict: stop at the first damaged file and write nothing.
jobs: worker processes reading runs. pivot_strict: the original tool's rule,
fall back to the standard form when tags have different step sets.
hparams: add one column per Hydra override key (see modagg.hydra).
"""

Result = namedtuple("Result", "values tags runs output problems others wide missing_kinds note")
Result.__doc__ = """What an export did.

values: number of values written. tags: sorted names of the tags exported.
runs: names of the runs exported from. output: where it went.
problems: reader.Problem entries. others: {tag: kind} of tags not exported
because they are not scalars. wide: whether the wide form was written.
missing_kinds: requested kinds that matched no tag. note: why the wide form
fell back to the standard one (pivot_strict), or None.
"""


class DamageError(Exception):
    """Raised in strict mode for the first damaged file; nothing is written."""

    def __init__(self, problem):
        super().__init__(problem)
        self.problem = problem


def default_output_name(path, options):
    """Return the original tool's file name for an export of *path*."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    name = os.path.basename(os.path.abspath(folder)) + "_tensors"
    for kind in ("train", "validators", "monitors"):
        if kind in options.kinds:
            name += "_" + kind
    if options.hparams:
        name += "_hparams"
    if options.wide:
        name += "_pivoted"
    return os.path.join(folder, name + ".csv")


def tag_filter(kinds=(), patterns=()):
    """Return a function telling whether a tag is kept (picklable), or None to keep all."""
    needles = tuple(KINDS[k] for k in kinds)
    regexes = tuple(re.compile(p) for p in patterns)
    if not needles and not regexes:
        return None
    return partial(_keeps, needles, regexes)


def _keeps(needles, regexes, tag):
    return (not needles or any(n in tag for n in needles)) and (not regexes or any(r.search(tag) for r in regexes))


def select_runs(runs, patterns):
    """Return the runs whose names match any glob pattern (all if none)."""
    if not patterns:
        return runs
    return [run for run in runs if any(fnmatch.fnmatchcase(run.name, p) for p in patterns)]


RunRows = namedtuple("RunRows", "tags counts long wide problems others")
RunRows.__doc__ = """What reading one run gave: its tags, their numbers of points,
the paths of the spool files holding its standard-form rows (none when they
went straight to the output) and its wide-form rows (none unless wide), in
order, the problems met and the {tag: kind} of its other data."""

_CHUNK = 1 << 16  # rows formatted at a time: memory stays small however long a series is


def _read(run, options, label, spool, out=None, pool=None):
    """Read one run and write its rows: into *out* if given, else into files in the folder *spool*.

    Each row starts with the cells *label*. Runs in worker processes too;
    with a *pool*, the run's large files are read and its rows written by
    the pool's workers.
    """
    problems, others = [], {}
    series = read_run(
        run,
        keep_tag=tag_filter(options.kinds, options.tags),
        keep_duplicates=options.keep_duplicates,
        problems=problems,
        others=others,
        pool=pool,
    )
    long, wide = [], []
    if options.wide:
        pieces = _step_ranges(series) if pool else [series]
        wide = list(ordered_map(_spool_wide, ((piece, options.sep, spool) for piece in pieces), pool=pool))
    if (options.wide and options.pivot_strict) or (not options.wide and out is None):
        pieces = _pieces(series) if pool else [series]
        long = list(ordered_map(_spool_long, ((label, piece, options.sep, spool) for piece in pieces), pool=pool))
    elif not options.wide:
        _long_rows(label, series, options.sep, out)
    kinds = {tag: other.kind for tag, other in others.items()}
    return RunRows(list(series), [len(s.steps) for s in series.values()], long, wide, problems, kinds)


_PIECE = _CHUNK  # points a worker formats at a time, when a pool writes one run's rows


def _pieces(series):
    """Cut *series* (a dict) into dicts of at most about _PIECE points, in order."""
    piece, size = {}, 0
    for tag, s in series.items():
        for start in range(0, len(s.steps), _PIECE):
            piece[tag] = _sliced(s, start, start + _PIECE)
            size += len(piece[tag].steps)
            if size >= _PIECE:  # so a tag's next piece goes into the next dict
                yield piece
                piece, size = {}, 0
    if piece:
        yield piece


def _step_ranges(series):
    """Cut *series* (a dict) into dicts of every tag's points in consecutive ranges of steps."""
    longest = max(series.values(), key=lambda s: len(s.steps), default=None)
    if longest is None:
        return
    width = max(1, _PIECE // len(series))  # steps of the longest series per piece: about _PIECE points in all
    bounds = list(longest.steps[width::width])
    for low, high in zip([None] + bounds, bounds + [None]):
        piece = {}
        for tag, s in series.items():
            start = 0 if low is None else bisect_left(s.steps, low)
            end = len(s.steps) if high is None else bisect_left(s.steps, high)
            piece[tag] = _sliced(s, start, end)
        yield piece


def _sliced(s, start, end):
    """The points start to end of the Series *s*, copied."""
    return Series(s.steps[start:end], s.values[start:end], s.wall_times[start:end])


def _spool_long(label, series, sep, spool):
    return _spooled(spool, lambda f: _long_rows(label, series, sep, f))


def _spool_wide(series, sep, spool):
    return _spooled(spool, lambda f: _wide_rows(series, sep, f))


def _spooled(folder, write):
    """Call write(file) on a new text file in *folder*; return its path."""
    handle, path = tempfile.mkstemp(suffix=".csv", dir=folder)
    with open(handle, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
        write(f)
    return path


def _long_rows(label, series, sep, out):
    """Write the standard-form rows of one run; *label* the cells before the tag."""
    head = quote([*label, ""], sep)
    for tag, s in series.items():
        prefix = head + quoted_cell(tag, sep) + sep
        for start in range(0, len(s.steps), _CHUNK):
            end = start + _CHUNK
            texts = number_texts(s.values[start:end])
            out.write(
                "".join(
                    [
                        f"{prefix}{step}{sep}{text}{sep}{wall_time!r}\n"
                        for step, text, wall_time in zip(s.steps[start:end], texts, s.wall_times[start:end])
                    ]
                )
            )


def _wide_rows(series, sep, out):
    """Write the wide-form rows of one run as ``step,wall_time,cell...`` lines, one cell per tag of the run.

    Rows are made a chunk of steps at a time, from the sorted union of the
    tags' steps (each series is in step order).
    """
    steps = sorted(set().union(*(s.steps for s in series.values())))
    columns = list(series.values())
    rows_at_a_time = max(1, _CHUNK // max(1, len(columns)))  # cells held at a time: about _CHUNK
    for start in range(0, len(steps), rows_at_a_time):
        chunk = steps[start : start + rows_at_a_time]
        first, last = chunk[0], chunk[-1]
        rows = {step: [step, math.inf] + [""] * len(columns) for step in chunk}
        for column, s in enumerate(columns, start=2):
            lo, hi = bisect_left(s.steps, first), bisect_right(s.steps, last)
            for step, text, wall_time in zip(s.steps[lo:hi], number_texts(s.values[lo:hi]), s.wall_times[lo:hi]):
                row = rows[step]
                row[column] = text
                if wall_time < row[1]:
                    row[1] = wall_time
        out.write("".join([f"{row[0]}{sep}{row[1]!r}{sep}{sep.join(row[2:])}\n" for row in rows.values()]))


SMALL = 4 << 20  # bytes of event files below which one process is faster than workers


def total_size(runs):
    """Bytes in the event files of *runs*."""
    return sum(run_size(run) for run in runs)


def run_size(run):
    """Bytes in the event files of one run."""
    total = 0
    for path in run.files:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def _results(runs, labels, options, progress, spool, out):
    """Yield (run, RunRows) in run order, reading with options.jobs processes.

    With one process the standard-form rows go straight into *out*. With
    more, workers read runs, a batch of small ones per task, except runs too
    large to share the work out evenly that way: all workers read those
    together, in spans of their files (see read_run), and write their rows.
    """
    size = total_size(runs)
    jobs = options.jobs if size >= SMALL else 1  # starting workers costs ~0.1 s
    with process_pool(jobs) as pool:
        if pool is None:
            results = (_read(run, options, labels[run.name], spool, out) for run in runs)
        else:
            tasks = [(run, options, labels[run.name], spool) for run in runs]
            results = spread_map(_read, tasks, pool, lambda task: run_size(task[0]), large_run_size(size, jobs))
        for i, run in enumerate(runs):
            if progress:
                progress(i, len(runs), run.name)
            yield run, next(results)


def large_run_size(total, jobs):
    """Bytes of a run too large to go to one worker: half a worker's share of *total* bytes, and two spans."""
    return max(total / (2 * jobs), 2 * reader.SPAN_SIZE)


def export(path, output=None, options=Options(), progress=None, warn=None):
    """Export the scalars under *path* to CSV; return a :class:`Result`.

    path: an experiment folder, a run folder or an event file.
    output: a file path, a writable text file object, or None for the
    default name in the exported folder (:func:`default_output_name`).
    progress: called as progress(done, total, run_name) before each run.
    warn: called with the reader.Problem entries of each run as it is read.

    Raises FileNotFoundError if *path* does not exist, DamageError in strict
    mode, OSError if the output cannot be written (nothing is left behind).
    """
    listing = []
    runs = select_runs(find_runs(path, listing), options.runs)
    problems = [Problem(where, 0, message, 0) for where, message in listing]
    if options.strict:
        for problem in problems:
            if is_damage(problem):
                raise DamageError(problem)
    if warn and problems:
        warn(problems)
    keys, labels = _labels(path, runs, options, problems, warn)
    if output is None:
        output = default_output_name(path, options)
    if hasattr(output, "write"):
        result = _write(output, runs, keys, labels, options, progress, warn, problems, None)
        return result._replace(output="-")
    scratch = os.path.dirname(os.path.abspath(output))  # spool beside the output: /tmp may be small
    result = write_atomically(
        output,
        lambda f: _write(f, runs, keys, labels, options, progress, warn, problems, scratch),
        keep=lambda result: result.values > 0,  # nothing to export: leave no file, and any old one alone
    )
    return result._replace(output=output)


def write_atomically(path, write, keep=None):
    """Call write(file) on a temporary file beside *path*, then rename it to *path*.

    The file at *path* is thus whole or absent: on any error or interrupt
    the temporary file is removed and the error raised. When keep(result)
    is false, the temporary file is removed and *path* left as it was.
    Returns what write returns.
    """
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".modagg-", suffix=".tmp", dir=folder)
    try:
        with open(handle, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
            result = write(f)
        if keep is None or keep(result):
            os.replace(temporary, path)
        else:
            os.unlink(temporary)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return result


RESERVED = ("run", "tag", "step", "value", "wall_time")


def _labels(path, runs, options, problems, warn):
    """The override columns and, per run name, the cells that start its rows."""
    if not options.hparams:
        return [], {run.name: [run.name] for run in runs}
    found = []
    overrides = {run.name: read_overrides(run.path, stop=path, problems=found) for run in runs}
    found = [Problem(where, 0, message, 0) for where, message in found]
    problems.extend(found)
    if warn and found:
        warn(found)
    keys = sorted({key for values in overrides.values() for key in values})
    labels = {name: [name] + [values.get(key, "") for key in keys] for name, values in overrides.items()}
    columns = [f"override:{key}" if key in RESERVED else key for key in keys]
    return columns, labels


def _write(out, runs, keys, labels, options, progress, warn, problems, scratch):
    """Write the CSV of *runs* to the text file *out*, spooling in a folder made in *scratch*."""
    tags, others = set(), {}
    values = 0
    exported_runs = []
    wide = options.wide
    spooled = []  # (label, tags, long paths, wide paths) of each run, for the wide form
    long_header = quote(["run", *keys, "tag", "step", "value", "wall_time"], options.sep) + "\n"
    if not wide:
        out.write(long_header)
    step_counts = set()
    with tempfile.TemporaryDirectory(prefix=".modagg-", dir=scratch) as spool:
        for run, rows in _results(runs, labels, options, progress, spool, out):
            problems.extend(rows.problems)
            if options.strict:
                for problem in rows.problems:
                    if is_damage(problem):
                        raise DamageError(problem)
            if warn and rows.problems:
                warn(rows.problems)
            others.update(rows.others)
            if rows.tags:
                exported_runs.append(run.name)
                tags.update(rows.tags)
                values += sum(rows.counts)
                step_counts.update(rows.counts)
            if wide:
                spooled.append((labels[run.name], rows.tags, rows.long, rows.wide))
            else:
                _copy(rows.long, out)
        note = None
        if wide and options.pivot_strict and len(step_counts) > 1:
            note = "tags have different numbers of steps, so the standard form was written (--pivot-strict)"
            wide = False
            out.write(long_header)
            for _, _, long, _ in spooled:
                _copy(long, out)
        if wide:
            _write_wide(spooled, out, keys, sorted(tags), options.sep)
    missing = [k for k in options.kinds if not any(KINDS[k] in tag for tag in tags)]
    return Result(values, sorted(tags), exported_runs, None, problems, others, wide, missing, note)


def _copy(paths, out, prefix=""):
    """Write the lines of the spool files *paths* to *out*, each after *prefix*; remove the files."""
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            if prefix:
                for line in f:
                    out.write(prefix + line)
            else:
                while True:
                    block = f.read(1 << 20)
                    if not block:
                        break
                    out.write(block)
        os.unlink(path)


def _write_wide(spooled, out, keys, tags, sep):
    """Write the wide form: the spooled rows of each run, their cells moved to the columns of all tags."""
    out.write(quote(["run", *keys, "step", "wall_time", *tags], sep) + "\n")
    index = {tag: i for i, tag in enumerate(tags)}
    for label, run_tags, _, paths in spooled:
        prefix = quote([*label, ""], sep)
        if run_tags == tags:
            _copy(paths, out, prefix)
            continue
        columns = [index[tag] for tag in run_tags]
        for path in paths:
            with open(path, encoding="utf-8", newline="") as f:
                for line in f:
                    step, wall_time, *found = line[:-1].split(sep)
                    cells = [""] * len(tags)
                    for column, text in zip(columns, found):
                        cells[column] = text
                    out.write(f"{prefix}{step}{sep}{wall_time}{sep}{sep.join(cells)}\n")
            os.unlink(path)
