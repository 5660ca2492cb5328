"""Every command line, the original tool's included, and what the user sees."""

import os

import pytest
from helpers import read_csv, run_cli, run_process

from modagg import __version__
from modagg.writer import file_version_event, scalar_event, write_events

RUN_A = "arch.fully_connected.activation_fn=silu,training.max_steps=300"
RUN_B = "arch.fully_connected.activation_fn=tanh,training.max_steps=300"


def test_export_default_name_and_summary_line(example, capsys):
    code, out, err = run_cli("export", example, capsys=capsys)
    assert code == 0 and out == ""
    path = example / "multirun_tensors.csv"
    header, rows = read_csv(path)
    assert header == ["run", "tag", "step", "value", "wall_time"]
    assert len(rows) == 144
    assert err == f"exported 144 values of 6 tags from 2 runs to {path}\n"
    assert not [f for f in os.listdir(example) if f.startswith(".modagg-")]


def test_rows_sorted_by_run_tag_step(example, tmp_path):
    code = run_cli("export", example, "-o", tmp_path / "x.csv")
    _, rows = read_csv(tmp_path / "x.csv")
    keys = [(r[0], r[1], int(r[2])) for r in rows]
    assert code == 0 and keys == sorted(keys)
    assert {r[0] for r in rows} == {RUN_A, RUN_B}


@pytest.mark.parametrize(
    "args, name",
    [
        (["export", "tensors", "-mp", "{p}"], "multirun_tensors.csv"),
        (["export", "tensors", "-mp", "{p}", "--export_pivot"], "multirun_tensors_pivoted.csv"),
        (["export", "tensors", "-mp", "{p}", "-et"], "multirun_tensors_train.csv"),
        (["export", "tensors", "-mp", "{p}", "-ev", "-et"], "multirun_tensors_train_validators.csv"),
        (
            ["export", "tensors", "--models_path", "{p}", "-et", "-ev", "-em", "--export_pivot"],
            "multirun_tensors_train_validators_monitors_pivoted.csv",
        ),
        (["export", "{p}", "-em"], "multirun_tensors_monitors.csv"),
        (["export", "-mp", "{p}"], "multirun_tensors.csv"),
    ],
)
def test_original_command_lines_and_file_names(example, args, name):
    code = run_cli(*[a.replace("{p}", str(example)) for a in args])
    assert code == 0
    header, rows = read_csv(example / name)
    assert rows
    if "-et" in args and "-ev" not in args and "-em" not in args:
        assert all("Train" in r[1] for r in rows)
    if "-em" in args and len(args) == 3:
        assert {r[1] for r in rows} == {"Monitors/monitor/mean_residual"}


def test_show_original_and_new(example, capsys):
    code, out, err = run_cli("show", "-mp", example, capsys=capsys)
    assert code == 0
    assert f"2 runs under {example}" in out
    assert RUN_A in out and RUN_B in out
    assert "config/text_summary" in out and "text" in out
    line = next(l for l in out.splitlines() if "Train/loss_aggregated" in l)
    assert line.split()[1:] == ["scalar", "16", "points", "steps", "0..300"]
    assert run_cli("show", example, capsys=capsys)[1] == out


def test_wide_form_with_different_step_sets(tmp_path):
    folder = tmp_path / "exp" / "r1"
    os.makedirs(folder)
    events = [file_version_event()]
    for step in range(0, 301, 100):
        events.append(scalar_event("Train/loss", step, step + 0.5, 1000.0 + step))
        if step % 200 == 0:
            events.append(scalar_event("Validators/err", step, -step - 0.25, 999.0 + step))
    events.append(scalar_event("Monitors/x", 150, 7.0, 1150.0))
    write_events(folder / "events.out.tfevents.1", events)
    out = tmp_path / "wide.csv"
    assert run_cli("export", tmp_path / "exp", "--export_pivot", "-o", out) == 0
    header, rows = read_csv(out)
    assert header == ["run", "step", "wall_time", "Monitors/x", "Train/loss", "Validators/err"]
    assert rows == [
        ["r1", "0", "999.0", "", "0.5", "-0.25"],
        ["r1", "100", "1100.0", "", "100.5", ""],
        ["r1", "150", "1150.0", "7", "", ""],
        ["r1", "200", "1199.0", "", "200.5", "-200.25"],
        ["r1", "300", "1300.0", "", "300.5", ""],
    ]


