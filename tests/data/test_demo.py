"""The demo generator: deterministic, believable, events and subscriptions that agree."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodops.cli import main
from prodops.data import demo, demo_subscriptions

END = pd.Timestamp("2026-11-01", tz="UTC")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return demo.generate_events(users=3000, months=12, seed=11)


@pytest.fixture(scope="module")
def subs() -> pd.DataFrame:
    return demo.generate_subscriptions(users=3000, months=12, seed=11)


def test_same_seed_gives_the_same_file_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz", tmp_path / "c.csv.gz"
    demo.write_events_csv(a, users=500, seed=3)
    demo.write_events_csv(b, users=500, seed=3)
    demo.write_events_csv(c, users=500, seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    s1, s2 = tmp_path / "s1.csv", tmp_path / "s2.csv"
    demo.write_subscriptions_csv(s1, users=2000, seed=3)
    demo.write_subscriptions_csv(s2, users=2000, seed=3)
    assert s1.read_bytes() == s2.read_bytes()


def test_same_seed_gives_equal_frames() -> None:
    pd.testing.assert_frame_equal(
        demo.generate_events(users=300, seed=5), demo.generate_events(users=300, seed=5)
    )
    pd.testing.assert_frame_equal(
        demo.generate_subscriptions(users=3000, seed=5),
        demo.generate_subscriptions(users=3000, seed=5),
    )


def test_events_have_canonical_columns_and_types(events: pd.DataFrame) -> None:
    assert list(events.columns) == list(demo.EVENT_FILE_COLUMNS)
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"
    for col in ("user_id", "event", "plan", "country", "platform"):
        assert events[col].dtype == "str", col
        assert events[col].notna().all()
    assert events["user_id"].nunique() == 3000
    assert set(events["event"]) == set(demo.EVENT_NAMES)
    assert set(events["country"]) <= set(demo.COUNTRIES)
    assert set(events["platform"]) == set(demo.PLATFORMS)
    assert set(events["plan"]) == {"free", *demo.PLANS}


def test_events_lie_in_the_months_before_end(events: pd.DataFrame) -> None:
    assert events["timestamp"].min() >= END - pd.DateOffset(months=12)
    assert events["timestamp"].max() < END
    signups = events[events["event"] == "signup"].set_index("user_id")["timestamp"]
    by_month = signups.dt.tz_localize(None).dt.to_period("M").value_counts().sort_index()
    assert len(by_month) == 12
    assert by_month.iloc[-3:].mean() > 1.5 * by_month.iloc[:3].mean()  # growth


def test_every_users_first_event_is_their_only_signup(events: pd.DataFrame) -> None:
    ordered = events.sort_values(["user_id", "timestamp"], kind="stable")
    assert (ordered.groupby("user_id")["event"].first() == "signup").all()
    assert (events["event"] == "signup").sum() == events["user_id"].nunique()


def test_weekends_are_quieter(events: pd.DataFrame) -> None:
    weekday = events["timestamp"].dt.day_of_week
    per_day = weekday.value_counts()
    assert per_day[[5, 6]].mean() < 0.7 * per_day[[0, 1, 2, 3]].mean()


def _week_retention(events: pd.DataFrame, week: int) -> pd.Series:
    signup = events[events["event"] == "signup"].set_index("user_id")["timestamp"]
    since = (events["timestamp"] - events["user_id"].map(signup)).dt.days // 7
    back = events.loc[(since == week) & (events["event"] != "signup"), "user_id"].unique()
    cohort = signup.dt.tz_localize(None).dt.to_period("M")
    observed = cohort[signup < END - pd.Timedelta(weeks=week + 1)]
    came_back = pd.Series(observed.index.isin(back), index=observed.index, dtype=float)
    return came_back.groupby(observed.to_numpy()).mean()


def test_retention_decays_and_one_cohort_is_notably_worse() -> None:
    events = demo.generate_events(users=12000, seed=7)
    week1, week20 = _week_retention(events, 1), _week_retention(events, 20)
    bad = pd.Period("2026-06", "M")
    good1 = week1.drop(bad)
    assert 0.33 < good1.mean() < 0.50
    assert 0.10 < week20.drop(bad, errors="ignore").mean() < 0.22
    assert week1[bad] < good1.min() - 0.08


def test_subscriptions_columns_and_values(subs: pd.DataFrame) -> None:
    assert list(subs.columns) == list(demo_subscriptions.SUBSCRIPTION_FILE_COLUMNS)
    assert (subs["mrr"] > 0).all()
    assert set(subs["billing"]) == {"monthly", "yearly"}
    assert set(subs["plan"]) == {*demo.PLANS, demo.ADDON_PLAN}
    closed = subs.dropna(subset=["end"])
    assert (closed["end"] > closed["start"]).all()
    assert subs["start"].min() >= END - pd.DateOffset(months=12)
    assert subs["start"].max() < END and closed["end"].max() < END
    assert subs["end"].isna().any()  # some still active


def test_mrr_is_the_monthly_price_or_annual_over_12(subs: pd.DataFrame) -> None:
    main = subs[subs["plan"] != demo.ADDON_PLAN]
    idx = main["plan"].map({p: i for i, p in enumerate(demo.PLANS)})
    monthly = np.array(demo_subscriptions.MONTHLY_PRICE)[idx]
    yearly = np.round(np.array(demo_subscriptions.ANNUAL_PRICE)[idx] / 12, 2)
    expected = np.where(main["billing"] == "yearly", yearly, monthly)
    np.testing.assert_allclose(main["mrr"], expected)
    assert main.loc[(main["plan"] == "pro") & (main["billing"] == "yearly"), "mrr"].eq(82.5).all()


def test_customers_are_users_and_main_periods_never_overlap(
    events: pd.DataFrame, subs: pd.DataFrame
) -> None:
    assert set(subs["customer_id"]) <= set(events["user_id"])
    main = subs[subs["plan"] != demo.ADDON_PLAN].sort_values(["customer_id", "start"])
    nxt = main.groupby("customer_id")["start"].shift(-1)
    has_next = nxt.notna()
    assert (main.loc[has_next, "end"] <= nxt[has_next]).all()
    assert main.loc[has_next, "end"].notna().all()
    # Upgrades/downgrades are consecutive (end == next start); returns come after a gap.
    assert (main.loc[has_next, "end"] == nxt[has_next]).any()
    assert (main.loc[has_next, "end"] < nxt[has_next]).any()


def test_only_addons_overlap_and_only_while_the_customer_pays(subs: pd.DataFrame) -> None:
    addons = subs[subs["plan"] == demo.ADDON_PLAN]
    assert len(addons) > 0
    main = subs[subs["plan"] != demo.ADDON_PLAN]
    for row in addons.itertuples():
        own = main[main["customer_id"] == row.customer_id]
        covering = own[(own["start"] <= row.start) & ~(own["end"] <= row.start)]
        assert len(covering) == 1, row


def test_subscriptions_have_every_kind_of_movement() -> None:
    subs = demo.generate_subscriptions(users=20000, seed=7)
    main = subs[subs["plan"] != demo.ADDON_PLAN].sort_values(["customer_id", "start"])
    prev = main.groupby("customer_id")["mrr"].shift()
    prev_end = main.groupby("customer_id")["end"].shift()
    consecutive = prev_end == main["start"]
    assert (consecutive & (main["mrr"] > prev)).sum() > 20  # upgrades
    assert (consecutive & (main["mrr"] < prev)).sum() > 10  # downgrades
    assert (prev.notna() & ~consecutive).sum() > 10  # reactivations after a gap
    last = main.groupby("customer_id")["end"].last()
    assert last.notna().sum() > 50  # customers who cancelled for good (or for now)


def test_event_plan_follows_the_subscription(events: pd.DataFrame, subs: pd.DataFrame) -> None:
    main = subs[subs["plan"] != demo.ADDON_PLAN]
    one = main[main["customer_id"] == main["customer_id"].iloc[0]].iloc[0]
    own = events[events["user_id"] == one.customer_id]
    end = one.end if pd.notna(one.end) else END
    during = own[(own["timestamp"] >= one.start) & (own["timestamp"] < end)]
    before = own[own["timestamp"] < one.start]
    assert (during["plan"] == one.plan).all() and len(during) > 0
    assert (before["plan"] == "free").all()
    upgrades = own[own["event"] == "upgrade_plan"]["timestamp"]
    assert one.start in set(upgrades)


def test_rows_gives_about_the_rows_asked_for() -> None:
    frame = demo.generate_events_rows(rows=20_000, seed=2)
    assert len(frame) == 20_000
    subs = demo.generate_subscriptions_rows(rows=3000, months=24, seed=2)
    assert len(subs) == 3000


def test_events_csv_streams_blocks_with_iso_z_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    rows = demo.write_events_csv(path, users=200, seed=1)
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "user_id,event,timestamp,plan,country,platform"
    assert len(lines) == rows + 1
    assert lines[1].split(",")[2].endswith("Z") and "T" in lines[1].split(",")[2]
    frame = pd.read_csv(io.StringIO(text))
    expected = demo.generate_events(users=200, seed=1)
    assert frame["user_id"].tolist() == expected["user_id"].tolist()
    parsed = pd.to_datetime(frame["timestamp"], utc=True).astype("datetime64[us, UTC]")
    assert parsed.tolist() == expected["timestamp"].tolist()


def test_cli_writes_the_two_demo_files(tmp_path: Path) -> None:
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    events = tmp_path / "demo-events.csv.gz"
    subs = tmp_path / "demo-subscriptions.csv.gz"
    assert events.stat().st_size < 6_000_000
    with gzip.open(subs, "rt") as fh:
        assert fh.readline().strip() == "customer_id,start,end,mrr,plan,billing"
    frame = pd.read_csv(events)
    assert 200_000 < len(frame) < 600_000
    assert frame["user_id"].nunique() == 20_000


def test_shipped_demo_files_match_the_generator(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "data"
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    for name in ("demo-events.csv.gz", "demo-subscriptions.csv.gz"):
        assert (shipped / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_cli_writes_one_file_by_kind_and_rows(tmp_path: Path) -> None:
    out = tmp_path / "subs.csv"
    assert main(["demo", "--kind", "subscriptions", "--rows", "500", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 500


def test_cli_rejects_bad_sizes_with_status_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prodops", "demo", "--users", "0", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--users must be at least 1" in proc.stderr
    assert "Traceback" not in proc.stderr
