"""Known exports recognised by their headers, and the column mapping to the canonical model.

A :class:`ColumnMapping` says which source column becomes each canonical column (DESIGN.md,
"Canonical data"); every other column is kept as a string property column. Presets: PostHog,
Mixpanel, Amplitude, Segment, Stripe subscriptions, dbt-style subscription periods, and a generic
fuzzy match on names.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from prodops.data.schema import (
    CUSTOMER_COL,
    END_COL,
    EVENT_COL,
    MRR_COL,
    REQUIRED_COLUMNS,
    START_COL,
    TIME_COL,
    USER_COL,
    Kind,
)
from prodops.errors import ColumnError, InputError, did_you_mean

PRESETS = ("posthog", "mixpanel", "amplitude", "segment", "stripe", "dbt", "generic")

# Canonical columns that may be left unmapped (an end date: still active).
OPTIONAL_COLUMNS = frozenset({END_COL})

# Generic fuzzy match: names tried in order (normalised: lower case, non-alphanumerics -> "_").
_CANDIDATES: dict[str, tuple[str, ...]] = {
    USER_COL: (
        "user_id", "userid", "distinct_id", "user", "uid", "person_id", "anonymous_id",
        "visitor_id", "member_id", "account_id", "customer_id", "email",
    ),
    EVENT_COL: ("event", "event_name", "event_type", "action", "activity", "name", "type"),
    TIME_COL: (
        "timestamp", "time", "event_time", "ts", "datetime", "event_timestamp", "occurred_at",
        "created_at", "date", "when",
    ),
    # subscriptions: English, then German, French, Spanish, Portuguese, Italian, Dutch (accents
    # folded: "Kündigungsdatum" -> "kundigungsdatum", "date de début" -> "date_de_debut")
    CUSTOMER_COL: (
        "customer_id", "customer", "account_id", "client_id", "subscriber_id", "org_id",
        "user_id", "company_id",
        "kunde", "kundennummer", "kunden_nr", "kundennr", "kunden_id", "kundenid", "mitglied",
        "mitgliedsnummer", "client", "id_client", "numero_client", "no_client", "abonne",
        "cliente", "id_cliente", "cliente_id", "numero_cliente", "num_cliente", "codigo_cliente",
        "codice_cliente", "suscriptor", "assinante", "abbonato", "klant", "klantnummer",
        "klant_id", "klantnr", "abonnee",
    ),
    START_COL: (
        "start", "start_date", "started_at", "period_start", "starts_at", "start_time",
        "valid_from", "from", "begin", "created",
        "vertragsbeginn", "startdatum", "start_datum", "beginn", "beginndatum", "anfangsdatum",
        "vertragsstart", "laufzeitbeginn", "abo_start", "gultig_ab", "von",
        "date_de_debut", "date_debut", "debut", "date_d_effet", "date_de_souscription",
        "fecha_de_inicio", "fecha_inicio", "inicio", "fecha_alta", "fecha_de_alta", "alta",
        "data_de_inicio", "data_inicio", "data_de_adesao",
        "data_di_inizio", "data_inizio", "inizio", "data_attivazione",
        "begindatum", "ingangsdatum", "aanvangsdatum",
    ),
    END_COL: (
        "end", "end_date", "ended_at", "period_end", "ends_at", "end_time", "valid_to", "to",
        "canceled_at", "cancelled_at",
        "vertragsende", "enddatum", "end_datum", "kundigungsdatum", "gekundigt_am", "ende",
        "laufzeitende", "abo_ende", "gultig_bis", "bis",
        "date_de_fin", "date_fin", "fin", "date_de_resiliation", "date_resiliation",
        "fecha_de_fin", "fecha_fin", "fecha_baja", "fecha_de_baja", "baja", "fecha_cancelacion",
        "data_de_fim", "data_fim", "fim", "data_de_termino", "data_cancelamento",
        "data_di_fine", "data_fine", "fine", "data_disdetta", "data_cessazione",
        "einddatum", "eind_datum", "opzegdatum", "einde",
    ),
    MRR_COL: (
        "mrr", "monthly_amount", "monthly_revenue", "mrr_amount", "amount", "revenue", "price",
        "value",
        "betrag", "monatsbeitrag", "monatlicher_betrag", "monatsbetrag", "beitrag", "preis",
        "monatsumsatz", "umsatz", "montant", "montant_mensuel", "mensualite", "prix",
        "importe", "importe_mensual", "cuota_mensual", "cuota", "monto", "precio",
        "valor_mensal", "mensalidade", "valor", "montante", "preco",
        "importo", "importo_mensile", "canone_mensile", "canone", "prezzo",
        "bedrag", "maandbedrag", "maandelijks_bedrag", "prijs",
    ),
}  # fmt: skip


def normalise(name: str) -> str:
    """Return *name* in lower case, accents folded, runs of other characters as one "_".

    Examples
    --------
    >>> normalise("$distinct_id"), normalise("Kündigungsdatum"), normalise("Date de début")
    ('distinct_id', 'kundigungsdatum', 'date_de_debut')
    """
    lowered = re.sub(r"\(utc\)", "", name.strip().lower())  # Stripe: "Created (UTC)"
    folded = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", folded).strip("_")


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column becomes each canonical column.

    Attributes
    ----------
    kind : {"events", "subscriptions"}
    preset : str
        One of :data:`PRESETS`.
    columns : dict
        Canonical column -> source column (None: not mapped; only ``end`` may stay unmapped).
    properties : tuple of str
        Source columns kept as string property columns.
    """

    kind: Kind
    preset: str = "generic"
    columns: dict[str, str | None] = field(default_factory=dict)
    properties: tuple[str, ...] = ()

    def with_column(
        self, canonical: str, source: str | None, all_columns: Sequence[str]
    ) -> ColumnMapping:
        """Return a copy mapping *canonical* to *source*; properties follow the change."""
        columns = {**self.columns, canonical: source}
        return replace(self, columns=columns, properties=_properties(all_columns, columns))


