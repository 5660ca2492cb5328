"""Reading the scalars of event files into per-tag series.

A run's scalars are kept as a dict ``{tag: Series}``; a :class:`Series`
holds three parallel arrays (steps, values, wall times) in the order
points were read. Values stay in their exact type (see :mod:`modagg.events`).

Files of one run are read in name order into the same dict. As TensorBoard
does for resumed runs, a point at step *s* removes the points already read
for its tag at steps >= *s*, so that what a resumed run logged again
replaces what the discarded trajectory had logged. ``keep_duplicates``
keeps every point instead.

Decoding has two paths. The general one parses every record with protobuf
(:mod:`modagg.events`). The fast one reads the common shape, one event
holding one float32 scalar, straight from the bytes; it trusts a shape
only after the general path has decoded a record of that shape to the same
value, and sends everything else to the general path.
"""

import struct
from array import array
from bisect import bisect_left
from collections import namedtuple

from .events import SCALAR, decode_tag, kind_of, parse_event, scalar_of
from .records import Damage, read_records

__all__ = ["Series", "Other", "read_scalars", "new_series", "sort_series"]

NOT_AN_EVENT = "record is not an Event"

Series = namedtuple("Series", "steps values wall_times")
Series.__doc__ = "The points of one tag: steps (array 'q'), values (array 'f', 'd' or 'q'), wall_times (array 'd')."

Other = namedtuple("Other", "kind count first_step last_step")
Other.__doc__ = "A tag that is not a scalar: its kind, number of points and step range."

_unpack_double = struct.Struct("<d").unpack_from
_unpack_float = struct.Struct("<f").unpack_from

# After the tag, a DT_FLOAT tensor of one float_val: field 8 (len 8) { dtype 1, float_val packed (len 4) }.
_FLOAT_TENSOR = b"\x42\x08\x08\x01\x2a\x04"
_SIMPLE_VALUE = 0x15  # field 2, 32-bit
_MAX_SHAPES = 1024


def new_series(typecode="f"):
    """Return an empty Series whose values have the given array typecode."""
    return Series(array("q"), array(typecode), array("d"))


def _append(series, tag, step, number, typecode, wall_time, keep_duplicates):
    """Add one point to ``series[tag]``, applying the resume rule."""
    s = series.get(tag)
    if s is None:
        s = series[tag] = new_series(typecode)
    elif s.values.typecode != typecode and not (s.values.typecode == "d" and typecode == "f"):
        # Mixed types in one tag: keep them all exactly as doubles.
        s = series[tag] = Series(s.steps, array("d", s.values), s.wall_times)
    steps = s.steps
    if steps and step <= steps[-1] and not keep_duplicates:
        _drop_from(s, step)
    steps.append(step)
    s.values.append(number)
    s.wall_times.append(wall_time)


def _drop_from(s, step):
    """Remove the points at steps >= *step* (steps are increasing)."""
    cut = bisect_left(s.steps, step)
    del s.steps[cut:], s.values[cut:], s.wall_times[cut:]


def sort_series(s):
    """Return *s* with its points in step order (stable: equal steps keep read order)."""
    steps = s.steps
    if all(steps[i] <= steps[i + 1] for i in range(len(steps) - 1)):
        return s
    order = sorted(range(len(steps)), key=steps.__getitem__)
    return Series(
        array("q", [steps[i] for i in order]),
        array(s.values.typecode, [s.values[i] for i in order]),
        array("d", [s.wall_times[i] for i in order]),
    )


