"""The ``modagg`` command line: a thin layer over :mod:`modagg.export` and :mod:`modagg.reader`.

Exit codes: 0 done; 1 nothing to export, or damaged data with --strict;
2 bad usage or a PATH that does not exist.
"""

import argparse
import os
import sys

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Export the scalars that NVIDIA Modulus / PhysicsNeMo training runs log to
TensorBoard event files (events.out.tfevents.*) into one CSV file, so that many
runs can be compared in pandas, a spreadsheet or R. No TensorFlow needed."""

EPILOG = """\
examples:
  modagg export outputs/                   every run under outputs/ -> outputs/outputs_tensors.csv
  modagg export multirun/ --export_pivot   wide form: one row per run and step, one column per tag
  modagg export multirun/ -ev -o val.csv   only Validators/ tags, into val.csv
  modagg export outputs/ -o - | head       to standard output
  modagg export multirun/ --hparams        one column per Hydra override (from .hydra/overrides.yaml)
  modagg show multirun/                    which runs and tags there are
  modagg summary multirun/ --sort Validators/val/l2_relative_error_u
                                           one row per run: overrides, last and best values
  modagg export tensors -mp outputs/       the original tool's command line, still accepted

exit codes: 0 done, 1 nothing exported or (--strict) damaged data, 2 bad usage
or PATH missing. Run 'modagg COMMAND --help' for each command's options."""

EXPORT_EPILOG = """\
what counts as a scalar: a simple_value, or a tensor of one numeric element
(float, double, half, bfloat16, int, bool) whose plugin is 'scalars' or unset.
Text, histograms and images are not exported ('modagg show' lists them).

runs: every folder under PATH that holds files named *tfevents*, at any depth;
its name is its path relative to PATH. A run with several event files (a
resumed run) is merged as TensorBoard does: per tag, a point at step s
replaces the points read before at steps >= s.

damaged files: a file that ends inside a record (a run still writing) is read
up to its last whole record. A damaged record is skipped with a warning naming
the file and byte offset; everything intact is still exported. --strict makes
any damage an error: exit 1 and no file written.

output: written under a temporary name and renamed when complete, so the CSV
file is either whole or absent. Default name, as the original tool named it:
<PATH name>_tensors[_train][_validators][_monitors][_pivoted].csv in PATH."""


SUMMARY_EPILOG = """\
tags: by default every Validators/ tag and Train/loss_aggregated, or every scalar
tag when there are none of those; --tags and -et/-ev/-em choose others.
figures are those of the merged series 'modagg export' writes: 'min' is the
smallest value and 'min_step' (@step) the first step where it occurred; NaN
values are passed over. 'duration_s' runs from the first to the last scalar
point; 'resumed' means more than one event file held scalars.

examples:
  modagg summary multirun/
  modagg summary multirun/ --sort Validators/val/l2_relative_error_u
  modagg summary multirun/ --format json -o summary.json"""


def _wrap(text):
    import textwrap

    return textwrap.fill(text, 79)


def _add_path(parser):
    parser.add_argument(
        "path",
        nargs="*",
        metavar="PATH",
        help="experiment folder (outputs/, multirun/), one run folder, or one event file",
    )
    parser.add_argument("-mp", "--models_path", metavar="PATH", help="the same as PATH (the original tool's option)")


def _add_jobs(parser):
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="read with N worker processes (default: the number of cores, %(default)s here): a run each, "
        "or all of them on the spans of a large run's files; the output is the same for any N",
    )


