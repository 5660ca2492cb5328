"""`modagg summary` and `--hparams`: the figures are the export's, the overrides the folders'."""

import json
import os

from helpers import read_csv, run_cli

from modagg.summary import summarize, summarize_series, sort_runs
from modagg.scalars import new_series
from modagg.writer import file_version_event, scalar_event, write_events

SILU = "arch.fully_connected.activation_fn=silu,training.max_steps=300"
TANH = "arch.fully_connected.activation_fn=tanh,training.max_steps=300"


def exported(example, tmp_path):
    """{(run, tag): [(step, value text)]} as `modagg export` writes them."""
    out = tmp_path / "export.csv"
    assert run_cli("export", example, "-o", out, "-q") == 0
    rows = {}
    for run, tag, step, value, _ in read_csv(out)[1]:
        rows.setdefault((run, tag), []).append((int(step), value))
    return rows


def test_summary_csv_figures_equal_the_export(example, tmp_path):
    points = exported(example, tmp_path)
    out = tmp_path / "summary.csv"
    assert run_cli("summary", example, "--tags", ".", "-o", out, "-q") == 0
    header, rows = read_csv(out)
    assert header[:6] == ["run", "arch.fully_connected.activation_fn", "training.max_steps", "duration_s", "resumed", "files"]
    tags = sorted({tag for _, tag in points})
    assert header[6:] == [f"{t}:{s}" for t in tags for s in ("last", "min", "min_step", "last_step", "count")]
    for row in rows:
        cells = dict(zip(header, row))
        assert cells["arch.fully_connected.activation_fn"] in ("silu", "tanh")
        assert cells["run"].startswith(f"arch.fully_connected.activation_fn={cells['arch.fully_connected.activation_fn']},")
        for tag in tags:
            series = points[(cells["run"], tag)]
            assert cells[f"{tag}:last"] == series[-1][1]
            assert cells[f"{tag}:last_step"] == str(series[-1][0])
            assert cells[f"{tag}:count"] == str(len(series))
            smallest = min(float(v) for _, v in series)
            first = next((s, v) for s, v in series if float(v) == smallest)
            assert cells[f"{tag}:min"] == first[1] and cells[f"{tag}:min_step"] == str(first[0])


def test_default_tags_and_sort(example):
    result = summarize(str(example), sort="Validators/val/l2_relative_error_u:last")
    assert result.tags == ["Train/loss_aggregated", "Validators/val/l2_relative_error_u"]
    assert [r.run for r in result.runs] == [SILU, TANH]  # silu ends far lower
    result = summarize(str(example), sort="Train/loss_aggregated", kinds=("train",))
    assert result.tags == ["Train/learning_rate", "Train/loss_aggregated", "Train/loss_poisson_u", "Train/loss_u"]
    assert result.runs[0].overrides == {"arch.fully_connected.activation_fn": "silu", "training.max_steps": "300"}


def test_default_tags_fall_back_to_all(tmp_path):
    folder = tmp_path / "exp" / "r"
    os.makedirs(folder)
    write_events(folder / "events.out.tfevents.1", [scalar_event("loss", s, 1.0 / (s + 1), s) for s in range(5)])
    assert summarize(str(tmp_path / "exp")).tags == ["loss"]


def test_min_skips_nan_and_takes_the_first_step():
    s = new_series()
    for step, value in [(0, float("nan")), (1, 2.0), (2, 1.0), (3, 1.0), (4, 3.0)]:
        s.steps.append(step)
        s.values.append(value)
        s.wall_times.append(step)
    f = summarize_series(s)
    assert (f.last, f.min, f.min_step, f.last_step, f.count) == (3.0, 1.0, 2, 4, 5)


def test_sort_puts_missing_last():
    from modagg.summary import RunSummary, TagSummary

    runs = [
        RunSummary("c", {}, {}, None, False, 1),
        RunSummary("b", {}, {"x": TagSummary(5.0, 1.0, 0, 1, 2, "f")}, None, False, 1),
        RunSummary("a", {}, {"x": TagSummary(2.0, 2.0, 0, 1, 2, "f")}, None, False, 1),
    ]
    assert [r.run for r in sort_runs(runs, "x")] == ["b", "a", "c"]
    assert [r.run for r in sort_runs(runs, "x:last")] == ["a", "b", "c"]


