"""Reading roadmap exports (Jira, Linear, Productboard, any CSV) into roadmap items.

A file is read with pandas as text (roadmaps are small), whatever its encoding mark (UTF-8 with or
without BOM, else Windows-1252) and delimiter (``,`` ``;`` tab ``|``). Jira repeats a header once
per value (``Labels``, ``Labels``, ``Labels``; ``Fix versions`` likewise): repeated headers are kept
as one *group* and their non-empty cells are joined.

A *preset* is detected from the headers and proposes a *mapping* (item field -> header) that the
person can correct before importing. :func:`apply_mapping` turns the file into one row per item
with the canonical fields of :data:`FIELDS`; the store then creates or updates items by ``key``
(:func:`prodops.critique.crud.import_items`), so a re-import never duplicates.

Effort: story points / estimates are taken as they are; Jira's "Original Estimate" is in seconds
and becomes days of 8 working hours (Jira's default working day).

Examples
--------
>>> f = read_roadmap(b"Issue key,Summary,Status\\nPRJ-1,SSO,To Do\\n")
>>> detect_preset(f.headers)
'jira'
>>> apply_mapping(f, default_mapping(f))[["key", "title", "status"]].to_dict("records")
[{'key': 'PRJ-1', 'title': 'SSO', 'status': 'To Do'}]
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from prodops.errors import ColumnError, InputError, UnreadableFileError, did_you_mean

FIELDS = (
    "key",
    "title",
    "description",
    "status",
    "owner",
    "team",
    "target_period",
    "effort",
    "tags",
    "parent",
)
LIST_FIELDS = ("tags",)  # every value of every column of the group, split on commas
SECONDS_PER_DAY = 8 * 3600  # Jira's default working day
SECONDS_HEADERS = {"original estimate", "σ original estimate", "remaining estimate"}

# preset -> field -> candidate headers, best first (compared case-insensitively).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "jira": {
        "key": ("Issue key",),
        "title": ("Summary",),
        "description": ("Description",),
        "status": ("Status",),
        "owner": ("Assignee", "Reporter"),
        "team": ("Team", "Custom field (Team)", "Project name", "Component/s"),
        "target_period": ("Fix versions", "Fix Version/s", "Sprint"),
        "effort": (
            "Story Points",
            "Custom field (Story Points)",
            "Custom field (Story point estimate)",
            "Story point estimate",
            "Original Estimate",
        ),
        "tags": ("Labels",),
        "parent": ("Epic Link", "Parent", "Parent summary", "Custom field (Epic Link)"),
    },
    "linear": {
        "key": ("ID",),
        "title": ("Title",),
        "description": ("Description",),
        "status": ("Status",),
        "owner": ("Assignee", "Creator"),
        "team": ("Team",),
        "target_period": ("Cycle", "Cycle Name", "Due Date"),
        "effort": ("Estimate",),
        "tags": ("Labels",),
        "parent": ("Project", "Parent issue"),
    },
    "productboard": {
        "key": ("Feature ID", "ID", "Feature URL"),
        "title": ("Feature name", "Name"),
        "description": ("Description",),
        "status": ("Status", "Feature status"),
        "owner": ("Owner", "Feature owner"),
        "team": ("Team", "Component", "Product"),
        "target_period": ("Release", "Releases", "Timeframe"),
        "effort": ("Effort", "Estimate"),
        "tags": ("Tags",),
        "parent": ("Parent", "Initiative", "Component"),
    },
    "generic": {
        "key": ("key", "id", "issue key", "external id", "ref"),
        "title": ("title", "name", "summary", "item", "feature"),
        "description": ("description", "details", "notes"),
        "status": ("status", "state", "stage"),
        "owner": ("owner", "assignee", "pm", "lead"),
        "team": ("team", "squad", "group"),
        "target_period": ("target_period", "target", "quarter", "period", "release", "when"),
        "effort": ("effort", "estimate", "points", "story points", "size", "days"),
        "tags": ("tags", "labels", "themes", "theme"),
        "parent": ("parent", "epic", "initiative", "project"),
    },
}
# The headers that identify an export (all must be present).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "jira": ("Issue key", "Summary"),
    "linear": ("ID", "Title", "Estimate"),
    "productboard": ("Feature name",),
}


@dataclass(frozen=True)
class RoadmapFile:
    """A read export: cells as text, unique column names, and repeated headers grouped.

    ``groups`` maps each distinct header, in file order, to its columns in ``frame``
    (``{"Labels": ("Labels", "Labels.1")}``).
    """

    frame: pd.DataFrame
    groups: dict[str, tuple[str, ...]]
    source: str

    @property
    def headers(self) -> list[str]:
        return list(self.groups)


def _decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise UnreadableFileError(
            "the file is empty", where=source, fix="Export the roadmap again."
        )
    if b"\x00" in data[:4096]:
        raise UnreadableFileError(
            "this is not a text file", where=source, fix="Upload the CSV export of the roadmap."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _delimiter(text: str) -> str:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_roadmap(data: bytes | str | Path, *, name: str | None = None) -> RoadmapFile:
    """Read a roadmap export (a path, or the bytes / text of an upload).

    Raises :class:`prodops.errors.UnreadableFileError` for an empty or binary file and
    :class:`prodops.errors.ColumnError` for a file without a header row.
    """
    if isinstance(data, Path):
        source = name or data.name
        try:
            raw = data.read_bytes()
        except OSError as error:
            raise UnreadableFileError(
                f"cannot read the file ({error.strerror})", where=source
            ) from None
    else:
        source = name or "roadmap.csv"
        raw = data.encode("utf-8") if isinstance(data, str) else data
    text = _decode(raw, source)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise UnreadableFileError(
            f"not a readable CSV ({str(error).splitlines()[0]})",
            where=source,
            fix="Export the roadmap as CSV.",
        ) from None
    if table.empty:
        raise ColumnError("no header row", where=source, fix="Export the roadmap with headers.")
    headers = [str(h).strip() for h in table.iloc[0]]
    columns: list[str] = []
    groups: dict[str, list[str]] = {}
    for header in headers:
        members = groups.setdefault(header, [])
        column = header if not members else f"{header}.{len(members)}"
        members.append(column)
        columns.append(column)
    frame = table.iloc[1:].reset_index(drop=True)
    frame.columns = pd.Index(columns)
    frame = frame[~(frame.apply(lambda r: "".join(r).strip() == "", axis=1))].reset_index(drop=True)
    return RoadmapFile(frame=frame, groups={h: tuple(c) for h, c in groups.items()}, source=source)


def detect_preset(headers: list[str]) -> str:
    """Return the preset whose identifying headers are all present, else ``generic``."""
    lowered = {h.lower() for h in headers}
    for preset, signature in SIGNATURES.items():
        if all(h.lower() in lowered for h in signature):
            return preset
    return "generic"


def default_mapping(file: RoadmapFile, preset: str | None = None) -> dict[str, str | None]:
    """Propose field -> header for *preset* (detected when None); None where nothing matches."""
    preset = preset or detect_preset(file.headers)
    if preset not in PRESETS:
        raise ColumnError(f"unknown preset {preset!r}", fix=f"Use one of {', '.join(PRESETS)}.")
    by_lower = {h.lower(): h for h in file.headers}
    mapping: dict[str, str | None] = {}
    for field in FIELDS:
        candidates = PRESETS[preset][field]
        mapping[field] = next(
            (by_lower[c.lower()] for c in candidates if c.lower() in by_lower), None
        )
    return mapping


def _number(text: str, *, row: int, header: str, source: str) -> float | None:
    cleaned = text.strip().replace(",", ".") if text.count(",") == 1 else text.strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise InputError(
            f"effort {text!r} is not a number",
            where=f"{source}, row {row}, column {header!r}",
            fix="Fix the cell or map another effort column (or none).",
        ) from None
    if math.isnan(value) or value < 0:
        raise InputError(
            f"effort {text!r} is negative or missing",
            where=f"{source}, row {row}, column {header!r}",
            fix="Use a number >= 0.",
        )
    return value


def _split_tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for value in values:
        for tag in re.split(r"[,;]", value):
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def apply_mapping(file: RoadmapFile, mapping: Mapping[str, str | None]) -> pd.DataFrame:
    """Return one row per item with the columns of :data:`FIELDS` (tags a list, effort a float).

    Rows without a key get ``title:<title>`` as key, so a re-import of the same file still matches.
    Raises :class:`prodops.errors.ColumnError` when the title is not mapped or a mapped header is
    not in the file, and :class:`prodops.errors.InputError` for a row without a title, an effort
    that is not a number, or a key that appears twice (naming the rows).
    """
    for field, header in mapping.items():
        if field not in FIELDS:
            raise ColumnError(f"unknown field {field!r}", fix=f"Use one of {', '.join(FIELDS)}.")
        if header and header not in file.groups:
            raise ColumnError(
                f"column {header!r} not found",
                where=file.source,
                fix=did_you_mean(header, file.headers) or "Pick a column of the file.",
            )
    if not mapping.get("title"):
        raise ColumnError(
            "no column is mapped to the title",
            where=file.source,
            fix="Pick the column that holds the item's name.",
        )
    rows = []
    seen: dict[str, int] = {}
    for index, record in enumerate(file.frame.to_dict("records")):
        row_number = index + 2  # 1-based, after the header row
        cells = {
            field: [record[c].strip() for c in file.groups[header] if record[c].strip()]
            if header
            else []
            for field, header in ((f, mapping.get(f)) for f in FIELDS)
        }
        item: dict[str, object] = {}
        for field in FIELDS:
            values = cells[field]
            if field in LIST_FIELDS:
                item[field] = _split_tags(values)
            elif field == "effort":
                header = mapping.get("effort") or ""
                number = (
                    _number(values[0], row=row_number, header=header, source=file.source)
                    if values
                    else None
                )
                if number is not None and header.lower() in SECONDS_HEADERS:
                    number = number / SECONDS_PER_DAY
                item[field] = number
            else:
                item[field] = (
                    ", ".join(values) if field == "target_period" else (values[0] if values else "")
                )
        if not item["title"]:
            raise InputError(
                "this row has no title",
                where=f"{file.source}, row {row_number}",
                fix=f"Fill the {mapping['title']!r} cell or delete the row.",
            )
        key = str(item["key"]) or f"title:{' '.join(str(item['title']).lower().split())}"
        if key in seen:
            raise InputError(
                f"key {key!r} appears twice (rows {seen[key]} and {row_number})",
                where=file.source,
                fix="Keep one row per item, or map another key column.",
            )
        seen[key] = row_number
        item["key"] = key
        rows.append(item)
    return pd.DataFrame(rows, columns=list(FIELDS))
