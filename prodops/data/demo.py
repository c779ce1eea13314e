"""A deterministic demo data set: a believable SaaS product's events and subscriptions.

One seeded *user model* drives both tables so that they agree: signups spread over the months with
growth and weekday seasonality; each user is a drop-off, casual or core user whose weekly activity
decays (week-1 retention about 40 %, a long tail about 15 %); the cohort of the month five months
before ``end`` had a worse onboarding (more drop-offs) so retention views have something to find;
some users convert to a paid plan (monthly or yearly billing) and then upgrade, downgrade, cancel
and come back, written as consecutive subscription periods (customer_id = user_id). A few customers
add an add-on subscription that overlaps their main one (the only intended overlap).

Everything is vectorised with NumPy and seeded (``numpy.random.default_rng``): the same arguments
give the same frames and the same file bytes. Events are generated in blocks of users so that
:func:`write_events_csv` streams a 10M-row file without holding 10M rows in pandas at once;
:func:`generate_events` concatenates the same blocks.

Examples
--------
>>> events = generate_events(users=200, months=3)
>>> list(events.columns)
['user_id', 'event', 'timestamp', 'plan', 'country', 'platform']
>>> bool((events.groupby("user_id")["event"].first() == "signup").all())
True
"""

from __future__ import annotations

import contextlib
import gzip
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from prodops.errors import ParameterError

DEFAULT_END = pd.Timestamp("2026-11-01", tz="UTC")

EVENT_NAMES = (
    "signup",
    "login",
    "view_dashboard",
    "create_report",
    "share_report",
    "invite_teammate",
    "export_csv",
    "upgrade_plan",
)
# Weights of the ordinary actions (indices 2..6 of EVENT_NAMES); every active week opens with login.
_ACTION_WEIGHTS = np.array([0.40, 0.28, 0.14, 0.06, 0.12])

PLANS = ("starter", "pro", "business")
MONTHLY_PRICE = (29.0, 99.0, 299.0)
ANNUAL_PRICE = (290.0, 990.0, 2990.0)  # two months free
ADDON_PLAN = "addon"
ADDON_PRICE = 19.0

COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "NL", "JP")
_COUNTRY_WEIGHTS = np.array([0.34, 0.10, 0.10, 0.07, 0.10, 0.07, 0.07, 0.05, 0.05, 0.05])
PLATFORMS = ("web", "ios", "android")
_PLATFORM_WEIGHTS = np.array([0.62, 0.20, 0.18])

# Segments: 0 drop-off (signup week only), 1 casual (fades after ~6 weeks), 2 core (stays).
_SEGMENT_WEIGHTS = np.array([0.50, 0.34, 0.16])
_BAD_COHORT_SEGMENT_WEIGHTS = np.array([0.68, 0.25, 0.07])
BAD_COHORT_MONTHS_BEFORE_END = 5  # the month whose onboarding change hurt retention
_CONVERSION_BY_SEGMENT = np.array([0.01, 0.10, 0.38])

# Mon..Sun: fewer signups and actions at weekends.
_WEEKDAY_FACTOR = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4])
_HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 11, 10, 9, 7, 6, 5, 4, 3, 2], dtype=float
)

_DAY_S = 86_400
_WEEK_S = 7 * _DAY_S
_USER_BLOCK = 50_000  # users per generated block (bounds memory when streaming)
_NEVER = np.iinfo(np.int64).max  # "no end" in epoch seconds

EVENT_FILE_COLUMNS = ("user_id", "event", "timestamp", "plan", "country", "platform")
SUBSCRIPTION_FILE_COLUMNS = ("customer_id", "start", "end", "mrr", "plan", "billing")


@dataclass(frozen=True)
class _Users:
    """The per-user draws every table derives from (times in epoch seconds, UTC)."""

    start_s: int
    end_s: int
    signup_s: np.ndarray
    bad_cohort: np.ndarray
    segment: np.ndarray
    country: np.ndarray
    platform: np.ndarray
    life_weeks: np.ndarray  # weeks of activity (float, inf = stays)
    engagement: np.ndarray  # chance of being active in a week of the active life
    intensity: np.ndarray  # mean extra actions per active week
    ids: pa.Array