def test_resumed_and_duration(tmp_path):
    folder = tmp_path / "exp" / "r"
    os.makedirs(folder)
    write_events(folder / "events.out.tfevents.1", [scalar_event("Train/loss_aggregated", s, 1.0, 100.0 + s) for s in range(10)])
    write_events(folder / "events.out.tfevents.2", [file_version_event(50.0)])  # another rank: no scalars
    (run,) = summarize(str(tmp_path / "exp")).runs
    assert (run.resumed, run.files, run.duration) == (False, 1, 9.0)
    write_events(folder / "events.out.tfevents.3", [scalar_event("Train/loss_aggregated", s, 0.5, 200.0 + s) for s in range(5, 20)])
    (run,) = summarize(str(tmp_path / "exp")).runs
    assert (run.resumed, run.files, run.duration) == (True, 2, 119.0)
    assert run.tags["Train/loss_aggregated"].count == 20


def test_json_is_complete(example, tmp_path):
    out = tmp_path / "s.json"
    assert run_cli("summary", example, "-o", out, "-q") == 0  # the extension picks the format
    runs = json.loads(out.read_text())
    assert [r["run"] for r in runs] == [SILU, TANH]
    assert runs[1]["overrides"] == {"arch.fully_connected.activation_fn": "tanh", "training.max_steps": "300"}
    figures = runs[0]["tags"]["Validators/val/l2_relative_error_u"]
    assert set(figures) == {"last", "min", "min_step", "last_step", "count"}
    assert figures["count"] == 4 and figures["last_step"] == 300
    assert isinstance(runs[0]["duration_s"], float) and runs[0]["resumed"] is False


def test_table_is_readable(example, capsys):
    code, out, err = run_cli("summary", example, "--format", "table", "--sort", "Validators/val/l2_relative_error_u", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert "Validators/val/l2_relative_error_u" in out and "Train/loss_aggregated" in out
    header = next(l for l in lines if "activation_fn" in l)
    assert header.split()[:3] == ["activation_fn", "max_steps", "time"]
    rows = [l for l in lines if l.startswith(("silu", "tanh"))]
    assert [r.split()[0] for r in rows] == ["silu", "tanh"]
    assert len({len(l) for l in lines[-2:]}) == 1  # aligned


def test_summary_errors(tmp_path, capsys):
    code, _, err = run_cli("summary", tmp_path / "missing", capsys=capsys)
    assert code == 2
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli("summary", tmp_path / "empty", capsys=capsys)
    assert code == 1 and "no runs" in err


def test_export_hparams_standard_and_wide(example, tmp_path):
    extra = example / "plain"
    os.makedirs(extra)
    write_events(extra / "events.out.tfevents.1", [scalar_event("Train/x", 1, 1.0, 1.0)])
    out = tmp_path / "h.csv"
    assert run_cli("export", example, "--hparams", "-o", out, "-q") == 0
    header, rows = read_csv(out)
    assert header == ["run", "arch.fully_connected.activation_fn", "training.max_steps", "tag", "step", "value", "wall_time"]
    assert {(r[0], r[1], r[2]) for r in rows} == {(SILU, "silu", "300"), (TANH, "tanh", "300"), ("plain", "", "")}
    assert run_cli("export", example, "--hparams", "--export_pivot", "-o", out, "-q") == 0
    header, rows = read_csv(out)
    assert header[:5] == ["run", "arch.fully_connected.activation_fn", "training.max_steps", "step", "wall_time"]
    assert {(r[0], r[1], r[2]) for r in rows} == {(SILU, "silu", "300"), (TANH, "tanh", "300"), ("plain", "", "")}


def test_export_hparams_default_name(example):
    assert run_cli("export", "tensors", "-mp", example, "--hparams", "--export_pivot", "-q") == 0
    assert os.path.exists(example / "multirun_tensors_hparams_pivoted.csv")
