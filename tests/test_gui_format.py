"""Panel number formatting: money, tokens, durations, shares and rates, as tables of cases."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costpanel.gui import format as fmt

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "unpriced"),
        (D(0), "$0.00"),
        (D("0.0042"), "$0.0042"),
        (D("0.004249"), "$0.0042"),
        (D("0.00425"), "$0.0043"),  # half up, as on an invoice
        (D("12.365"), "$12.37"),
        (D("12.364999"), "$12.36"),
        (D("0.999"), "$1.00"),
        (D("1234567.891"), "$1,234,567.89"),
        (D("1E-12"), "$0.000000000001"),
        (D("-0.5"), "-$0.50"),
    ],
)
def test_usd_rounds_for_people_and_never_shows_unpriced_as_zero(value: Decimal | None, expected: str) -> None:
    assert fmt.usd(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "unpriced"),
        (D(0), "$0"),
        (D("0.000123456789"), "$0.000123456789"),
        (D("0.000123456789000"), "$0.000123456789"),  # trailing zeros trimmed
        (D("1E-12"), "$0.000000000001"),  # no exponent notation
        (D("1E+3"), "$1,000"),
        (D("1234567.000000000001"), "$1,234,567.000000000001"),
        (D("12.50"), "$12.5"),
        (D("-0.00042"), "-$0.00042"),
    ],
)
def test_usd_exact_keeps_every_digit_without_exponent(value: Decimal | None, expected: str) -> None:
    assert fmt.usd_exact(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "\u2014"), (D(0), "$0.00"), (D("0.0000123"), "$0.000012"), (D("2.345"), "$2.35")],
)
def test_per_call_shows_a_dash_when_no_call_was_priced(value: Decimal | None, expected: str) -> None:
    assert fmt.per_call(value) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"), (10**18, "1,000,000,000,000,000,000")],
)
def test_tokens_long_form_groups_thousands(n: int, expected: str) -> None:
    assert fmt.tokens(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1.00k"),
        (1200, "1.20k"),
        (1234, "1.23k"),
        (1235, "1.24k"),  # half up
        (9994, "9.99k"),
        (9995, "10.0k"),
        (45_600, "45.6k"),
        (99_950, "100k"),
        (999_499, "999k"),
        (999_500, "1.00M"),  # never "1000k"
        (999_999, "1.00M"),
        (1_234_567, "1.23M"),
        (2_500_000_000, "2.50B"),
        (999_999_999_999, "1.00T"),
        (1_500_000_000_000, "1.50T"),
        (10**15, "1,000T"),  # past the last suffix: still three significant digits
        (1_234 * 10**18, "1,230,000,000T"),
        (-1500, "-1.50k"),
    ],
)
def test_tokens_short_form_has_three_significant_digits(n: int, expected: str) -> None:
    assert fmt.tokens(n, short=True) == expected


_SCALE = {"": 1, "k": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


@given(st.integers(min_value=0, max_value=10**16))
def test_short_tokens_read_back_within_half_a_last_digit(n: int) -> None:
    text = fmt.tokens(n, short=True)
    suffix = text[-1] if text[-1] in "kMBT" else ""
    mantissa = D(text.removesuffix(suffix).replace(",", ""))
    assert mantissa < 1000 or suffix == "T"
    value = mantissa * _SCALE[suffix]
    significant = len(str(n))
    half_last = D(10) ** max(significant - 3, 0) / 2 if n >= 1000 else D(0)
    assert abs(value - n) <= half_last
    assert n < 1000 or len(mantissa.as_tuple().digits) >= 3


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0:00:00"),
        (0.999, "0:00:00"),  # truncated, like a clock
        (59.999, "0:00:59"),
        (307, "0:05:07"),
        (3599, "0:59:59"),
        (3600, "1:00:00"),
        (43_200, "12:00:00"),
        (86_399, "23:59:59"),
        (86_400, "1d 00:00:00"),
        (2 * 86_400 + 3 * 3600 + 4 * 60 + 5, "2d 03:04:05"),
        (400 * 86_400, "400d 00:00:00"),
        (-5, "0:00:00"),
        (float("nan"), "0:00:00"),
        (float("inf"), "inf"),
    ],
)
def test_duration_reads_as_a_clock(seconds: float, expected: str) -> None:
    assert fmt.duration(seconds) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.0, "0%"),
        (-0.1, "0%"),
        (1e-9, "<0.1%"),
        (0.000999, "<0.1%"),
        (0.001, "0.1%"),
        (0.00105, "0.1%"),
        (0.00149, "0.1%"),
        (0.00150, "0.2%"),  # half up on the decimal value, not the binary float
        (0.1235, "12.4%"),
        (0.123, "12.3%"),
        (0.5, "50.0%"),
        (0.9994, "99.9%"),
        (0.9995, ">99.9%"),  # a part of the whole never reads as 100
        (0.99999999, ">99.9%"),
        (1.0, "100%"),
        (float("nan"), "\u2014"),
    ],
)
def test_share_formats_percent_with_tiny_and_whole_cases(fraction: float, expected: str) -> None:
    assert fmt.share(fraction) == expected


@pytest.mark.parametrize(
    ("usd_per_hour", "expected"),
    [
        (0.0, "$0.00/h"),
        (4e-7, "$0.00/h"),  # below a micro-dollar an hour
        (0.0042, "$0.0042/h"),
        (0.00425, "$0.0043/h"),  # half up on the decimal value of the float
        (1.234, "$1.23/h"),
        (1.235, "$1.24/h"),
        (1.005, "$1.01/h"),  # binary 1.00499999… would round down as a float
        (1234567.891, "$1,234,567.89/h"),
        (float("inf"), "\u2014/h"),
        (float("nan"), "\u2014/h"),
    ],
)
def test_rate_is_dollars_per_hour_rounded_as_decimals(usd_per_hour: float, expected: str) -> None:
    assert fmt.rate(usd_per_hour) == expected


_PLAIN_MODULES = ("costpanel.gui.format", "costpanel.gui.budget", "costpanel.gui.settings", "costpanel.export")
_CHECK = """
import pathlib, sys, types, importlib
import costpanel
pkg = types.ModuleType("costpanel.gui")  # the package itself imports the panel; its plain modules must not
pkg.__path__ = [str(pathlib.Path(costpanel.__file__).parent / "gui")]
sys.modules["costpanel.gui"] = pkg
for name in sys.argv[1:]:
    importlib.import_module(name)
print(sorted(m for m in sys.modules if m.split(".")[0] == "dearpygui"))
"""


def test_the_plain_layer_under_the_panel_never_imports_dearpygui() -> None:
    out = subprocess.run([sys.executable, "-c", _CHECK, *_PLAIN_MODULES], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "error"})
    assert out.stdout.strip() == "[]"
