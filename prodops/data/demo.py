"""A deterministic demo data set: a believable SaaS product's events and subscriptions.

One seeded *user model* (:mod:`prodops.data.demo_users`) drives both tables so that they agree:
signups spread over the months with growth and weekday seasonality; each user is a drop-off, casual
or core user whose weekly activity decays (week-1 retention about 40 %, a long tail about 15 %); the
cohort of the month five months before ``end`` had a worse onboarding (more drop-offs) so retention
views have something to find. Some users convert to a paid plan and then upgrade, downgrade, cancel
and come back (:mod:`prodops.data.demo_subscriptions`); paying users stay active while they pay.

This module generates the events and writes both tables as CSV files; it is the entry point for
the whole data set (the subscription generators are importable from here too). Everything is
vectorised with NumPy and seeded (``numpy.random.default_rng``): the same arguments give the same
frames and the same file bytes. Events are generated in blocks of users so that
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
import functools
import gzip
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from prodops.data.demo_subscriptions import (
    ADDON_PLAN,
    PLANS,
    DemoPeriods,
    generate_subscriptions,
    generate_subscriptions_rows,
    simulate_subscriptions,
    subscriptions_arrow,
)
from prodops.data.demo_users import (
    COUNTRIES,
    DAY_S,
    DEFAULT_END,
    HOUR_WEIGHTS,
    NEVER,
    PLATFORMS,
    WEEKDAY_FACTOR,
    DemoUsers,
    arrow_to_frame,
    user_model,
    users_for_rows,
)

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

_WEEK_S = 7 * DAY_S
_USER_BLOCK = 50_000  # users per generated block (bounds memory when streaming)
_MIN_USERS = 100  # fewest users generated for a --rows request (surplus rows are cut)

EVENT_FILE_COLUMNS = ("user_id", "event", "timestamp", "plan", "country", "platform")


# --- events -------------------------------------------------------------------------------------


def _repeat_ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, position) for ``counts[i]`` items per owner i (vectorised ranges)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _paid_until(model: DemoUsers, periods: DemoPeriods) -> np.ndarray:
    """Per user: the end of their last paid period (``NEVER`` if still paying, 0 if never)."""
    until = np.zeros(len(model.signup_s), dtype=np.int64)
    np.maximum.at(until, periods.customer, periods.end_s)
    return until


def _plan_at(
    users: np.ndarray, ts: np.ndarray, periods: DemoPeriods, main: np.ndarray
) -> np.ndarray:
    """Index of the main plan active for (user, time), or -1 (free), by one sorted search."""
    shift = np.int64(1) << np.int64(34)  # epoch seconds fit in 34 bits until the year 2514
    p_cust, p_start, p_end = periods.customer[main], periods.start_s[main], periods.end_s[main]
    if len(p_cust) == 0:  # nobody in this block ever paid (a handful of users): all free
        return np.full(len(users), -1, dtype=np.int64)
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
    model: DemoUsers,
    periods: DemoPeriods,
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
    paid_weeks = np.where(paid == NEVER, np.inf, (paid - signup) / _WEEK_S)
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
    day0 = signup[e_user] - signup[e_user] % DAY_S
    day = rng.integers(0, 7, len(owner))
    hour = rng.choice(24, size=len(owner), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    ts = day0 + (e_week * 7 + day) * DAY_S + hour * 3600 + rng.integers(0, 3600, len(owner))
    late = ts <= signup[e_user]
    ts[late] = signup[e_user][late] + rng.integers(60, 4 * 3600, int(late.sum()))
    weekday = ((ts // DAY_S) + 3) % 7  # 1970-01-01 was a Thursday
    first = (pos == 0) & (e_week > 0)
    keep = (ts < model.end_s) & (
        first | (rng.random(len(ts)) < WEEKDAY_FACTOR[weekday] / WEEKDAY_FACTOR.max())
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
    model = user_model(users, months, end, seed)
    periods = simulate_subscriptions(model, seed)
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
    return arrow_to_frame(pa.concat_tables(blocks))


def _users_for_event_rows(rows: int, months: int, end: pd.Timestamp, seed: int) -> int:
    """Users enough for about *rows* events: estimated from a pilot run, at least
    :data:`_MIN_USERS` (a handful of users varies too much to be sized from an average)."""
    pilot = 4000
    count = sum(len(b) for b in _event_blocks(pilot, months, end, seed, None))
    return max(users_for_rows(rows, count / pilot), _MIN_USERS)


def generate_events_rows(
    *, rows: int, months: int = 12, end: pd.Timestamp = DEFAULT_END, seed: int = 7
) -> pd.DataFrame:
    """Return about *rows* demo events (exactly *rows* when enough were generated).

    The number of users is estimated from a small pilot run, then surplus events are dropped from
    the end of the time range (each user's signup is kept while it fits).
    """
    users = _users_for_event_rows(rows, months, end, seed)
    frame = generate_events(users=users, months=months, end=end, seed=seed)
    if len(frame) > rows:
        frame = frame.sort_values("timestamp", kind="stable").head(rows).reset_index(drop=True)
    return frame


# --- files --------------------------------------------------------------------------------------


def _open_out(path: Path, stack: contextlib.ExitStack) -> IO[bytes]:
    """Open *path* for writing; ``.gz`` is gzip with a fixed header (same bytes every run).

    The bytes go to a new temporary file beside *path*, renamed onto it when the stack closes
    without an error and deleted otherwise: a failure never truncates or half-writes *path*.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # "x" mode respects the umask (unlike mkstemp's 0600) and never reuses someone's file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    raw = partial.open("xb")
    stack.push(functools.partial(_finish, raw, partial, path))
    if path.suffix.lower() == ".gz":
        gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        stack.callback(gz.close)
        return cast(IO[bytes], gz)
    return raw


def _finish(
    raw: IO[bytes], partial: Path, path: Path, exc_type: type[BaseException] | None, *_: object
) -> None:
    """Exit callback of :func:`_open_out`: move the finished file into place, or drop it."""
    raw.close()
    if exc_type is None:
        partial.replace(path)
    else:
        partial.unlink(missing_ok=True)


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
        users = _users_for_event_rows(rows, months, end, seed)
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
        model = user_model(20_000 if users is None else users, months, end, seed)
        table = subscriptions_arrow(model, simulate_subscriptions(model, seed))
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


__all__ = [
    "ADDON_PLAN",
    "DEFAULT_END",
    "EVENT_FILE_COLUMNS",
    "EVENT_NAMES",
    "PLANS",
    "generate_events",
    "generate_events_rows",
    "generate_subscriptions",
    "generate_subscriptions_rows",
    "write_demo_files",
    "write_events_csv",
    "write_subscriptions_csv",
]
