"""Comparing runs: one summary row per run, its Hydra overrides and its key figures.

For each chosen tag of a run: the last value, the minimum and the step
where it first occurred, the last step and the number of points, all
taken from the same merged series the export writes. For the run: its
overrides, its wall-clock duration (first to last scalar point) and
whether it was resumed (more than one event file holding scalars).

Default tags: every ``Validators/`` tag and ``Train/loss_aggregated``, or
every scalar tag when the experiment has none of those.
"""

import math
from collections import namedtuple

from .export import SMALL, large_run_size, run_size, select_runs, tag_filter, total_size
from .hydra import read_overrides
from .reader import Problem, find_runs, read_run
from .workers import process_pool, spread_map

__all__ = ["TagSummary", "RunSummary", "Summary", "summarize_series", "summarize", "default_tags", "sort_runs"]

TagSummary = namedtuple("TagSummary", "last min min_step last_step count typecode")
TagSummary.__doc__ = """Key figures of one tag of one run.

last: the value at the last step. min: the smallest value (NaN only if all
are NaN) and min_step the first step where it occurred. last_step, count:
the last step and the number of points. typecode: the values' array
typecode ('f' float32, 'd' double, 'q' integer), which says how to print them.
"""

RunSummary = namedtuple("RunSummary", "run overrides tags duration resumed files")
RunSummary.__doc__ = """One run: its name, overrides {key: value}, {tag: TagSummary},
duration in seconds (None without points), resumed (bool) and the number of
event files that held scalars."""

Summary = namedtuple("Summary", "runs tags keys problems")
Summary.__doc__ = """A summary of an experiment: the RunSummary list (in the requested
order), the tags summarized, the override keys (sorted), reader Problems."""


def summarize_series(s):
    """Return the TagSummary of one Series (which must hold at least one point)."""
    values = s.values
    best = None
    for i, value in enumerate(values):
        if value == value and (best is None or value < values[best]):
            best = i
    if best is None:  # every value is NaN
        best = 0
    return TagSummary(values[-1], values[best], s.steps[best], s.steps[-1], len(values), values.typecode)


def default_tags(all_tags):
    """The tags summarized when none are chosen: Validators/ and Train/loss_aggregated, else all."""
    chosen = [t for t in all_tags if t.startswith("Validators/") or t == "Train/loss_aggregated"]
    return chosen or list(all_tags)


def _summarize_run(run, root, kinds, tags, pool=None):
    """The RunSummary of one run and the problems met. Runs in worker processes too, or uses *pool*'s."""
    keep = tag_filter(kinds, tags)
    problems, sources = [], []
    series = read_run(run, problems=problems, sources=sources, pool=pool)
    hydra_problems = []
    overrides = read_overrides(run.path, stop=root, problems=hydra_problems)
    problems += [Problem(path, 0, message, 0) for path, message in hydra_problems]
    times = [t for s in series.values() for t in (s.wall_times[0], s.wall_times[-1]) if s.wall_times]
    files = sum(1 for _, count in sources if count)
    tags = {tag: summarize_series(s) for tag, s in series.items() if s.steps and (keep is None or keep(tag))}
    duration = max(times) - min(times) if times else None
    return RunSummary(run.name, overrides, tags, duration, files > 1, files), problems


def sort_runs(runs, sort):
    """Sort RunSummary entries by ``TAG`` or ``TAG:min`` / ``TAG:last``, best (smallest) first.

    Runs without the tag, or whose figure is NaN, come last, in name order.
    """
    tag, _, stat = sort.rpartition(":")
    if stat not in ("min", "last") or not tag:
        tag, stat = sort, "min"

    def key(summary):
        figures = summary.tags.get(tag)
        value = getattr(figures, stat) if figures else math.nan
        missing = value != value
        return (missing, 0 if missing else value, summary.run)

    return sorted(runs, key=key)


def summarize(path, *, tags=(), kinds=(), runs=(), sort=None, jobs=1, progress=None):
    """Summarize the runs under *path*; return a :class:`Summary`.

    tags: regular expressions choosing the tags (default: see default_tags).
    kinds: "train", "validators", "monitors" as the export's -et/-ev/-em.
    runs: glob patterns on run names. sort: see sort_runs.
    jobs: worker processes reading runs (the result is the same for any number).
    Raises FileNotFoundError if *path* does not exist.
    """
    listing = []
    found = select_runs(find_runs(path, listing), runs)
    problems = [Problem(where, 0, message, 0) for where, message in listing]
    keep = tag_filter(kinds, tags)
    size = total_size(found)
    jobs = jobs if size >= SMALL else 1
    tasks = [(run, path, tuple(kinds), tuple(tags)) for run in found]
    summaries = []
    with process_pool(jobs) as pool:
        if pool is None:
            results = (_summarize_run(*task) for task in tasks)
        else:
            results = spread_map(
                _summarize_run, tasks, pool, lambda task: run_size(task[0]), large_run_size(size, jobs)
            )
        for i, run in enumerate(found):
            if progress:
                progress(i, len(found), run.name)
            summary, run_problems = next(results)
            summaries.append(summary)
            problems += run_problems
    present = sorted({tag for s in summaries for tag in s.tags})
    chosen = present if keep is not None else default_tags(present)
    summaries = [s._replace(tags={t: s.tags[t] for t in chosen if t in s.tags}) for s in summaries]
    if sort:
        summaries = sort_runs(summaries, sort)
    keys = sorted({key for s in summaries for key in s.overrides})
    return Summary(summaries, chosen, keys, problems)
