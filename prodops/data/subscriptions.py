"""Turning subscription exports into canonical subscription periods (DESIGN.md, "Canonical data").

:func:`stripe_to_canonical` reads a Stripe subscriptions export (the Dashboard CSV or an API/Sigma
dump, as text or typed columns) and :func:`dbt_to_canonical` the dbt-style
``customer_id,start_date,end_date,monthly_amount`` periods. Both return an Ibis expression on the
table's own backend with ``customer_id, start, end, mrr`` and string property columns.

Stripe rules (docs/adr/0003-revenue.md):

* ``mrr = unit amount x quantity`` normalised to a month: yearly / 12, weekly x 52 / 12, daily x
  365 / 12, divided by ``interval_count``. Amounts are read as exported: the Dashboard's
  ``Amount`` is in currency units, API columns (``unit_amount``, ``plan_amount``) are in cents;
  ``amounts_in_cents`` overrides the guess.
* Trials are not revenue: a period with a trial starts when the trial ends.
* Churn is recognised when the paid period ends: ``end = ended_at``, or for a subscription that
  is cancelled (``canceled_at``, ``cancel_at_period_end``, ``cancel_at`` or status canceled) but
  not yet ended, the end of its paid period (``cancel_at`` / ``current_period_end``).
* Incomplete subscriptions, zero or missing amounts, trialing ones without a trial end, and
  subscriptions that ended within their trial get ``mrr = 0`` (they hold no MRR) and say why in
  ``mrr_note``; no row is dropped.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from prodops.errors import ColumnError, did_you_mean

UTC = dt.Timestamp(timezone="UTC")

# Normalised column names tried in order for each field of a Stripe export.
STRIPE_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "subscription_id", "subscription"),
    "customer": ("customer_id", "customer"),
    "status": ("status",),
    "plan": ("plan", "plan_nickname", "plan_name", "price_nickname", "plan_id", "price_id"),
    "product": ("product", "product_name", "plan_product", "price_product"),
    "quantity": ("quantity", "plan_quantity"),
    "currency": ("currency", "plan_currency", "price_currency"),
    "interval": ("interval", "plan_interval", "price_interval", "recurring_interval"),
    "interval_count": ("interval_count", "plan_interval_count", "price_interval_count"),
    "amount": (
        "amount", "plan_amount", "unit_amount", "price_unit_amount", "amount_cents",
        "plan_amount_cents", "unit_amount_decimal",
    ),
    "start": ("start", "start_date", "started_at", "created", "current_period_start"),
    "current_period_end": ("current_period_end",),
    "trial_end": ("trial_end",),
    "canceled_at": ("canceled_at", "cancelled_at"),
    "cancel_at": ("cancel_at",),
    "cancel_at_period_end": ("cancel_at_period_end",),
    "ended_at": ("ended_at",),
    "coupon": ("coupon", "discount"),
}  # fmt: skip
REQUIRED_STRIPE_FIELDS = ("customer", "amount", "start")
CENT_AMOUNTS = frozenset(
    {"plan_amount", "unit_amount", "price_unit_amount", "amount_cents", "plan_amount_cents"}
)
MONTHS_PER_INTERVAL = {"month": 1.0, "year": 12.0, "week": 12 / 52, "day": 12 / 365}
BILLING_NAMES = {"month": "monthly", "year": "yearly", "week": "weekly", "day": "daily"}


def normalise(name: str) -> str:
    """``"Current Period End (UTC)"`` -> ``"current_period_end"``, ``"plan.amount"`` likewise."""
    text = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")
    return re.sub(r"_utc$", "", text)


def _find(raw: ir.Table) -> dict[str, str]:
    names: dict[str, str] = {}
    for col in raw.columns:
        names.setdefault(normalise(col), col)
    found = {}
    for field, candidates in STRIPE_FIELDS.items():
        for candidate in candidates:
            if candidate in names:
                found[field] = names[candidate]
                break
    for field in REQUIRED_STRIPE_FIELDS:
        if field not in found:
            wanted = STRIPE_FIELDS[field][0]
            raise ColumnError(
                f"the Stripe export has no {field} column (looked for "
                f"{', '.join(repr(c) for c in STRIPE_FIELDS[field])})",
                fix=did_you_mean(wanted, raw.columns) or "Export subscriptions from Stripe again.",
            )
    return found


def _text(value: ir.Value) -> ir.StringValue:
    return value.cast(dt.string).strip()


def _number(value: ir.Value) -> ir.FloatingValue:
    if value.type().is_numeric():
        return value.cast(dt.float64)
    return _text(value).try_cast(dt.float64)


def _time(value: ir.Value) -> ir.TimestampValue:
    """A timestamp from a timestamp, epoch seconds, or text (ISO 8601 or epoch seconds)."""
    kind = value.type()
    if kind.is_timestamp():
        return value.cast(UTC)
    if kind.is_numeric():
        return value.cast(dt.int64).as_timestamp("s").cast(UTC)
    text = _text(value)
    epoch = text.try_cast(dt.int64).as_timestamp("s").cast(UTC)
    return ibis.coalesce(text.try_cast(UTC), epoch)


def _flag(value: ir.Value) -> ir.BooleanValue:
    if value.type().is_boolean():
        return value.fill_null(False)
    return _text(value).lower().isin(["true", "t", "1", "yes", "y"]).fill_null(False)


def stripe_to_canonical(raw: ir.Table, *, amounts_in_cents: bool | None = None) -> ir.Table:
    """Canonical subscription periods from a Stripe subscriptions export.

    Parameters
    ----------
    raw : ibis.Table
        The export as read (text or typed columns); names are matched case- and
        punctuation-insensitively, ``(UTC)`` suffixes ignored.
    amounts_in_cents : bool, optional
        Whether the amount column is in cents; by default guessed from its name (``Amount`` in
        the Dashboard export is in units; ``unit_amount`` / ``plan_amount`` are in cents).

    Returns
    -------
    ibis.Table
        ``customer_id, start, end, mrr`` and the properties ``subscription_id, plan, product,
        billing, status, currency, quantity, coupon, mrr_note`` (strings, "" when absent).

    Raises
    ------
    ColumnError
        No customer, amount or start column.

    Examples
    --------
    A yearly plan of 1,200.00 for 2 seats, with a 14-day trial, cancelled at period end:

    >>> import ibis, pandas as pd
    >>> raw = ibis.memtable(pd.DataFrame({
    ...     "id": ["sub_1"], "Customer ID": ["cus_1"], "Plan": ["Team"], "Quantity": ["2"],
    ...     "Interval": ["year"], "Amount": ["1200.00"], "Status": ["active"],
    ...     "Start (UTC)": ["2024-01-01 10:00"], "Trial End (UTC)": ["2024-01-15 10:00"],
    ...     "Current Period End (UTC)": ["2025-01-15 10:00"], "Cancel At Period End": ["true"],
    ... }))
    >>> row = stripe_to_canonical(raw).to_pandas().iloc[0]
    >>> float(row["mrr"]), str(row["start"]), str(row["end"]), row["billing"]
    (200.0, '2024-01-15 10:00:00+00:00', '2025-01-15 10:00:00+00:00', 'yearly')
    """
    f = _find(raw)

    def get(field: str) -> ir.Value | None:
        return raw[f[field]] if field in f else None

    def text_or_empty(field: str) -> ir.StringValue:
        value = get(field)
        return ibis.literal("") if value is None else _text(value).fill_null("")

    def time_or_null(field: str) -> ir.TimestampValue:
        value = get(field)
        return ibis.null(UTC) if value is None else _time(value)

    status = text_or_empty("status").lower()
    interval = text_or_empty("interval").lower()
    interval = ibis.ifelse(interval == "", "month", interval)
    count = get("interval_count")
    every = ibis.literal(1.0) if count is None else _number(count).fill_null(1.0)
    quantity = get("quantity")
    seats = ibis.literal(1.0) if quantity is None else _number(quantity).fill_null(1.0)
    cents = normalise(f["amount"]) in CENT_AMOUNTS if amounts_in_cents is None else amounts_in_cents
    unit = _number(raw[f["amount"]]) / (100.0 if cents else 1.0)
    months = interval.cases(*MONTHS_PER_INTERVAL.items(), else_=ibis.null(dt.float64))
    monthly = unit * seats / (months * every)

    trial_end = time_or_null("trial_end")
    opened = _time(raw[f["start"]])
    start = ibis.ifelse(trial_end.notnull() & (trial_end > opened), trial_end, opened)
    cancelled = (
        time_or_null("canceled_at").notnull()
        | time_or_null("cancel_at").notnull()
        | (_flag(get("cancel_at_period_end")) if "cancel_at_period_end" in f else False)
        | (status == "canceled")
    )
    paid_until = ibis.coalesce(
        time_or_null("cancel_at"), time_or_null("current_period_end"), time_or_null("canceled_at")
    )
    end = ibis.coalesce(time_or_null("ended_at"), ibis.ifelse(cancelled, paid_until, None))
    end = ibis.ifelse(end.notnull() & (end < start), start, end)

    note = ibis.cases(
        (status.isin(["incomplete", "incomplete_expired"]), "incomplete"),
        (monthly.isnull() & unit.notnull() & months.isnull(), "unknown interval"),
        (unit.isnull() | (unit <= 0), "zero amount"),
        ((status == "trialing") & trial_end.isnull(), "trial"),
        (end.notnull() & (end <= start), "ended in trial"),
        else_="",
    )
    mrr = ibis.ifelse(note == "", monthly, 0.0)
    return raw.select(
        customer_id=_text(raw[f["customer"]]),
        start=start,
        end=end,
        mrr=mrr.cast(dt.float64),
        subscription_id=text_or_empty("id"),
        plan=text_or_empty("plan"),
        product=text_or_empty("product"),
        billing=interval.cases(*BILLING_NAMES.items(), else_=interval),
        status=status,
        currency=text_or_empty("currency").lower(),
        quantity=seats.cast(dt.string),
        coupon=text_or_empty("coupon"),
        mrr_note=note,
    )


DBT_COLUMNS = {
    "customer_id": "customer_id",
    "start_date": "start",
    "end_date": "end",
    "monthly_amount": "mrr",
}


def dbt_to_canonical(raw: ir.Table) -> ir.Table:
    """Canonical periods from dbt-style ``customer_id,start_date,end_date,monthly_amount``.

    Other columns are kept as string properties. Dates are midnight UTC; an empty end date is
    still active.
    """
    names = {normalise(c): c for c in raw.columns}
    missing = [c for c in DBT_COLUMNS if c not in names]
    if missing:
        raise ColumnError(
            f"the dbt-style periods have no {missing[0]!r} column",
            fix=did_you_mean(missing[0], raw.columns) or "Expected " + ", ".join(DBT_COLUMNS),
        )
    used = {names[c] for c in DBT_COLUMNS}
    extra = {
        normalise(c): _text(raw[c]).fill_null("")
        for c in raw.columns
        if c not in used and normalise(c) not in DBT_COLUMNS.values()
    }
    return raw.select(
        customer_id=_text(raw[names["customer_id"]]),
        start=_time(raw[names["start_date"]]),
        end=_time(raw[names["end_date"]]),
        mrr=_number(raw[names["monthly_amount"]]),
        **extra,
    )
