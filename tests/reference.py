"""What TensorBoard's own reader finds in event files: the reference modagg is checked against.

TensorBoard's EventFileLoader reads the records and its tensor_util turns
tensors into numpy values; the resume rule of TensorBoard's data server
(per tag, a point at step s removes the points read before at steps >= s)
is applied across a run's files in name order.
"""

import os

SCALAR_PLUGINS = ("", "scalars")


def scalars_of_file(path):
    """Yield (tag, step, value, wall_time) for each scalar, in file order; value a numpy scalar."""
    import numpy as np
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    for event in EventFileLoader(path).Load():
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                yield value.tag, event.step, np.float32(value.simple_value), event.wall_time
            elif kind == "tensor" and value.metadata.plugin_data.plugin_name in SCALAR_PLUGINS:
                array = _ndarray(value.tensor)
                if array.size == 1 and array.dtype.kind in "fiub":
                    yield value.tag, event.step, array.reshape(()).item() if array.dtype.kind in "iub" else array.reshape(())[()], event.wall_time


def _ndarray(tensor):
    """tensor_util.make_ndarray, which needs TensorFlow for bfloat16: those 16 bits are widened here."""
    import numpy as np
    from tensorboard.compat.proto import types_pb2
    from tensorboard.util import tensor_util

    if tensor.dtype == types_pb2.DT_BFLOAT16:
        bits = np.frombuffer(tensor.tensor_content, np.uint16) if tensor.tensor_content else np.array(tensor.half_val, np.uint16)
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return tensor_util.make_ndarray(tensor)


def read_run(folder, keep_duplicates=False):
    """Return {tag: [(step, value, wall_time), ...]} for the event files directly in *folder*."""
    files = sorted(f for f in os.listdir(folder) if "tfevents" in f and os.path.isfile(os.path.join(folder, f)))
    series = {}
    for name in files:
        for tag, step, value, wall_time in scalars_of_file(os.path.join(folder, name)):
            points = series.setdefault(tag, [])
            if not keep_duplicates:
                while points and points[-1][0] >= step:
                    points.pop()
            points.append((step, value, wall_time))
    if keep_duplicates:
        series = {tag: sorted(points, key=lambda p: p[0]) for tag, points in series.items()}
    return dict(sorted(series.items()))


def read_experiment(root):
    """Return {run name: {tag: points}} for every folder under *root* holding event files."""
    runs = {}
    root_name = os.path.basename(os.path.abspath(root))
    for folder, dirs, files in os.walk(root):
        if any("tfevents" in f for f in files):
            relative = os.path.relpath(folder, root)
            name = root_name if relative == "." else relative.replace(os.sep, "/")
            runs[name] = read_run(folder)
    return dict(sorted(runs.items()))


def long_rows(runs):
    """The standard-form rows TensorBoard's reading implies: (run, tag, step, value, wall_time)."""
    return [
        (run, tag, step, value, wall_time)
        for run, series in runs.items()
        for tag, points in series.items()
        for step, value, wall_time in points
    ]


def same_value(text, value):
    """True if the CSV *text* reads back as exactly *value* (numpy float32/float64 or int)."""
    import numpy as np

    if isinstance(value, np.floating):
        back = value.dtype.type(float(text))
        if np.isnan(value):
            return bool(np.isnan(back))
        return back.tobytes() == value.tobytes()
    return int(text) == int(value)