def test_wide_form_of_runs_with_different_tags(example, tmp_path):
    extra = example / "extra"
    os.makedirs(extra)
    write_events(extra / "events.out.tfevents.9", [scalar_event("Only/here", 5, 1.0, 2.0)])
    out = tmp_path / "wide.csv"
    assert run_cli("export", example, "--export_pivot", "-o", out) == 0
    header, rows = read_csv(out)
    assert header[:3] == ["run", "step", "wall_time"] and header[3:] == sorted(header[3:])
    assert "Only/here" in header
    row = next(r for r in rows if r[0] == "extra")
    assert row[header.index("Only/here")] == "1" and row.count("") == len(header) - 4
    assert len({(r[0], r[1]) for r in rows}) == len(rows) == 16 * 2 + 1


def test_pivot_strict_falls_back_like_the_original(example, tmp_path, capsys):
    out = tmp_path / "x.csv"
    code, _, err = run_cli("export", example, "--export_pivot", "--pivot-strict", "-o", out, capsys=capsys)
    assert code == 0
    assert "different numbers of steps" in err
    header, rows = read_csv(out)
    assert header == ["run", "tag", "step", "value", "wall_time"] and len(rows) == 144


def test_filters_tags_and_runs(example, tmp_path):
    out = tmp_path / "x.csv"
    assert run_cli("export", example, "--tags", "loss_u$", "--tags", "^Valid", "--runs", "*silu*", "-o", out) == 0
    _, rows = read_csv(out)
    assert {r[1] for r in rows} == {"Train/loss_u", "Validators/val/l2_relative_error_u"}
    assert {r[0] for r in rows} == {RUN_A}


def test_kind_that_matches_nothing_warns(tmp_path, capsys):
    folder = tmp_path / "exp" / "r"
    os.makedirs(folder)
    write_events(folder / "events.out.tfevents.1", [scalar_event("Train/a", 1, 1.0)])
    code, _, err = run_cli("export", tmp_path / "exp", "-et", "-ev", "-o", tmp_path / "x.csv", capsys=capsys)
    assert code == 0
    assert "warning: no tag contains 'Validators'" in err


def test_separator_and_quoting(example, tmp_path):
    out = tmp_path / "x.csv"
    assert run_cli("export", example, "--sep", ";", "-o", out) == 0
    text = out.read_text()
    assert text.startswith("run;tag;step;value;wall_time\n")
    assert f"\n{RUN_A};Monitors" in text  # ',' in the run name needs no quotes with ';'
    header, rows = read_csv(out, sep=";")
    assert rows[0][0] == RUN_A


def test_stdout_output(example):
    result = run_process("export", example, "-o", "-")
    assert result.returncode == 0
    header, rows = read_csv(result.stdout)
    assert len(rows) == 144
    assert "to standard output" in result.stderr
    assert not os.path.exists(example / "multirun_tensors.csv")


