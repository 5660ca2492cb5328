"""The fast path of modagg.scalars: the same points as protobuf decodes, and taken for every shape writers write."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modagg import event_pb2, reader, scalars
from modagg.writer import frame, scalar_event


def tf2_event(tag, step, value, wall_time, first):
    """A scalar written the way TensorFlow 2 does: more metadata on a tag's first point than on the others."""
    event = event_pb2.Event(wall_time=wall_time, step=step)
    item = event.summary.value.add(tag=tag.encode())
    item.tensor.dtype = event_pb2.DT_FLOAT
    item.tensor.float_val.append(value)
    item.metadata.plugin_data.plugin_name = b"scalars"
    if first:
        item.metadata.data_class = event_pb2.DATA_CLASS_SCALAR
    return event.SerializeToString()


def with_step_bytes(data, step_bytes):
    """Replace the step varint of a serialized event (which has one) by *step_bytes*."""
    assert data[9] == 0x10
    end = 10
    while data[end] >= 0x80:
        end += 1
    return data[:10] + step_bytes + data[end + 1 :]


def events(shape):
    """Serialized events of one kind of file, three tags, 200 points each."""
    tags = ["Train/loss", "Validators/l2", "Monitors/grad_norm"]
    steps = range(200)
    if shape == "long steps":  # varints of 1 to 10 bytes, negative steps included
        steps = [-(2**40), -1] + [round(1.245**k) for k in range(198)]
    if shape == "long tags":  # lengths of two varint bytes
        tags = [t + "/" + "x" * 300 for t in tags]
    out = []
    for i, step in enumerate(steps):
        for t, tag in enumerate(tags):
            value, wall_time = 1 / (1 + i + t), 1.7e9 + i * 0.37 + t * 1e-3
            if shape == "simple_value":
                out.append(scalar_event(tag, step, value, wall_time, style="simple"))
            elif shape == "mixed":  # simple values and tensors in one file: two distances from the end
                out.append(scalar_event(tag, step, value, wall_time, style="simple" if t == 1 else "tensor"))
            elif shape == "tf2":
                out.append(tf2_event(tag, step, value, wall_time, first=(i == 0)))
            else:
                out.append(scalar_event(tag, step, value, wall_time))
    if shape == "non-minimal step":  # step 1 as two bytes: 0x81 0x00
        out.append(with_step_bytes(scalar_event(tags[0], 5, 0.25, 1.8e9), b"\x81\x00"))
    return out


SHAPES = ["tensor", "simple_value", "long steps", "long tags", "mixed", "tf2", "non-minimal step"]


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_path_reads_what_protobuf_decodes(tmp_path, shape, monkeypatch):
    path = tmp_path / "events.out.tfevents.1"
    data = [frame(e) for e in events(shape)]
    path.write_bytes(b"".join(data))

    decoded = []  # records the general path decoded
    general = scalars._general

    def counting(offset, *args):
        decoded.append(offset)
        return general(offset, *args)

    monkeypatch.setattr(scalars, "_general", counting)
    series = {}
    with open(path, "rb") as f:
        count = scalars.read_scalars(f, series, keep_duplicates=True)

    expected = {}
    for scalar in reader.iter_scalars(str(path)):
        expected.setdefault(scalar.tag, []).append((scalar.step, scalar.value, scalar.wall_time))
    found = {tag: list(zip(s.steps, s.values, s.wall_times)) for tag, s in series.items()}
    assert found == expected
    assert count == len(data)
    # protobuf decodes a few records per tag (the first of each shape); the fast path reads the rest
    assert len(decoded) <= 2 * len(expected) + 1, shape


def test_shapes_of_one_tag_keep_their_values(tmp_path):
    """One tag in three shapes, interleaved: each record's value is read at its own place."""
    plain = scalar_event("a", 3, 0.5, 1.0, style="simple")
    tensor = scalar_event("a", 4, 0.75, 2.0)
    # a tensor without data_class: its value sits 2 bytes nearer the end than in `tensor`
    odd = event_pb2.Event(wall_time=3.0, step=5)
    item = odd.summary.value.add(tag=b"a")
    item.tensor.dtype = event_pb2.DT_FLOAT
    item.tensor.float_val.append(1.5)
    item.metadata.plugin_data.plugin_name = b"scalars"
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"".join(frame(e) for e in [plain, tensor, odd.SerializeToString(), plain, tensor]))
    series = {}
    with open(path, "rb") as f:
        scalars.read_scalars(f, series, keep_duplicates=True)
    assert list(series["a"].values) == [0.5, 0.75, 1.5, 0.5, 0.75]
    assert list(series["a"].steps) == [3, 4, 5, 3, 4]


