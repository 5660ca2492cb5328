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

from .events import decode_tag, kind_of, parse_event, scalar_of
from .records import Damage, read_records

__all__ = ["Series", "Other", "read_scalars", "new_series", "sort_series"]

NOT_AN_EVENT = "record is not an Event"

Series = namedtuple("Series", "steps values wall_times")
Series.__doc__ = "The points of one tag: steps (array 'q'), values (array 'f', 'd' or 'q'), wall_times (array 'd')."

Other = namedtuple("Other", "kind count first_step last_step")
Other.__doc__ = "A tag that is not a scalar: its kind, number of points and step range."

_unpack_double = struct.Struct("<d").unpack_from
_unpack_float = struct.Struct("<f").unpack_from

_SIMPLE_VALUE = 0x15  # field 2, 32-bit
# A DT_FLOAT tensor of one float_val: field 8 (length 8) { dtype = 1, float_val packed (length 4) }.
_FLOAT_TENSOR = b"\x42\x08\x08\x01\x2a\x04"
_MAX_KNOWN = 100_000  # bounds the cache when a file holds very many tags


def new_series(typecode="f"):
    """Return an empty Series whose values have the given array typecode."""
    return Series(array("q"), array(typecode), array("d"))


def _append(series, tag, step, number, typecode, wall_time, keep_duplicates):
    """Add one point to ``series[tag]``, applying the resume rule.

    Returns True if the tag's Series was replaced by one of a wider type.
    """
    s = series.get(tag)
    widened = False
    if s is None:
        s = series[tag] = new_series(typecode)
    elif s.values.typecode != typecode and not (s.values.typecode == "d" and typecode == "f"):
        # Mixed types in one tag: keep them all exactly as doubles.
        s = series[tag] = Series(s.steps, array("d", s.values), s.wall_times)
        widened = True
    steps = s.steps
    if steps and step <= steps[-1] and not keep_duplicates:
        _drop_from(s, step)
    steps.append(step)
    s.values.append(number)
    s.wall_times.append(wall_time)
    return widened


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

    Returns the number of scalar points read (before the resume rule).

    keep_tag: a function of a tag (str) returning whether to keep it; None keeps all.
    keep_duplicates: keep every point instead of applying the resume rule.
    damage: a list to which :class:`modagg.records.Damage` entries are appended.
    others: a dict to which tags holding other kinds of data are added as
    :class:`Other` entries.
    """
    if damage is None:
        damage = []
    names = {}  # tag bytes -> tag str, or None when the tag is filtered out
    # The fast path. A record holding one float32 scalar is, after its step,
    #   summary { value { tag, simple_value or tensor { dtype, float_val }, metadata } }
    # and those bytes are the same for every point of a tag but for the 4 of
    # the value. `known` maps them, less the value, to the tag's Series (or
    # None for a tag filtered out), once the general path has decoded such a
    # record and found the value at that place.
    known = {}
    unpack_float, unpack_double = _unpack_float, _unpack_double  # locals: this is the hot loop
    fast = general = 0
    for offset, data in read_records(file, damage):
        try:
            if data[0] != 0x09:  # wall_time first
                raise KeyError
            b = data[9]
            if b == 0x10:  # step, a varint of 1 to 3 bytes
                b = data[10]
                if b < 0x80:
                    step, i = b, 11
                elif data[11] < 0x80:
                    step, i = (b & 0x7F) | (data[11] << 7), 12
                elif data[12] < 0x80:
                    step, i = (b & 0x7F) | ((data[11] & 0x7F) << 7) | (data[12] << 14), 13
                else:
                    raise KeyError
            else:
                step, i = 0, 9
            j = i + 6 + data[i + 5]  # as _value_at(data, i), inline
            at = j + 1 if data[j] == _SIMPLE_VALUE else j + 6
            target = known[data[i:at] + data[at + 4 :]]
        except (IndexError, KeyError):
            added, widened = _general(offset, data, series, names, known, keep_tag, keep_duplicates, damage, others)
            general += added
            if widened:
                known.clear()  # a Series was replaced
            continue
        if target is None:
            continue
        fast += 1
        steps = target.steps
        if steps and step <= steps[-1] and not keep_duplicates:
            _drop_from(target, step)
        steps.append(step)
        target.values.append(unpack_float(data, at)[0])
        target.wall_times.append(unpack_double(data, 1)[0])
    return fast + general


def _value_at(data, i):
    """Where a single float32 value would be, if the summary starts at data[i]."""
    j = i + 6 + data[i + 5]  # end of the tag: summary, value and tag each have a 1-byte length
    return j + 1 if data[j] == _SIMPLE_VALUE else j + 6  # simple_value, or a tensor's packed float


def _name_if_kept(tag, keep_tag):
    name = decode_tag(tag)
    return name if keep_tag is None or keep_tag(name) else None


def _general(offset, data, series, names, known, keep_tag, keep_duplicates, damage, others):
    """Decode one record with protobuf and add what it holds.

    Returns (number of scalars added, whether a Series was replaced).
    """
    event = parse_event(data)
    if event is None:
        damage.append(Damage(offset, NOT_AN_EVENT, len(data)))
        return 0, False
    if event.WhichOneof("what") != "summary":
        return 0, False
    widened = False
    added = 0
    values = event.summary.value
    scalar = name = None
    for value in values:
        tag = value.tag
        name = names.get(tag, False)
        if name is False:
            name = names[tag] = _name_if_kept(tag, keep_tag)
        scalar = scalar_of(value)
        if name is None:
            continue
        if scalar is None:
            if others is not None:
                _add_other(others, name, kind_of(value), event.step)
            continue
        number, typecode = scalar
        widened |= _append(series, name, event.step, number, typecode, event.wall_time, keep_duplicates)
        added += 1
    if len(values) == 1 and scalar is not None and scalar[1] == "f" and len(known) < _MAX_KNOWN:
        _learn(data, scalar[0], series.get(name) if name is not None else None, known)
    return added, widened


def _learn(data, number, target, known):
    """Let the fast path read records shaped like *data*, a single float32 *number*, into *target*.

    Only an event laid out as the fast path reads it qualifies: wall_time
    first, then the step (if any), then the summary to the end.
    """
    try:
        if data[0] != 0x09:
            return
        i = 9
        if data[9] == 0x10:
            i = 10
            while data[i] >= 0x80:
                i += 1
            i += 1
        at = _value_at(data, i)
    except IndexError:
        return
    if data[i] != 0x2A or at + 4 > len(data):
        return
    if not (data[at - 1] == _SIMPLE_VALUE or data[at - 6 : at] == _FLOAT_TENSOR):
        return
    found = _unpack_float(data, at)[0]
    if found == number or (found != found and number != number):
        known[data[i:at] + data[at + 4 :]] = target


def _add_other(others, name, kind, step):
    seen = others.get(name)
    if seen is None:
        others[name] = Other(kind, 1, step, step)
    else:
        others[name] = Other(seen.kind, seen.count + 1, min(seen.first_step, step), max(seen.last_step, step))
