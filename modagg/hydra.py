"""Hydra overrides: the command-line settings a run was started with.

Every Modulus run folder holds ``.hydra/overrides.yaml``, the YAML list of
``key=value`` strings given on the command line, e.g.::

    - arch.fully_connected.activation_fn=silu
    - training.max_steps=300

This module reads the subset of YAML that Hydra writes there (a block list
of plain, single-quoted or double-quoted strings, possibly folded over
several lines, or ``[]``) without a YAML library. Keys keep Hydra's
spelling without the ``+``/``++`` prefixes that add a key; values stay the
text that was written (``silu``, ``300``, ``[64,64]``).
"""

import json
import os

__all__ = ["OverridesError", "parse_overrides", "find_overrides", "read_overrides"]

OVERRIDES = os.path.join(".hydra", "overrides.yaml")


class OverridesError(ValueError):
    """An overrides.yaml that is not a list of strings."""


def _scalar(text, line):
    """The string a YAML scalar *text* stands for (plain, 'single' or "double" quoted)."""
    text = text.strip()
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise OverridesError(f"line {line}: unterminated quoted string")
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        try:
            # YAML's double-quoted escapes that Hydra's writer uses are JSON's.
            return json.loads(text)
        except ValueError:
            raise OverridesError(f"line {line}: bad double-quoted string") from None
    if text.startswith(("[", "{", "&", "*", "!", "|", ">")):
        raise OverridesError(f"line {line}: not a plain string: {text[:40]}")
    return text


def parse_overrides(text):
    """Return the overrides in the YAML *text* as a dict ``{key: value}``, in file order.

    Raises OverridesError when the text is not the list of strings Hydra writes.
    """
    items = []  # [first line number, text]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- ") or line == "-":
            items.append([number, line[2:]])
        elif line.strip() == "[]" and not items:
            return {}
        elif raw[:1] in (" ", "\t") and items:
            # A long string folded over several lines: each break reads as a space.
            items[-1][1] += " " + line.strip()
        else:
            raise OverridesError(f"line {number}: expected a list item '- key=value'")
    overrides = {}
    for number, item in items:
        override = _scalar(item, number)
        key, sep, value = override.partition("=")
        key = key.lstrip("+")
        if not key:
            raise OverridesError(f"line {number}: no key in {override!r}")
        overrides[key] = value if sep else ""
    return overrides


def find_overrides(folder, stop=None):
    """Return the path of the overrides.yaml that applies to *folder*, or None.

    That is ``folder/.hydra/overrides.yaml``, or the nearest one in a parent
    folder (events may sit in a ``network_dir`` or ``window_0000``
    subfolder), not looking above *stop*.
    """
    folder = os.path.abspath(folder)
    stop = os.path.abspath(stop) if stop else None
    while True:
        candidate = os.path.join(folder, OVERRIDES)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder or (stop and folder == stop) or (stop and not folder.startswith(stop)):
            return None
        folder = parent


def read_overrides(folder, stop=None, problems=None):
    """Return the overrides of the run in *folder* as a dict; {} when it has none.

    A file that exists but cannot be read or parsed is reported as a
    ``(path, message)`` pair appended to *problems*, and gives {}.
    """
    path = find_overrides(folder, stop)
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return parse_overrides(f.read())
    except (OSError, OverridesError) as error:
        if problems is not None:
            message = error.strerror if isinstance(error, OSError) else str(error)
            problems.append((path, f"cannot read the overrides: {message}"))
        return {}