def _properties(all_columns: Sequence[str], columns: dict[str, str | None]) -> tuple[str, ...]:
    used = {c for c in columns.values() if c}
    return tuple(c for c in all_columns if c not in used)


def _find(names: dict[str, str], *wanted: str) -> str | None:
    for want in wanted:
        if want in names:
            return names[want]
    return None


def is_end_like(name: str) -> bool:
    """True when the (normalised) *name* reads as an end date (``Vertragsende``, ``date_fin``).

    Examples
    --------
    >>> is_end_like("Vertragsende"), is_end_like("Kündigungsdatum"), is_end_like("Startdatum")
    (True, True, False)
    """
    key = normalise(name)
    return any(
        key == want or (len(want) >= 3 and (key.endswith("_" + want) or key.startswith(want + "_")))
        for want in _CANDIDATES[END_COL]
    )


def _fuzzy(names: dict[str, str], canonical: str, taken: set[str]) -> str | None:
    candidates = _CANDIDATES[canonical]
    free = {k: v for k, v in names.items() if v not in taken}
    if canonical == START_COL:  # an end date is never taken for the start
        free = {k: v for k, v in free.items() if not is_end_like(k)}
    for want in candidates:  # exact normalised names first
        if want in free:
            return free[want]
    for want in candidates:  # then names that contain one (signup_timestamp, plan_amount)
        for key, original in free.items():
            if len(want) >= 3 and (key.endswith("_" + want) or key.startswith(want + "_")):
                return original
    close = difflib.get_close_matches(candidates[0], list(free), n=1, cutoff=0.8)
    return free[close[0]] if close else None