def _check(users: int, months: int, end: pd.Timestamp) -> pd.Timestamp:
    if users < 1:
        raise ParameterError(f"users must be at least 1, got {users}", fix="pass --users 1 or more")
    if not 1 <= months <= 120:
        raise ParameterError(f"months must be between 1 and 120, got {months}")
    end = pd.Timestamp(end)
    return end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")


def _epoch_s(ts: pd.Timestamp) -> int:
    return int(ts.value // 1_000_000_000)  # .value is always nanoseconds


def _add_months(ts_s: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Add calendar months to epoch seconds, clipping the day to the target month's length."""
    ts = ts_s.astype("datetime64[s]")
    month = ts.astype("datetime64[M]")
    offset = ts - month.astype("datetime64[s]")
    target = month + np.asarray(months, dtype=np.int64)
    length = ((target + 1).astype("datetime64[s]") - target.astype("datetime64[s]")).astype(
        np.int64
    )
    clipped = np.minimum(offset.astype(np.int64), length - 1)
    return target.astype("datetime64[s]").astype(np.int64) + clipped


def _user_model(users: int, months: int, end: pd.Timestamp, seed: int) -> _Users:
    rng = np.random.default_rng([seed, 0])
    end = _check(users, months, end)
    start = end - pd.DateOffset(months=months)
    days = pd.date_range(start, end, freq="D", inclusive="left")
    # Growth of about 8 % a month, fewer signups at weekends.
    weights = 1.08 ** (np.arange(len(days)) / 30.44) * _WEEKDAY_FACTOR[days.day_of_week]
    day = rng.choice(len(days), size=users, p=weights / weights.sum())
    hour = rng.choice(24, size=users, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    second = rng.integers(0, 3600, size=users)
    day_s = days.as_unit("s").asi8
    signup_s = np.sort(day_s[day] + hour * 3600 + second)  # ids follow signup order
    bad_start = _epoch_s(end - pd.DateOffset(months=BAD_COHORT_MONTHS_BEFORE_END))
    bad_end = _epoch_s(end - pd.DateOffset(months=BAD_COHORT_MONTHS_BEFORE_END - 1))
    bad = (signup_s >= bad_start) & (signup_s < bad_end)
    u = rng.random(users)
    segment = np.where(
        bad,
        np.searchsorted(np.cumsum(_BAD_COHORT_SEGMENT_WEIGHTS), u, side="right"),
        np.searchsorted(np.cumsum(_SEGMENT_WEIGHTS), u, side="right"),
    ).clip(0, 2)
    life = np.where(
        segment == 0, 1.0, np.where(segment == 1, 1.0 + rng.geometric(1 / 6, users), np.inf)
    )
    engagement = np.where(
        segment == 2, rng.uniform(0.70, 0.98, users), rng.uniform(0.55, 0.90, users)
    )
    intensity = rng.gamma(2.0, 1.3, users) * np.where(segment == 2, 1.4, 1.0)
    width = max(6, len(str(users)))
    ids = pa.array([f"u{i:0{width}d}" for i in range(1, users + 1)], type=pa.string())
    return _Users(
        start_s=_epoch_s(start),
        end_s=_epoch_s(end),
        signup_s=signup_s,
        bad_cohort=bad,
        segment=segment,
        country=rng.choice(len(COUNTRIES), size=users, p=_COUNTRY_WEIGHTS),
        platform=rng.choice(len(PLATFORMS), size=users, p=_PLATFORM_WEIGHTS),
        life_weeks=life,
        engagement=engagement,
        intensity=intensity,
        ids=ids,
    )


# --- subscriptions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Periods:
    """Subscription periods (one row each); ``end_s == _NEVER`` means still active."""

    customer: np.ndarray  # user index
    start_s: np.ndarray
    end_s: np.ndarray
    plan: np.ndarray  # index into PLANS, or len(PLANS) for the add-on
    yearly: np.ndarray
    kind: np.ndarray  # 0 first, 1 upgrade, 2 downgrade, 3 reactivation, 4 add-on


def _simulate_subscriptions(model: _Users, seed: int) -> _Periods:
    """Convert some users to paid plans and walk them through their billing renewals."""
    rng = np.random.default_rng([seed, 1])
    n = len(model.signup_s)
    converts = rng.random(n) < _CONVERSION_BY_SEGMENT[model.segment]
    conv_s = model.signup_s + _DAY_S + (rng.exponential(18.0, n) * _DAY_S).astype(np.int64)
    cust = np.flatnonzero(converts & (conv_s < model.end_s))
    m = len(cust)
    plan = rng.choice(3, size=m, p=[0.55, 0.35, 0.10])
    yearly = rng.random(m) < 0.25
    cur_start = conv_s[cust]
    anchor, months_done = cur_start.copy(), np.zeros(m, dtype=np.int64)
    cur_kind = np.zeros(m, dtype=np.int8)
    active = np.ones(m, dtype=bool)
    next_s = _add_months(anchor, np.where(yearly, 12, 1))
    churn_boost = np.where(model.bad_cohort[cust], 1.6, 1.0)
    first_stop = np.full(m, _NEVER, dtype=np.int64)
    out: list[tuple[np.ndarray, ...]] = []

    def emit(idx: np.ndarray, end_s: np.ndarray) -> None:
        out.append((idx, cur_start[idx], end_s, plan[idx], yearly[idx], cur_kind[idx]))

    while True:
        live = np.flatnonzero(next_s < model.end_s)
        if not len(live):
            break
        t = next_s[live]
        back = live[~active[live]]  # a returning customer starts a new period
        if len(back):
            cur_start[back] = next_s[back]
            cur_kind[back] = 3
            plan[back] = np.clip(plan[back] + rng.choice([-1, 0, 1], len(back)), 0, 2)
            yearly[back] = rng.random(len(back)) < 0.15
            active[back], anchor[back], months_done[back] = True, next_s[back], 0
            next_s[back] = _add_months(anchor[back], np.where(yearly[back], 12, 1))
        ren = live[np.isin(live, back, invert=True)]
        t = next_s[ren]
        y = yearly[ren]
        u = rng.random(len(ren))
        p_cancel = np.where(y, 0.22, np.where(plan[ren] == 0, 0.05, 0.035)) * churn_boost[ren]
        p_up = np.where(y, 0.10, 0.025) * (plan[ren] < 2)
        p_down = np.where(y, 0.05, 0.015) * (plan[ren] > 0)
        cancel = u < p_cancel
        up = ~cancel & (u < p_cancel + p_up)
        down = ~cancel & ~up & (u < p_cancel + p_up + p_down)
        change = up | down
        emit(ren[cancel | change], t[cancel | change])
        cur_start[ren[change]] = t[change]
        cur_kind[ren[up]], cur_kind[ren[down]] = 1, 2
        plan[ren[up]] += 1
        plan[ren[down]] -= 1
        gone = ren[cancel]
        first_stop[gone] = np.minimum(first_stop[gone], t[cancel])
        active[gone] = False
        months_done[ren] += np.where(y, 12, 1)
        next_s[ren] = _add_months(anchor[ren], months_done[ren] + np.where(y, 12, 1))
        # 30 % of cancelled customers come back 1-6 months later; the rest are gone for good.
        returns = rng.random(len(gone)) < 0.30
        gap = rng.integers(1, 7, len(gone))
        jitter = rng.integers(0, 20 * _DAY_S, len(gone))
        next_s[gone] = np.where(returns, _add_months(t[cancel], gap) + jitter, _NEVER)
    still = np.flatnonzero(active)
    emit(still, np.full(len(still), _NEVER, dtype=np.int64))

    # Add-ons: some pro/business customers add a second, overlapping subscription.
    has = np.flatnonzero((plan >= 1) & (rng.random(m) < 0.12))
    a_start = conv_s[cust[has]] + rng.integers(15, 150, len(has)) * _DAY_S
    a_end = np.where(
        rng.random(len(has)) < 0.35,
        a_start + rng.integers(30, 200, len(has)) * _DAY_S,
        _NEVER,
    )
    a_end = np.minimum(a_end, first_stop[has])
    ok = (a_start < model.end_s) & (a_start < a_end)
    has, a_start, a_end = has[ok], a_start[ok], a_end[ok]
    a_end = np.where(a_end >= model.end_s, _NEVER, a_end)
    out.append(
        (
            has,
            a_start,
            a_end,
            np.full(len(has), len(PLANS)),
            np.zeros(len(has), dtype=bool),
            np.full(len(has), 4, dtype=np.int8),
        )
    )
    parts = [np.concatenate([o[i] for o in out]) for i in range(6)]
    # Periods ending at or after `end` are still open as far as the export knows.
    parts[2] = np.where(parts[2] >= model.end_s, _NEVER, parts[2])
    order = np.lexsort((parts[1], cust[parts[0]]))
    return _Periods(
        customer=cust[parts[0]][order],
        start_s=parts[1][order],
        end_s=parts[2][order],
        plan=parts[3][order],
        yearly=parts[4][order],
        kind=parts[5][order],
    )


def _period_mrr(periods: _Periods) -> np.ndarray:
    monthly = np.append(MONTHLY_PRICE, ADDON_PRICE)[periods.plan]
    annual = np.append(ANNUAL_PRICE, ADDON_PRICE * 12)[periods.plan]
    return np.round(np.where(periods.yearly, annual / 12, monthly), 2)


def _ts_array(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (``_NEVER`` = missing) as an Arrow UTC timestamp array."""
    return pa.array(seconds, type=pa.timestamp("s", tz="UTC"), mask=seconds == _NEVER)


def _subscriptions_arrow(model: _Users, periods: _Periods) -> pa.Table:
    return pa.table(
        {
            "customer_id": model.ids.take(pa.array(periods.customer)),
            "start": _ts_array(periods.start_s),
            "end": _ts_array(periods.end_s),
            "mrr": pa.array(_period_mrr(periods)),
            "plan": pa.array(np.array([*PLANS, ADDON_PLAN], dtype=object)[periods.plan]),
            "billing": pa.array(np.where(periods.yearly, "yearly", "monthly").astype(object)),
        }
    )


def _arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].astype("datetime64[us, UTC]")
    return frame


def generate_subscriptions(
    *, users: int = 20_000, months: int = 12, end: pd.Timestamp = DEFAULT_END, seed: int = 7
) -> pd.DataFrame:
    """Return the subscription periods of the paying subset of the demo users.

    Parameters
    ----------
    users, months, end, seed
        As for :func:`generate_events`; the same values give the customers of those users.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (str, = the user's ``user_id``), ``start`` (UTC, inclusive), ``end`` (UTC,
        exclusive, NaT = still active), ``mrr`` (float, a yearly plan counts annual / 12, rounded
        to the cent), ``plan`` (starter, pro, business, or addon), ``billing`` (monthly or yearly).
        A customer's main periods are consecutive and never overlap (upgrade, downgrade,
        cancellation, reactivation after a gap); only an ``addon`` period overlaps them.

    Examples
    --------
    >>> subs = generate_subscriptions(users=500, months=6)
    >>> bool((subs["mrr"] > 0).all())
    True
    """
    model = _user_model(users, months, end, seed)
    return _arrow_to_frame(_subscriptions_arrow(model, _simulate_subscriptions(model, seed)))


# --- events -------------------------------------------------------------------------------------


def _repeat_ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, position) for ``counts[i]`` items per owner i (vectorised ranges)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _paid_until(model: _Users, periods: _Periods) -> np.ndarray:
    """Per user: the end of their last paid period (``_NEVER`` if still paying, 0 if never)."""
    until = np.zeros(len(model.signup_s), dtype=np.int64)
    np.maximum.at(until, periods.customer, periods.end_s)
    return until


def _plan_at(users: np.ndarray, ts: np.ndarray, periods: _Periods, main: np.ndarray) -> np.ndarray:
    """Index of the main plan active for (user, time), or -1 (free), by one sorted search."""
    shift = np.int64(1) << np.int64(34)  # epoch seconds fit in 34 bits until the year 2514
    p_cust, p_start, p_end = periods.customer[main], periods.start_s[main], periods.end_s[main]
    keys = p_cust.astype(np.int64) * shift + p_start
    order = np.argsort(keys, kind="stable")
    keys, p_cust, p_end, p_plan = (
        keys[order],
        p_cust[order],
        p_end[order],
        periods.plan[main][order],
    )
    pos = np.searchsorted(keys, users.astype(np.int64) * shift + ts, side="right") - 1
    safe = pos.clip(0)
    hit = (pos >= 0) & (p_cust[safe] == users) & (ts < p_end[safe])
    return np.where(hit, p_plan[safe], -1)


def _event_block(
    model: _Users,
    periods: _Periods,
    paid_until: np.ndarray,
    lo: int,
    hi: int,
    seed: int,
    max_events_per_user: int | None,
) -> pa.Table:
    """Generate the events of users ``lo..hi-1`` (sorted by time) as an Arrow table."""
    rng = np.random.default_rng([seed, 2, lo])
    sl = slice(lo, hi)
    signup = model.signup_s[sl]
    weeks = -(-(model.end_s - signup) // _WEEK_S)
    # Paying customers stay active while they pay.
    paid = paid_until[sl]
    paid_weeks = np.where(paid == _NEVER, np.inf, (paid - signup) / _WEEK_S)
    life = np.maximum(model.life_weeks[sl], np.where(paid > 0, paid_weeks, 0))
    n_weeks = np.minimum(weeks, life).astype(np.int64)
    user, week = _repeat_ranges(n_weeks)
    active = (week == 0) | (rng.random(len(user)) < model.engagement[sl][user])
    user, week = user[active], week[active]
    extra = rng.poisson(model.intensity[sl][user])
    # Week 0 may hold only the signup; later active weeks open with a login.
    n = extra + (week > 0)
    owner, pos = _repeat_ranges(n)
    e_user, e_week = user[owner], week[owner]
    day0 = signup[e_user] - signup[e_user] % _DAY_S
    day = rng.integers(0, 7, len(owner))
    hour = rng.choice(24, size=len(owner), p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    ts = day0 + (e_week * 7 + day) * _DAY_S + hour * 3600 + rng.integers(0, 3600, len(owner))
    late = ts <= signup[e_user]
    ts[late] = signup[e_user][late] + rng.integers(60, 4 * 3600, int(late.sum()))
    weekday = ((ts // _DAY_S) + 3) % 7  # 1970-01-01 was a Thursday
    first = (pos == 0) & (e_week > 0)
    keep = (ts < model.end_s) & (
        first | (rng.random(len(ts)) < _WEEKDAY_FACTOR[weekday] / _WEEKDAY_FACTOR.max())
    )
    action = 2 + rng.choice(len(_ACTION_WEIGHTS), size=len(ts), p=_ACTION_WEIGHTS)
    name = np.where(first, 1, action)[keep]
    e_user, ts = e_user[keep], ts[keep]

    # The signup itself, and upgrade_plan when a customer starts paying or moves up a plan.
    in_block = (periods.customer >= lo) & (periods.customer < hi)
    up = in_block & np.isin(periods.kind, (0, 1, 3))
    e_user = np.concatenate([np.arange(hi - lo), periods.customer[up] - lo, e_user])
    ts = np.concatenate([signup, periods.start_s[up], ts])
    name = np.concatenate([np.zeros(hi - lo, dtype=np.int64), np.full(int(up.sum()), 7), name])
    order = np.lexsort((name != 0, ts, e_user))  # per user by time; signup first on ties
    e_user, ts, name = e_user[order], ts[order], name[order]
    if max_events_per_user is not None:
        _, rank = _repeat_ranges(np.bincount(e_user, minlength=hi - lo))
        cap = rank < max_events_per_user
        e_user, ts, name = e_user[cap], ts[cap], name[cap]
    order = np.argsort(ts, kind="stable")  # an export is in time order
    e_user, ts, name = e_user[order], ts[order], name[order]
    main = in_block & (periods.plan < len(PLANS))
    plan = _plan_at(e_user + lo, ts, periods, main)
    g_user = e_user + lo
    return pa.table(
        {
            "user_id": model.ids.take(pa.array(g_user)),
            "event": _dict(name, EVENT_NAMES),
            "timestamp": pa.array(ts, type=pa.timestamp("s", tz="UTC")),
            "plan": _dict(plan + 1, ("free", *PLANS)),
            "country": _dict(model.country[g_user], COUNTRIES),
            "platform": _dict(model.platform[g_user], PLATFORMS),
        }
    )


def _dict(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names)).cast(
        pa.string()
    )


def _event_blocks(
    users: int,
    months: int,
    end: pd.Timestamp,
    seed: int,
    max_events_per_user: int | None,
) -> Iterator[pa.Table]:
    model = _user_model(users, months, end, seed)
    periods = _simulate_subscriptions(model, seed)
    paid_until = _paid_until(model, periods)
    for lo in range(0, users, _USER_BLOCK):
        hi = min(users, lo + _USER_BLOCK)
        yield _event_block(model, periods, paid_until, lo, hi, seed, max_events_per_user)


def generate_events(
    *,
    users: int = 20_000,
    months: int = 12,
    end: pd.Timestamp = DEFAULT_END,
    seed: int = 7,
    max_events_per_user: int | None = None,
) -> pd.DataFrame:
    """Return the demo product's events: signups, key actions, plans, countries, platforms.

    Parameters
    ----------
    users : int
        Number of users who sign up.
    months : int
        Length of the history, ending at *end* (exclusive).
    end : pandas.Timestamp
        End of the history (UTC); no event is at or after it.
    seed : int
        Seed of the generator: the same arguments always give the same frame.
    max_events_per_user : int, optional
        Keep at most this many (earliest) events per user (keeps shipped files small).

    Returns
    -------
    pandas.DataFrame
        ``user_id`` (str), ``event`` (str), ``timestamp`` (UTC, second precision), ``plan``
        (the user's paid plan at that moment, or "free"), ``country``, ``platform``; each user's
        first event is ``signup``. Rows are in time order within each block of 50,000 users.
    """
    blocks = list(_event_blocks(users, months, end, seed, max_events_per_user))
    return _arrow_to_frame(pa.concat_tables(blocks))


def _users_for_rows(rows: int, per_user: float) -> int:
    return max(1, math.ceil(rows / per_user * 1.08))


def _events_per_user(months: int, end: pd.Timestamp, seed: int) -> float:
    pilot = 4000
    count = sum(len(b) for b in _event_blocks(pilot, months, end, seed, None))
    return count / pilot


def generate_events_rows(
    *, rows: int, months: int = 12, end: pd.Timestamp = DEFAULT_END, seed: int = 7
) -> pd.DataFrame:
    """Return about *rows* demo events (exactly *rows* when enough were generated).

    The number of users is estimated from a small pilot run, then surplus events are dropped from
    the end of the time range (each user's signup is kept while it fits).
    """
    users = _users_for_rows(rows, _events_per_user(months, end, seed))
    frame = generate_events(users=users, months=months, end=end, seed=seed)
    if len(frame) > rows:
        frame = frame.sort_values("timestamp", kind="stable").head(rows).reset_index(drop=True)
    return frame


# --- files --------------------------------------------------------------------------------------


def _open_out(path: Path, stack: contextlib.ExitStack) -> IO[bytes]:
    """Open *path* for writing; ``.gz`` is gzip with a fixed header (same bytes every run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = stack.enter_context(path.open("wb"))
    if path.suffix == ".gz":
        gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        stack.callback(gz.close)
        return cast(IO[bytes], gz)
    return raw


def _to_csv_text(table: pa.Table, time_cols: tuple[str, ...]) -> pa.Table:
    for name in time_cols:
        i = table.schema.get_field_index(name)
        text = pc.strftime(table[name], format="%Y-%m-%dT%H:%M:%SZ")
        table = table.set_column(i, name, text)
    return table


def _write_csv(path: Path, blocks: Iterator[pa.Table], time_cols: tuple[str, ...]) -> int:
    # Values are generated names, ids and ISO timestamps: nothing ever needs quoting.
    rows = 0
    options = pacsv.WriteOptions(quoting_style="none", include_header=False)
    with contextlib.ExitStack() as stack:
        raw = _open_out(path, stack)
        sink = pa.PythonFile(raw, mode="w")
        writer: pacsv.CSVWriter | None = None
        for block in blocks:
            text = _to_csv_text(block, time_cols)
            if writer is None:
                raw.write((",".join(text.schema.names) + "\n").encode())
                writer = pacsv.CSVWriter(sink, text.schema, write_options=options)
            writer.write_table(text)
            rows += len(block)
        if writer is not None:
            writer.close()
    return rows


def write_events_csv(
    path: str | Path,
    *,
    users: int | None = None,
    rows: int | None = None,
    months: int = 12,
    end: pd.Timestamp = DEFAULT_END,
    seed: int = 7,
    max_events_per_user: int | None = None,
) -> int:
    """Write demo events to *path* (CSV, gzip'd when it ends in ``.gz``) block by block.

    Give *users* or *rows* (about that many rows: the user count is estimated from a pilot run).
    Columns: ``user_id,event,timestamp,plan,country,platform`` with ISO 8601 UTC timestamps
    (``2026-03-02T09:15:00Z``). Returns the number of rows written.
    """
    if rows is not None:
        users = _users_for_rows(rows, _events_per_user(months, end, seed))
    users = 20_000 if users is None else users
    blocks = _event_blocks(users, months, end, seed, max_events_per_user)
    if rows is not None:
        blocks = _limit(blocks, rows)
    return _write_csv(Path(path), blocks, ("timestamp",))


def _limit(blocks: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    left = rows
    for block in blocks:
        if left <= 0:
            return
        yield block.slice(0, left)
        left -= len(block)


def generate_subscriptions_rows(
    *, rows: int, months: int = 36, end: pd.Timestamp = DEFAULT_END, seed: int = 7
) -> pd.DataFrame:
    """Return *rows* subscription periods (about; exactly when enough were generated).

    The user count is estimated from a pilot run; surplus rows are cut from the last customers
    (rows are ordered by customer, then start, so a cut leaves whole, valid histories first).
    """
    pilot = 20_000
    model = _user_model(pilot, months, end, seed)
    per_user = max(len(_simulate_subscriptions(model, seed).customer) / pilot, 1e-3)
    frame = generate_subscriptions(
        users=_users_for_rows(rows, per_user), months=months, end=end, seed=seed
    )
    return frame.head(rows).reset_index(drop=True)


def write_subscriptions_csv(
    path: str | Path,
    *,
    users: int | None = None,
    rows: int | None = None,
    months: int = 12,
    end: pd.Timestamp = DEFAULT_END,
    seed: int = 7,
) -> int:
    """Write demo subscriptions to *path* (``customer_id,start,end,mrr,plan,billing``).

    Subscriptions are small next to events (about one period per five users), so they are built
    in memory and written in slices. An open period has an empty ``end``. Returns rows written.
    """
    if rows is not None:
        frame = generate_subscriptions_rows(rows=rows, months=months, end=end, seed=seed)
        table = pa.Table.from_pandas(frame, preserve_index=False)
    else:
        model = _user_model(20_000 if users is None else users, months, end, seed)
        table = _subscriptions_arrow(model, _simulate_subscriptions(model, seed))
    slices = (table.slice(i, 200_000) for i in range(0, max(len(table), 1), 200_000))
    return _write_csv(Path(path), slices, ("start", "end"))


def write_demo_files(out_dir: str | Path, *, seed: int = 7) -> list[Path]:
    """Write the shipped demo files ``demo-events.csv.gz`` and ``demo-subscriptions.csv.gz``.

    20,000 users over the 12 months before :data:`DEFAULT_END` (about 370,000 events, 3.5 MB
    gzip'd); at most 300 events per user trim the few heaviest users.
    """
    out = Path(out_dir)
    events, subs = out / "demo-events.csv.gz", out / "demo-subscriptions.csv.gz"
    write_events_csv(events, users=20_000, seed=seed, max_events_per_user=300)
    write_subscriptions_csv(subs, users=20_000, seed=seed)
    return [events, subs]
