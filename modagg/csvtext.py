"""Text of CSV cells: exact and short numbers, and quoted names.

Numbers are written so that reading them back gives the same value: a
float32 the same 32 bits, a double the same double, an integer the same
integer. Among the texts that do so, a short one is chosen (``0.001``, not
``0.0010000000474974513``): for doubles the shortest (``repr``), for float32
the shortest but in rare cases (see :func:`number_texts`). NaN and
infinities are ``nan``, ``inf`` and ``-inf``.
"""

import csv
import io
import struct
from array import array
from functools import lru_cache

__all__ = ["number_texts", "float32_text", "quote", "quoted_cell"]

_pack_float = struct.Struct("<f").pack


def float32_text(value):
    """Return a short text that reads back as the float32 *value* (see number_texts)."""
    return number_texts(array("f", [value]))[0]


_SMALLEST_NORMAL = 2.0**-126


def _subnormal_text(value, raw):
    """Subnormal floats hold fewer digits: try every count."""
    for digits in range(1, 10):
        text = "%.*g" % (digits, value)
        if _pack_float(float(text)) == raw:
            return text
    return "%.9g" % value


def number_texts(values):
    """Return the CSV texts of an array of values, by its typecode.

    A float32 gets seven significant digits, else eight, else nine (nine
    always suffice). The nearest 7-digit decimal reads back whenever any
    decimal of 7 or fewer digits does, and %g drops trailing zeros, so this
    is the shortest text but for rare values with a large leading digit,
    where one digit fewer would also do (about 1 in 2,000 random floats).
    Subnormal values, which hold fewer digits, try every count.
    """
    if values.typecode == "f":
        pack = _pack_float
        texts = []
        for value in values:  # the hot loop of every export: no call per value
            raw = pack(value)
            text = "%.7g" % value
            if pack(float(text)) != raw:
                text = "%.8g" % value
                if pack(float(text)) != raw:
                    text = "%.9g" % value
            elif 0 < abs(value) < _SMALLEST_NORMAL:
                text = _subnormal_text(value, raw)
            texts.append(text)
        return texts
    if values.typecode == "d":
        return [repr(v) for v in values]
    return [str(v) for v in values]


def quote(fields, sep):
    """Return *fields* joined by *sep*, each quoted as the csv module would."""
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerow(fields)
    return out.getvalue()[:-1]


@lru_cache(maxsize=1 << 16)
def quoted_cell(text, sep):
    """Return one cell *text* quoted as the csv module would within a row (remembered: tags repeat)."""
    return quote([text, ""], sep)[:-1]
