"""Finding runs: the folders under an experiment root that hold event files.

Every folder at any depth that holds files whose name contains
``tfevents`` is a run. Its name is its path relative to the root, with
``/`` separators; the root itself, when it holds event files, is named
after its own folder. Symbolic links to folders are followed, each real
folder once, so a link loop cannot hang the walk.
"""

import os
from collections import namedtuple

__all__ = ["Run", "find_runs", "is_event_file_name"]

Run = namedtuple("Run", "name path files")
Run.__doc__ = "A run: its name, its folder, and the paths of its event files in name order."


def is_event_file_name(name):
    """True if a file *name* marks an event file."""
    return "tfevents" in name


def find_runs(root, problems=None):
    """Return the runs under *root*, sorted by name.

    *root* may be an experiment folder, one run folder or one event file.
    Folders that cannot be listed and directories named like event files
    are reported as ``(path, message)`` pairs appended to *problems*.
    Raises FileNotFoundError if *root* does not exist.
    """
    if problems is None:
        problems = []
    if not os.path.exists(root):
        raise FileNotFoundError(f"no such file or folder: {root}")
    if not os.path.isdir(root):
        folder = os.path.dirname(os.path.abspath(root))
        return [Run(os.path.basename(folder) or folder, folder, [root])]
    root_name = os.path.basename(os.path.abspath(root)) or os.path.abspath(root)
    runs = []
    seen = set()

    def on_error(error):
        problems.append((error.filename, f"cannot list folder: {error.strerror}"))

    for folder, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []  # reached again through a link
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        for name in dirnames:
            if is_event_file_name(name):
                problems.append((os.path.join(folder, name), "is a folder, not an event file"))
        files = sorted(name for name in filenames if is_event_file_name(name))
        if files:
            relative = os.path.relpath(folder, root)
            name = root_name if relative == "." else relative.replace(os.sep, "/")
            runs.append(Run(name, folder, [os.path.join(folder, f) for f in files]))
    runs.sort(key=lambda run: run.name)
    return runs
