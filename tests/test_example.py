"""The bundled Modulus Sym sweep, exported by the CLI, equals TensorBoard's reading of it."""

import pytest
from helpers import export_rows
from reference import long_rows, read_experiment, same_value

pytestmark = pytest.mark.references


def test_example_standard_form_row_for_row(example, tmp_path):
    header, rows = export_rows(example, tmp_path)
    expected = long_rows(read_experiment(example))
    assert len(rows) == len(expected) == 144
    for row, (run, tag, step, value, wall_time) in zip(rows, expected):
        assert row[:3] == [run, tag, str(step)]
        assert same_value(row[3], value)
        assert float(row[4]) == wall_time


def test_example_wide_form_cell_for_cell(example, tmp_path):
    header, rows = export_rows(example, tmp_path, "--export_pivot")
    runs = read_experiment(example)
    tags = sorted({tag for series in runs.values() for tag in series})
    assert header == ["run", "step", "wall_time", *tags]
    expected = {}
    for run, series in runs.items():
        for tag, points in series.items():
            for step, value, wall_time in points:
                cells = expected.setdefault((run, step), {"wall_time": wall_time})
                cells["wall_time"] = min(cells["wall_time"], wall_time)
                cells[tag] = value
    assert [(r[0], int(r[1])) for r in rows] == sorted(expected)
    for row in rows:
        cells = expected[(row[0], int(row[1]))]
        assert float(row[2]) == cells["wall_time"]
        for tag, text in zip(tags, row[3:]):
            if tag in cells:
                assert same_value(text, cells[tag])
            else:
                assert text == ""