def _preset_columns(names: dict[str, str]) -> tuple[str, Kind, dict[str, str | None]] | None:
    """Return (preset, kind, columns) when the headers match a known export."""
    has = names.__contains__
    if has("event_type") and has("event_time") and (has("user_id") or has("amplitude_id")):
        user = _find(names, "user_id", "amplitude_id")
        cols = {USER_COL: user, EVENT_COL: names["event_type"], TIME_COL: names["event_time"]}
        return "amplitude", "events", cols
    if has("event") and has("time") and has("distinct_id") and not has("timestamp"):
        cols = {USER_COL: names["distinct_id"], EVENT_COL: names["event"], TIME_COL: names["time"]}
        return "mixpanel", "events", cols
    if has("distinct_id") and has("event") and has("timestamp"):
        user = names["distinct_id"]
        cols = {USER_COL: user, EVENT_COL: names["event"], TIME_COL: names["timestamp"]}
        return "posthog", "events", cols
    if (has("userid") or has("anonymousid")) and has("event") and has("timestamp"):
        user = _find(names, "userid", "anonymousid")
        cols = {USER_COL: user, EVENT_COL: names["event"], TIME_COL: names["timestamp"]}
        return "segment", "events", cols
    if has("customer_id") and has("start_date") and has("monthly_amount"):
        cols = {
            CUSTOMER_COL: names["customer_id"],
            START_COL: names["start_date"],
            END_COL: names.get("end_date"),
            MRR_COL: names["monthly_amount"],
        }
        return "dbt", "subscriptions", cols
    stripe_customer = has("customer_id") or has("customer")
    stripe_start = any(has(n) for n in ("current_period_start", "start", "start_date", "created"))
    stripe_price = any(has(n) for n in ("plan", "amount", "plan_amount", "interval", "quantity"))
    if has("id") and stripe_customer and has("status") and stripe_start and stripe_price:
        return "stripe", "subscriptions", {}
    return None


def detect_mapping(columns: Sequence[str], *, kind: Kind | None = None) -> ColumnMapping:
    """Recognise the export behind *columns* and map them to the canonical model.

    Parameters
    ----------
    columns : sequence of str
        The file's column names, in order.
    kind : {"events", "subscriptions"}, optional
        What the caller asks for; None detects it from the headers.

    Returns
    -------
    ColumnMapping
        Canonical columns that could not be found are None (the caller must choose them).

    Raises
    ------
    InputError
        The headers clearly belong to the other kind than *kind*.

    Examples
    --------
    >>> detect_mapping(["distinct_id", "event", "time", "$browser"]).preset
    'mixpanel'
    """
    names: dict[str, str] = {}
    for col in columns:
        names.setdefault(normalise(col), col)
    preset = _preset_columns(names)
    if preset is not None:
        name, found_kind, cols = preset
        if kind is None or kind == found_kind:
            if name == "stripe":
                return ColumnMapping(kind="subscriptions", preset="stripe", columns={})
            return ColumnMapping(
                kind=found_kind,
                preset=name,
                columns=cols,
                properties=_properties(columns, cols),
            )
        _raise_wrong_kind(kind, found_kind, f"a {name} export")
    scores: dict[Kind, tuple[int, dict[str, str | None]]] = {}
    for option in ("events", "subscriptions"):
        taken: set[str] = set()
        found_cols: dict[str, str | None] = {}
        for canonical in REQUIRED_COLUMNS[option]:
            found = _fuzzy(names, canonical, taken)
            found_cols[canonical] = found
            if found:
                taken.add(found)
        scores[option] = (sum(1 for v in found_cols.values() if v), found_cols)
    ev, sub = scores["events"][0], scores["subscriptions"][0]
    if kind is None:
        kind = "subscriptions" if sub > ev or (sub == ev and _has_money(names)) else "events"
    elif kind == "events" and sub >= 3 and ev < 3 and not _has_time_like(names, TIME_COL):
        _raise_wrong_kind(kind, "subscriptions", "subscription periods")
    elif kind == "subscriptions" and ev == 3 and sub < 3 and not _has_money(names):
        _raise_wrong_kind(kind, "events", "events")
    cols = scores[kind][1]
    return ColumnMapping(
        kind=kind, preset="generic", columns=cols, properties=_properties(columns, cols)
    )


_MONEY_WORDS = frozenset(_CANDIDATES[MRR_COL]) - {"amount", "price", "value", "valor", "revenue"}


def _has_money(names: dict[str, str]) -> bool:
    return any(n in names for n in _MONEY_WORDS) or "amount" in names


def _has_time_like(names: dict[str, str], canonical: str) -> bool:
    return any(n in names for n in _CANDIDATES[canonical])


def _raise_wrong_kind(asked: Kind, found: Kind, what: str) -> None:
    raise InputError(
        f"this file looks like {what} ({found}), not {asked}",
        fix=f"Import it as {found} (kind '{found}'), or pick the file with the {asked}.",
    )


