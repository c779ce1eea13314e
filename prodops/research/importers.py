"""Reading customer-voice exports into canonical note rows, with a report of rejected rows.

Known exports are recognised by their headers: Intercom conversations, Zendesk tickets,
Productboard notes, Dovetail highlights and NPS / survey exports (score + comment); any other CSV
or JSON-lines file is read with a mapping (field -> column) the person confirms in a preview. The
file is read by :mod:`prodops.data.reader` (the same sniffing as the Data page: delimiter,
encoding, gzip, JSON lines, Excel, Parquet), every value as text.

A row is rejected, with its data-row number (1 = the first row after the header) and the reason,
when its text is empty, its id is missing or repeated, its date or score cannot be read, or its
line has too few / too many fields. The other rows are imported.

Examples
--------
>>> frame = pd.DataFrame({"Response ID": ["r1", "r2"], "Score": ["9", "eleven"],
...                       "Comment": ["Love it", "Too slow"], "Email": ["a@x.io", "b@y.io"]})
>>> detect_preset(list(frame.columns))
'nps'
>>> notes = to_notes(frame, default_mapping(list(frame.columns), "nps"), source_kind=None,
...                  preset="nps")
>>> notes.rows[["source_id", "score", "source_kind"]].to_dict("records")
[{'source_id': 'r1', 'score': 9, 'source_kind': 'nps_comment'}]
>>> notes.rejected.to_dict("records")
[{'row': 2, 'reason': "score 'eleven' is not a whole number from 0 to 10"}]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from prodops.data.importer import scratch_connection
from prodops.data.reader import open_raw, preview
from prodops.data.sniff import sniff_file
from prodops.data.tempfiles import workspace
from prodops.duck import quote_ident
from prodops.errors import ColumnError, InputError, ProdOpsError, did_you_mean
from prodops.research.crud import ImportCounts, check_source_kind, clean_tags, import_notes
from prodops.store.access import Actor, as_actor
from prodops.store.db import write_session

FIELDS = (
    "source_id",
    "text",
    "title",
    "customer_id",
    "customer_email",
    "customer_company",
    "noted_on",
    "link",
    "tags",
    "score",
    "source_kind",
)
# preset -> field -> candidate headers, best first (compared case-insensitively).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "intercom": {
        "source_id": ("Conversation ID", "conversation_id"),
        "text": ("Conversation body", "Body", "Message", "First message"),
        "title": ("Conversation title", "Subject"),
        "customer_id": ("User ID", "user_id", "External ID"),
        "customer_email": ("User email", "Email"),
        "customer_company": ("Company name", "Company"),
        "noted_on": ("Created at", "Conversation started at", "created_at"),
        "link": ("Conversation URL", "URL"),
        "tags": ("Tags", "Conversation tags"),
    },
    "zendesk": {
        "source_id": ("Ticket ID", "Id", "ID"),
        "text": ("Description", "Comment", "Body"),
        "title": ("Subject",),
        "customer_id": ("Requester ID", "Requester external id"),
        "customer_email": ("Requester email", "Requester"),
        "customer_company": ("Organization", "Organization name"),
        "noted_on": ("Created at", "Requested", "created_at"),
        "link": ("URL", "Ticket URL"),
        "tags": ("Tags",),
    },
    "productboard": {
        "source_id": ("Note ID", "note_id", "id"),
        "text": ("Note text", "Note content", "content"),
        "title": ("Note title", "title"),
        "customer_id": ("User external ID", "Customer ID"),
        "customer_email": ("User email", "Customer email", "Email"),
        "customer_company": ("Company name", "Company", "Company domain"),
        "noted_on": ("Created at", "created_at", "Date"),
        "link": ("Source URL", "Display URL", "display_url"),
        "tags": ("Tags", "tags"),
    },
    "dovetail": {
        "source_id": ("Highlight ID", "id"),
        "text": ("Highlight", "Highlight text", "Text"),
        "title": ("Title", "Note title", "Project"),
        "customer_id": ("Participant ID", "Customer ID"),
        "customer_email": ("Participant email", "Email"),
        "customer_company": ("Participant company", "Company"),
        "noted_on": ("Created at", "Date"),
        "link": ("Highlight URL", "URL"),
        "tags": ("Tags",),
    },
    "nps": {
        "source_id": ("Response ID", "response_id", "id"),
        "text": ("Comment", "Feedback", "Reason", "Answer", "comment"),
        "customer_id": ("Customer ID", "User ID", "customer_id", "user_id"),
        "customer_email": ("Email", "Respondent email", "email"),
        "customer_company": ("Company", "Account", "company"),
        "noted_on": ("Date", "Submitted at", "Response date", "created_at"),
        "score": ("Score", "NPS", "Rating", "score"),
        "tags": ("Tags",),
    },
    "generic": {
        "source_id": ("source_id", "id", "note_id", "external_id", "ref"),
        "text": ("text", "note", "comment", "body", "feedback", "content", "quote"),
        "title": ("title", "subject", "summary"),
        "customer_id": ("customer_id", "user_id", "account_id", "customer"),
        "customer_email": ("customer_email", "email", "user_email"),
        "customer_company": ("customer_company", "company", "organization", "account"),
        "noted_on": ("noted_on", "date", "created_at", "timestamp", "created"),
        "link": ("link", "url"),
        "tags": ("tags", "labels", "themes"),
        "score": ("score", "nps", "rating"),
        "source_kind": ("source_kind", "kind", "type", "channel"),
    },
}
SIGNATURES: dict[str, tuple[str, ...]] = {
    "intercom": ("Conversation ID",),
    "zendesk": ("Subject", "Requester"),
    "productboard": ("Note ID",),
    "dovetail": ("Highlight",),
    "nps": ("Score", "Comment"),
}
PRESET_KINDS = {
    "intercom": "support_ticket",
    "zendesk": "support_ticket",
    "productboard": "interview",
    "dovetail": "interview",
    "nps": "nps_comment",
}
# Zendesk separates tags with spaces (a tag itself never holds one); the others with commas.
TAG_SEPARATORS = {"zendesk": r"[,;|\s]"}
REJECTED_COLUMNS = ["row", "reason"]
ROW_CAP = 1_000_000


@dataclass(frozen=True)
class NoteFile:
    """A read export: every cell as text, the malformed lines DuckDB skipped (data-row numbers)."""

    frame: pd.DataFrame
    malformed: pd.DataFrame
    label: str

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


@dataclass(frozen=True)
class NoteRows:
    """Canonical rows for :func:`prodops.research.crud.import_notes`, and the rejected ones."""

    rows: pd.DataFrame
    rejected: pd.DataFrame

    def summary(self, label: str) -> str:
        return f"{label}: {len(self.rows)} notes read, {len(self.rejected)} rows rejected"


def read_note_file(path: str | Path, *, label: str | None = None) -> NoteFile:
    """Read a CSV / TSV / JSON lines / Excel / Parquet export as text cells.

    Raises :class:`prodops.errors.UnreadableFileError` for a file that cannot be read.
    """
    path = Path(path)
    label = label or path.name
    guess = sniff_file(path, label=label)
    with workspace() as workdir, scratch_connection(path, workdir) as con:
        source = open_raw(con, path, guess, workdir=workdir, label=label)
        frame = preview(con, source, rows=ROW_CAP)
        malformed = pd.DataFrame(columns=["row", "reason"])
        if source.rejects_table:
            malformed = con.execute(
                "SELECT DISTINCT CAST(line AS BIGINT) - 1 AS row, "
                "CASE error_type WHEN 'MISSING COLUMNS' THEN 'too few fields' "
                "WHEN 'TOO MANY COLUMNS' THEN 'too many fields' "
                "ELSE lower(CAST(error_type AS VARCHAR)) END AS reason "
                f"FROM {quote_ident(source.rejects_table)} ORDER BY row"
            ).df()
    return NoteFile(frame=frame.fillna(""), malformed=malformed, label=label)


def detect_preset(headers: Sequence[str]) -> str:
    """The preset whose identifying headers are all present, else ``generic``.

    >>> detect_preset(["Conversation ID", "Body"]), detect_preset(["id", "text"])
    ('intercom', 'generic')
    """
    lowered = {h.lower() for h in headers}
    for preset, signature in SIGNATURES.items():
        if all(h.lower() in lowered for h in signature):
            return preset
    return "generic"


def default_mapping(headers: Sequence[str], preset: str | None = None) -> dict[str, str | None]:
    """Propose field -> header for *preset* (detected when None); None where nothing matches."""
    preset = preset or detect_preset(headers)
    if preset not in PRESETS:
        raise ColumnError(f"unknown preset {preset!r}", fix=f"Use one of {', '.join(PRESETS)}.")
    by_lower = {h.lower(): h for h in headers}
    return {
        field: next(
            (by_lower[c.lower()] for c in PRESETS[preset].get(field, ()) if c.lower() in by_lower),
            None,
        )
        for field in FIELDS
    }


def _check_mapping(headers: Sequence[str], mapping: Mapping[str, str | None], label: str) -> None:
    for field, header in mapping.items():
        if field not in FIELDS:
            raise ColumnError(f"unknown field {field!r}", fix=f"Use one of {', '.join(FIELDS)}.")
        if header and header not in headers:
            raise ColumnError(
                f"column {header!r} not found",
                where=label,
                fix=did_you_mean(header, headers) or "Pick a column of the file.",
            )
    if not mapping.get("text"):
        raise ColumnError(
            "no column is mapped to the note text",
            where=label,
            fix="Pick the column that holds what the customer said (--text-col).",
        )


def _score(text: str) -> int | None:
    if not re.fullmatch(r"\s*\d{1,2}(\.0+)?\s*", text):
        raise ValueError
    value = int(float(text))
    if value > 10:
        raise ValueError
    return value


def to_notes(
    frame: pd.DataFrame,
    mapping: Mapping[str, str | None],
    *,
    source_kind: str | None,
    preset: str = "generic",
    label: str = "file",
    property_cols: Sequence[str] = (),
    malformed: pd.DataFrame | None = None,
) -> NoteRows:
    """Turn an export's text cells into canonical note rows; bad rows go to ``rejected``.

    Parameters
    ----------
    frame
        The file's cells as text (:attr:`NoteFile.frame`).
    mapping
        Field of :data:`FIELDS` -> column of *frame* (or None).
    source_kind
        The kind of every note (overrides a mapped ``source_kind`` column); default the preset's.
    property_cols
        Columns kept as customer properties (plan, segment, ...), used by filters and NPS.
    malformed
        Rows the reader already rejected (their data-row numbers shift the numbering).
    """
    _check_mapping(list(frame.columns), mapping, label)
    kind = source_kind or PRESET_KINDS.get(preset)
    if kind is not None:
        check_source_kind(kind)
    elif not mapping.get("source_kind"):
        raise ColumnError(
            "the kind of these notes is not known",
            where=label,
            fix="Say which they are (--source-kind interview, support_ticket, ...).",
        )
    skipped = sorted(int(r) for r in (malformed["row"] if malformed is not None else []))
    rows: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    separators = TAG_SEPARATORS.get(preset, r"[,;|]")
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    date_col = mapping.get("noted_on")
    dates = _dates(frame[date_col]) if date_col else [None] * len(records)
    for index, record in enumerate(records):
        number = _data_row(index + 1, skipped)
        cell = {f: str(record[h]).strip() if h else "" for f, h in mapping.items()}
        try:
            row = _note_row(cell, kind, property_cols, record, number, separators, dates[index])
        except ValueError as error:
            rejected.append({"row": number, "reason": str(error)})
            continue
        sid = str(row["source_id"])
        if sid in seen:
            rejected.append({"row": number, "reason": f"id {sid!r} repeats row {seen[sid]}"})
            continue
        seen[sid] = number
        rows.append(row)
    if malformed is not None and not malformed.empty:
        pairs = malformed[["row", "reason"]].to_numpy()
        rejected += [{"row": int(r), "reason": str(m)} for r, m in pairs]
    out = pd.DataFrame(rows, columns=[*FIELDS, "properties"]).drop(columns=["title"])
    out["score"] = out["score"].astype("Int64")
    report = pd.DataFrame(rejected, columns=REJECTED_COLUMNS).sort_values("row", kind="stable")
    return NoteRows(rows=out, rejected=report.reset_index(drop=True))


def _dates(column: pd.Series) -> list[dt.date | None]:
    """The day of each cell (UTC), None where blank or unreadable; parsed in one pass."""
    parsed = pd.to_datetime(
        column.astype(str).str.strip(), errors="coerce", utc=True, format="mixed"
    )
    return [None if pd.isna(t) else t.date() for t in parsed]


def _data_row(kept: int, skipped: list[int]) -> int:
    """The data-row number of the *kept*-th row read, past the malformed rows skipped."""
    number = kept
    for row in skipped:
        if row <= number:
            number += 1
    return number


def _note_row(
    cell: dict[str, str],
    kind: str | None,
    property_cols: Sequence[str],
    record: Mapping[str, object],
    number: int,
    tag_separators: str,
    noted_on: dt.date | None,
) -> dict[str, object]:
    text = cell.get("text", "")
    title = cell.get("title", "")
    if title and text and not text.startswith(title):
        text = f"{title}: {text}"
    text = text or title
    if not text and not cell.get("score"):  # a bare NPS score still counts
        raise ValueError("the note text is empty")
    source_id = cell.get("source_id") or f"row-{number}"
    if cell.get("noted_on") and noted_on is None:
        raise ValueError(f"date {cell['noted_on']!r} cannot be read")
    score = None
    if cell.get("score"):
        try:
            score = _score(cell["score"])
        except ValueError:
            raise ValueError(
                f"score {cell['score']!r} is not a whole number from 0 to 10"
            ) from None
    row_kind = kind or cell.get("source_kind", "").lower().replace(" ", "_")
    try:
        check_source_kind(row_kind)
    except ProdOpsError as error:
        raise ValueError(error.what) from None
    return {
        "source_id": source_id,
        "text": text,
        "title": title,
        "customer_id": cell.get("customer_id", ""),
        "customer_email": cell.get("customer_email", "").lower(),
        "customer_company": cell.get("customer_company", ""),
        "noted_on": noted_on,
        "link": cell.get("link", ""),
        "tags": clean_tags(re.split(tag_separators, cell.get("tags", ""))),
        "score": score,
        "source_kind": row_kind,
        "properties": {c: str(record[c]) for c in property_cols if str(record[c]).strip()},
    }


def source_name(preset: str, label: str) -> str:
    """The ``source`` a file's notes are stored under: the preset, or ``file:<name>``.

    Re-importing the same export (same preset, or a generic file of the same name) updates.
    """
    return preset if preset != "generic" else f"file:{Path(label).name}"[:40]


@dataclass(frozen=True)
class ImportOutcome:
    """What importing one file did: the counts, the rejected rows, where the notes went."""

    counts: ImportCounts
    rejected: pd.DataFrame
    source: str
    preset: str
    read: int

    def summary(self, label: str) -> str:
        return (
            f"{label} ({self.preset}): {self.read} notes read, {self.counts.summary()}, "
            f"{len(self.rejected)} rows rejected"
        )


def import_file(
    engine: Engine,
    path: str | Path,
    *,
    actor: Actor | str,
    label: str | None = None,
    preset: str | None = None,
    source_kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    property_cols: Sequence[str] = (),
) -> ImportOutcome:
    """Read *path*, map it (preset detected unless given; *mapping* overrides single fields) and
    create or update its notes in the store of *engine*.

    Raises :class:`prodops.errors.InputError` when not one row can be imported.
    """
    path = Path(path)
    label = label or path.name
    file = read_note_file(path, label=label)
    preset = preset or detect_preset(file.headers)
    fields = {**default_mapping(file.headers, preset), **(mapping or {})}
    missing = [c for c in property_cols if c not in file.headers]
    if missing:
        raise ColumnError(
            f"column {missing[0]!r} not found",
            where=label,
            fix=did_you_mean(missing[0], file.headers) or "Pick a column of the file.",
        )
    notes = to_notes(
        file.frame,
        fields,
        source_kind=source_kind,
        preset=preset,
        label=label,
        property_cols=property_cols,
        malformed=file.malformed,
    )
    if notes.rows.empty:
        first = notes.rejected.head(1).to_dict("records")
        raise InputError(
            "no row could be imported"
            + (f" (row {first[0]['row']}: {first[0]['reason']})" if first else ""),
            where=label,
            fix="Check the mapping: which column holds the note text and which its id.",
        )
    source = source_name(preset, label)
    who = as_actor(actor)  # writes as this identity; notes record the name it is shown with
    with write_session(engine, actor=who) as session:
        counts = import_notes(session=session, rows=notes.rows, source=source, actor=who.shown)
    return ImportOutcome(
        counts=counts, rejected=notes.rejected, source=source, preset=preset, read=len(notes.rows)
    )