def test_value_at_finds_only_a_single_float():
    data = scalar_event("t" * 200, 7, 0.5, 1.0)
    step, start = scalars._summary_start(data)
    at = scalars._value_at(data, start)
    assert step == 7 and struct.unpack_from("<f", data, at)[0] == 0.5
    assert scalars._value_at(scalar_event("t", 7, 0.5, 1.0, style="double"), 11) is None
    assert scalars._summary_start(b"\x09" + b"\x00" * 8 + b"\x10" + b"\xff" * 11) is None  # 11-byte varint


def int64_event(tag, step, value):
    event = event_pb2.Event(wall_time=1.0, step=step)
    item = event.summary.value.add(tag=tag.encode())
    item.tensor.dtype = event_pb2.DT_INT64
    item.tensor.int64_val.append(value)
    return event.SerializeToString()


def test_a_tag_that_turns_from_integers_to_floats_keeps_every_value(tmp_path):
    events = [int64_event("a", s, 2**60 + s) for s in range(3)]
    events += [scalar_event("a", s, s / 4, 1.0) for s in range(3, 10)]
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"".join(frame(e) for e in events))
    series = {}
    with open(path, "rb") as f:
        assert scalars.read_scalars(f, series) == 10
    assert series["a"].values.typecode == "d"
    assert list(series["a"].values) == [float(2**60 + s) for s in range(3)] + [s / 4 for s in range(3, 10)]


points = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "Train/" + "c" * 130]),
        st.integers(-3, 2**22),
        st.sampled_from(["tensor", "simple", "double", "int64"]),
        st.floats(width=32, allow_nan=False),
    ),
    max_size=60,
)


def event_of(tag, step, style, value, wall_time):
    if style == "int64":
        return int64_event(tag, step, int(value) if abs(value) < 2**62 else 7)
    return scalar_event(tag, step, value, wall_time, style=style)


@given(points, st.booleans())
def test_read_scalars_is_the_resume_rule_over_what_protobuf_decodes(tmp_path_factory, found, keep_duplicates):
    path = tmp_path_factory.mktemp("p") / "events.out.tfevents.1"
    path.write_bytes(b"".join(frame(event_of(*p, wall_time=1.0 + i)) for i, p in enumerate(found)))
    expected = {}
    for scalar in reader.iter_scalars(str(path)):
        kept = expected.setdefault(scalar.tag, [])
        if not keep_duplicates:
            kept[:] = [p for p in kept if p[0] < scalar.step]
        kept.append((scalar.step, float(scalar.value), scalar.wall_time))
    series = {}
    with open(path, "rb") as f:
        assert scalars.read_scalars(f, series, keep_duplicates=keep_duplicates) == len(found)
    assert {tag: list(zip(s.steps, map(float, s.values), s.wall_times)) for tag, s in series.items()} == expected


def test_a_second_file_reads_the_shapes_the_first_taught_without_protobuf(tmp_path, monkeypatch):
    monkeypatch.setattr(scalars, "_TAUGHT", {})
    paths = []
    for n in range(2):
        path = tmp_path / f"events.out.tfevents.{n}"
        path.write_bytes(b"".join(frame(e) for e in events("tensor")))
        paths.append(path)
    decoded = []
    general = scalars._general

    def counting(offset, *args):
        decoded.append(offset)
        return general(offset, *args)

    monkeypatch.setattr(scalars, "_general", counting)
    found = []
    for path, keep_tag in zip(paths, [None, lambda tag: tag != "Validators/l2"]):
        series = {}
        with open(path, "rb") as f:
            scalars.read_scalars(f, series, keep_tag=keep_tag)
        found.append(series)
        if len(found) == 1:
            assert len(decoded) == 3  # the first file: each tag's first point
    assert len(decoded) == 3  # the second file: none
    assert sorted(found[1]) == ["Monitors/grad_norm", "Train/loss"]
    assert all(found[1][tag] == found[0][tag] for tag in found[1])
