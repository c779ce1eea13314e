"""Numbers typed by people (prodops.numbers): decimal commas, thousands, never a silent 10x."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prodops.errors import ParameterError
from prodops.numbers import parse_number, typical_size


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("58,5", 58.5),  # issue 11: was stored as 585
        ("58.5", 58.5),
        ("58,50", 58.5),
        ("0,125", 0.125),  # a leading 0 cannot start a thousands group
        ("12,3456", 12.3456),  # four digits: not a thousands group
        ("1234,567", 1234.567),  # a first group of four digits: not thousands
        (",5", 0.5),
        ("5,", 5.0),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,234,567", 1234567.0),
        ("1.234.567", 1234567.0),
        ("1.234.567,89", 1234567.89),
        ("1 234,5", 1234.5),
        ("1\u00a0234\u00a0567", 1234567.0),  # no-break spaces
        ("1\u202f234,5", 1234.5),  # narrow no-break space (French)
        ("1'234.5", 1234.5),  # Swiss
        ("  -3,5 ", -3.5),
        ("\u22124,25", -4.25),  # the minus sign
        ("+2", 2.0),
        ("1e-3", 0.001),
        ("2.5E6", 2_500_000.0),
        ("007", 7.0),
    ],
)
def test_what_people_type_is_read_as_they_mean_it(typed: str, value: float) -> None:
    assert parse_number(typed, field="value") == value


@pytest.mark.parametrize(
    ("typed", "typical", "value"),
    [
        ("1,234", 5000, 1234.0),  # a key result in thousands: the comma groups thousands
        ("12,500", 20000, 12500.0),
        ("1.234", 65, 1.234),  # values below 1000: the dot is the decimal point
        ("1.234", None, 1.234),
    ],
)
def test_the_size_of_the_values_decides_three_digits_after_one_mark(
    typed: str, typical: float | None, value: float
) -> None:
    assert parse_number(typed, field="value", typical=typical) == value


@pytest.mark.parametrize(
    ("typed", "typical", "message"),
    [
        (
            "1,234",
            65,
            "value: '1,234' is ambiguous: 1234 with a thousands separator or 1.234 with a decimal "
            "comma. Type 1234 or 1.234 (a dot for decimals, no thousands separator).",
        ),
        (
            "1,234",
            None,
            "value: '1,234' is ambiguous: 1234 with a thousands separator or 1.234 with a decimal "
            "comma. Type 1234 or 1.234 (a dot for decimals, no thousands separator).",
        ),
        (
            "-2.500",
            4000,
            "value: '-2.500' is ambiguous: 2500 with a thousands separator or 2.500 with a decimal "
            "point. Type 2500 or 2.500 (a dot for decimals, no thousands separator).",
        ),
    ],
)
def test_an_ambiguous_number_is_refused_with_both_readings(
    typed: str, typical: float | None, message: str
) -> None:
    with pytest.raises(ParameterError) as error:
        parse_number(typed, field="value", typical=typical)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "typed", ["1,23,4", "12 34", "1.2.3", "1,2.3,4", "1 234.5,6", "1,,2", ",", "0 234", "1,234 5"]
)
def test_separators_that_form_no_number_are_refused(typed: str) -> None:
    with pytest.raises(ParameterError) as error:
        parse_number(typed, field="target")
    assert str(error.value) == (
        f"target: {typed!r} is not a number: its separators are neither one decimal mark nor "
        "thousands groups of three digits. Type it without thousands separators, with a dot or a "
        "comma for decimals (1234.5 or 1234,5)."
    )


@pytest.mark.parametrize(
    ("typed", "what"),
    [
        ("", "a number is required"),
        ("   ", "a number is required"),
        (None, "a number is required"),
        ("abc", "'abc' is not a number"),
        ("62 %", "'62 %' is not a number"),
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is not a number"),
        ("1e400", "'1e400' is not a finite number"),
        ("\u0661\u0662", "'\u0661\u0662' is not a number"),  # Arabic-Indic digits
        (True, "True is not a number"),
        (float("nan"), "nan is not a finite number"),
    ],
)
def test_what_is_not_a_number_gets_a_message(typed: object, what: str) -> None:
    with pytest.raises(ParameterError) as error:
        parse_number(typed, field="value")  # type: ignore[arg-type]
    assert str(error.value).startswith(f"value: {what}. ")


def test_typical_size_is_the_largest_magnitude_given() -> None:
    assert typical_size(55, 65) == 65.0
    assert typical_size(0.05, -0.03, None) == 0.05
    assert typical_size() is None


# --- Round trips: a number written the way a locale writes it reads back as itself, or is refused
# when (and only when) one separator is followed by exactly three digits; never another value.

STYLES = {  # thousands separator, decimal mark
    "en": (",", "."),
    "de": (".", ","),
    "fr": ("\u202f", ","),
    "ch": ("'", "."),
    "plain": ("", "."),
    "plain-comma": ("", ","),
}


def _write(value: Decimal, thousands: str, mark: str) -> str:
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + thousands.join(groups)
    return text + (mark + fraction if fraction else "")


def _ambiguous(text: str) -> bool:
    """One comma or dot, nothing else, three digits after it, a first group of 1-3 digits."""
    body = text.lstrip("-")
    marks = [c for c in body if not c.isdigit()]
    if len(marks) != 1 or marks[0] not in ",.":
        return False
    whole, _, fraction = body.partition(marks[0])
    return len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0"


decimals = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.integers(-(10**12), 10**12),
    st.integers(0, 4),
)


@given(value=decimals, style=st.sampled_from(sorted(STYLES)))
def test_a_number_written_in_any_style_reads_back_or_is_refused_as_ambiguous(
    value: Decimal, style: str
) -> None:
    text = _write(value, *STYLES[style])
    typical = float(abs(value))
    try:
        read = parse_number(text, field="value", typical=typical)
    except ParameterError as error:
        assert _ambiguous(text), (text, str(error))
        assert "is ambiguous" in str(error)
        return
    assert read == float(value), text


@given(value=decimals, style=st.sampled_from(["en", "fr", "ch", "plain"]))
def test_without_ambiguity_every_style_reads_back_exactly(value: Decimal, style: str) -> None:
    text = _write(value, *STYLES[style])
    if not _ambiguous(text):
        assert parse_number(text, field="value", typical=float(abs(value))) == float(value)


@given(st.text(max_size=20))
def test_any_text_gives_a_finite_number_or_a_one_line_message(text: str) -> None:
    try:
        value = parse_number(text, field="value")
    except ParameterError as error:
        assert "\n" not in str(error)
        return
    assert value == value and abs(value) != float("inf")


@given(
    whole=st.integers(1, 999),
    fraction=st.integers(0, 999).map(lambda n: f"{n:03d}"),
    typical=st.one_of(st.none(), st.floats(0, 999.99)),
)
def test_a_comma_before_three_digits_is_never_read_as_thousands_for_small_values(
    whole: int, fraction: str, typical: float | None
) -> None:
    # "58,500" when the key result runs below 1000: 58500 would be a silent 1000x
    with pytest.raises(ParameterError, match="is ambiguous"):
        parse_number(f"{whole},{fraction}", field="value", typical=typical)
