"""Large runs read in spans of their files by several processes: the same as reading them in one go."""

import os

import pytest
from helpers import run_cli

from modagg import event_pb2, export, reader
from modagg.workers import process_pool
from modagg.writer import file_version_event, frame, scalar_event, write_events


@pytest.fixture
def pool():
    # one per test: no pool's threads live on while another pool forks its workers
    with process_pool(2) as pool:
        yield pool


@pytest.fixture
def small_spans(monkeypatch):
    """Spans of 2 kB and rows formatted 100 points at a time: many of both, in these small files."""
    monkeypatch.setattr(reader, "SPAN_SIZE", 2000)
    monkeypatch.setattr(export, "_PIECE", 100)
    monkeypatch.setattr(export, "SMALL", 0)


def two_floats(tag, step):
    """A tensor that is not a scalar."""
    event = event_pb2.Event(wall_time=5.0, step=step)
    item = event.summary.value.add(tag=tag.encode())
    item.tensor.dtype = event_pb2.DT_FLOAT
    item.tensor.float_val.extend([1.0, 2.0])
    return event.SerializeToString()


def big_run(folder):
    """Two files: a resume inside the first (steps go back) and one across them, a tag whose values turn
    from float32 to double, simple values, a tag that is not a scalar."""
    os.makedirs(folder, exist_ok=True)
    first = [file_version_event(1.0)]
    for s in range(1000):
        first.append(scalar_event("Train/loss", s, 1 / (s + 1), 100.0 + s))
        first.append(scalar_event("Train/lr", s, 0.1 * 0.999**s, 100.5 + s, style="simple"))
        first.append(scalar_event("Monitors/mixed", s, s / 7, 100.7 + s, style="tensor" if s < 500 else "double"))
        if s % 50 == 0:
            first.append(two_floats("Monitors/histogram", s))
    first += [scalar_event("Train/loss", s, 2 / (s + 1), 5000.0 + s) for s in range(600, 1200)]
    second = [file_version_event(9000.0)]
    second += [scalar_event("Train/loss", s, 3 / (s + 1), 9000.0 + s) for s in range(1100, 1500)]
    second += [scalar_event("Train/lr", s, 0.5, 9000.5 + s, style="simple") for s in range(900, 1500)]
    write_events(folder / "events.out.tfevents.100.host.1.0", first)
    write_events(folder / "events.out.tfevents.200.host.1.0", second)


def read_both_ways(run, pool, **kw):
    found = []
    for with_pool in (None, pool):
        problems, others, sources = [], {}, []
        series = reader.read_run(run, problems=problems, others=others, sources=sources, pool=with_pool, **kw)
        found.append(
            (
                {tag: list(zip(s.steps, s.values, s.wall_times)) for tag, s in series.items()},
                {tag: s.values.typecode for tag, s in series.items()},
                problems,
                others,
                sources,
            )
        )
    return found


@pytest.mark.parametrize("keep_duplicates", [False, True])
def test_spans_read_what_one_process_reads(tmp_path, pool, small_spans, keep_duplicates):
    big_run(tmp_path / "run")
    (run,) = reader.find_runs(str(tmp_path / "run"))
    with open(run.files[0], "rb") as f:
        assert len(reader._span_starts(f, os.path.getsize(run.files[0]))) > 20
    one, spans = read_both_ways(run, pool, keep_duplicates=keep_duplicates)
    assert spans == one
    series, typecodes, problems, others, _ = one
    assert typecodes["Monitors/mixed"] == "d" and typecodes["Train/loss"] == "f"
    assert others["Monitors/histogram"].count == 20
    steps = [step for step, _, _ in series["Train/loss"]]
    assert steps == (sorted(steps) if keep_duplicates else list(range(1500)))


def test_damage_is_reported_as_one_process_reports_it(tmp_path, pool, small_spans):
    big_run(tmp_path / "run")
    (run,) = reader.find_runs(str(tmp_path / "run"))
    path = run.files[0]
    data = bytearray(open(path, "rb").read())
    for at in (2000, 2001, 4000, 10_000, 30_000):  # on span cuts and inside spans
        data[at] ^= 0xFF
    del data[50_000:50_010]
    open(path, "wb").write(bytes(data))
    one, spans = read_both_ways(run, pool)
    assert spans == one
    assert len(one[2]) >= 5


def test_a_record_inside_a_tag_makes_the_file_read_whole(tmp_path, pool, small_spans):
    inner = frame(scalar_event("inner", 1, 1.0, 1.0)) * 40  # records in a tag: a cut may land on one
    folder = tmp_path / "run"
    os.makedirs(folder)
    events = [scalar_event(b"t" + inner, s, s, 1.0 + s) for s in range(3)]
    events += [scalar_event("Train/loss", s, s / 3, 2.0 + s) for s in range(2000)]
    write_events(folder / "events.out.tfevents.1", events)
    (run,) = reader.find_runs(str(folder))
    path = run.files[0]
    with open(path, "rb") as f:
        inside = reader.find_record(f, 100)
    assert 0 < inside < len(frame(events[0]))  # a boundary inside the first record
    assert reader._read_in_spans(path, [0, inside], None, False, pool) is None
    one, spans = read_both_ways(run, pool)
    assert spans == one
    assert len(one[0]["Train/loss"]) == 2000 and one[2] == []


@pytest.mark.parametrize("extra", [[], ["--export_pivot"], ["--export_pivot", "--pivot-strict"], ["--keep-duplicates"]])
def test_export_with_workers_writes_the_same_file(tmp_path, small_spans, extra):
    big_run(tmp_path / "exp" / "big")
    small = tmp_path / "exp" / "small"
    os.makedirs(small)
    write_events(small / "events.out.tfevents.1", [scalar_event("Train/loss", s, s / 9, s) for s in range(30)])
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        assert run_cli("export", tmp_path / "exp", "-q", "-j", jobs, "-o", out, *extra) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 1500


def test_summary_with_workers_is_the_same(tmp_path, small_spans):
    from modagg.summary import summarize

    big_run(tmp_path / "exp" / "big")
    one, two = summarize(str(tmp_path / "exp"), jobs=1), summarize(str(tmp_path / "exp"), jobs=2)
    assert one == two
    assert one.runs[0].tags["Train/loss"].count == 1500


def where(n, pool=None):
    """A task that says which process ran it, and whether it was given the pool."""
    return n, os.getpid(), pool is not None


def test_spread_map_keeps_order_batches_small_items_and_runs_large_ones_here(pool):
    from modagg.workers import spread_map

    sizes = [1, 1, 1, 50, 1, 1, 60, 1]
    found = list(spread_map(where, [(n,) for n in range(len(sizes))], pool, lambda item: sizes[item[0]], 10, batch=2))
    assert [n for n, _, _ in found] == list(range(len(sizes)))
    here = os.getpid()
    assert [(pid == here, given) for _, pid, given in found] == [(size > 10, size > 10) for size in sizes]
    assert found[0][1] == found[1][1]  # items 0 and 1 (2 in size) went to a worker as one task
