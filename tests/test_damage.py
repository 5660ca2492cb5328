"""Damaged, hostile and unusual input: everything intact comes out, and the user is told exactly what."""

import errno
import hashlib
import os
import struct

import pytest
from helpers import read_csv, run_cli
from reference import long_rows, read_experiment

from modagg import export as exporting
from modagg import reader
from modagg.records import masked_crc
from modagg.writer import file_version_event, frame, scalar_event, write_events

RUN = "arch.fully_connected.activation_fn=silu,training.max_steps=300"


def event_file(example):
    folder = example / RUN
    return folder / next(f for f in os.listdir(folder) if "tfevents" in f)


def scalar_records(path):
    """(offset, length) of the records of *path* that hold a Train/loss_u point, in order."""
    found = []
    for offset, data in reader.iter_records(path):
        if b"Train/loss_u" in data:
            found.append((offset, len(data)))
    return found


def reference_rows(example):
    """TensorBoard's (run, tag, step) rows of the undamaged example."""
    return [[r[0], r[1], str(r[2])] for r in long_rows(read_experiment(example))]


def export(example, tmp_path, *args, capsys):
    out = tmp_path / "out.csv"
    code, _, err = run_cli("export", example, "-o", out, *args, capsys=capsys)
    rows = read_csv(out)[1] if os.path.exists(out) else None
    return code, err, rows


def damage(path, offset, flip=None, insert=None, cut=None):
    data = bytearray(path.read_bytes())
    if flip is not None:
        data[offset] ^= flip
    if insert is not None:
        data[offset:offset] = insert
    if cut is not None:
        del data[offset : offset + cut]
    path.write_bytes(bytes(data))


def steps_of(path, tag=b"Train/loss_u"):
    return [s.step for s in reader.iter_scalars(str(path)) if s.tag == tag.decode()]