def _add_filters(parser):
    group = parser.add_argument_group("which tags and runs")
    group.add_argument(
        "-et", "--export_train", action="store_true", help="tags containing 'Train' (combinable with -ev, -em)"
    )
    group.add_argument("-ev", "--export_validators", action="store_true", help="tags containing 'Validators'")
    group.add_argument("-em", "--export_monitors", action="store_true", help="tags containing 'Monitors'")
    group.add_argument(
        "--tags",
        action="append",
        default=[],
        metavar="REGEX",
        help="only tags in which this regular expression is found (repeatable: any of them); "
        "e.g. --tags 'loss_aggregated$'",
    )
    group.add_argument(
        "--runs",
        action="append",
        default=[],
        metavar="GLOB",
        help="only runs whose name matches this pattern (repeatable: any of them); e.g. --runs '*silu*'",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="modagg", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"modagg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    export = commands.add_parser(
        "export",
        help="write the scalars of every run to one CSV file",
        description=_wrap(
            "Write the scalars of every run under PATH to one CSV file: columns "
            "run,tag,step,value,wall_time (sorted by run, tag, step), or with --export_pivot "
            "run,step,wall_time,<one column per tag>."
        ),
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_path(export)
    out = export.add_argument_group("output")
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the CSV ('-' for standard output); default: "
        "PATH/<PATH name>_tensors[...].csv as the original tool named it",
    )
    out.add_argument(
        "--export_pivot",
        "--wide",
        dest="wide",
        action="store_true",
        help="wide form: one row per run and step at which any tag has a value, one column per tag "
        "(empty where a tag has none at that step), wall_time the earliest of the row",
    )
    out.add_argument(
        "--pivot-strict",
        action="store_true",
        help="with --export_pivot, behave as the original tool: write the standard form instead "
        "whenever tags have different numbers of steps",
    )
    out.add_argument("--sep", default=",", metavar="CHAR", help="field delimiter (default ','; the original used ';')")
    out.add_argument(
        "--hparams",
        action="store_true",
        help="add one column per Hydra override key (from each run's .hydra/overrides.yaml), "
        "after 'run'; empty where a run did not set that key",
    )
    _add_filters(export)
    reading = export.add_argument_group("reading")
    reading.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="keep every logged point, also those a resumed run logged again, sorted by step; "
        "by default a resumed run's new points replace the old ones at the same and later steps",
    )
    reading.add_argument("--strict", action="store_true", help="any damaged data is an error: exit 1, write nothing")
    _add_jobs(reading)
    export.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    export.add_argument("-v", "--verbose", action="store_true", help="also note files that end inside a record")

    show = commands.add_parser(
        "show",
        help="list the runs and, per tag, its kind, number of points and step range",
        description="List the runs under PATH and, for each tag, what it holds (scalar, text, histogram, "
        "image, ...), how many points and which steps. Only scalars are exported.",
    )
    _add_path(show)
    _add_filters(show)

    summary = commands.add_parser(
        "summary",
        help="compare runs: one row per run with its overrides and the last and best values of key tags",
        description=_wrap(
            "One row per run under PATH: its Hydra overrides (one column per key), how long it ran, "
            "whether it was resumed, and per chosen tag the last value, the minimum and the step where it "
            "occurred, the last step and the number of points."
        ),
        epilog=SUMMARY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_path(summary)
    _add_filters(summary)
    summary.add_argument(
        "--sort",
        metavar="TAG[:min|last]",
        help="order the runs by this tag's minimum (default) or last value, smallest first; "
        "e.g. --sort Validators/val/l2_relative_error_u",
    )
    summary.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        help="table (aligned, for reading), csv or json (complete and exact, for scripts); default: table "
        "on a terminal, else csv, or as the -o file's extension says",
    )
    summary.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    summary.add_argument("--sep", default=",", metavar="CHAR", help="field delimiter of the CSV format")
    _add_jobs(summary)
    summary.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors on stderr")

    commands.add_parser("about", help="what modagg is, its version and what it runs on")
    return parser


def _path_of(parser, args):
    """Resolve PATH from the positional words and -mp, accepting the original 'export tensors -mp PATH'."""
    words = list(args.path)
    if args.command == "export" and words and words[0] == "tensors" and (args.models_path or len(words) == 2):
        words = words[1:]
    if args.models_path:
        if words:
            parser.error(f"give PATH once: either as an argument or with -mp (got {words[0]!r} too)")
        return args.models_path
    if len(words) != 1:
        parser.error("give one PATH: an experiment folder, a run folder or an event file")
    return words[0]


def _kinds(args):
    kinds = []
    if args.export_train:
        kinds.append("train")
    if args.export_validators:
        kinds.append("validators")
    if args.export_monitors:
        kinds.append("monitors")
    return tuple(kinds)


def _check_sep(parser, sep):
    if len(sep) != 1 or sep.isalnum() or sep in ".+-\"\r\n":
        parser.error(f"--sep takes one character that cannot be part of a number, e.g. --sep ';' (got {sep!r})")


def _check_tags(parser, patterns):
    import re

    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            parser.error(f"--tags {pattern!r} is not a regular expression: {error}")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "about":
        return _about()
    path = _path_of(parser, args)
    _check_tags(parser, args.tags)
    try:
        if args.command == "export":
            return _export(parser, args, path)
        if args.command == "summary":
            return _summary(parser, args, path)
        return _show(args, path)
    except KeyboardInterrupt:
        _error("interrupted; no output file was written")
        return 130
    except BrokenPipeError:
        _quiet_pipe()
        return EXIT_OK


def _error(message):
    print(f"modagg: error: {message}", file=sys.stderr)


