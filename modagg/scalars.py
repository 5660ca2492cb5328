"""Reading the scalars of event files into per-tag series.

A run's scalars are kept as a dict ``{tag: Series}``; a :class:`Series`
holds three parallel arrays (steps, values, wall times) in the order
points were read. Values stay in their exact type (see :mod:`modagg.events`).

Files of one run are read in name order and merged (:func:`merge_series`;
spans of a file read apart are merged the same way). As TensorBoard
does for resumed runs, a point at step *s* removes the points already read
for its tag at steps >= *s*, so that what a resumed run logged again
replaces what the discarded trajectory had logged. ``keep_duplicates``
keeps every point instead.

Decoding has two paths. The general one parses every record with protobuf
(:mod:`modagg.events`). The fast one reads the common shape, one event
holding one float32 scalar, straight from the bytes; it trusts a shape
only after the general path has decoded a record of that shape to the same
value (in this file or, for the same bytes, in one read before in this
process), and sends everything else to the general path.
"""

import struct
from array import array
from bisect import bisect_left
from collections import namedtuple

from .events import decode_tag, kind_of, parse_event, scalar_of
from .records import Damage, read_records

__all__ = ["Series", "Other", "read_scalars", "new_series", "sort_series", "merge_series", "merge_others"]

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
_MISSING = object()


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
        s = series[tag] = _as_doubles(s)
        widened = True
    steps = s.steps
    if steps and step <= steps[-1] and not keep_duplicates:
        _drop_from(s, step)
    steps.append(step)
    s.values.append(number)
    s.wall_times.append(wall_time)
    return widened


def _as_doubles(s):
    """Mixed types in one tag: *s* with its values as doubles, all exact (int64 beyond 2**53 aside)."""
    return Series(s.steps, array("d", s.values), s.wall_times)


def _drop_from(s, step):
    """Remove the points at steps >= *step* (steps are increasing)."""
    cut = bisect_left(s.steps, step)
    del s.steps[cut:], s.values[cut:], s.wall_times[cut:]


def merge_series(series, later, keep_duplicates=False):
    """Add to *series* the dict *later* of the points read after them: what reading both in one go gives.

    A point of *later* at step *s* replaces the points of *series* at steps
    >= *s*, as the resume rule does (unless *keep_duplicates*). The Series
    of *later* may be taken over.
    """
    for tag, s in later.items():
        t = series.get(tag)
        if t is None:
            series[tag] = s
            continue
        if not keep_duplicates:
            _drop_from(t, s.steps[0])  # a series read by the rule rises: its first step is its least
        values = s.values
        if values.typecode != t.values.typecode:
            if t.values.typecode != "d":
                t = series[tag] = _as_doubles(t)
            values = array("d", values)
        t.steps.extend(s.steps)
        t.values.extend(values)
        t.wall_times.extend(s.wall_times)


def merge_others(others, later):
    """Add to *others* the dict *later* of :class:`Other` entries found after them."""
    for name, o in later.items():
        seen = others.get(name)
        if seen is None:
            others[name] = o
        else:
            first, last = min(seen.first_step, o.first_step), max(seen.last_step, o.last_step)
            others[name] = Other(seen.kind, seen.count + o.count, first, last)


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


def read_scalars(
    file, series, *, keep_tag=None, keep_duplicates=False, damage=None, others=None, start=None, stop=None
):
    """Read the scalars of one open event *file* into *series* (a dict tag -> Series).

    Returns the number of scalar points read (before the resume rule).
    With *start* and *stop*, only that span of the file is read (see
    :func:`modagg.records.read_records`).

    keep_tag: a function of a tag (str) returning whether to keep it; None keeps all.
    keep_duplicates: keep every point instead of applying the resume rule.
    damage: a list to which :class:`modagg.records.Damage` entries are appended.
    others: a dict to which tags holding other kinds of data are added as
    :class:`Other` entries.
    """
    if damage is None:
        damage = []
    names = {}  # tag bytes -> tag str, or None when the tag is filtered out
    # The fast path. A record holding one float32 scalar is
    #   wall_time, step, summary { value { tag, simple_value or tensor { dtype, float_val }, metadata } }
    # and, after its step, those bytes are the same for every point of a tag
    # but for the 4 of the value, which sit `back` bytes before the end (the
    # same for every tag a writer writes). shapes[back] maps the bytes after
    # the step, less the value, to the tag's Series (None for a tag filtered
    # out), once the general path has decoded such a record and found the
    # value at that place; `known` is the map of the distance learned last.
    shapes = {}
    back, known = 0, {}
    unpack_float, unpack_double = _unpack_float, _unpack_double  # locals: this is the hot loop
    fast = general = 0
    for offset, data in read_records(file, damage, start=start, stop=stop):
        try:
            if data[0] != 0x09:  # wall_time first
                raise KeyError
            b = data[9]
            if b == 0x10:  # step, a varint: 1 to 3 bytes here, longer ones in _find
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
            at = len(data) - back
            target = known[data[i:at] + data[at + 4 :]]
        except (IndexError, KeyError):
            step, at, target, found = _find(data, shapes, series, names, keep_tag)
            if found is None:
                added, widened, learned = _general(
                    offset, data, series, names, shapes, keep_tag, keep_duplicates, damage, others
                )
                general += added
                if learned is not None:
                    back, known = learned, shapes[learned]
                elif widened:
                    back, known = 0, {}  # _general forgot the shapes
                continue
            if found != back:
                back, known = found, shapes[found]
        if target is None:
            continue
        fast += 1
        s, steps, add_step, add_value, add_wall_time = target
        if steps and step <= steps[-1] and not keep_duplicates:
            _drop_from(s, step)
        add_step(step)
        add_value(unpack_float(data, at)[0])
        add_wall_time(unpack_double(data, 1)[0])
    return fast + general


