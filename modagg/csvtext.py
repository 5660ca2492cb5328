"""Text of CSV cells: exact and short numbers, and quoted names.

Numbers are written so that reading them back gives the same value: a
float32 the same 32 bits, a double the same double, an integer the same
integer. Among the texts that do so, the shortest is preferred
(``0.001``, not ``0.0010000000474974513``). NaN and infinities are ``nan``,
``inf`` and ``-inf``.
"""

import csv
import io
import struct

__all__ = ["number_texts", "float32_text", "quote"]

_pack_float = struct.Struct("<f").pack


def float32_text(value):
    """Return the shortest text that reads back as the float32 *value*."""
    raw = _pack_float(value)
    text = "%.7g" % value
    if _pack_float(float(text)) != raw:
        text = "%.8g" % value
        return text if _pack_float(float(text)) == raw else "%.9g" % value
    # Seven digits suffice: fewer may too. If d digits do not, no fewer do.
    for digits in (6, 5, 4, 3, 2, 1):
        shorter = "%.*g" % (digits, value)
        if _pack_float(float(shorter)) != raw:
            break
        text = shorter
    return text


def number_texts(values):
    """Return the CSV texts of an array of values, by its typecode."""
    if values.typecode == "f":
        return [float32_text(v) for v in values]
    if values.typecode == "d":
        return [repr(v) for v in values]
    return [str(v) for v in values]


def quote(fields, sep):
    """Return *fields* joined by *sep*, each quoted as the csv module would."""
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="").writerow(fields)
    return out.getvalue()