@pytest.mark.references
@pytest.mark.parametrize(
    "where, record, warning, total",
    [
        ("data", 5, "data CRC mismatch, 1 record skipped", "1 damaged record skipped"),
        ("length", 3, "length CRC mismatch, {size} bytes skipped to the next intact record", "{size} unreadable bytes skipped"),
    ],
)
def test_damaged_record_is_the_only_loss(example, tmp_path, capsys, where, record, warning, total):
    expected = reference_rows(example)
    path = event_file(example)
    offset, length = scalar_records(path)[record]
    step = steps_of(path)[record]
    damage(path, offset + 12 + length // 2 if where == "data" else offset + 3, flip=0x40)
    code, err, rows = export(example, tmp_path, capsys=capsys)
    assert code == 0
    assert [r[:3] for r in rows] == [r for r in expected if r != [RUN, "Train/loss_u", str(step)]]
    assert len(rows) == len(expected) - 1
    size = 16 + length
    assert err.splitlines() == [
        f"warning: {path} at byte {offset:,}: {warning.format(size=size)}",
        f"warning: damage in 1 file: {total.format(size=size)}; everything intact was exported",
        f"exported {len(rows)} values of 6 tags from 2 runs to {tmp_path / 'out.csv'}",
    ]


def test_absurd_length_is_never_read(example, tmp_path, capsys):
    path = event_file(example)
    offset, length = scalar_records(path)[2]
    header = struct.pack("<Q", 2**60)
    data = bytearray(path.read_bytes())
    data[offset : offset + 12] = header + struct.pack("<I", masked_crc(header) ^ 1)
    path.write_bytes(bytes(data))
    code, err, rows = export(example, tmp_path, capsys=capsys)
    assert code == 0 and len(rows) == 143
    assert "length CRC mismatch" in err


@pytest.mark.references
def test_inserted_and_deleted_bytes(example, tmp_path, capsys):
    expected_all = reference_rows(example)
    path = event_file(example)
    records = scalar_records(path)
    steps = steps_of(path)
    damage(path, records[7][0] + 20, cut=5)  # inside record 7
    damage(path, records[2][0] + 30, insert=b"\x00junk\xff" * 3)  # inside record 2
    code, err, rows = export(example, tmp_path, capsys=capsys)
    lost = {(RUN, "Train/loss_u", str(steps[2])), (RUN, "Train/loss_u", str(steps[7]))}
    assert [r[:3] for r in rows] == [r for r in expected_all if tuple(r) not in lost]
    assert err.count("warning:") == 2  # one line for the file, one total


def test_truncated_tail_is_quiet(example, tmp_path, capsys):
    path = event_file(example)
    data = path.read_bytes()
    last_offset = list(reader.iter_records(path))[-1][0]
    path.write_bytes(data[: last_offset + 10])
    code, err, rows = export(example, tmp_path, capsys=capsys)
    assert code == 0 and len(rows) == 143
    assert "warning" not in err and "note" not in err
    code, err, rows = export(example, tmp_path, "-v", capsys=capsys)
    assert f"note: {path} at byte {last_offset:,}: file ends inside a record" in err


def test_stray_files_are_named_and_the_rest_exported(example, tmp_path, capsys, monkeypatch):
    folder = example / RUN
    (folder / "events.out.tfevents.random").write_bytes(os.urandom(3000))
    (folder / "events.out.tfevents.text").write_text("not an event file\n" * 20)
    (folder / "events.out.tfevents.empty").write_bytes(b"")
    (folder / "events.out.tfevents.dir").mkdir()
    (folder / "events.out.tfevents.locked").write_bytes(frame(file_version_event()))
    real_open = open

    def refusing_open(path, *args, **kw):
        if str(path).endswith(".locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(reader, "open", refusing_open, raising=False)
    code, err, rows = export(example, tmp_path, capsys=capsys)
    assert code == 0 and len(rows) == 144
    assert f"warning: {folder / 'events.out.tfevents.random'}: holds no records: not an event file?" in err
    assert f"warning: {folder / 'events.out.tfevents.text'}: holds no records: not an event file?" in err
    assert f"warning: {folder / 'events.out.tfevents.empty'}: empty file" in err
    assert f"warning: {folder / 'events.out.tfevents.dir'}: is a folder, not an event file" in err
    assert f"warning: {folder / 'events.out.tfevents.locked'}: cannot be read: Permission denied" in err


def test_strict_fails_and_writes_nothing(example, tmp_path, capsys):
    path = event_file(example)
    offset, length = scalar_records(path)[5]
    damage(path, offset + 14, flip=1)
    code, err, rows = export(example, tmp_path, "--strict", capsys=capsys)
    assert code == 1 and rows is None
    assert err == f"modagg: error: {path} at byte {offset:,}: data CRC mismatch, 1 record skipped (--strict: nothing written)\n"
    code = run_cli("export", example, "--strict", "-q")
    assert code == 1
    assert not [f for f in os.listdir(example) if f.endswith(".csv") or f.startswith(".modagg-")]


def test_strict_passes_clean_data(example, tmp_path, capsys):
    code, err, rows = export(example, tmp_path, "--strict", capsys=capsys)
    assert code == 0 and len(rows) == 144


def test_interrupt_leaves_no_file(example, capsys, monkeypatch):
    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(exporting, "read_run", interrupted)
    code, _, err = run_cli("export", example, "-j", "1", capsys=capsys)
    assert code == 130
    assert err == "modagg: error: interrupted; no output file was written\n"
    assert not [f for f in os.listdir(example) if f.endswith(".csv") or f.startswith(".modagg-")]


def test_disk_full_leaves_no_file(example, capsys, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exporting, "_write_wide", full)
    code, _, err = run_cli("export", example, "--export_pivot", "-j", "1", capsys=capsys)
    assert code == 1
    assert err.startswith("modagg: error: cannot write") and "No space left on device" in err
    assert err.count("\n") == 1
    assert not [f for f in os.listdir(example) if f.endswith(".csv") or f.startswith(".modagg-")]


def test_event_files_are_never_changed(example):
    files = sorted(example.rglob("*tfevents*"))
    before = [(hashlib.sha256(f.read_bytes()).hexdigest(), os.stat(f).st_mtime_ns) for f in files]
    assert run_cli("export", example, "-q") == 0
    assert run_cli("show", example) == 0
    after = [(hashlib.sha256(f.read_bytes()).hexdigest(), os.stat(f).st_mtime_ns) for f in files]
    assert before == after and sorted(example.rglob("*tfevents*")) == files


def test_invalid_utf8_tag_and_folder(tmp_path, capsys):
    root = tmp_path / "exp"
    folder = os.path.join(os.fsencode(root), b"run_\xff\xfe")
    os.makedirs(folder)
    write_events(
        os.path.join(folder, b"events.out.tfevents.1"),
        [scalar_event(b"bad\xfftag", 1, 1.5), scalar_event("good", 1, 2.5)],
    )
    code, err, rows = export(root, tmp_path, capsys=capsys)
    assert code == 0
    assert rows == [
        ["run_\\udcff\\udcfe", "bad\\xfftag", "1", "1.5", "0.0"],
        ["run_\\udcff\\udcfe", "good", "1", "2.5", "0.0"],
    ]
    code, out, err = run_cli("export", root, "-o", "-", capsys=capsys)
    assert code == 0 and "bad\\xfftag" in out


def test_unusual_values_steps_and_times_come_out_as_read(tmp_path, capsys):
    folder = tmp_path / "exp" / "r"
    os.makedirs(folder)
    points = [(-5, float("nan"), 0.0), (0, float("inf"), 0.0), (2**40, float("-inf"), 1e-300), (2**62, -0.0, 4e9)]
    write_events(folder / "events.out.tfevents.1", [scalar_event("x", s, v, w) for s, v, w in points])
    code, err, rows = export(tmp_path / "exp", tmp_path, capsys=capsys)
    assert code == 0
    assert rows == [
        ["r", "x", "-5", "nan", "0.0"],
        ["r", "x", "0", "inf", "0.0"],
        ["r", "x", str(2**40), "-inf", "1e-300"],
        ["r", "x", str(2**62), "-0", "4000000000.0"],
    ]


def test_huge_tag_and_many_tags(tmp_path, capsys):
    folder = tmp_path / "exp" / "r"
    os.makedirs(folder)
    big = "T" * (1 << 20)
    events = [scalar_event(big, 1, 1.0)] + [scalar_event(f"tag{i}", i, i) for i in range(20000)]
    write_events(folder / "events.out.tfevents.1", events)
    code, err, rows = export(tmp_path / "exp", tmp_path, capsys=capsys)
    assert code == 0 and len(rows) == 20001
    assert any(r[1] == big for r in rows)


@pytest.mark.references
def test_tensorboard_stops_at_damage_modagg_does_not(example, tmp_path, capsys):
    """What the closing notes claim: TensorBoard's reader drops what follows the first bad record."""
    path = event_file(example)
    offset, length = scalar_records(path)[1]
    damage(path, offset + 14, flip=1)
    theirs = sum(len(points) for points in read_experiment(example)[RUN].values())
    code, err, rows = export(example, tmp_path, capsys=capsys)
    ours = sum(1 for r in rows if r[0] == RUN)
    assert ours == 71 and theirs < 10
