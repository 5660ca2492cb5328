"""Benchmark: modagg against its peers on the same generated experiments, in one run.

    python bench/bench.py [--repeat N] [--experiments a,b,c] [--data bench/data]

Experiments, written with modagg's own writer in the shape Modulus writes
(one DT_FLOAT tensor per event, plugin "scalars"):
  a: 10 runs x 10 tags x 10k steps     (1M scalars)
  b: 500 runs x 10 tags x 200 steps    (1M scalars in many small files, like a sweep)
  c: 1 run x 20 tags x 100k steps      (2M scalars in one file)
  RUNSxTAGSxSTEPS, e.g. 4x50x2000: any other shape
--style simple writes simple_value scalars instead, as tensorboardX does.

Each tool runs as its own process, end to end to a CSV file, the tools
alternating within each repetition. Printed per experiment and tool: the
median seconds, peak RSS (of the largest process), scalars per second, and
the ratio tool / modagg. Peers that are not installed are skipped with a note.
This is not a test: nothing here asserts a time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from modagg.writer import file_version_event, frame, scalar_event  # noqa: E402

EXPERIMENTS = {
    "a": (10, 10, 10_000),
    "b": (500, 10, 200),
    "c": (1, 20, 100_000),
}

TBPARSE = """
import sys
from tbparse import SummaryReader
reader = SummaryReader(sys.argv[1], extra_columns={"dir_name", "wall_time"})
getattr(reader, sys.argv[3]).to_csv(sys.argv[2], index=False)  # tensors, or scalars for simple values
"""

MULTIPLEXER = """
import csv, sys
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.util import tensor_util
m = plugin_event_multiplexer.EventMultiplexer(size_guidance={"tensors": 0, "scalars": 0})
m.AddRunsFromDirectory(sys.argv[1])
m.Reload()
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["run", "tag", "step", "value", "wall_time"])
    for run in sorted(m.Runs()):
        for tag in sorted(m.GetAccumulator(run).Tags()["tensors"]):
            for e in m.Tensors(run, tag):
                w.writerow([run, tag, e.step, tensor_util.make_ndarray(e.tensor_proto).item(), e.wall_time])
"""

FLOOR = """
import os, sys
from modagg.records import read_records
for folder, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        if "tfevents" in name:
            with open(os.path.join(folder, name), "rb") as f:
                for _ in read_records(f):
                    pass
"""


def generate(folder, runs, tags, steps, style="tensor"):
    """Write one experiment (skipped when it is already there)."""
    done = os.path.join(folder, ".complete")
    if os.path.exists(done):
        return
    for r in range(runs):
        run = os.path.join(folder, f"lr={1e-3 * (r + 1):g},arch=fc{r}", "outputs")
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, f"events.out.tfevents.{1700000000 + r}.host.1.0"), "wb") as f:
            f.write(frame(file_version_event(1.7e9, 1001)))
            names = [f"Train/loss_{t}" for t in range(tags - 2)] + ["Validators/val/l2_u", "Monitors/grad_norm"]
            chunk = []
            for step in range(steps):
                for t, name in enumerate(names):
                    value = 1.0 / (1 + step + t) + r * 1e-3
                    wall_time = 1.7e9 + step * 0.05 + t * 1e-4
                    chunk.append(frame(scalar_event(name, step, value, wall_time, style=style)))
                if len(chunk) > 10000:
                    f.write(b"".join(chunk))
                    chunk = []
            f.write(b"".join(chunk))
    open(done, "w").close()


def measure(command, env=None):
    """Run *command*; return (seconds, peak RSS in MB of its largest process)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    err = process.stderr.read().decode()
    process.stderr.close()
    if status != 0:
        raise RuntimeError(f"{command[:4]} failed: {err.strip()[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def available(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def tools(data, out, style):
    python = sys.executable
    modagg = [python, "-m", "modagg", "export", data, "-o", out, "-q"]
    found = {
        "modagg": modagg,
        "modagg -j 1": modagg + ["-j", "1"],
        "modagg wide": modagg + ["--export_pivot"],
        "modagg wide -j 1": modagg + ["--export_pivot", "-j", "1"],
        "floor (read + CRC)": [python, "-c", FLOOR, data],
    }
    notes = []
    if available("tbparse"):
        found["tbparse"] = [python, "-c", TBPARSE, data, out, "tensors" if style == "tensor" else "scalars"]
    else:
        notes.append("tbparse not installed: skipped")
    if available("tensorboard"):
        found["EventMultiplexer"] = [python, "-c", MULTIPLEXER, data, out]
    else:
        notes.append("tensorboard not installed: skipped")
    return found, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per tool (median reported)")
    parser.add_argument("--experiments", default="a,b,c", help="which experiments, e.g. a or a,b or 4x50x2000")
    parser.add_argument("--style", choices=["tensor", "simple"], default="tensor", help="how scalars are written")
    parser.add_argument("--data", default=os.path.join(HERE, "data"), help="where generated experiments are kept")
    parser.add_argument("--skip", default="", help="comma-separated tools to leave out, e.g. tbparse")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT)
    os.environ["PYTHONPATH"] = ROOT
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.repeat} runs\n")
    for key in args.experiments.split(","):
        runs, tags, steps = EXPERIMENTS[key] if key in EXPERIMENTS else map(int, key.split("x"))
        scalars = runs * tags * steps
        data = os.path.join(args.data, key if args.style == "tensor" else f"{key}-{args.style}")
        generate(data, runs, tags, steps, args.style)
        with tempfile.TemporaryDirectory() as scratch:
            out = os.path.join(scratch, "out.csv")
            commands, notes = tools(data, out, args.style)
            for skip in filter(None, args.skip.split(",")):
                commands.pop(skip, None)
            times = {name: [] for name in commands}
            rss = {name: 0.0 for name in commands}
            for _ in range(args.repeat):
                for name, command in commands.items():
                    seconds, peak = measure(command, env)
                    times[name].append(seconds)
                    rss[name] = max(rss[name], peak)
        print(f"experiment {key}: {runs} runs x {tags} tags x {steps:,} steps = {scalars:,} scalars")
        base = statistics.median(times["modagg"])
        print(f"  {'tool':<20} {'median s':>9} {'peak RSS MB':>12} {'scalars/s':>12} {'x modagg':>9}")
        for name, measured in times.items():
            median = statistics.median(measured)
            print(f"  {name:<20} {median:>9.2f} {rss[name]:>12.0f} {scalars / median:>12,.0f} {median / base:>9.2f}")
        for note in notes:
            print(f"  note: {note}")
        print()


if __name__ == "__main__":
    main()
