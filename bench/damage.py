"""Damage a real event file in several ways; print what modagg and TensorBoard's reader get from each.

    python bench/damage.py

Uses the bundled Modulus Sym example. Needs tensorboard installed (`make test` installs it).
"""

import glob
import os
import struct
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from modagg import reader  # noqa: E402
from modagg.writer import frame, scalar_event  # noqa: E402


def tensorboard_scalars(path):
    """Scalars TensorBoard's EventFileLoader yields before it stops (and how it stops)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    count = 0
    try:
        for event in EventFileLoader(path).Load():
            for value in event.summary.value:
                if value.WhichOneof("value") in ("simple_value", "tensor"):
                    count += value.metadata.plugin_data.plugin_name in ("", "scalars")
    except Exception as error:
        return f"{count}, then {type(error).__name__}"
    return str(count)


def modagg_scalars(path):
    problems = []
    count = sum(1 for _ in reader.iter_scalars(path, problems))
    return count, "; ".join(f"{p.problem} at byte {p.offset:,} ({p.skipped:,} bytes)" for p in problems) or "-"


def main():
    source = glob.glob(os.path.join(ROOT, "examples/modulus_sym_sweep/multirun/*silu*/events*"))[0]
    clean = open(source, "rb").read()
    records = list(reader.iter_records(source))
    at = records[20][0]
    cases = {
        "intact": clean,
        "cut inside the last record": clean[: records[-1][0] + 30],
        "flipped byte in the data of record 20": clean[: at + 17] + bytes([clean[at + 17] ^ 0x20]) + clean[at + 18 :],
        "flipped byte in the length of record 20": clean[: at + 2] + bytes([clean[at + 2] ^ 1]) + clean[at + 3 :],
        "length 2**60 in record 20": clean[:at] + struct.pack("<Q", 2**60) + clean[at + 8 :],
        "300 bytes inserted inside record 20": clean[: at + 30] + bytes(range(256)) + bytes(44) + clean[at + 30 :],
        "40 bytes deleted inside record 20": clean[: at + 20] + clean[at + 60 :],
        "random bytes": bytes(range(256)) * 20,
        "text file": b"hello world\n" * 100,
        "tag not UTF-8": frame(scalar_event(b"bad\xfftag", 1, 1.0)) + frame(scalar_event("good", 2, 2.0)),
    }
    print(f"{len(records)} records, of which damage hits record 20\n")
    print("| damage | modagg: scalars, what it reported | TensorBoard's EventFileLoader: scalars |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "events.out.tfevents.1")
        for name, content in cases.items():
            with open(path, "wb") as f:
                f.write(content)
            count, report = modagg_scalars(path)
            print(f"| {name} | {count}: {report} | {tensorboard_scalars(path)} |")


if __name__ == "__main__":
    main()
