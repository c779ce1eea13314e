"""Property tests: random subscription histories reconcile, stay in bounds, match the reference."""

from __future__ import annotations

import uuid
from typing import Any

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodops.engine import as_table
from prodops.metrics.revenue import REVENUE_COLUMNS, customer_movements, ltv, revenue
from prodops.metrics.revenue_retention import COHORT_COLUMNS, revenue_cohorts
from revenue.reference import reference_cohorts, reference_ltv, reference_revenue, same

BASE = pd.Timestamp("2024-01-01", tz="UTC")


@st.composite
def histories(draw: st.DrawFn) -> pd.DataFrame:
    """Up to 6 customers with up to 4 subscriptions each, some back to back, some overlapping."""
    rows = []
    for customer in range(draw(st.integers(1, 6))):
        t = draw(st.integers(-60, 300))
        for _ in range(draw(st.integers(1, 4))):
            start = BASE + pd.Timedelta(days=t, hours=draw(st.sampled_from([0, 5, 23])))
            length = draw(st.one_of(st.none(), st.integers(0, 200)))
            end = None if length is None else start + pd.Timedelta(days=length)
            cents = draw(st.one_of(st.integers(1, 50_000), st.just(0)))
            rows.append((f"c{customer}", start, end, cents / 100))
            # The next one starts when this ends (an upgrade), later (a return), or earlier.
            t += draw(st.sampled_from([length or 30, 45, -10]))
    frame = pd.DataFrame(rows, columns=["customer_id", "start", "end", "mrr"])
    frame["start"] = frame["start"].astype("datetime64[us, UTC]")
    frame["end"] = pd.to_datetime(frame["end"], utc=True).astype("datetime64[us, UTC]")
    return frame


RANGES = st.sampled_from(
    [
        ("month", "2024-01-01", "2024-12-01", "UTC"),
        ("month", "2023-11-01", "2024-08-31", "America/New_York"),
        ("week", "2024-02-01", "2024-06-15", "UTC"),
        ("quarter", "2023-10-01", "2025-01-01", "Europe/Berlin"),
    ]
)
# The data end: the latest start or end (all in the past here), a whole day, or an instant.
AS_OF = st.sampled_from([None, "2024-05-31", "2024-03-15T12:00", "2024-10-01"])


