"""Writing a summary (modagg.summary.Summary) as CSV, JSON or an aligned table.

CSV and JSON are for scripts: every figure, exactly, in a fixed layout.
Numbers are written as the export writes them, so that a summary's last
and min figures are the very texts of the export's rows. The table is for
people: short numbers, tag names wrapped at their ``/`` over their group
of columns, and the tag groups split into blocks that fit the terminal.
"""

import csv
import json

from .csvtext import float32_text

__all__ = ["write_csv", "write_json", "write_table", "number_text", "short_keys", "STATS"]

STATS = ("last", "min", "min_step", "last_step", "count")


def number_text(value, typecode):
    """The export's text of one value of the given array typecode."""
    if typecode == "f":
        return float32_text(value)
    if typecode == "d":
        return repr(float(value))
    return str(value)


def _figure(figures, stat):
    value = getattr(figures, stat)
    return number_text(value, figures.typecode) if stat in ("last", "min") else str(value)


def _duration(seconds):
    return "" if seconds is None else repr(seconds)


def write_csv(summary, out, sep=","):
    """One row per run: run, override keys, duration_s, resumed, files, then TAG:STAT columns."""
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    stats = [f"{tag}:{stat}" for tag in summary.tags for stat in STATS]
    writer.writerow(["run", *summary.keys, "duration_s", "resumed", "files", *stats])
    for run in summary.runs:
        cells = [run.run, *(run.overrides.get(k, "") for k in summary.keys)]
        cells += [_duration(run.duration), "yes" if run.resumed else "no", run.files]
        for tag in summary.tags:
            figures = run.tags.get(tag)
            cells += [_figure(figures, stat) if figures else "" for stat in STATS]
        writer.writerow(cells)


def _json_number(value, typecode):
    """A float whose repr is the export's text (floats read back exactly), or an int."""
    if typecode == "q":
        return int(value)
    return float(number_text(value, typecode))


def write_json(summary, out):
    """A JSON list of runs: {run, overrides, duration_s, resumed, files, tags: {tag: {stat: value}}}.

    NaN and infinities are written as NaN, Infinity, -Infinity (as Python's json module and pandas read).
    """
    runs = []
    for run in summary.runs:
        tags = {}
        for tag, f in run.tags.items():
            tags[tag] = {
                "last": _json_number(f.last, f.typecode),
                "min": _json_number(f.min, f.typecode),
                "min_step": f.min_step,
                "last_step": f.last_step,
                "count": f.count,
            }
        runs.append(
            {
                "run": run.run,
                "overrides": {k: run.overrides[k] for k in summary.keys if k in run.overrides},
                "duration_s": run.duration,
                "resumed": run.resumed,
                "files": run.files,
                "tags": tags,
            }
        )
    json.dump(runs, out, indent=2)
    out.write("\n")


def _short(value, typecode):
    if typecode == "q":
        return str(value)
    return "%.4g" % value


def _clock(seconds):
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def short_keys(keys):
    """Column titles for override keys: the shortest unique dotted suffix of each."""
    titles = []
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            title = ".".join(parts[-n:])
            if sum(1 for other in keys if other == title or other.endswith("." + title)) == 1:
                break
        titles.append(title)
    return titles


def _wrap(title, width, breaks="/"):
    """Lines of *title* no wider than *width*, broken after one of *breaks* where possible."""
    for mark in breaks:
        title = title.replace(mark, mark + "\0")
    lines, line = [], ""
    for part in title.split("\0"):
        while len(part) > width:  # a part longer than the group: break it
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:width])
            part = part[width:]
        if len(line) + len(part) > width:
            lines.append(line)
            line = part
        else:
            line += part
    if line:
        lines.append(line)
    return lines


RUN_WIDTH = 40  # longer run names wrap after ',' and '/'


def short_run(name, overrides):
    """A run's name less the Hydra folder that only repeats its overrides (k=v,k2=v2)."""
    pairs = {f"{k}={v}" for k, v in overrides.items()}
    if not pairs:
        return name
    kept = [part for part in name.split("/") if not set(part.split(",")) <= pairs]
    return "/".join(kept)


def write_table(summary, out, width=100):
    """An aligned table, its tag groups split into blocks no wider than *width*."""
    # The override columns say what a Hydra folder name says: the run column
    # keeps the rest of the name, and is left out when nothing is left.
    names = [short_run(r.run, r.overrides) for r in summary.runs]
    resumed = any(r.resumed for r in summary.runs)  # a column only when it says something
    titles, columns = [], []
    if any(names):
        titles.append("run")
        columns.append([_wrap(name, RUN_WIDTH, ",/") or [""] for name in names])
    for title, key in zip(short_keys(summary.keys), summary.keys):
        titles.append(title)
        columns.append([[r.overrides.get(key, "")] for r in summary.runs])
    titles.append("time")
    columns.append([[_clock(r.duration)] for r in summary.runs])
    if resumed:
        titles.append("resumed")
        columns.append([["yes" if r.resumed else ""] for r in summary.runs])
    left = (titles, columns, [max([len(t)] + [len(line) for cell in c for line in cell]) for t, c in zip(titles, columns)])
    groups = []
    for tag in summary.tags:
        cells = []
        for r in summary.runs:
            f = r.tags.get(tag)
            figures = (f.last, f.min, f.min_step, f.last_step, f.count) if f else None
            if f is None:
                cells.append([""] * len(STATS))
            else:
                cells.append([_short(f.last, f.typecode), _short(f.min, f.typecode), *map(str, figures[2:])])
        widths = [max([len(t)] + [len(row[i]) for row in cells]) for i, t in enumerate(STAT_TITLES)]
        groups.append((tag, cells, widths))
    used = sum(left[2]) + 2 * len(left[2])
    blocks, block, filled = [], [], used
    for group in groups:
        need = sum(group[2]) + 2 * len(group[2])
        if block and filled + need > width:
            blocks.append(block)
            block, filled = [], used
        block.append(group)
        filled += need
    blocks.append(block)
    for number, block in enumerate(blocks):
        if number:
            out.write("\n")
        _write_block(out, left, block, len(summary.runs))


STAT_TITLES = ("last", "min", "@step", "steps", "n")


def _write_block(out, left, block, rows):
    titles, columns, widths = left
    spans = [sum(w) + 2 * (len(w) - 1) for _, _, w in block]
    wrapped = [_wrap(tag, span) for (tag, _, _), span in zip(block, spans)]
    height = max((len(lines) for lines in wrapped), default=0)
    indent = sum(widths) + 2 * len(widths)
    for line in range(height):  # tag names, bottom-aligned over their columns
        texts = [lines[line - height + len(lines)] if line >= height - len(lines) else "" for lines in wrapped]
        out.write((" " * indent + "  ".join(t.ljust(s) for t, s in zip(texts, spans))).rstrip() + "\n")
    header = [t.ljust(w) for t, w in zip(titles, widths)]
    header += [t.rjust(w) for _, _, ws in block for t, w in zip(STAT_TITLES, ws)]
    out.write("  ".join(header).rstrip() + "\n")
    for i in range(rows):
        cells = [column[i] for column in columns]
        for line in range(max(len(cell) for cell in cells)):
            parts = [(cell[line] if line < len(cell) else "").ljust(w) for cell, w in zip(cells, widths)]
            if line == 0:
                parts += [c.rjust(w) for _, group, ws in block for c, w in zip(group[i], ws)]
            out.write("  ".join(parts).rstrip() + "\n")
