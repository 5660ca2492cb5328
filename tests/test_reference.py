"""Files written by real writers, read by modagg and by TensorBoard's own reader: the same values."""

import math

import numpy as np
import pytest
from helpers import export_rows
from reference import read_experiment, same_value, long_rows

from modagg import reader

VALUES = [0.5, 0.001, 1e-30, 3.4028234663852886e38, -2.5, 0.0, 123456.789, 1 / 3, math.pi, -1e-8, 7.0]
SPECIAL = [float("nan"), float("inf"), float("-inf")]

pytestmark = pytest.mark.references


def assert_same_as_tensorboard(root, tmp_path, *args):
    header, rows = export_rows(root, tmp_path, *args)
    assert header == ["run", "tag", "step", "value", "wall_time"]
    expected = long_rows(read_experiment(root))
    assert len(rows) == len(expected)
    for row, (run, tag, step, value, wall_time) in zip(rows, expected):
        assert row[:3] == [run, tag, str(step)]
        assert same_value(row[3], value), (row, value)
        assert float(row[4]) == wall_time
    return rows


def test_tensorboardx_simple_values(tmp_path):
    from tensorboardX import SummaryWriter

    logdir = tmp_path / "exp" / "run_a"
    with SummaryWriter(str(logdir)) as writer:
        for step, value in enumerate(VALUES + SPECIAL):
            writer.add_scalar("loss", value, step, walltime=1700000000.123456 + step)
            writer.add_scalar("Train/lr", value / 7, step * 10)
    rows = assert_same_as_tensorboard(tmp_path / "exp", tmp_path)
    texts = [r[3] for r in rows if r[1] == "loss"]
    assert texts[:2] == ["0.5", "0.001"]  # shortest text that reads back as the same float32
    assert texts[-3:] == ["nan", "inf", "-inf"]


@pytest.mark.parametrize("double", [False, True])
def test_torch_new_style_tensors(tmp_path, double):
    from torch.utils.tensorboard import SummaryWriter

    logdir = tmp_path / "exp" / "outputs" / "ldc"
    writer = SummaryWriter(str(logdir))
    for step, value in enumerate(VALUES + SPECIAL):
        writer.add_scalar("Train/loss_u", value, step * 100, new_style=True, double_precision=double)
        if step % 3 == 0:
            writer.add_scalar("Validators/val/l2_relative_error_u", value * 2, step * 100, new_style=True)
    writer.add_text("config/text_summary", "<pre>training: 1</pre>", 0)
    writer.add_histogram("weights", np.arange(10.0), 0)
    writer.close()
    rows = assert_same_as_tensorboard(tmp_path / "exp", tmp_path)
    assert {r[1] for r in rows} == {"Train/loss_u", "Validators/val/l2_relative_error_u"}
    assert rows[0][0] == "outputs/ldc"
    if double:
        assert "0.3333333333333333" in [r[3] for r in rows]


def tensor_event(tag, step, tensor, plugin="scalars"):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin is not None:
        value.metadata.plugin_data.plugin_name = plugin
    return event_pb2.Event(wall_time=1700000000.5 + step, step=step, summary=summary_pb2.Summary(value=[value]))