def _summary_start(data):
    """Return (step, where the summary starts) for an event laid out as the fast path reads it, else None.

    That is wall_time first, then the step if any (a varint of any length).
    """
    if len(data) < 10 or data[0] != 0x09:
        return None
    if data[9] != 0x10:
        return 0, 9
    try:
        step, i = _varint(data, 10)
    except IndexError:
        return None
    if i > 20:  # longer than 10 bytes: not a varint protobuf reads
        return None
    step &= (1 << 64) - 1  # int64, two's complement
    return step - (1 << 64) if step >= 1 << 63 else step, i


# The shapes that files read in this process have taught: {back: {the bytes
# after the step less the value: tag}}. A shape reads the same in every file,
# so the first point of a tag in another file need not go through protobuf.
_TAUGHT = {}


def _find(data, shapes, series, names, keep_tag):
    """The fast path's lookup for what the hot loop does not handle: long steps, other distances,
    shapes taught by other files.

    Returns (step, where the value is, target, its distance from the end), or
    four Nones: then the general path must decode *data*.
    """
    start = _summary_start(data)
    if start is None:
        return None, None, None, None
    step, i = start
    for back, known in shapes.items():
        at = len(data) - back
        target = known.get(data[i:at] + data[at + 4 :], _MISSING)
        if at >= i and target is not _MISSING:
            return step, at, target, back
    for back, taught in _TAUGHT.items():
        at = len(data) - back
        key = data[i:at] + data[at + 4 :]
        tag = taught.get(key)
        if at < i or tag is None:
            continue
        name = names.get(tag, False)
        if name is False:
            name = names[tag] = _name_if_kept(tag, keep_tag)
        target = None
        if name is not None:
            s = series.get(name)
            if s is None:
                s = series[name] = new_series("f")
            elif s.values.typecode == "q":
                break  # integers so far: the general path widens the Series
            target = _sink(s)
        shapes.setdefault(back, {})[key] = target
        return step, at, target, back
    return None, None, None, None


def _sink(s):
    """What the fast path needs of a Series, at hand: it, its steps and the appends of its arrays."""
    return s, s.steps, s.steps.append, s.values.append, s.wall_times.append


def _varint(data, i):
    """Return (value, end) of the varint at data[i] (IndexError if cut off)."""
    value = shift = 0
    while True:
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return value, i
        shift += 7


def _value_at(data, i):
    """Where a single float32 value is, if the summary starting at data[i] holds one, else None.

    The summary must be ``summary { value { tag, simple_value } }`` or
    ``summary { value { tag, tensor { dtype: DT_FLOAT, float_val }, ... } }``.
    """
    try:
        if data[i] != 0x2A:  # field 5, summary
            return None
        _, i = _varint(data, i + 1)
        if data[i] != 0x0A:  # field 1, value
            return None
        _, i = _varint(data, i + 1)
        if data[i] != 0x0A:  # field 1, tag
            return None
        length, i = _varint(data, i + 1)
        i += length
        if data[i] == _SIMPLE_VALUE:
            at = i + 1
        elif data[i : i + 6] == _FLOAT_TENSOR:
            at = i + 6
        else:
            return None
    except IndexError:
        return None
    return at if at + 4 <= len(data) else None


def _name_if_kept(tag, keep_tag):
    name = decode_tag(tag)
    return name if keep_tag is None or keep_tag(name) else None


def _general(offset, data, series, names, shapes, keep_tag, keep_duplicates, damage, others):
    """Decode one record with protobuf and add what it holds.

    Returns (number of scalars added, whether a Series was replaced, the
    distance from the end at which a value was learned for the fast path or None).
    When a Series was replaced, *shapes* is cleared: it may point to the old one.
    """
    event = parse_event(data)
    if event is None:
        damage.append(Damage(offset, NOT_AN_EVENT, len(data)))
        return 0, False, None
    if event.WhichOneof("what") != "summary":
        return 0, False, None
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
    if widened:
        shapes.clear()
    learned = None
    if len(values) == 1 and scalar is not None and scalar[1] == "f" and sum(map(len, shapes.values())) < _MAX_KNOWN:
        learned = _learn(data, scalar[0], series.get(name) if name is not None else None, shapes, tag)
    return added, widened, learned


def _learn(data, number, target, shapes, tag):
    """Let the fast path read records shaped like *data*, a single float32 *number* of *tag*, into *target*.

    Returns the distance from the end of *data* at which the value sits, or
    None if *data* is not laid out as the fast path reads it.
    """
    start = _summary_start(data)
    at = None if start is None else _value_at(data, start[1])
    if at is None:
        return None
    found = _unpack_float(data, at)[0]
    if not (found == number or (found != found and number != number)):
        return None
    i, back = start[1], len(data) - at
    key = data[i:at] + data[at + 4 :]
    shapes.setdefault(back, {})[key] = None if target is None else _sink(target)
    if sum(map(len, _TAUGHT.values())) < _MAX_KNOWN:
        _TAUGHT.setdefault(back, {})[key] = tag
    return back


def _add_other(others, name, kind, step):
    merge_others(others, {name: Other(kind, 1, step, step)})