def read_scalars(file, series, *, keep_tag=None, keep_duplicates=False, damage=None, others=None):
    """Read the scalars of one open event *file* into *series* (a dict tag -> Series).

    keep_tag: a function of a tag (str) returning whether to keep it; None keeps all.
    keep_duplicates: keep every point instead of applying the resume rule.
    damage: a list to which :class:`modagg.records.Damage` entries are appended.
    others: a dict to which tags holding other kinds of data are added as
    :class:`Other` entries.
    """
    if damage is None:
        damage = []
    names = {}  # tag bytes -> tag str, or None when the tag is filtered out
    shapes = {}  # bytes after a scalar's value -> True once the general path agreed
    for offset, data in read_records(file, damage):
        # Fast path: Event{wall_time, step, summary{value{tag, float32 value, metadata}}}.
        try:
            if data[0] != 0x09:
                raise IndexError
            b = data[9]
            if b == 0x10:
                b = data[10]
                if b < 0x80:
                    step, i = b, 11
                else:
                    c = data[11]
                    if c < 0x80:
                        step, i = (b & 0x7F) | (c << 7), 12
                    else:
                        d = data[12]
                        if d >= 0x80:
                            raise IndexError
                        step, i = (b & 0x7F) | ((c & 0x7F) << 7) | (d << 14), 13
            else:
                step, i = 0, 9
            # summary (field 5) holding exactly one value (field 1) that starts with its tag (field 1)
            size = data[i + 1]
            if (
                data[i] != 0x2A
                or size >= 0x80
                or i + 2 + size != len(data)
                or data[i + 2] != 0x0A
                or data[i + 3] != size - 2
                or data[i + 4] != 0x0A
                or data[i + 5] >= 0x80
            ):
                raise IndexError
            j = i + 6 + data[i + 5]
            if data[j] == _SIMPLE_VALUE:
                at = j + 1
            elif data[j : j + 6] == _FLOAT_TENSOR:
                at = j + 6
            else:
                raise IndexError
            tag = data[i + 6 : j]
            name = names.get(tag, False)
            if name is None:
                continue  # a tag filtered out
            if name is False or shapes.get(data[j:at] + data[at + 4 :]) is not True:
                raise IndexError
        except IndexError:
            _general(offset, data, series, names, shapes, keep_tag, keep_duplicates, damage, others)
            continue
        s = series.get(name)
        if s is None or s.values.typecode == "q":
            _append(series, name, step, _unpack_float(data, at)[0], "f", _unpack_double(data, 1)[0], keep_duplicates)
            continue
        steps = s.steps
        if steps and step <= steps[-1] and not keep_duplicates:
            _drop_from(s, step)
        steps.append(step)
        s.values.append(_unpack_float(data, at)[0])
        s.wall_times.append(_unpack_double(data, 1)[0])
    return series


def _name_if_kept(tag, keep_tag):
    name = decode_tag(tag)
    return name if keep_tag is None or keep_tag(name) else None


def _general(offset, data, series, names, shapes, keep_tag, keep_duplicates, damage, others):
    """Decode one record with protobuf and add what it holds."""
    event = parse_event(data)
    if event is None:
        damage.append(Damage(offset, NOT_AN_EVENT, len(data)))
        return
    if event.WhichOneof("what") != "summary":
        return
    values = event.summary.value
    scalar = None
    for value in values:
        tag = value.tag
        name = names.get(tag, False)
        if name is False:
            name = names[tag] = _name_if_kept(tag, keep_tag)
        if name is None:
            continue
        scalar = scalar_of(value)
        if scalar is None:
            if others is not None:
                _add_other(others, name, kind_of(value), event.step)
            continue
        number, typecode = scalar
        _append(series, name, event.step, number, typecode, event.wall_time, keep_duplicates)
    if len(values) == 1 and scalar is not None and typecode == "f" and len(shapes) < _MAX_SHAPES:
        _learn_shape(data, number, shapes)


def _learn_shape(data, number, shapes):
    """Remember the bytes around a float32 the general path decoded, for the fast path."""
    # Locate the value the same way the fast path will, and check that it reads the same number.
    i = 9
    if len(data) > 9 and data[9] == 0x10:
        i = 10
        while i < len(data) and data[i] >= 0x80:
            i += 1
        i += 1
    if i + 6 > len(data) or data[i + 5] >= 0x80:
        return
    j = i + 6 + data[i + 5]
    if data[j : j + 1] == bytes([_SIMPLE_VALUE]):
        at = j + 1
    elif data[j : j + 6] == _FLOAT_TENSOR:
        at = j + 6
    else:
        return
    if at + 4 > len(data):
        return
    found = _unpack_float(data, at)[0]
    if found == number or (found != found and number != number):
        shapes[data[j:at] + data[at + 4 :]] = True


def _add_other(others, name, kind, step):
    seen = others.get(name)
    if seen is None:
        others[name] = Other(kind, 1, step, step)
    else:
        others[name] = Other(seen.kind, seen.count + 1, min(seen.first_step, step), max(seen.last_step, step))