def dtype_tensors():
    """One-element tensors of many dtypes, with typed fields and with tensor_content."""
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

    def tensor(dtype, shape=(), **fields):
        t = tensor_pb2.TensorProto(dtype=dtype, **fields)
        t.tensor_shape.CopyFrom(tensor_shape_pb2.TensorShapeProto(dim=[{"size": s} for s in shape]))
        return t

    bf16 = np.float32(1.6875).view(np.uint32) >> 16
    return {
        "float_val": tensor(types_pb2.DT_FLOAT, float_val=[0.1]),
        "double_val": tensor(types_pb2.DT_DOUBLE, double_val=[0.1]),
        "half_val": tensor(types_pb2.DT_HALF, half_val=[int(np.float16(0.333).view(np.uint16))]),
        "bfloat16_val": tensor(types_pb2.DT_BFLOAT16, half_val=[int(bf16)]),
        "int_val": tensor(types_pb2.DT_INT32, int_val=[-42]),
        "int64_val": tensor(types_pb2.DT_INT64, int64_val=[2**40 + 1]),
        "bool_val": tensor(types_pb2.DT_BOOL, bool_val=[True]),
        "uint8_val": tensor(types_pb2.DT_UINT8, int_val=[200]),
        "shape_1_1": tensor(types_pb2.DT_FLOAT, shape=(1, 1), float_val=[2.5]),
        "content_float": tensor(types_pb2.DT_FLOAT, tensor_content=np.float32(0.7).tobytes()),
        "content_double": tensor(types_pb2.DT_DOUBLE, tensor_content=np.float64(0.7).tobytes()),
        "content_half": tensor(types_pb2.DT_HALF, tensor_content=np.float16(-1.5).tobytes()),
        "content_int16": tensor(types_pb2.DT_INT16, tensor_content=np.int16(-7).tobytes()),
        "content_int64": tensor(types_pb2.DT_INT64, tensor_content=np.int64(-(2**50)).tobytes()),
        "content_bool": tensor(types_pb2.DT_BOOL, tensor_content=np.bool_(True).tobytes()),
        "content_shape_1": tensor(types_pb2.DT_FLOAT, shape=(1,), tensor_content=np.float32(9.5).tobytes()),
    }


def not_scalars():
    from tensorboard.compat.proto import tensor_pb2, types_pb2

    pair = {"tensor_shape": {"dim": [{"size": 2}]}}
    return {
        "two_floats": (tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0], **pair), "scalars"),
        "two_elements": (
            tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=np.float32([1, 2]).tobytes(), **pair),
            "scalars",
        ),
        "text": (tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"hello"]), "text"),
        "other_plugin": (tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0]), "custom"),
    }


def test_tensors_of_every_dtype(tmp_path):
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = tmp_path / "exp" / "run"
    writer = EventFileWriter(str(logdir))
    for step, (tag, tensor) in enumerate(dtype_tensors().items()):
        writer.add_event(tensor_event(tag, step, tensor))
    for step, (tag, (tensor, plugin)) in enumerate(not_scalars().items()):
        writer.add_event(tensor_event(tag, step, tensor, plugin))
    writer.close()
    rows = assert_same_as_tensorboard(tmp_path / "exp", tmp_path)
    assert sorted(r[1] for r in rows) == sorted(dtype_tensors())
    values = {r[1]: r[3] for r in rows}
    assert values["int64_val"] == str(2**40 + 1)
    assert values["bool_val"] == "1"
    assert values["float_val"] == "0.1"
    assert values["double_val"] == "0.1"
    # and the library says what the others are
    others = {}
    reader.read_run(reader.find_runs(str(tmp_path / "exp"))[0], others=others)
    assert {tag: o.kind for tag, o in others.items()} == {
        "two_floats": "tensor",
        "two_elements": "tensor",
        "text": "text",
        "other_plugin": "custom",
    }


def test_fast_path_equals_general_path(tmp_path):
    """Values the fast path reads are the values protobuf decodes, for every writer shape."""
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    root = tmp_path / "exp"
    with XWriter(str(root / "x")) as writer:
        for step in range(300):
            writer.add_scalar("a", step / 7, step)
    torch_writer = TorchWriter(str(root / "t"))
    for step in range(0, 3_000_000, 10_007):  # steps of 1 to 4 varint bytes
        torch_writer.add_scalar("b", step / 7, step, new_style=True)
    torch_writer.close()
    for run in reader.find_runs(str(root)):
        fast = reader.read_run(run)
        general = {}
        for path in run.files:
            for scalar in reader.iter_scalars(path):
                general.setdefault(scalar.tag, []).append((scalar.step, scalar.value, scalar.wall_time))
        assert {tag: list(zip(s.steps, s.values, s.wall_times)) for tag, s in fast.items()} == general
