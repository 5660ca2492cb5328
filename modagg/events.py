"""Events and summary values: what each value in an event file is.

The general path of decoding: every record is parsed into an
``modagg.event.Event`` (see ``proto/modagg/event.proto``) and each summary
value is classified. A value is a *scalar* when it is a ``simple_value``, or
a tensor of exactly one numeric element whose plugin is ``scalars`` or
unset; :func:`scalar_of` returns its number. Everything else (text,
histograms, images, audio, larger tensors) is another kind of data.

Numbers keep their exact type as an :mod:`array` typecode: ``"f"`` for
values that are exactly a float32 (float, half and bfloat16 tensors,
``simple_value``), ``"d"`` for doubles, ``"q"`` for integers and booleans.
"""

import struct

from google.protobuf.message import DecodeError

from . import event_pb2

__all__ = ["parse_event", "kind_of", "scalar_of", "decode_tag"]

SCALAR = "scalar"

# dtype -> (typecode, typed field, struct format of one element in tensor_content)
_NUMERIC = {
    event_pb2.DT_FLOAT: ("f", "float_val", "<f"),
    event_pb2.DT_DOUBLE: ("d", "double_val", "<d"),
    event_pb2.DT_HALF: ("f", "half_val", "<e"),
    event_pb2.DT_BFLOAT16: ("f", "half_val", None),
    event_pb2.DT_INT8: ("q", "int_val", "<b"),
    event_pb2.DT_UINT8: ("q", "int_val", "<B"),
    event_pb2.DT_INT16: ("q", "int_val", "<h"),
    event_pb2.DT_UINT16: ("q", "int_val", "<H"),
    event_pb2.DT_INT32: ("q", "int_val", "<i"),
    event_pb2.DT_INT64: ("q", "int64_val", "<q"),
    event_pb2.DT_UINT32: ("q", "uint32_val", "<I"),
    event_pb2.DT_UINT64: ("q", "uint64_val", "<Q"),
    event_pb2.DT_BOOL: ("q", "bool_val", "<?"),
}

_PLUGIN_KINDS = {
    b"text": "text",
    b"histograms": "histogram",
    b"images": "image",
    b"audio": "audio",
    b"pr_curves": "pr_curve",
    b"hparams": "hparams",
    b"graph_keras_model": "graph",
    b"mesh": "mesh",
}

_FIELD_KINDS = {
    "histo": "histogram",
    "obsolete_old_style_histogram": "histogram",
    "image": "image",
    "audio": "audio",
}


def parse_event(data):
    """Return the Event in the serialized *data*, or None if it is not one."""
    try:
        return event_pb2.Event.FromString(data)
    except (DecodeError, RuntimeError, ValueError):
        return None


def decode_tag(tag):
    """Return a tag (bytes on the wire) as text; bytes that are not UTF-8 are escaped."""
    return tag.decode("utf-8", "backslashreplace")


def _bfloat16(bits):
    return struct.unpack("<f", struct.pack("<I", (bits & 0xFFFF) << 16))[0]


def _half(bits):
    return struct.unpack("<e", struct.pack("<H", bits & 0xFFFF))[0]


def _tensor_scalar(tensor):
    """Return ``(number, typecode)`` for a one-element numeric tensor, else None."""
    spec = _NUMERIC.get(tensor.dtype)
    if spec is None or tensor.tensor_shape.unknown_rank:
        return None
    if any(dim.size != 1 for dim in tensor.tensor_shape.dim):
        return None
    typecode, field, fmt = spec
    content = tensor.tensor_content
    if content:
        if tensor.dtype == event_pb2.DT_BFLOAT16:
            if len(content) != 2:
                return None
            return _bfloat16(int.from_bytes(content, "little")), typecode
        if len(content) != struct.calcsize(fmt):
            return None
        number = struct.unpack(fmt, content)[0]
    else:
        values = getattr(tensor, field)
        if len(values) > 1:
            return None
        # A tensor with no values holds zeros, as TensorFlow reads it.
        number = values[0] if values else 0
        if tensor.dtype == event_pb2.DT_HALF:
            number = _half(number)
        elif tensor.dtype == event_pb2.DT_BFLOAT16:
            number = _bfloat16(number)
    if typecode == "q":
        number = int(number)
        if number >= 1 << 63:  # a uint64 beyond int64: keep it as a double
            return float(number), "d"
    elif typecode == "f":
        number = float(number)
    return number, typecode


def scalar_of(value):
    """Return ``(number, typecode)`` if the summary *value* is a scalar, else None."""
    which = value.WhichOneof("value")
    if which == "simple_value":
        return value.simple_value, "f"
    if which != "tensor":
        return None
    if value.metadata.plugin_data.plugin_name not in (b"", b"scalars"):
        return None
    return _tensor_scalar(value.tensor)


def kind_of(value):
    """Return what a summary *value* holds: ``"scalar"``, ``"text"``, ``"histogram"``, ...

    Tensors of unknown plugins are named after the plugin; a value with no
    data at all is ``"empty"``.
    """
    which = value.WhichOneof("value")
    if which == "simple_value":
        return SCALAR
    if which is None:
        return "empty"
    if which != "tensor":
        return _FIELD_KINDS.get(which, which)
    plugin = value.metadata.plugin_data.plugin_name
    if plugin in (b"", b"scalars") and _tensor_scalar(value.tensor) is not None:
        return SCALAR
    if plugin in _PLUGIN_KINDS:
        return _PLUGIN_KINDS[plugin]
    if plugin in (b"", b"scalars"):
        return "tensor"
    return decode_tag(plugin)
