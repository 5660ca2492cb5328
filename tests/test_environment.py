"""modagg beside TensorBoard's protobuf classes, and on the protobuf runtime installed."""

import subprocess
import sys

import pytest
from helpers import ROOT

import google.protobuf

from modagg import event_pb2
from modagg.writer import scalar_event


def test_own_package_and_file_name():
    assert event_pb2.Event.DESCRIPTOR.full_name == "modagg.event.Event"
    assert event_pb2.DESCRIPTOR.name == "modagg/event.proto"


@pytest.mark.references
def test_tensorboard_protos_in_the_same_process():
    """TensorBoard (as TensorFlow) registers its own Event: importing both in either order works."""
    for first, second in (("tensorboard", "modagg"), ("modagg", "tensorboard")):
        imports = {
            "tensorboard": "from tensorboard.compat.proto import event_pb2 as theirs",
            "modagg": "from modagg import event_pb2 as ours; import modagg.reader",
        }
        code = f"""
{imports[first]}
{imports[second]}
from modagg.writer import scalar_event
data = scalar_event("Train/loss", 7, 0.25)
assert theirs.Event.FromString(data).summary.value[0].tensor.float_val[0] == 0.25
assert ours.Event.FromString(data).summary.value[0].tensor.float_val[0] == 0.25
print("ok")
"""
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        assert result.stdout == "ok\n", result.stderr


def test_invalid_utf8_in_a_tag_decodes(tmp_path):
    """Tags are bytes in the schema: a proto3 string field would reject the whole record."""
    data = scalar_event(b"loss\xff", 1, 1.0)
    assert event_pb2.Event.FromString(data).summary.value[0].tag == b"loss\xff"


def test_protobuf_runtime_is_supported():
    major, minor = (int(x) for x in google.protobuf.__version__.split(".")[:2])
    assert (major, minor) >= (3, 20) and major < 8
