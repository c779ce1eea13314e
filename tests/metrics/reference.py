"""A plain-pandas reference implementation of the events metrics (tests only).

Written from DESIGN.md's "Metric semantics" independently of the engine: periods are found by
stepping a calendar forward and back and searching it, cohorts and cells by looping over users
with Python sets. Slow and obvious on purpose; hypothesis compares the engine against it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from prodops.errors import InputError, ParameterError

STEP = {
    "hour": pd.Timedelta(hours=1),
    "day": pd.Timedelta(days=1),
    "week": pd.Timedelta(days=7),
}


def local(ts: pd.Series, tz: str) -> pd.Series:
    return ts.dt.tz_convert(tz).dt.tz_localize(None)


def trunc(x: pd.Timestamp, period: str, week_start: str) -> pd.Timestamp:
    if period == "hour":
        return pd.Timestamp(x.year, x.month, x.day, x.hour)
    day = pd.Timestamp(x.year, x.month, x.day)
    if period == "day":
        return day
    if period == "week":
        first_weekday = 0 if week_start == "monday" else 6
        return day - pd.Timedelta(days=(day.day_of_week - first_weekday) % 7)
    return pd.Timestamp(x.year, x.month, 1)


def step(x: pd.Timestamp, period: str, times: int) -> pd.Timestamp:
    if period == "month":
        months = x.year * 12 + (x.month - 1) + times
        return pd.Timestamp(months // 12, months % 12 + 1, 1)
    return x + STEP[period] * times


def to_local(value: Any, tz: str) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert(tz).tz_localize(None) if stamp.tzinfo is not None else stamp


def whole_day(value: Any) -> bool:
    """A date alone (``datetime.date`` or ``"YYYY-MM-DD"``) names a whole local day."""
    if isinstance(value, str):
        return len(value) == 10
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def to_local_end(value: Any, tz: str) -> pd.Timestamp | None:
    """The last local instant a ``date_to`` covers (a date alone: up to its 23:59:59.999999)."""
    stamp = to_local(value, tz)
    if stamp is not None and whole_day(value):
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


def data_end(events: pd.DataFrame, opts: dict[str, Any]) -> pd.Timestamp | None:
    """``as_of`` (a date alone: the end of that local day), else the last event (UTC)."""
    as_of, tz = opts.get("as_of"), opts.get("timezone", "UTC")
    if as_of is None:
        return events["timestamp"].max() if len(events) else None
    stamp = pd.Timestamp(as_of)
    if whole_day(as_of):
        stamp = stamp + pd.Timedelta(days=1)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


class RefCalendar:
    """Periods ``first + i*count`` units for i in 0..n-1, found by stepping.

    With ``use_periods`` (retention) ``periods`` is the number of *columns* and the range alone
    chooses the rows; ``date_to`` defaults to ``as_of``, then to the last event.
    """

    def __init__(self, events: pd.DataFrame, opts: dict[str, Any], *, use_periods: bool) -> None:
        tz = opts.get("timezone", "UTC")
        self.period = opts.get("period", "week")
        self.count = opts.get("period_count", 1)
        ws = opts.get("week_start", "monday")
        self.tz = tz
        loc = local(events["timestamp"], tz)
        start = to_local(opts.get("date_from"), tz)
        to = opts.get("date_to")
        end = to_local_end(to if to is not None else opts.get("as_of"), tz)
        periods = opts.get("periods") if use_periods else None
        if end is None:
            if loc.empty:
                raise InputError("there are no events")
            end = loc.max()
        last = trunc(end, self.period, ws)
        if start is not None:
            first = trunc(start, self.period, ws)
            n = 0
            while step(first, self.period, n * self.count) <= last:
                n += 1
        elif periods is not None:
            n = periods
            first = step(last, self.period, -(periods - 1) * self.count)
        else:
            if loc.empty:
                raise InputError("there are no events")
            lo = trunc(min(loc.min(), end), self.period, ws)
            first, n = last, 1
            while first > lo:
                first = step(first, self.period, -self.count)
                n += 1
        self.first, self.n = first, n
        self.columns = periods if periods is not None else n
        # Boundaries wide enough for every event, to place events before and after the range.
        lo_all = min([first, *([loc.min()] if len(loc) else [])])
        hi_all = max([step(first, self.period, n * self.count), *([loc.max()] if len(loc) else [])])
        back = 0
        while step(first, self.period, -back * self.count) > lo_all:
            back += 1
        fwd = n
        while step(first, self.period, fwd * self.count) <= hi_all:
            fwd += 1
        self.bounds = [step(first, self.period, i * self.count) for i in range(-back, fwd + 1)]
        self.back = back
        self.loc = loc

    def index(self) -> np.ndarray:
        pos = np.searchsorted(
            np.array(self.bounds, dtype="datetime64[us]"),
            self.loc.to_numpy(dtype="datetime64[us]"),
            side="right",
        )
        return pos - 1 - self.back

    def starts(self) -> pd.DatetimeIndex:
        stamps = [
            step(self.first, self.period, i * self.count).tz_localize(
                self.tz, ambiguous=True, nonexistent="shift_forward"
            )
            for i in range(self.n)
        ]
        return pd.DatetimeIndex(stamps, tz=self.tz).as_unit("us")

    def days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(
            [step(self.first, self.period, i * self.count) for i in range(self.n)]
        ).as_unit("us")

    def index_of(self, stamp: pd.Timestamp) -> int:
        """The index of the period holding naive local *stamp*, found by stepping."""
        i = 0
        while step(self.first, self.period, i * self.count) > stamp:
            i -= 1
        while step(self.first, self.period, (i + 1) * self.count) <= stamp:
            i += 1
        return i

    def complete(self, index: int, end: pd.Timestamp | None) -> bool:
        """Period *index* ends (its next period's local start) at or before *end*."""
        stop = step(self.first, self.period, (index + 1) * self.count)
        aware = stop.tz_localize(self.tz, ambiguous=True, nonexistent="shift_forward")
        return end is not None and aware <= end


_NUMBER = re.compile(r"\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _cond_list(where: Any) -> list[tuple[str, str, Any]]:
    """``{col: value}`` or ``[(col, op[, value])]`` as a list of (col, op, value)."""
    if not where:
        return []
    if isinstance(where, dict):
        out = []
        for col, value in where.items():
            for v in value if isinstance(value, list | tuple) else [value]:
                out.append((col, "=", str(v)))
        return out
    return [(c[0], c[1], c[2] if len(c) == 3 else None) for c in where]


def _holds(v: Any, op: str, value: Any, numeric: bool) -> bool:
    """One condition on one cell, written from DESIGN.md "Filters" and filters.py's docstring."""
    if op == "?":
        return not _missing(v) and v != ""
    if op == "!?":
        return _missing(v) or v == ""
    if op == "!=":
        return _missing(v) or not _holds(v, "=", value, numeric)
    if _missing(v):
        return False
    if op == "~":
        return str(value).lower() in str(v).lower()
    left: Any = float(v) if numeric else str(v)
    right: Any = float(value) if numeric else str(value)
    if not numeric and op != "=" and _NUMBER.fullmatch(str(value)):
        # a number against a text column: compared with the values that are numbers only
        if not _NUMBER.fullmatch(str(v)):
            return False
        left, right = float(str(v)), float(str(value))
    return {
        "=": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def matches(frame: pd.DataFrame, where: Any) -> pd.Series:
    """Rows kept by *where*: ``=`` (and ``~``) on one column OR together, all else AND."""
    ok = pd.Series(True, index=frame.index)
    by_col: dict[str, list[tuple[str, Any]]] = {}
    for col, op, value in _cond_list(where):
        by_col.setdefault(col, []).append((op, value))
    for col, conds in by_col.items():
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
            frame[col]
        )
        cells = list(frame[col].astype(object))
        keep = []
        for v in cells:
            good = True
            for op in ("=", "~"):
                values = [x for o, x in conds if o == op]
                if values:
                    good = good and any(_holds(v, op, x, numeric) for x in values)
            for op, x in conds:
                if op not in ("=", "~"):
                    good = good and _holds(v, op, x, numeric)
            keep.append(good)
        ok &= pd.Series(keep, index=frame.index, dtype=bool)
    return ok


def split_values(
    scope: pd.DataFrame, col: str, counts: pd.Series, limit: int | None
) -> tuple[list[Any], dict[Any, Any]]:
    """The breakdown's values (largest first by distinct counted users, ties by value, missing
    last, the rest as "other") and each raw label's shown label."""
    texts = [None if _missing(x) else str(x) for x in scope[col].astype(object)]
    label = pd.Series(texts, index=scope.index, dtype=object)
    sizes: dict[Any, int] = {}
    for v in dict.fromkeys(texts):
        sizes[v] = scope[(label == v if v is not None else label.isna()) & counts][
            "user_id"
        ].nunique()
    order = sorted(sizes, key=lambda v: (-sizes[v], v is None, v or ""))
    if limit is None or len(order) <= limit:
        return order, {v: v for v in order}
    kept = order[:limit]
    other = "other" if "other" not in kept else f"other ({col})"
    return [*kept, other], {v: (v if v in kept else other) for v in order}


def named(frame: pd.DataFrame, event: str | None) -> pd.Series:
    return pd.Series(True, index=frame.index) if event is None else frame["event"] == event


def ref_retention(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    cal = RefCalendar(events, opts, use_periods=True)
    n, m = cal.n, cal.columns
    if n < 1:
        raise ParameterError("date_from is after the last event")
    end = data_end(events, opts)
    # Cohorts are followed up to the later of the last row and the period of the data end (the
    # last event, or the instant just before as_of).
    seen = n - 1
    if end is not None:
        covered = end - pd.Timedelta(microseconds=1) if opts.get("as_of") is not None else end
        seen = max(seen, cal.index_of(covered.tz_convert(cal.tz).tz_localize(None)))
    ev = events.assign(idx=cal.index())
    bk_col = opts.get("breakdown")
    glob = ev[matches(ev, opts.get("where"))]
    if bk_col is None:
        values: list[Any] = [None]
    else:
        starting = named(glob, opts.get("start_event")) & matches(glob, opts.get("start_where"))
        values, shown = split_values(glob, bk_col, starting, opts.get("breakdown_limit", 5))
        glob = glob.assign(
            _bk=pd.Series(
                [shown[None if _missing(x) else str(x)] for x in glob[bk_col].astype(object)],
                index=glob.index,
                dtype=object,
            )
        )
    kind = opts.get("cohort", "first_time")
    min_occ = opts.get("min_occurrences", 1)
    cumulative = opts.get("cumulative", False)
    rows = []
    for v in values:
        if bk_col is None:
            scope = glob
        else:
            scope = glob[glob["_bk"] == v] if v is not None else glob[glob["_bk"].isna()]
        starts = scope[
            named(scope, opts.get("start_event")) & matches(scope, opts.get("start_where"))
        ]
        rets = scope[
            named(scope, opts.get("return_event")) & matches(scope, opts.get("return_where"))
        ]
        members: dict[int, set[str]] = {i: set() for i in range(n)}
        if kind == "first_time":
            for user, grp in starts.groupby("user_id"):
                c = int(grp["idx"].min())
                if 0 <= c < n:
                    members[c].add(str(user))
        elif kind == "recurring":
            for user, c in zip(starts["user_id"], starts["idx"], strict=True):
                if 0 <= c < n:
                    members[int(c)].add(str(user))
        else:
            all_named = ev[named(ev, opts.get("start_event"))]
            for user, grp in all_named.groupby("user_id"):
                t0 = grp["timestamp"].min()
                mine = starts[(starts["user_id"] == user) & (starts["timestamp"] == t0)]
                if len(mine):
                    c = int(mine["idx"].iloc[0])
                    if 0 <= c < n:
                        members[c].add(str(user))
        active: dict[str, set[int]] = {}
        for (user, r), grp in rets.groupby(["user_id", "idx"]):
            if len(grp) >= min_occ and 0 <= r <= seen:
                active.setdefault(str(user), set()).add(int(r))
        for i in range(n):
            size = len(members[i])
            for k in range(m):
                if i + k > seen:
                    count: Any = pd.NA
                elif k == 0:
                    count = size
                elif cumulative:
                    count = sum(1 for u in members[i] if any(r >= i + k for r in active.get(u, ())))
                else:
                    count = sum(1 for u in members[i] if i + k in active.get(u, ()))
                rate = pd.NA if count is pd.NA or size == 0 else count / size
                done = count is not pd.NA and cal.complete(i + k, end)
                rows.append((v, i, size, k, count, rate, done))
    frame = pd.DataFrame(
        rows, columns=["breakdown", "i", "size", "offset", "count", "rate", "complete"]
    )
    starts_index = cal.starts()
    out = pd.DataFrame(
        {
            "breakdown": pd.Series([r[0] for r in rows], dtype=object),
            "cohort": starts_index[frame["i"].to_numpy(dtype=int)],
            "size": frame["size"].astype("int64"),
            "offset": frame["offset"].astype("int64"),
            "count": pd.array(list(frame["count"]), dtype="Int64"),
            "rate": pd.array(list(frame["rate"]), dtype="Float64"),
            "complete": frame["complete"].astype(bool),
        }
    )
    return out


def ref_average(
    frame: pd.DataFrame, *, include_incomplete: bool = False
) -> dict[tuple[Any, int], Any]:
    out: dict[tuple[Any, int], Any] = {}
    for (bk, k), grp in frame.groupby(["breakdown", "offset"], dropna=False):
        seen = grp[grp["count"].notna() & (grp["complete"] | include_incomplete)]
        den = int(seen["size"].sum())
        out[(None if pd.isna(bk) else bk, int(k))] = (
            pd.NA if den == 0 else int(seen["count"].sum()) / den
        )
    return out


def _activity(events: pd.DataFrame, opts: dict[str, Any], cal: RefCalendar) -> pd.DataFrame:
    ev = events.assign(idx=cal.index())
    keep = named(ev, opts.get("event")) & matches(ev, opts.get("where"))
    if "_only" in opts:  # one breakdown value's rows
        keep &= opts["_only"]
    return ev[keep]


def by_breakdown(ref: Any) -> Any:
    """*ref* computed once per breakdown value (the rows labelled so), stacked, when the options
    name a breakdown: calendar and data end still come from all the events."""

    def run(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
        col = opts.pop("breakdown", None)
        limit = opts.pop("breakdown_limit", 5)
        if col is None:
            return ref(events, **opts)
        scope = events[named(events, opts.get("event")) & matches(events, opts.get("where"))]
        values, shown = split_values(scope, col, pd.Series(True, index=scope.index), limit)
        label = pd.Series(
            [shown.get(None if _missing(x) else str(x), "?") for x in events[col].astype(object)],
            index=events.index,
            dtype=object,
        )
        parts, labels = [], []
        for v in values:
            part = ref(events, **opts, _only=(label == v) if v is not None else label.isna())
            parts.append(part)
            labels += [v] * len(part)
        if not parts:  # nothing matched: no value, no row
            parts = [ref(events, **opts, _only=pd.Series(False, index=events.index)).iloc[:0]]
        out = pd.concat(parts, ignore_index=True)
        out.insert(0, "breakdown", pd.Series(labels, dtype=object))
        return out

    return run


def done_by(cal: RefCalendar, j: int, end: pd.Timestamp | None) -> bool:
    """Period *j* of a series metric is complete: its end (the next local start) <= *end*."""
    stop = step(cal.first, cal.period, (j + 1) * cal.count)
    aware = stop.tz_localize(cal.tz, ambiguous=True, nonexistent="shift_forward")
    return end is not None and aware <= end


@by_breakdown
def ref_lifecycle(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    cal = RefCalendar(events, opts, use_periods=False)
    end = data_end(events, opts)
    act = _activity(events, opts, cal)
    sets = {u: set(int(i) for i in g["idx"] if i < cal.n) for u, g in act.groupby("user_id")}
    rows = []
    for j in range(cal.n):
        new = ret = res = dor = 0
        for s in sets.values():
            if j in s:
                if min(s) == j:
                    new += 1
                elif j - 1 in s:
                    ret += 1
                else:
                    res += 1
            elif j - 1 in s:
                dor += 1
        rows.append((new, ret, res, dor, pd.NA if dor == 0 else (new + res) / dor))
    frame = pd.DataFrame(
        rows, columns=["new", "returning", "resurrecting", "dormant", "pulse_ratio"]
    )
    frame.insert(0, "start", cal.starts())
    frame = frame.astype({c: "int64" for c in ["new", "returning", "resurrecting", "dormant"]})
    frame["pulse_ratio"] = pd.array(list(frame["pulse_ratio"]), dtype="Float64")
    frame["complete"] = [done_by(cal, j, end) for j in range(cal.n)]
    return frame


def ref_stickiness(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    """Counts the complete periods only, unless ``include_incomplete``."""
    cal = RefCalendar(events, opts, use_periods=False)
    end = data_end(events, opts)
    done = sum(1 for j in range(cal.n) if done_by(cal, j, end))
    counted = cal.n if opts.get("include_incomplete") else done
    act = _activity(events, opts, cal)
    act = act[(act["idx"] >= 0) & (act["idx"] < counted)]
    least = opts.get("min_events", 1)
    per_user: dict[str, int] = {}
    for (user, _), grp in act.groupby(["user_id", "idx"]):
        if len(grp) >= least:
            per_user[str(user)] = per_user.get(str(user), 0) + 1
    ns = list(range(1, counted + 1))
    if opts.get("cumulative"):
        users = [sum(1 for a in per_user.values() if a >= m) for m in ns]
    else:
        users = [sum(1 for a in per_user.values() if a == m) for m in ns]
    frame = pd.DataFrame(
        {
            "active_periods": ns,
            "users": users,
            "buckets_total": [cal.n] * counted,
            "buckets_complete": [done] * counted,
        },
        dtype="int64",
    )
    frame["complete"] = pd.Series([counted <= done] * counted, dtype=bool)
    return frame


@by_breakdown
def ref_active_users(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    cal = RefCalendar(events, {**opts, "period": "day"}, use_periods=False)
    end = data_end(events, opts)
    act = _activity(events, opts, cal)
    w = opts.get("window_days", 1)
    users = []
    for d in range(cal.n):
        inside = act[(act["idx"] > d - w) & (act["idx"] <= d)]
        users.append(inside["user_id"].nunique())
    return pd.DataFrame(
        {
            "date": cal.days(),
            "users": pd.Series(users, dtype="int64"),
            "complete": pd.Series([done_by(cal, d, end) for d in range(cal.n)], dtype=bool),
        }
    )


@by_breakdown
def ref_churn(events: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    cal = RefCalendar(events, opts, use_periods=False)
    end = data_end(events, opts)
    act = _activity(events, opts, cal)
    sets = {u: set(int(i) for i in g["idx"]) for u, g in act.groupby("user_id")}
    rows = []
    for j in range(cal.n):
        before = [s for s in sets.values() if j - 1 in s]
        gone = sum(1 for s in before if j not in s)
        rows.append((len(before), gone, pd.NA if not before else gone / len(before)))
    frame = pd.DataFrame(rows, columns=["active_start", "churned", "churn_rate"])
    frame.insert(0, "period", cal.starts())
    frame = frame.astype({"active_start": "int64", "churned": "int64"})
    frame["churn_rate"] = pd.array(list(frame["churn_rate"]), dtype="Float64")
    frame["complete"] = [done_by(cal, j, end) for j in range(cal.n)]
    return frame
