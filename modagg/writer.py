"""Write event files: the records of tests, benchmarks and examples.

A small writer in the format TensorBoard reads, so that tests and
benchmarks can make event files of any shape (and damage them on purpose)
without TensorFlow::

    with open(path, "wb") as f:
        f.write(frame(file_version_event(wall_time=0.0)))
        f.write(frame(scalar_event("Train/loss", step=1, value=0.5)))
"""

import struct

from crc32c import crc32c

from . import event_pb2

__all__ = ["masked_crc", "frame", "scalar_event", "file_version_event", "write_events"]


def masked_crc(data):
    """Return the masked CRC-32C of *data*, as stored in event files."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    """Return *data* framed as one record: length, its CRC, data, its CRC."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc(header)) + data + struct.pack("<I", masked_crc(data))


def file_version_event(wall_time=0.0, step=0):
    """Return the serialized header event every writer puts first."""
    return event_pb2.Event(wall_time=wall_time, step=step, file_version=b"brain.Event:2").SerializeToString()


def scalar_event(tag, step, value, wall_time=0.0, style="tensor"):
    """Return a serialized Event holding one scalar.

    *style* is how writers store it: ``"tensor"`` a DT_FLOAT tensor with one
    ``float_val`` and plugin ``scalars`` (what Modulus writes), ``"simple"`` a
    ``simple_value``, ``"double"`` a DT_DOUBLE tensor.
    """
    event = event_pb2.Event(wall_time=wall_time, step=step)
    item = event.summary.value.add(tag=tag.encode() if isinstance(tag, str) else tag)
    if style == "simple":
        item.simple_value = value
        return event.SerializeToString()
    if style == "tensor":
        item.tensor.dtype = event_pb2.DT_FLOAT
        item.tensor.float_val.append(value)
    elif style == "double":
        item.tensor.dtype = event_pb2.DT_DOUBLE
        item.tensor.double_val.append(value)
    else:
        raise ValueError(f"unknown style {style!r}")
    item.metadata.plugin_data.plugin_name = b"scalars"
    item.metadata.data_class = event_pb2.DATA_CLASS_SCALAR
    return event.SerializeToString()


def write_events(path, events):
    """Write serialized *events* to *path* as one event file."""
    with open(path, "wb") as f:
        for data in events:
            f.write(frame(data))