def _quiet_pipe():
    """The reader of our stdout went away (`| head`): end quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def _what(p):
    """What a reader.Problem means, in words."""
    from .reader import BAD_LENGTH, DATA_CRC, LENGTH_CRC, NOT_AN_EVENT, TRUNCATED

    if p.problem in (DATA_CRC, NOT_AN_EVENT):
        return f"{p.problem}, 1 record skipped"
    if p.problem in (LENGTH_CRC, BAD_LENGTH):
        return f"{p.problem}, {p.skipped:,} bytes skipped to the next intact record"
    if p.problem == TRUNCATED:
        return f"{p.problem}, the last {p.skipped:,} bytes not read (a run still writing?)"
    return p.problem


def describe(problems):
    """One line per file for a list of reader.Problem entries: the file, where, and what."""
    from .reader import BAD_LENGTH, DATA_CRC, LENGTH_CRC, NOT_AN_EVENT, TRUNCATED

    in_file = (DATA_CRC, LENGTH_CRC, BAD_LENGTH, NOT_AN_EVENT, TRUNCATED)
    lines = []
    for path, found in _by_file(problems).items():
        if len(found) == 1 and found[0].problem not in in_file:
            lines.append(f"{path}: {_what(found[0])}")
        elif len(found) == 1:
            lines.append(f"{path} at byte {found[0].offset:,}: {_what(found[0])}")
        else:
            lines.append(f"{path}: " + "; ".join(f"at byte {p.offset:,}: {_what(p)}" for p in found))
    return lines


def _by_file(problems):
    by_file = {}
    for p in problems:
        by_file.setdefault(p.path, []).append(p)
    return by_file


def _warner(args, progress=None):
    """A function printing one line per file with problems (clearing the progress line first)."""
    from .reader import TRUNCATED

    def warn(problems):
        if progress:
            progress.clear()
        shown = [p for p in problems if p.problem != TRUNCATED or getattr(args, "verbose", False)]
        for line, found in zip(describe(shown), _by_file(shown).values()):
            label = "note" if all(p.problem == TRUNCATED for p in found) else "warning"
            print(f"{label}: {line}", file=sys.stderr)

    return warn


def _export(parser, args, path):
    from . import export as exporting

    if args.keep_duplicates and args.wide:
        parser.error("--keep-duplicates needs the standard form: a cell of the wide form holds one value")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    _check_sep(parser, args.sep)
    options = exporting.Options(
        wide=args.wide,
        kinds=_kinds(args),
        tags=tuple(args.tags),
        runs=tuple(args.runs),
        sep=args.sep,
        keep_duplicates=args.keep_duplicates,
        strict=args.strict,
        jobs=args.jobs,
        pivot_strict=args.pivot_strict,
        hparams=args.hparams,
    )
    if not os.path.exists(path):
        _error(f"{path}: no such file or folder")
        return EXIT_USAGE
    output = args.output
    if output == "-":
        output = sys.stdout
        if hasattr(output, "reconfigure"):
            output.reconfigure(errors="backslashreplace")  # folder names that are not UTF-8
    from .progress import progress_for

    progress = progress_for(sys.stderr, args.quiet)
    warn = None if args.quiet else _warner(args, progress)
    try:
        result = exporting.export(path, output, options, progress=progress, warn=warn)
    except exporting.DamageError as failure:
        p = failure.problem
        _error(f"{describe([p])[0]} (--strict: nothing written)")
        return EXIT_FAILED
    except BrokenPipeError:
        raise
    except OSError as error:
        target = error.filename or args.output or path
        _error(f"cannot write {target}: {error.strerror or error}; no output file was written")
        return EXIT_FAILED
    finally:
        if progress:
            progress.clear()
    if output is sys.stdout:
        sys.stdout.flush()
    return _report_export(args, path, result)


def _report_export(args, path, result):
    from .reader import is_damage

    quiet = args.quiet
    for kind in result.missing_kinds:
        if not quiet:
            print(f"warning: no tag contains '{kind.capitalize()}' (asked for with -e{kind[0]})", file=sys.stderr)
    if result.note and not quiet:
        print(f"note: {result.note}", file=sys.stderr)
    damaged = [p for p in result.problems if is_damage(p)]
    if damaged and not quiet:
        print(f"warning: {damage_total(damaged)}; everything intact was exported", file=sys.stderr)
    if not result.values:
        _error(f"nothing to export: no scalars found under {path}" + _why_nothing(result))
        return EXIT_FAILED
    if not quiet:
        form = "wide " if result.wide else ""
        print(
            f"exported {result.values:,} values of {len(result.tags):,} tag{'s' if len(result.tags) != 1 else ''} "
            f"from {len(result.runs):,} run{'s' if len(result.runs) != 1 else ''} to {form}"
            f"{'standard output' if result.output == '-' else result.output}",
            file=sys.stderr,
        )
    return EXIT_OK


def damage_total(damaged):
    """One line adding up damaged reader.Problem entries."""
    from .reader import DATA_CRC, NOT_AN_EVENT

    files = len({p.path for p in damaged})
    records = sum(1 for p in damaged if p.problem in (DATA_CRC, NOT_AN_EVENT))
    skipped = sum(p.skipped for p in damaged if p.problem not in (DATA_CRC, NOT_AN_EVENT))
    parts = []
    if records:
        parts.append(f"{records:,} damaged record{'s' if records != 1 else ''} skipped")
    if skipped:
        parts.append(f"{skipped:,} unreadable bytes skipped")
    unreadable = [p for p in damaged if not p.skipped and p.problem not in (DATA_CRC, NOT_AN_EVENT)]
    if unreadable:
        parts.append(f"{len(unreadable):,} file{'s' if len(unreadable) != 1 else ''} not read")
    return f"damage in {files:,} file{'s' if files != 1 else ''}: " + ", ".join(parts)


def _why_nothing(result):
    if result.others:
        kinds = sorted(set(result.others.values()))
        return f" (found only {', '.join(kinds)} data)"
    return " (no event files, or none match the filters)"


def _summary(parser, args, path):
    from . import report
    from .progress import progress_for
    from .summary import summarize

    _check_sep(parser, args.sep)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if not os.path.exists(path):
        _error(f"{path}: no such file or folder")
        return EXIT_USAGE
    form = args.format
    if form is None:
        extension = os.path.splitext(args.output or "")[1].lower()
        if extension in (".csv", ".json"):
            form = extension[1:]
        elif args.output is None and sys.stdout.isatty():
            form = "table"
        else:
            form = "csv"
    progress = progress_for(sys.stderr, args.quiet)
    try:
        result = summarize(
            path, tags=args.tags, kinds=_kinds(args), runs=args.runs, sort=args.sort, jobs=args.jobs, progress=progress
        )
    finally:
        if progress:
            progress.clear()
    if not args.quiet:
        _warner(args)(result.problems)
    if not result.runs:
        _error(f"no runs under {path}: no files named *tfevents* (or none match --runs)")
        return EXIT_FAILED
    if not result.tags:
        _error(f"no scalars to summarize under {path}" + (" that match the filters" if args.tags else ""))
        return EXIT_FAILED

    def write(out):
        if form == "table":
            import shutil

            report.write_table(result, out, width=shutil.get_terminal_size((120, 24)).columns)
        elif form == "json":
            report.write_json(result, out)
        else:
            report.write_csv(result, out, sep=args.sep)

    if args.output in (None, "-"):
        write(sys.stdout)
        sys.stdout.flush()
        return EXIT_OK
    from .export import write_atomically

    try:
        write_atomically(args.output, write)
    except OSError as error:
        _error(f"cannot write {error.filename or args.output}: {error.strerror or error}; no output file was written")
        return EXIT_FAILED
    if not args.quiet:
        print(f"summarized {len(result.runs):,} runs, {len(result.tags):,} tags to {args.output}", file=sys.stderr)
    return EXIT_OK


def _show(args, path):
    from .export import select_runs, tag_filter
    from .reader import find_runs, read_run

    if not os.path.exists(path):
        _error(f"{path}: no such file or folder")
        return EXIT_USAGE
    problems = []
    runs = select_runs(find_runs(path, problems), args.runs)
    keep = tag_filter(_kinds(args), args.tags)
    if not runs:
        _error(f"no runs under {path}: no files named *tfevents* (or none match --runs)")
        return EXIT_FAILED
    print(f"{len(runs):,} run{'s' if len(runs) != 1 else ''} under {path}")
    for run in runs:
        others = {}
        series = read_run(run, keep_tag=keep, problems=problems, others=others)
        files = len(run.files)
        print(f"\n{run.name}  ({files} event file{'s' if files != 1 else ''})")
        rows = [(tag, "scalar", len(s.steps), s.steps[0], s.steps[-1]) for tag, s in series.items() if s.steps]
        rows += [(tag, o.kind, o.count, o.first_step, o.last_step) for tag, o in others.items()]
        if not rows:
            print("  (no summaries)")
        width = max((len(r[0]) for r in rows), default=0)
        for tag, kind, count, first, last in sorted(rows):
            steps = f"step {first}" if first == last else f"steps {first}..{last}"
            print(f"  {tag:<{width}}  {kind:<9} {count:>7,} point{'s' if count != 1 else ' '}  {steps}")
    _warner(args)(problems)
    return EXIT_OK


def _about():
    import platform

    try:
        from importlib.metadata import version

        protobuf = version("protobuf")
    except Exception:  # pragma: no cover - metadata missing
        protobuf = "unknown"
    print(
        f"modagg {__version__}: export the scalars of TensorBoard event files written by\n"
        "NVIDIA Modulus / PhysicsNeMo runs to CSV, without TensorFlow.\n"
        f"Python {platform.python_version()}, protobuf {protobuf}.\n"
        "Run 'modagg --help' to start; the README has the details."
    )
    return EXIT_OK
