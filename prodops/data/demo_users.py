"""The seeded user model behind the demo data set: who signs up when, and how they behave.

One model drives both demo tables so that they agree (:mod:`prodops.data.demo` for the events,
:mod:`prodops.data.demo_subscriptions` for the subscriptions): signups spread over the months with
growth and weekday seasonality; each user is a drop-off, casual or core user whose weekly activity
decays; the cohort of the month :data:`BAD_COHORT_MONTHS_BEFORE_END` months before ``end`` had a
worse onboarding (more drop-offs). Everything is vectorised with NumPy and seeded
(``numpy.random.default_rng``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from prodops.errors import ParameterError

DEFAULT_END = pd.Timestamp("2026-11-01", tz="UTC")

COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "NL", "JP")
_COUNTRY_WEIGHTS = np.array([0.34, 0.10, 0.10, 0.07, 0.10, 0.07, 0.07, 0.05, 0.05, 0.05])
PLATFORMS = ("web", "ios", "android")
_PLATFORM_WEIGHTS = np.array([0.62, 0.20, 0.18])

# Segments: 0 drop-off (signup week only), 1 casual (fades after ~6 weeks), 2 core (stays).
_SEGMENT_WEIGHTS = np.array([0.50, 0.34, 0.16])
_BAD_COHORT_SEGMENT_WEIGHTS = np.array([0.68, 0.25, 0.07])
BAD_COHORT_MONTHS_BEFORE_END = 5  # the month whose onboarding change hurt retention

# Mon..Sun: fewer signups and actions at weekends.
WEEKDAY_FACTOR = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4])
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 11, 10, 9, 7, 6, 5, 4, 3, 2], dtype=float
)

DAY_S = 86_400
NEVER = np.iinfo(np.int64).max  # "no end" in epoch seconds


@dataclass(frozen=True)
class DemoUsers:
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


def user_model(users: int, months: int, end: pd.Timestamp, seed: int) -> DemoUsers:
    """Draw *users* signups over the *months* before *end*, and how each of them behaves."""
    rng = np.random.default_rng([seed, 0])
    end = _check(users, months, end)
    start = end - pd.DateOffset(months=months)
    days = pd.date_range(start, end, freq="D", inclusive="left")
    # Growth of about 8 % a month, fewer signups at weekends.
    weights = 1.08 ** (np.arange(len(days)) / 30.44) * WEEKDAY_FACTOR[days.day_of_week]
    day = rng.choice(len(days), size=users, p=weights / weights.sum())
    hour = rng.choice(24, size=users, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
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
    return DemoUsers(
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


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Return *table* as a pandas frame with microsecond UTC timestamps."""
    frame = table.to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].astype("datetime64[us, UTC]")
    result: pd.DataFrame = frame
    return result


def users_for_rows(rows: int, per_user: float) -> int:
    """Users to generate for about *rows* rows at *per_user* rows each (8 % to spare)."""
    return max(1, math.ceil(rows / per_user * 1.08))
