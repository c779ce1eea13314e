"""Revenue-weighted demand: who asked for a roadmap item, and the MRR behind them.

The customers behind an item are those of the notes under the insights linked to it (merged
insights included). Each customer is joined to a subscriptions frame (the canonical
``customer_id``, ``start``, ``end``, ``mrr`` columns, plus any property such as ``plan``) by
customer id, or by e-mail or e-mail domain when the subscriptions carry an e-mail column. A
customer's MRR is the sum of ``mrr`` over their subscriptions with ``start <= as_of < end`` (an
empty end is still active; DESIGN.md, Revenue); customers with no subscription then count with
MRR 0 and are listed, marked ``subscribed = False``.

Examples
--------
>>> notes = pd.DataFrame({"customer_id": ["c1", "c1", "c2", "c9"], "customer_email": [""] * 4,
...                       "customer_company": ["A", "A", "B", ""]})
>>> subs = pd.DataFrame({"customer_id": ["c1", "c2", "c2"], "start": ["2026-01-01"] * 3,
...                      "end": [None, None, "2026-02-01"], "mrr": [100.0, 30.0, 50.0],
...                      "plan": ["pro", "starter", "pro"]})
>>> demand = customer_demand(notes, subs, as_of=dt.date(2026, 3, 1))
>>> demand = demand[["customer", "notes", "mrr", "plan", "subscribed"]]
>>> demand.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'customer': 'c1', 'notes': 2, 'mrr': 100.0, 'plan': 'pro', 'subscribed': True},
 {'customer': 'c2', 'notes': 1, 'mrr': 30.0, 'plan': 'starter', 'subscribed': True},
 {'customer': 'c9', 'notes': 1, 'mrr': 0.0, 'plan': '', 'subscribed': False}]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from prodops.data.schema import CUSTOMER_COL, END_COL, MRR_COL, START_COL
from prodops.errors import ColumnError, ParameterError, did_you_mean
from prodops.research.insight_crud import canonical_id, insight_note_ids, item_insight_ids
from prodops.research.models import ResearchInsight, ResearchNote
from prodops.store.db import read_session

MATCH_BY = ("customer_id", "email", "domain")
DEMAND_COLUMNS = ["customer", "company", "notes", "mrr", "plan", "subscribed"]
EVIDENCE_COLUMNS = ["insight", "notes", "customers", "mrr"]


def _customer_key(notes: pd.DataFrame, match_by: str) -> pd.Series:
    email = notes["customer_email"].fillna("").str.strip().str.lower()
    if match_by == "email":
        key = email
    elif match_by == "domain":
        key = email.str.rpartition("@")[2]
    else:
        key = notes["customer_id"].fillna("").str.strip()
    # A note without the key still names a customer: fall back to id, e-mail, then company.
    fallback = (
        notes["customer_id"]
        .fillna("")
        .where(
            notes["customer_id"].fillna("") != "",
            email.where(email != "", notes["customer_company"]),
        )
    )
    return key.where(key != "", fallback.fillna("").str.strip())


def _active_mrr(
    subscriptions: pd.DataFrame, *, as_of: dt.date, key_col: str, match_by: str
) -> pd.DataFrame:
    missing = [c for c in (key_col, START_COL, END_COL, MRR_COL) if c not in subscriptions]
    if missing:
        raise ColumnError(
            f"the subscriptions have no {missing[0]!r} column",
            where="subscriptions",
            fix=did_you_mean(missing[0], list(subscriptions.columns))
            or "Pick a subscriptions dataset (customer_id, start, end, mrr).",
        )
    instant = pd.Timestamp(as_of, tz="UTC")
    start = pd.to_datetime(subscriptions[START_COL], utc=True, format="mixed")
    end = pd.to_datetime(subscriptions[END_COL], utc=True, format="mixed")
    active = subscriptions[(start <= instant) & (end.isna() | (end > instant))].copy()
    key = active[key_col].astype(str).str.strip()
    if match_by == "email":
        key = key.str.lower()
    elif match_by == "domain":
        key = key.str.lower().str.rpartition("@")[2]
    active["key"] = key
    active["mrr"] = pd.to_numeric(active[MRR_COL], errors="coerce").fillna(0.0).astype(float)
    plan = active["plan"].astype(str) if "plan" in active else pd.Series("", index=active.index)
    active["plan"] = plan
    biggest = active.sort_values("mrr", ascending=False, kind="stable").drop_duplicates("key")
    totals = active.groupby("key")["mrr"].sum()
    return pd.DataFrame({"mrr": totals, "plan": biggest.set_index("key")["plan"]})


def customer_demand(
    notes: pd.DataFrame,
    subscriptions: pd.DataFrame | None,
    *,
    as_of: dt.date,
    match_by: str = "customer_id",
    email_col: str | None = None,
) -> pd.DataFrame:
    """One row per customer behind *notes*: notes, MRR at *as_of*, plan, subscribed.

    Parameters
    ----------
    notes
        Columns ``customer_id``, ``customer_email``, ``customer_company`` (one row per note).
    subscriptions
        Canonical subscriptions (None: every customer counts MRR 0).
    match_by
        ``customer_id`` (default), ``email`` or ``domain`` (the latter two compare the note's
        e-mail with *email_col* of the subscriptions).

    Returns
    -------
    pandas.DataFrame
        :data:`DEMAND_COLUMNS`, by MRR then notes (descending), then customer. Notes that name no
        customer at all are left out.
    """
    if match_by not in MATCH_BY:
        raise ParameterError(
            f"unknown match {match_by!r}", fix=f"Use one of {', '.join(MATCH_BY)}."
        )
    if match_by != "customer_id" and not email_col:
        raise ParameterError(
            f"matching by {match_by} needs the subscriptions' e-mail column",
            fix="Name it (--email-col), or match by customer id.",
        )
    frame = notes.assign(customer=_customer_key(notes, match_by))
    frame = frame[frame["customer"] != ""]
    grouped = frame.groupby("customer", sort=True).agg(
        company=("customer_company", lambda s: next((c for c in s if c), "")),
        notes=("customer", "size"),
    )
    if subscriptions is not None:
        key_col = CUSTOMER_COL if match_by == "customer_id" else str(email_col)
        revenue = _active_mrr(subscriptions, as_of=as_of, key_col=key_col, match_by=match_by)
    else:
        revenue = pd.DataFrame({"mrr": pd.Series(dtype=float), "plan": pd.Series(dtype=str)})
    out = grouped.join(revenue, how="left")
    out["subscribed"] = out["mrr"].notna()
    out["mrr"] = out["mrr"].fillna(0.0).astype(float)
    out["plan"] = out["plan"].fillna("").astype(str)
    out = out.reset_index().sort_values(
        ["mrr", "notes", "customer"], ascending=[False, False, True], kind="stable"
    )
    return out[DEMAND_COLUMNS].reset_index(drop=True).astype({"notes": int})


@dataclass(frozen=True)
class Demand:
    """Revenue-weighted demand for one roadmap item."""

    customers: pd.DataFrame  # DEMAND_COLUMNS
    insights: list[str]

    @property
    def customer_count(self) -> int:
        return len(self.customers)

    @property
    def mrr(self) -> float:
        return float(self.customers["mrr"].sum())

    @property
    def plan_mix(self) -> pd.DataFrame:
        """Customers and MRR by plan (``(none)`` for customers without a subscription)."""
        plans = self.customers.assign(plan=self.customers["plan"].replace("", "(none)"))
        mix = plans.groupby("plan").agg(customers=("customer", "size"), mrr=("mrr", "sum"))
        return mix.reset_index().sort_values(["mrr", "plan"], ascending=[False, True])


def _note_frame(session: Session, note_ids: list[int]) -> pd.DataFrame:
    columns = ["customer_id", "customer_email", "customer_company"]
    if not note_ids:
        return pd.DataFrame(columns=columns)
    rows = session.exec(select(ResearchNote).where(col(ResearchNote.id).in_(note_ids))).all()
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)


def item_demand(
    *,
    session: Session,
    item_id: int,
    subscriptions: pd.DataFrame | None,
    as_of: dt.date,
    match_by: str = "customer_id",
    email_col: str | None = None,
) -> Demand:
    """Who asked for roadmap item *item_id* (through its linked insights) and their MRR."""
    insight_ids = item_insight_ids(session=session, item_id=item_id)
    note_ids = sorted(
        {n for i in insight_ids for n in insight_note_ids(session=session, insight_id=i)}
    )
    customers = customer_demand(
        _note_frame(session, note_ids),
        subscriptions,
        as_of=as_of,
        match_by=match_by,
        email_col=email_col,
    )
    claims = [
        session.get(ResearchInsight, i).claim  # type: ignore[union-attr]
        for i in insight_ids
    ]
    return Demand(customers=customers, insights=claims)


def quarter_evidence(
    engine: Engine,
    *,
    date_from: dt.date,
    date_to: dt.date,
    subscriptions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The insights backed by notes dated in ``[date_from, date_to]`` (inclusive days).

    Returns
    -------
    pandas.DataFrame
        Columns ``insight`` (the canonical insight's claim; merges followed), ``notes`` (notes in
        the range), ``customers`` (distinct customers among them) and ``mrr`` (their MRR at
        *date_to* from *subscriptions* by customer id; 0 without subscriptions), by MRR, then
        notes, descending.
    """
    if date_from > date_to:
        raise ParameterError(f"the range starts {date_from} after it ends {date_to}")
    with read_session(engine) as session:
        query = select(ResearchNote).where(
            col(ResearchNote.noted_on) >= date_from,
            col(ResearchNote.noted_on) <= date_to,
            col(ResearchNote.insight_id).is_not(None),
        )
        notes = list(session.exec(query).all())
        canon = {
            i: canonical_id(session=session, insight_id=i)
            for i in {int(n.insight_id) for n in notes if n.insight_id is not None}
        }
        claims = {i: session.get(ResearchInsight, i) for i in set(canon.values())}
    rows = []
    by_insight: dict[int, list[ResearchNote]] = {}
    for note in notes:
        by_insight.setdefault(canon[int(note.insight_id or 0)], []).append(note)
    for insight_id, members in by_insight.items():
        frame = pd.DataFrame(
            [
                {
                    "customer_id": n.customer_id,
                    "customer_email": n.customer_email,
                    "customer_company": n.customer_company,
                }
                for n in members
            ]
        )
        demand = customer_demand(frame, subscriptions, as_of=date_to)
        claim = claims[insight_id]
        rows.append(
            {
                "insight": claim.claim if claim else str(insight_id),
                "notes": len(members),
                "customers": len(demand),
                "mrr": float(demand["mrr"].sum()),
            }
        )
    out = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
    return out.sort_values(["mrr", "notes", "insight"], ascending=[False, False, True]).reset_index(
        drop=True
    )


SUBSCRIPTION_ROW_CAP = 2_000_000


def subscriptions_frame(name: str) -> pd.DataFrame:
    """The canonical rows of subscriptions dataset *name* of the catalog, as pandas.

    Raises :class:`prodops.errors.ParameterError` when it is not a subscriptions dataset or has
    more than :data:`SUBSCRIPTION_ROW_CAP` rows.
    """
    from prodops.data.catalog import Catalog

    catalog = Catalog()
    info = catalog.get(name)
    if info.kind != "subscriptions":
        raise ParameterError(
            f"dataset {name!r} holds {info.kind}, not subscriptions",
            fix="Pick a subscriptions dataset (customer_id, start, end, mrr).",
        )
    if info.rows > SUBSCRIPTION_ROW_CAP:
        raise ParameterError(
            f"dataset {name!r} has {info.rows:,} rows, more than {SUBSCRIPTION_ROW_CAP:,}",
            fix="Use a dataset of current subscriptions only.",
        )
    with catalog.open(name) as table:
        frame: pd.DataFrame = table.to_pandas()
    return frame