def check_revenue(
    frame: pd.DataFrame, data: Any, spec: tuple[str, str, str, str], as_of: str | None = None
) -> None:
    """Every invariant of one history, run on the table *data* (any backend)."""
    period, first, last, zone = spec
    options = {"date_from": first, "date_to": last, "timezone": zone, "as_of": as_of}
    result = revenue(data, period=period, **options)
    assert list(result.columns) == REVENUE_COLUMNS
    expected = reference_revenue(frame, period=period, **options)
    assert len(result) == len(expected)
    for col in REVENUE_COLUMNS:
        for i, (got, want) in enumerate(zip(result[col], expected[col], strict=True)):
            assert got == want if col == "period" else same(got, want), (col, i, got, want)

    r = result
    flow = r.mrr_start + r.new + r.expansion + r.reactivation - r.contraction - r.churn
    assert ((flow - r.mrr_end).abs() < 0.005).all()
    assert (r.mrr_end.iloc[:-1].to_numpy() == r.mrr_start.iloc[1:].to_numpy()).all()
    assert (r.customers_end.iloc[:-1].to_numpy() == r.customers_start.iloc[1:].to_numpy()).all()
    for col in ("new", "expansion", "contraction", "churn", "reactivation"):
        assert (r[col] >= 0).all(), col
    for col in ("logo_churn_rate", "gross_mrr_churn_rate", "grr"):
        values = r[col].dropna()
        assert ((values >= 0) & (values <= 1)).all(), col
    assert (r.nrr.dropna() >= 0).all() and (r.net_mrr_churn_rate.dropna() <= 1).all()
    assert (r.quick_ratio.dropna() >= 0).all() and (r.arpa.dropna() > 0).all()
    assert r.logo_churn_rate.isna().equals(r.customers_start == 0)
    assert r["complete"].tolist() == sorted(r["complete"], reverse=True)

    # One LTV: the reference's, and the same from ltv() and from every display period.
    want = reference_ltv(frame, date_to=last, as_of=as_of, timezone=zone)
    got = result.attrs["ltv"]
    for key, value in want.items():
        assert same(got[key], value), (key, got[key], value)
    alone = ltv(data, date_to=last, as_of=as_of, timezone=zone).iloc[0]
    assert same(alone["ltv"], want["ltv"]) and alone["formula"] == got["formula"]
    for other in {"week", "month", "quarter"} - {period}:
        view = revenue(data, period=other, **options).attrs["ltv"]
        assert same(view["ltv"], want["ltv"]) and view["formula"] == got["formula"], other

    moves = customer_movements(data, period=period, date_from=first, date_to=last, timezone=zone)
    counts = moves.groupby(["period", "movement"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=r.period, columns=["new", "reactivation", "churn"], fill_value=0)
    joined = r.customers_start.to_numpy() + counts.new.to_numpy()
    joined += counts.reactivation.to_numpy() - counts.churn.to_numpy()
    assert (joined == r.customers_end.to_numpy()).all()
    assert (counts.churn.to_numpy() == r.customers_churned.to_numpy()).all()


def check_cohorts(
    frame: pd.DataFrame, data: Any, spec: tuple[str, str, str, str], as_of: str | None = None
) -> None:
    period, first, last, zone = spec
    options = {"date_from": first, "date_to": last, "timezone": zone, "as_of": as_of}
    result = revenue_cohorts(data, period=period, **options)
    assert list(result.columns) == COHORT_COLUMNS
    expected = reference_cohorts(frame, period=period, **options)
    assert len(result) == len(expected)
    for col in COHORT_COLUMNS:
        for i, (got, want) in enumerate(zip(result[col], expected[col], strict=True)):
            assert got == want if col == "cohort" else same(got, want), (col, i, got, want)
    logo = result.logo_retention.dropna()
    assert ((logo >= 0) & (logo <= 1)).all()
    # Period 0 is the base: 100 % for every cohort that has one.
    base = result[(result["offset"] == 0) & (result["cohort_customers"] > 0)]
    assert (base["revenue_retention"] == 1).all() and (base["logo_retention"] == 1).all()


@settings(max_examples=40, deadline=None)
@given(frame=histories(), spec=RANGES, as_of=AS_OF)
def test_duckdb_matches_reference_and_reconciles(
    frame: pd.DataFrame, spec: Any, as_of: str | None
) -> None:
    check_revenue(frame, as_table(frame), spec, as_of)


@settings(max_examples=20, deadline=None)
@given(frame=histories(), spec=RANGES, as_of=AS_OF)
def test_duckdb_cohorts_match_reference(frame: pd.DataFrame, spec: Any, as_of: str | None) -> None:
    check_cohorts(frame, frame, spec, as_of)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frame=histories(), spec=RANGES, as_of=AS_OF)
def test_postgres_gives_the_same_results_as_duckdb(
    pg_ibis: Any, frame: pd.DataFrame, spec: Any, as_of: str | None
) -> None:
    table = pg_ibis.create_table(f"subs_{uuid.uuid4().hex[:10]}", ibis.memtable(frame))
    period, first, last, zone = spec
    kwargs = {"period": period, "date_from": first, "date_to": last, "timezone": zone}
    kwargs["as_of"] = as_of
    local = as_table(frame)
    # DuckDB equals the reference (above); PostgreSQL must give exactly the same frames.
    on_pg, on_duckdb = revenue(table, **kwargs), revenue(local, **kwargs)
    pd.testing.assert_frame_equal(on_pg, on_duckdb)
    assert on_pg.attrs == on_duckdb.attrs  # the data end and the LTV
    pd.testing.assert_frame_equal(
        revenue_cohorts(table, **kwargs), revenue_cohorts(local, **kwargs)
    )
    pd.testing.assert_frame_equal(
        customer_movements(table, **kwargs), customer_movements(local, **kwargs)
    )


def test_postgres_hand_worked_case(pg_ibis: Any) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "start": pd.to_datetime(["2023-12-01", "2024-02-10", "2023-12-01", "2024-02-03"]),
            "end": pd.to_datetime(["2024-02-10", None, "2024-02-20", None]),
            "mrr": [10.0, 25.0, 5.0, 9.99],
            "plan": ["s", "p", "s", "s"],
        }
    )
    for col in ("start", "end"):
        frame[col] = frame[col].dt.tz_localize("UTC")
    table = pg_ibis.create_table("subs_hand", ibis.memtable(frame))
    feb = revenue(table, date_from="2024-02-01", date_to="2024-02-01").iloc[0]
    assert [feb[c] for c in ("mrr_start", "new", "expansion", "churn", "mrr_end")] == [
        15.0,
        9.99,
        15.0,
        5.0,
        34.99,
    ]
    assert feb["logo_churn_rate"] == pytest.approx(0.5)
