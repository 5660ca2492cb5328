"""A one-line progress display on a terminal's stderr.

Shown only when stderr is a terminal; elsewhere (logs, pipes, CI) it stays
silent, so only the final summary line reaches files.
"""

import shutil
import sys
import time


class Progress:
    """Call with (done, total, label) to update; :meth:`clear` erases the line."""

    def __init__(self, stream=None, interval=0.1):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.shown = False
        self.last = 0.0

    def __call__(self, done, total, label):
        now = time.monotonic()
        if now - self.last < self.interval and done:
            return
        self.last = now
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = f"reading run {done + 1:,}/{total:,}: {label}"
        if len(line) > width:
            line = line[: max(0, width - 3)] + "..."
        self.stream.write("\r" + line.ljust(width))
        self.stream.flush()
        self.shown = True

    def clear(self):
        if self.shown:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self.shown = False


def progress_for(stream, quiet=False):
    """Return a Progress for *stream* if it is a terminal and not *quiet*, else None."""
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return Progress(stream) if interactive and not quiet else None
