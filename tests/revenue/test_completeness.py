"""Which revenue periods and cohort cells are complete, and revenue cohorts' 100 % base.

Hand-worked: the data end of subscriptions is their latest start or end that is not in the future,
unless ``as_of`` says otherwise (DESIGN.md, "Completeness").
"""

from __future__ import annotations

import pandas as pd
import pytest

from prodops.errors import ParameterError
from prodops.metrics.revenue import customer_movements, ltv, revenue
from prodops.metrics.revenue_retention import revenue_cohorts


def subs(*rows: tuple[str, str, str | None, float]) -> pd.DataFrame:
    """Subscriptions from (customer, start, end or None, mrr) rows; times are UTC."""
    frame = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    return frame


def months(result: pd.DataFrame, column: str = "period") -> list[str]:
    return result[column].dt.strftime("%Y-%m").tolist()


def test_data_ending_mid_month_leaves_that_month_in_progress() -> None:
    result = revenue(subs(("a", "2024-01-10", None, 10.0), ("b", "2024-03-15", None, 5.0)))
    assert months(result) == ["2024-01", "2024-02", "2024-03"]
    assert result["complete"].tolist() == [True, True, False]
    assert result.attrs["data_end"] == pd.Timestamp("2024-03-15", tz="UTC")


def test_data_ending_exactly_on_a_boundary_completes_the_month_before() -> None:
    # The latest instant is a's end at 1 March 00:00: February ends exactly then.
    result = revenue(subs(("a", "2024-01-10", "2024-03-01", 10.0)))
    assert months(result) == ["2024-01", "2024-02", "2024-03"]
    assert result["complete"].tolist() == [True, True, False]


def test_ends_in_the_future_do_not_stretch_the_range_or_the_data_end() -> None:
    # A paid plan that runs to 2099 says nothing about what the export covers.
    frame = subs(("a", "2024-01-10", "2099-01-01", 10.0), ("b", "2024-02-20", None, 5.0))
    result = revenue(frame)
    assert months(result) == ["2024-01", "2024-02"]
    assert result["complete"].tolist() == [True, False]
    assert result.attrs["data_end"] == pd.Timestamp("2024-02-20", tz="UTC")


def test_weeks_and_quarters_in_progress() -> None:
    frame = subs(("a", "2024-01-10", None, 10.0), ("b", "2024-02-14T09:00", None, 5.0))
    # Wednesday 14 February: the week of Monday the 12th is in progress, the 5th's is not.
    weeks = revenue(frame, period="week", date_from="2024-02-01")
    assert weeks["period"].dt.strftime("%m-%d").tolist() == ["01-29", "02-05", "02-12"]
    assert weeks["complete"].tolist() == [True, True, False]
    quarters = revenue(frame, period="quarter", date_from="2023-10-01")
    assert quarters["complete"].tolist() == [True, False]


def test_a_date_to_before_the_data_end_leaves_the_last_period_complete() -> None:
    frame = subs(("a", "2024-01-10", None, 10.0), ("b", "2024-03-15", None, 5.0))
    result = revenue(frame, date_to="2024-02-15")
    assert months(result) == ["2024-01", "2024-02"]
    assert result["complete"].tolist() == [True, True]  # the data goes on to 15 March


def test_as_of_sets_the_data_end_and_the_end_of_the_range() -> None:
    frame = subs(("a", "2024-01-10", None, 10.0), ("b", "2024-03-15", None, 5.0))
    whole = revenue(frame, as_of="2024-03-31")  # a date alone: all of 31 March
    assert months(whole) == ["2024-01", "2024-02", "2024-03"]
    assert whole["complete"].tolist() == [True, True, True]
    # A naive time is read in the analysis zone; the range ends with it.
    early = revenue(frame, as_of="2024-02-29T23:30", timezone="Europe/Berlin")
    assert months(early) == ["2024-01", "2024-02"]
    assert early["complete"].tolist() == [True, False]
    assert str(early.attrs["data_end"]) == "2024-02-29 23:30:00+01:00"
    moves = customer_movements(frame, as_of="2024-02-29")
    assert moves["customer_id"].tolist() == ["a"]  # b starts after the range


def test_a_bad_as_of_is_a_parameter_error() -> None:
    frame = subs(("a", "2024-01-10", None, 10.0))
    for fn in (revenue, revenue_cohorts, ltv):
        with pytest.raises(ParameterError, match="as_of 'next week' is not a date or time"):
            fn(frame, as_of="next week")


def test_no_subscription_at_all_gives_an_undefined_ltv_not_an_error() -> None:
    row = ltv(subs(("a", "2024-01-10", None, 0.0))).iloc[0]
    assert row["ltv"] is None and row["formula"] == "LTV undefined: there is no data"


# --- revenue cohorts: period 0 is the base -----------------------------------------------------


def test_a_cohort_that_upgrades_in_its_first_month_reads_100_percent_there() -> None:
    frame = subs(
        # a starts at 10 and upgrades to 11.60 in January (at the first start: 116 % at month 0)
        ("a", "2024-01-05", "2024-01-20", 10.0),
        ("a", "2024-01-20", None, 11.6),
        # b pays from 3 to 25 January only: never paying at a period end, counted nowhere
        ("b", "2024-01-03", "2024-01-25", 50.0),
        # c joins in February and leaves in March
        ("c", "2024-02-10", "2024-03-05", 20.0),
    )
    cells = revenue_cohorts(frame, as_of="2024-03-10")
    jan = cells[cells["cohort"] == pd.Timestamp("2024-01-01", tz="UTC")]
    assert jan["cohort_customers"].tolist() == [1, 1, 1]
    assert jan["cohort_mrr"].tolist() == [11.6, 11.6, 11.6]
    assert jan["revenue_retention"].tolist() == [1.0, 1.0, 1.0]
    assert jan["logo_retention"].tolist() == [1.0, 1.0, 1.0]
    feb = cells[cells["cohort"] == pd.Timestamp("2024-02-01", tz="UTC")]
    assert feb["revenue_retention"].tolist()[:2] == [1.0, 0.0]
    assert feb["logo_retention"].tolist()[:2] == [1.0, 0.0]
    # The data ends with 10 March: the March cells are in progress, those past the range unseen.
    assert cells["complete"].tolist() == [
        True, True, False,  # January cohort: January, February, March
        True, False, False,  # February cohort: February, March, (April: past the range)
        False, False, False,  # March cohort: March, then past the range
    ]  # fmt: skip
    assert cells.attrs["data_end"] == pd.Timestamp("2024-03-11", tz="UTC")  # all of the 10th
