"""Texts of numbers: exact, and short."""

import random
import struct
from array import array

import pytest

from modagg.csvtext import float32_text, number_texts, quote, quoted_cell


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


@pytest.mark.parametrize(
    "value, text",
    [(0.001, "0.001"), (0.1, "0.1"), (0.7, "0.7"), (1.0, "1"), (-2.5, "-2.5"), (0.0, "0"), (-0.0, "-0"),
     (3.4028234663852886e38, "3.4028235e+38"), (1e-45, "1e-45"), (3e-42, "3e-42"), (1 / 3, "0.33333334")],
)
def test_float32_short_texts(value, text):
    assert float32_text(f32(value)) == text


def test_float32_texts_read_back_exactly():
    rng = random.Random(7)
    values = array("f", [rng.uniform(-1, 1) * 10 ** rng.randint(-40, 38) for _ in range(20000)])
    values.extend([float("inf"), float("-inf"), 1e-40, -3e-44])
    for value, text in zip(values, number_texts(values)):
        assert struct.pack("<f", float(text)) == struct.pack("<f", value)
        assert len(text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")) <= 9


def test_nan_and_other_types():
    assert number_texts(array("f", [float("nan")])) == ["nan"]
    assert number_texts(array("d", [0.1, 1e300, float("-inf")])) == ["0.1", "1e+300", "-inf"]
    assert number_texts(array("q", [-(2**62), 7])) == [str(-(2**62)), "7"]


def test_quote_follows_the_csv_module():
    assert quote(["a=1,b=2", "plain", 'say "hi"', ""], ",") == '"a=1,b=2",plain,"say ""hi""",'
    assert quote(["a=1,b=2", "x;y"], ";") == 'a=1,b=2;"x;y"'
    assert quote(["two\nlines"], ",") == '"two\nlines"'


@pytest.mark.parametrize("cells", [["run", "Train/loss"], ["a=1,b=2", 'say "hi"'], ["", "x;y"], ["two\nlines", ""]])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_quoted_cells_make_the_quoted_row(cells, sep):
    assert sep.join(quoted_cell(c, sep) for c in cells) == quote(cells, sep)
