"""Demo subscriptions: some demo users convert to a paid plan and walk through their renewals.

Converted users upgrade, downgrade, cancel and come back, written as consecutive subscription
periods (customer_id = user_id); a few customers add an add-on subscription that overlaps their
main one (the only intended overlap). The users come from :mod:`prodops.data.demo_users`, so the
subscriptions agree with the demo events of :mod:`prodops.data.demo`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from prodops.data.demo_users import (
    DAY_S,
    DEFAULT_END,
    NEVER,
    DemoUsers,
    arrow_to_frame,
    user_model,
    users_for_rows,
)

PLANS = ("starter", "pro", "business")
MONTHLY_PRICE = (29.0, 99.0, 299.0)
ANNUAL_PRICE = (290.0, 990.0, 2990.0)  # two months free
ADDON_PLAN = "addon"
ADDON_PRICE = 19.0
_CONVERSION_BY_SEGMENT = np.array([0.01, 0.10, 0.38])

SUBSCRIPTION_FILE_COLUMNS = ("customer_id", "start", "end", "mrr", "plan", "billing")


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
    result: np.ndarray = target.astype("datetime64[s]").astype(np.int64) + clipped
    return result


@dataclass(frozen=True)
class DemoPeriods:
    """Subscription periods (one row each); ``end_s == NEVER`` means still active."""

    customer: np.ndarray  # user index
    start_s: np.ndarray
    end_s: np.ndarray
    plan: np.ndarray  # index into PLANS, or len(PLANS) for the add-on
    yearly: np.ndarray
    kind: np.ndarray  # 0 first, 1 upgrade, 2 downgrade, 3 reactivation, 4 add-on


def simulate_subscriptions(model: DemoUsers, seed: int) -> DemoPeriods:
    """Convert some users to paid plans and walk them through their billing renewals."""
    rng = np.random.default_rng([seed, 1])
    n = len(model.signup_s)
    converts = rng.random(n) < _CONVERSION_BY_SEGMENT[model.segment]
    conv_s = model.signup_s + DAY_S + (rng.exponential(18.0, n) * DAY_S).astype(np.int64)
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
    first_stop = np.full(m, NEVER, dtype=np.int64)
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
        jitter = rng.integers(0, 20 * DAY_S, len(gone))
        next_s[gone] = np.where(returns, _add_months(t[cancel], gap) + jitter, NEVER)
    still = np.flatnonzero(active)
    emit(still, np.full(len(still), NEVER, dtype=np.int64))

    # Add-ons: some pro/business customers add a second, overlapping subscription.
    has = np.flatnonzero((plan >= 1) & (rng.random(m) < 0.12))
    a_start = conv_s[cust[has]] + rng.integers(15, 150, len(has)) * DAY_S
    a_end = np.where(
        rng.random(len(has)) < 0.35,
        a_start + rng.integers(30, 200, len(has)) * DAY_S,
        NEVER,
    )
    a_end = np.minimum(a_end, first_stop[has])
    ok = (a_start < model.end_s) & (a_start < a_end)
    has, a_start, a_end = has[ok], a_start[ok], a_end[ok]
    a_end = np.where(a_end >= model.end_s, NEVER, a_end)
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
    parts[2] = np.where(parts[2] >= model.end_s, NEVER, parts[2])
    order = np.lexsort((parts[1], cust[parts[0]]))
    return DemoPeriods(
        customer=cust[parts[0]][order],
        start_s=parts[1][order],
        end_s=parts[2][order],
        plan=parts[3][order],
        yearly=parts[4][order],
        kind=parts[5][order],
    )


def _period_mrr(periods: DemoPeriods) -> np.ndarray:
    monthly = np.append(MONTHLY_PRICE, ADDON_PRICE)[periods.plan]
    annual = np.append(ANNUAL_PRICE, ADDON_PRICE * 12)[periods.plan]
    result: np.ndarray = np.round(np.where(periods.yearly, annual / 12, monthly), 2)
    return result


def _ts_array(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (``NEVER`` = missing) as an Arrow UTC timestamp array."""
    return pa.array(seconds, type=pa.timestamp("s", tz="UTC"), mask=seconds == NEVER)


def subscriptions_arrow(model: DemoUsers, periods: DemoPeriods) -> pa.Table:
    """The periods as an Arrow table with the columns of :data:`SUBSCRIPTION_FILE_COLUMNS`."""
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
    model = user_model(users, months, end, seed)
    return arrow_to_frame(subscriptions_arrow(model, simulate_subscriptions(model, seed)))


def generate_subscriptions_rows(
    *, rows: int, months: int = 36, end: pd.Timestamp = DEFAULT_END, seed: int = 7
) -> pd.DataFrame:
    """Return *rows* subscription periods (about; exactly when enough were generated).

    The user count is estimated from a pilot run; surplus rows are cut from the last customers
    (rows are ordered by customer, then start, so a cut leaves whole, valid histories first).
    """
    pilot = 20_000
    model = user_model(pilot, months, end, seed)
    per_user = max(len(simulate_subscriptions(model, seed).customer) / pilot, 1e-3)
    frame = generate_subscriptions(
        users=users_for_rows(rows, per_user), months=months, end=end, seed=seed
    )
    return frame.head(rows).reset_index(drop=True)