def check_mapping(
    mapping: ColumnMapping,
    columns: Sequence[str],
    *,
    label: str = "",
    flags: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`ColumnError` if a required column is unmapped, not in *columns*, or one
    source column is mapped twice.

    *flags* (canonical column -> command-line flag, ``{"user_id": "--user-col"}``) makes the fix
    name the flag to use instead of the page's mapping.

    Examples
    --------
    >>> mapping = ColumnMapping(kind="events", columns={"user_id": "id", "event": "id",
    ...                         "timestamp": "ts"})
    >>> flags = {"user_id": "--user-col", "event": "--event-col"}
    >>> try:
    ...     check_mapping(mapping, ["id", "ts"], flags=flags)
    ... except ColumnError as error:
    ...     print(error.what)
    ...     print(error.fix)
    column 'id' is mapped to both user_id and event
    Give --user-col and --event-col different columns.
    """
    if mapping.preset == "stripe":
        return
    where = label or None

    def how(canonical: str) -> str:
        return flags[canonical] if flags and canonical in flags else f"the {canonical} column"

    for canonical in REQUIRED_COLUMNS[mapping.kind]:
        source = mapping.columns.get(canonical)
        if source is None:
            if canonical in OPTIONAL_COLUMNS:
                continue
            hint = did_you_mean(canonical, columns)
            what = "timestamp" if canonical in (TIME_COL, START_COL) else canonical
            choose = (
                f"Pass {how(canonical)} COLUMN."
                if flags and canonical in flags
                else f"Choose the {canonical} column in the mapping."
            )
            raise ColumnError(
                f"no column for {what!r} ({mapping.kind}) among "
                + ", ".join(map(repr, columns[:12])),
                where=where,
                fix=f"{choose} {hint}".strip(),
            )
        if source not in columns:
            named = f" ({how(canonical)})" if flags and canonical in flags else ""
            raise ColumnError(
                f"column {source!r} (mapped to {canonical!r}{named}) is not in the file",
                where=where,
                fix=f"Choose one of the file's columns. {did_you_mean(source, columns)}".strip(),
            )
    seen: dict[str, str] = {}
    for canonical in REQUIRED_COLUMNS[mapping.kind]:
        source = mapping.columns.get(canonical)
        if not source:
            continue
        if source in seen:
            first = seen[source]
            fix = (
                f"Give {how(first)} and {how(canonical)} different columns."
                if flags and first in flags and canonical in flags
                else "Map each canonical column to a different source column."
            )
            raise ColumnError(
                f"column {source!r} is mapped to both {first} and {canonical}",
                where=where,
                fix=fix,
            )
        seen[source] = canonical


def property_name(source: str, canonical: Sequence[str]) -> str:
    """Return the name a property column gets: its own, unless it clashes with a canonical one."""
    return f"{source}_src" if source.lower() in {c.lower() for c in canonical} else source


def property_names(properties: Sequence[str], canonical: Sequence[str]) -> dict[str, str]:
    """Return the stored name of each property column, all distinct (case-insensitively).

    A property named like a canonical column gets ``_src`` (as :func:`property_name`), and a
    suffix ``_2``, ``_3``... when that name is taken by another column too.

    Examples
    --------
    >>> property_names(["timestamp", "timestamp_src", "plan"], ["user_id", "event", "timestamp"])
    {'timestamp': 'timestamp_src_2', 'timestamp_src': 'timestamp_src', 'plan': 'plan'}
    """
    taken = {c.lower() for c in canonical}
    keep = [p for p in properties if p.lower() not in taken]
    taken |= {p.lower() for p in keep}
    names: dict[str, str] = {}
    for prop in properties:
        if prop in keep:
            names[prop] = prop
            continue
        name = base = f"{prop}_src"
        suffix = 2
        while name.lower() in taken:
            name = f"{base}_{suffix}"
            suffix += 1
        taken.add(name.lower())
        names[prop] = name
    return names


def describe_mapping(mapping: ColumnMapping) -> str:
    """Return a one-line summary such as ``posthog events: user_id<-distinct_id, ...``."""
    pairs = ", ".join(f"{k}<-{v}" for k, v in mapping.columns.items() if v)
    return (
        f"{mapping.preset} {mapping.kind}: {pairs}" if pairs else f"{mapping.preset} {mapping.kind}"
    )
