"""Random small event logs and random options: the engine must equal the pandas reference.

Runs on DuckDB (60 examples per metric) and PostgreSQL (20), derandomized so runs repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import reference as ref
from metrics.helpers import Loader, frame
from prodops.errors import ParameterError
from prodops.metrics import (
    active_users,
    churn,
    lifecycle,
    retention,
    retention_average,
    stickiness,
)

# Clocks change in the US on 10 March 2024 (07:00 UTC), in Europe on 31 March and 27 October.
BASES = [pd.Timestamp("2024-03-09T12:00"), pd.Timestamp("2024-10-25T12:00")]
SPAN_HOURS = {"hour": 40, "day": 24 * 14, "week": 24 * 70, "month": 24 * 200}
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]
# Conditions of every operator, on a text column (plan: "p", "q", "" or missing) and a numeric
# one (amount: 1, 2, 3 or missing); several "=" on plan are OR, the rest AND.
CONDITIONS = [
    ("plan", "=", "p"),
    ("plan", "=", "q"),
    ("plan", "=", ""),
    ("plan", "!=", "p"),
    ("plan", "~", "Q"),
    ("plan", ">", "p"),
    ("plan", "?"),
    ("plan", "!?"),
    ("amount", "=", "2"),
    ("amount", "!=", "1"),
    ("amount", ">=", "2"),
    ("amount", ">", "1.5"),
    ("amount", "<", "3"),
    ("amount", "<=", "1"),
    ("amount", "?"),
    ("size", ">=", "3"),  # size: text holding numbers ("2", "10"), a word ("x") or nothing
    ("size", "<", "10"),
    ("size", ">", "b"),
    ("size", "=", "10"),
]
WHERE = st.one_of(
    st.sampled_from([None, {"plan": "p"}, {"plan": ["p", "q"]}]),
    st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3),
)


@st.composite
def logs(draw: st.DrawFn, period: str, base: pd.Timestamp) -> pd.DataFrame:
    hours = SPAN_HOURS[period]
    rows = []
    for _ in range(draw(st.integers(1, 16))):
        if draw(st.booleans()):  # on an hour boundary (often a day/week/month boundary too)
            at = base + pd.Timedelta(hours=draw(st.integers(0, hours)))
        else:
            at = base + pd.Timedelta(seconds=draw(st.integers(0, hours * 3600)))
        rows.append(
            (
                draw(st.sampled_from(["u1", "u2", "u3", "u4"])),
                draw(st.sampled_from(["a", "b", "c"])),
                at.isoformat(),
                draw(st.sampled_from(["p", "q", "", None])),
            )
        )
    amounts = [draw(st.sampled_from([1.0, 2.0, 3.0, None])) for _ in rows]
    sizes = [draw(st.sampled_from(["2", "10", " 7 ", "x", None])) for _ in rows]
    return frame(rows).assign(
        amount=pd.Series(amounts, dtype="float64"), size=pd.Series(sizes, dtype=object)
    )


@st.composite
def ranges(
    draw: st.DrawFn, period: str, tz: str, base: pd.Timestamp, *, with_periods: bool
) -> dict[str, Any]:
    hours = SPAN_HOURS[period]
    lo, hi = sorted(draw(st.integers(-hours // 4, hours + hours // 4)) for _ in range(2))
    date_from = (base + pd.Timedelta(hours=lo)).isoformat()
    date_to = base + pd.Timedelta(hours=hi)
    modes = ["all", "from_to"] + (["periods", "to_periods", "from_periods"] if with_periods else [])
    mode = draw(st.sampled_from(modes))
    count = draw(st.integers(1, 6))
    # date_to naive (read in the analysis zone), the same wall-clock time zoned, or a date alone
    # (the whole local day)
    aware = date_to.tz_localize(tz, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
    to = draw(st.sampled_from([aware, date_to.isoformat(), date_to.date().isoformat()]))
    return {
        "all": {},
        "from_to": {"date_from": date_from, "date_to": to},
        "periods": {"periods": count},
        "to_periods": {"date_to": to, "periods": count},
        "from_periods": {"date_from": date_from, "periods": count},
    }[mode]


@st.composite
def options(draw: st.DrawFn, *, with_periods: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    period = draw(st.sampled_from(["hour", "day", "week", "month"]))
    tz = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(BASES))
    opts: dict[str, Any] = {
        "period": period,
        "timezone": tz,
        "week_start": draw(st.sampled_from(["monday", "sunday"])),
        **draw(ranges(period, tz, base, with_periods=with_periods)),
    }
    return draw(logs(period, base)), opts


def check(load: Loader, strategy: st.SearchStrategy[Any], test: Callable[..., None]) -> None:
    """Run *test* over *strategy* with fewer examples on PostgreSQL (slower round trips)."""
    examples = 60 if getattr(load, "backend", "duckdb") == "duckdb" else 20
    settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(given(strategy)(test))()


@st.composite
def retention_options(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    events, opts = draw(options(with_periods=True))
    opts.update(
        period_count=draw(st.integers(1, 3)),
        cohort=draw(st.sampled_from(["first_time", "recurring", "first_ever"])),
        cumulative=draw(st.booleans()),
        min_occurrences=draw(st.integers(1, 2)),
        start_event=draw(st.sampled_from([None, "a"])),
        return_event=draw(st.sampled_from([None, "b"])),
        where=draw(WHERE),
        start_where=draw(WHERE),
        return_where=draw(WHERE),
        breakdown=draw(st.sampled_from([None, "plan"])),
        breakdown_limit=draw(st.sampled_from([None, 1, 2, 5])),
    )
    if opts["start_event"] == "a" and "a" not in set(events["event"]):
        opts["start_event"] = None
    if opts["return_event"] == "b" and "b" not in set(events["event"]):
        opts["return_event"] = None
    # The data end: the last event, or as_of (a local time or a whole local day) around the data.
    hours = SPAN_HOURS[opts["period"]]
    at = events["timestamp"].min().tz_localize(None).floor("min")
    at += pd.Timedelta(minutes=draw(st.integers(-hours * 15, hours * 75)))
    opts["as_of"] = draw(st.sampled_from([None, at.isoformat(), at.date().isoformat()]))
    return events, opts


def test_retention_equals_the_reference(load: Loader) -> None:
    def run(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
        events, opts = case
        try:
            want = ref.ref_retention(events, **opts)
        except ParameterError:  # date_from after the end of the range (the last event)
            with pytest.raises(ParameterError, match="is after"):
                retention(load(events), **opts)
            return
        got = retention(load(events), **opts)
        pd.testing.assert_frame_equal(got, want)
        assert got.attrs["data_end"] == ref.data_end(events, opts)
        for include in (False, True):
            average = retention_average(got, include_incomplete=include)
            expected = ref.ref_average(want, include_incomplete=include)
            for bk, k, rate in average.itertuples(index=False):
                exp = expected[(bk, int(k))]
                assert (pd.isna(rate) and pd.isna(exp)) or abs(rate - exp) < 1e-12
        # invariants: rates within [0, 1]; only observable cells are complete, and completeness
        # never comes back along a row (the periods in progress are the last ones)
        rates = got["rate"].dropna()
        assert ((rates >= 0) & (rates <= 1)).all()
        assert not (got["complete"] & got["count"].isna()).any()
        for _, row in got.groupby(["breakdown", "cohort"], dropna=False)["complete"]:
            flags = row.tolist()
            assert flags == sorted(flags, reverse=True)

    check(load, retention_options(), run)


@st.composite
def activity_options(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    events, opts = draw(options())
    opts.update(event=draw(st.sampled_from([None, "a"])), where=draw(WHERE))
    if draw(st.booleans()):
        opts.update(breakdown="plan", breakdown_limit=draw(st.sampled_from([None, 1, 2, 5])))
    if opts["event"] == "a" and "a" not in set(events["event"]):
        opts["event"] = None
    # The data end: the last event, or as_of (a local time or a whole local day) near the data.
    hours = SPAN_HOURS[opts["period"]]
    at = events["timestamp"].max().tz_localize(None).floor("min")
    at += pd.Timedelta(minutes=draw(st.integers(-hours * 15, hours * 15)))
    opts["as_of"] = draw(st.sampled_from([None, at.isoformat(), at.date().isoformat()]))
    return events, opts


def test_lifecycle_equals_the_reference(load: Loader) -> None:
    def run(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
        events, opts = case
        got = lifecycle(load(events), **opts)
        pd.testing.assert_frame_equal(got, ref.ref_lifecycle(events, **opts))
        assert got.attrs["data_end"] == ref.data_end(events, opts)
        for _, flags in got.groupby(got.get("breakdown", pd.Series(0, index=got.index))):
            assert flags["complete"].tolist() == sorted(flags["complete"], reverse=True)

    check(load, activity_options(), run)


def test_churn_equals_the_reference(load: Loader) -> None:
    def run(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
        events, opts = case
        pd.testing.assert_frame_equal(churn(load(events), **opts), ref.ref_churn(events, **opts))

    check(load, activity_options(), run)


def test_stickiness_equals_the_reference(load: Loader) -> None:
    @st.composite
    def sticky(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
        events, opts = draw(activity_options())
        opts.pop("breakdown", None)  # stickiness has no breakdown
        opts.pop("breakdown_limit", None)
        opts.update(
            period_count=draw(st.integers(1, 3)),
            min_events=draw(st.integers(1, 3)),
            cumulative=draw(st.booleans()),
            include_incomplete=draw(st.booleans()),
        )
        return events, opts

    def run(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
        events, opts = case
        got = stickiness(load(events), **opts)
        pd.testing.assert_frame_equal(got, ref.ref_stickiness(events, **opts))
        if not opts["cumulative"]:
            users = ref.ref_stickiness(events, **{**opts, "cumulative": True})["users"]
            assert got["users"].sum() == (users.iloc[0] if len(users) else 0)

    check(load, sticky(), run)


def test_active_users_equals_the_reference(load: Loader) -> None:
    @st.composite
    def windows(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
        events, opts = draw(activity_options())
        for key in ("period", "week_start"):
            opts.pop(key)
        opts["window_days"] = draw(st.integers(1, 8))
        return events, opts

    def run(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
        events, opts = case
        got = active_users(load(events), **opts)
        pd.testing.assert_frame_equal(got, ref.ref_active_users(events, **opts))
        assert got.attrs["data_end"] == ref.data_end(events, opts)

    check(load, windows(), run)
