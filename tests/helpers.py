"""Running the command line in tests and reading what it wrote."""

import csv
import io
import os
import subprocess
import sys

from modagg.cli import main

csv.field_size_limit(1 << 24)  # tests export tags of 1 MB

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, capsys=None):
    """Run `modagg ARGS` in this process; return (exit code, stdout, stderr) when capsys is given."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:
        code = exit.code
    if capsys is None:
        return code
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*args, cwd=None, stdin=None):
    """Run `python -m modagg ARGS` as a user would; return the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-m", "modagg", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        stdin=stdin,
    )


def read_csv(path_or_text, sep=","):
    """Return (header, rows) of a CSV file or text."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        f = io.StringIO(path_or_text)
    else:
        f = open(path_or_text, newline="", encoding="utf-8")
    with f:
        rows = list(csv.reader(f, delimiter=sep))
    return rows[0], rows[1:]


def export_rows(root, tmp_path, *args):
    """Export *root* with the CLI into a temporary CSV; return (header, rows)."""
    out = tmp_path / "out.csv"
    code = run_cli("export", root, "-o", out, "-q", *args)
    assert code == 0
    return read_csv(out)
