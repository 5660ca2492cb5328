"""Finding runs under an experiment root."""

import os

from modagg.reader import find_runs
from modagg.writer import file_version_event, write_events


def touch_run(folder, name="events.out.tfevents.1.host.1.0"):
    os.makedirs(folder, exist_ok=True)
    write_events(os.path.join(folder, name), [file_version_event()])


def test_runs_at_any_depth_named_by_relative_path(tmp_path):
    root = tmp_path / "outputs"
    touch_run(root / "ldc")
    touch_run(root / "arch=a,lr=0.1" / "ldc" / "network_dir")
    touch_run(root / "seq" / "window_0000")
    touch_run(root / "seq" / "window_0001")
    (root / "empty" / "deeper").mkdir(parents=True)
    runs = find_runs(str(root))
    assert [r.name for r in runs] == [
        "arch=a,lr=0.1/ldc/network_dir",
        "ldc",
        "seq/window_0000",
        "seq/window_0001",
    ]


def test_root_holding_event_files_is_named_after_itself(tmp_path):
    root = tmp_path / "my_run"
    touch_run(root)
    touch_run(root / "sub")
    assert [r.name for r in find_runs(str(root))] == ["my_run", "sub"]
    assert [r.name for r in find_runs(str(root) + "/")] == ["my_run", "sub"]


def test_files_of_a_run_in_name_order(tmp_path):
    for name in ["events.out.tfevents.3.b", "events.out.tfevents.1.a", "events.out.tfevents.2.c", "notes.txt"]:
        touch_run(tmp_path / "run", name)
    (run,) = find_runs(str(tmp_path))
    assert [os.path.basename(f) for f in run.files] == [
        "events.out.tfevents.1.a",
        "events.out.tfevents.2.c",
        "events.out.tfevents.3.b",
    ]


def test_one_event_file_as_path(tmp_path):
    touch_run(tmp_path / "run")
    path = str(tmp_path / "run" / "events.out.tfevents.1.host.1.0")
    (run,) = find_runs(path)
    assert run.name == "run" and run.files == [path]


def test_symlink_loop_does_not_hang(tmp_path):
    touch_run(tmp_path / "exp" / "a")
    os.symlink(tmp_path / "exp", tmp_path / "exp" / "a" / "loop")
    os.symlink(tmp_path / "exp" / "a", tmp_path / "exp" / "b")
    names = [r.name for r in find_runs(str(tmp_path / "exp"))]
    assert names == ["a"]


def test_folder_named_like_an_event_file_is_reported(tmp_path):
    touch_run(tmp_path / "exp" / "a")
    (tmp_path / "exp" / "a" / "events.out.tfevents.x").mkdir()
    problems = []
    runs = find_runs(str(tmp_path / "exp"), problems)
    assert [r.name for r in runs] == ["a"]
    assert problems == [(str(tmp_path / "exp" / "a" / "events.out.tfevents.x"), "is a folder, not an event file")]


def test_deep_nesting(tmp_path):
    folder = tmp_path / "exp"
    parts = [f"d{i}" for i in range(50)]
    touch_run(folder.joinpath(*parts))
    assert [r.name for r in find_runs(str(folder))] == ["/".join(parts)]
