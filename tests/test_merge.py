"""Runs with several files: resumed runs and other ranks."""

import os

import pytest
from helpers import export_rows
from reference import long_rows, read_experiment, same_value

from modagg import reader
from modagg.writer import file_version_event, scalar_event, write_events


def resumed_run(folder):
    """A run that crashed at step 1500 after a checkpoint at 1000, then was resumed to 2000."""
    os.makedirs(folder, exist_ok=True)
    first = [file_version_event(1.0, 1001)]
    first += [scalar_event("Train/loss", s, 1.0 / (s + 1), 100.0 + s) for s in range(0, 1501, 100)]
    first += [scalar_event("Validators/err", s, 2.0, 100.0 + s) for s in range(0, 1501, 500)]
    second = [file_version_event(9000.0, 1001)]
    second += [scalar_event("Train/loss", s, 0.5 / (s + 1), 9000.0 + s) for s in range(1000, 2001, 100)]
    second += [scalar_event("Validators/err", s, 3.0, 9000.0 + s) for s in range(1000, 2001, 500)]
    rank1 = [file_version_event(1.0, 1001)]  # another GPU rank: headers only
    write_events(os.path.join(folder, "events.out.tfevents.100.host.1.0"), first)
    write_events(os.path.join(folder, "events.out.tfevents.100.host.2.0"), rank1)
    write_events(os.path.join(folder, "events.out.tfevents.200.host.1.0"), second)


def test_resumed_run_keeps_the_new_history(tmp_path):
    resumed_run(tmp_path / "exp" / "run")
    (run,) = reader.find_runs(str(tmp_path / "exp"))
    loss = reader.read_run(run)["Train/loss"]
    assert list(loss.steps) == list(range(0, 2001, 100))
    assert loss.wall_times[9] == 100.0 + 900  # from the first file
    assert loss.wall_times[10] == 9000.0 + 1000  # step 1000 onwards from the resumed file
    err = reader.read_run(run)["Validators/err"]
    assert list(err.steps) == [0, 500, 1000, 1500, 2000]
    assert list(err.values) == [2.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.references
def test_resumed_run_matches_tensorboard(tmp_path):
    resumed_run(tmp_path / "exp" / "run")
    _, rows = export_rows(tmp_path / "exp", tmp_path)
    expected = long_rows(read_experiment(tmp_path / "exp"))
    assert [r[:3] for r in rows] == [[run, tag, str(step)] for run, tag, step, _, _ in expected]
    assert all(same_value(r[3], e[3]) for r, e in zip(rows, expected))


def test_keep_duplicates_keeps_every_point_sorted_stably(tmp_path):
    resumed_run(tmp_path / "exp" / "run")
    _, rows = export_rows(tmp_path / "exp", tmp_path, "--keep-duplicates")
    loss = [r for r in rows if r[1] == "Train/loss"]
    assert len(loss) == 16 + 11
    steps = [int(r[2]) for r in loss]
    assert steps == sorted(steps)
    at_1000 = [float(r[4]) for r in loss if r[2] == "1000"]
    assert at_1000 == [1100.0, 10000.0]  # read order kept among equal steps


def test_same_step_twice_in_one_file_keeps_the_last(tmp_path):
    folder = tmp_path / "exp" / "run"
    os.makedirs(folder)
    write_events(
        folder / "events.out.tfevents.1",
        [scalar_event("a", 1, 1.0), scalar_event("a", 2, 2.0), scalar_event("a", 2, 5.0), scalar_event("a", 3, 3.0)],
    )
    s = reader.read_run(reader.find_runs(str(folder))[0])["a"]
    assert list(zip(s.steps, s.values)) == [(1, 1.0), (2, 5.0), (3, 3.0)]