def test_closed_pipe_ends_quietly(example):
    import subprocess
    import sys

    folder = example / "long"
    os.makedirs(folder)  # more rows than a pipe buffers
    write_events(folder / "events.out.tfevents.1", [scalar_event("Train/x", s, s / 3, s) for s in range(20000)])

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with subprocess.Popen(
        [sys.executable, "-m", "modagg", "export", str(example), "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait()
    assert "Traceback" not in err
    assert code == 0


def test_python_dash_m_and_console_script_agree(example, tmp_path):
    result = run_process("export", example, "-o", tmp_path / "a.csv", "-q")
    assert result.returncode == 0 and result.stderr == ""
    assert run_cli("export", example, "-o", tmp_path / "b.csv", "-q") == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_jobs_give_identical_output(example, tmp_path, monkeypatch):
    from modagg import export as exporting

    monkeypatch.setattr(exporting, "SMALL", 0)  # use worker processes even for this little data
    for extra in range(3):
        folder = example / f"more/run{extra}"
        os.makedirs(folder)
        write_events(folder / "events.out.tfevents.1", [scalar_event("Train/x", s, s / 3, s) for s in range(50)])
    for wide in ([], ["--export_pivot"]):
        assert run_cli("export", example, "-j", "1", "-o", tmp_path / "one.csv", *wide) == 0
        assert run_cli("export", example, "-j", "3", "-o", tmp_path / "three.csv", *wide) == 0
        assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "three.csv").read_bytes()


def test_help_teaches(capsys):
    code, out, _ = run_cli("--help", capsys=capsys)
    assert code == 0
    for word in ("export", "show", "about", "examples:", "exit codes"):
        assert word in out
    code, out, _ = run_cli("export", "--help", capsys=capsys)
    for option in ("--export_pivot", "-mp", "--tags", "--runs", "--sep", "--keep-duplicates", "--strict", "-q"):
        assert option in out


def test_version_and_about(capsys):
    code, out, _ = run_cli("--version", capsys=capsys)
    assert code == 0 and out.strip() == f"modagg {__version__}"
    code, out, _ = run_cli("about", capsys=capsys)
    assert code == 0 and __version__ in out and "protobuf" in out


def test_missing_path_is_exit_2(tmp_path, capsys):
    code, _, err = run_cli("export", tmp_path / "nope", capsys=capsys)
    assert code == 2
    assert err.strip() == f"modagg: error: {tmp_path / 'nope'}: no such file or folder"


def test_bad_usage_is_exit_2(example, capsys):
    for args in (["export"], ["export", example, "--tags", "("], ["export", example, "--sep", ";;"], ["frobnicate"]):
        code, out, err = run_cli(*args, capsys=capsys)
        assert code == 2
        assert err.count("error:") == 1 and "Traceback" not in err


def test_nothing_to_export_is_exit_1(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli("export", tmp_path / "empty", capsys=capsys)
    assert code == 1
    assert "nothing to export" in err
    assert os.listdir(tmp_path / "empty") == []
    (tmp_path / "old.csv").write_text("an earlier export\n")
    code, _, err = run_cli("export", tmp_path / "empty", "-o", tmp_path / "old.csv", capsys=capsys)
    assert code == 1 and (tmp_path / "old.csv").read_text() == "an earlier export\n"


@pytest.mark.references
def test_only_text_is_nothing_to_export(tmp_path, capsys):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp" / "r"))
    writer.add_text("config/text_summary", "hello", 0)
    writer.close()
    code, _, err = run_cli("export", tmp_path / "exp", capsys=capsys)
    assert code == 1 and "found only text data" in err
    assert not os.path.exists(tmp_path / "exp" / "exp_tensors.csv")


def test_unwritable_output_folder(example, tmp_path, capsys):
    code, _, err = run_cli("export", example, "-o", tmp_path / "no" / "such" / "x.csv", capsys=capsys)
    assert code == 1
    assert err.startswith("modagg: error: cannot write") and err.count("\n") == 1


class FakeTerminal:
    def __init__(self, tty):
        self.tty = tty
        self.text = ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_only_on_a_terminal():
    from modagg.progress import progress_for

    assert progress_for(FakeTerminal(False)) is None
    assert progress_for(FakeTerminal(True), quiet=True) is None
    terminal = FakeTerminal(True)
    progress = progress_for(terminal)
    progress(0, 3, "lr=0.1")
    assert "reading run 1/3: lr=0.1" in terminal.text
    progress.clear()
    assert terminal.text.endswith("\r")


def test_export_progress_is_cleared_before_the_summary_line(example, tmp_path, monkeypatch, capsys):
    import sys

    terminal = FakeTerminal(True)
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run_cli("export", example, "-o", tmp_path / "x.csv") == 0
    assert "reading run 1/2" in terminal.text
    last = terminal.text.split("\r")[-1]
    assert last.startswith("exported 144 values")
