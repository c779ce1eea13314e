"""The upload flow of the Data page: spool, inspect, edit every guess, import, report.

Uploads are written once (per upload id) to a temporary file in the data directory's temp folder
(:func:`prodops.data.tempfiles.uploads_dir`) that DuckDB reads; the inspection is cached on that
upload id and the chosen options, never on the bytes (DESIGN.md, pitfalls).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from prodops.data.importer import ImportPlan, Inspection, time_columns
from prodops.data.inspection import inspect_file
from prodops.data.presets import OPTIONAL_COLUMNS
from prodops.data.schema import REQUIRED_COLUMNS, Kind
from prodops.data.sniff import DELIMITERS, ENCODINGS, FileGuess
from prodops.data.tempfiles import uploads_dir
from prodops.data.timeparse import TimeGuess
from prodops.data.unpack import MAX_KEYS, key_table
from prodops.errors import ProdOpsError
from prodops.export import neutralise_formulas, to_safe_csv
from prodops.ui.session import current_actor, show_error

UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "parquet", "jsonl", "ndjson", "json", "xlsx"]
TTL_S = 3600
NOT_MAPPED = "(not mapped)"
DELIMITER_NAMES = {",": "comma ,", ";": "semicolon ;", "\t": "tab", "|": "pipe |"}
COMMON_TIME_FORMATS = (
    "iso", "epoch_s", "epoch_ms", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y",
    "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %I:%M %p",
)  # fmt: skip


def spool_upload(uploaded: Any) -> Path:
    """Write the upload to a temporary file once per upload id; return its path."""
    folder = uploads_dir() / re.sub(r"\W", "_", uploaded.file_id)
    path = folder / (re.sub(r"[^\w.\-]", "_", uploaded.name)[-120:] or "upload")
    if not path.is_file():
        previous = st.session_state.get("data_spooled")
        if previous and Path(previous) != folder:
            shutil.rmtree(previous, ignore_errors=True)  # one spooled upload per session
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            uploaded.seek(0)
            shutil.copyfileobj(uploaded, out, length=1 << 22)
        st.session_state["data_spooled"] = str(folder)
    return path


@st.cache_data(max_entries=16, ttl=TTL_S, show_spinner="Reading the file…")
def load_inspection(
    path: str, upload_id: str, label: str, kind: str | None, file_guess: FileGuess | None
) -> Inspection:
    """Inspect the spooled upload (cached on the upload id and the chosen options)."""
    return inspect_file(Path(path), label=label, kind=kind, file_guess=file_guess)  # type: ignore[arg-type]


def file_options(inspection: Inspection, key: str) -> FileGuess | None:
    """Selectboxes for encoding, delimiter and decimal mark (the sheet of a workbook); the
    corrected guess if changed."""
    guess = inspection.plan.file
    if guess.format == "xlsx" and len(inspection.sheets) > 1:
        sheets = list(inspection.sheets)
        sheet = st.selectbox(
            "Sheet",
            sheets,
            index=sheets.index(guess.sheet) if guess.sheet in sheets else 0,
            key=f"sheet_{key}",
            help="The workbook has several sheets; the data is read from this one.",
        )
        return None if sheet == guess.sheet else replace(guess, sheet=sheet)
    if guess.format != "csv":
        st.text(f"Format: {guess.format}" + (" (gzip)" if guess.compression == "gzip" else ""))
        return None
    left, mid, right = st.columns(3)
    encodings = list(dict.fromkeys([guess.encoding, *ENCODINGS]))
    encoding = left.selectbox("Encoding", encodings, key=f"enc_{key}")
    delimiters = list(dict.fromkeys([guess.delimiter, *DELIMITERS]))
    delimiter = mid.selectbox(
        "Delimiter", delimiters, format_func=lambda d: DELIMITER_NAMES.get(d, d), key=f"del_{key}"
    )
    decimals = [guess.decimal, "," if guess.decimal == "." else "."]
    decimal = right.selectbox("Decimal mark", decimals, key=f"dec_{key}")
    chosen = replace(guess, encoding=encoding, delimiter=delimiter, decimal=decimal)
    return None if chosen == guess else chosen


def column_mapping(inspection: Inspection, key: str) -> Inspection:
    """One selectbox per canonical column; returns the inspection remapped as chosen."""
    mapping = inspection.plan.mapping
    if mapping.preset == "stripe":
        st.text("Stripe subscriptions export: MRR is normalised from plan, quantity and interval.")
        return inspection
    options = [NOT_MAPPED, *inspection.columns]
    cols = st.columns(len(REQUIRED_COLUMNS[mapping.kind]))
    for column, canonical in zip(cols, REQUIRED_COLUMNS[mapping.kind], strict=True):
        current = mapping.columns.get(canonical) or NOT_MAPPED
        label = canonical + (" (optional)" if canonical in OPTIONAL_COLUMNS else "")
        choice = column.selectbox(
            label, options, index=options.index(current), key=f"map_{canonical}_{key}"
        )
        if choice != current:
            inspection = inspection.remap(canonical, None if choice == NOT_MAPPED else choice)
    return inspection


def json_and_people(inspection: Inspection, key: str) -> Inspection:
    """The JSON columns to unpack (all offered ones by default) and the raw-ids checkbox."""
    if inspection.json_columns:
        chosen = st.multiselect(
            "Unpack JSON columns into property columns",
            list(inspection.json_columns),
            default=list(inspection.json_columns),
            key=f"unpack_{key}",
            help="Each key becomes a property column under its own name (nested keys joined "
            "with dots; a name already taken is prefixed with its column). Numbers and booleans "
            f"keep their type. At most {MAX_KEYS} keys, the most frequent.",
        )
        inspection = inspection.with_unpacking(chosen)
    people = inspection.plan.people
    if people.mode != "none":
        keep = st.checkbox(
            "Keep raw ids (do not merge anonymous ids into persons)",
            value=False,
            key=f"raw_ids_{key}",
            help="By default the events of one person count once: " + people.describe() + ".",
        )
        inspection = inspection.with_raw_ids(keep)
        st.text("People: " + inspection.plan.people.describe())
    return inspection


def render_unpacked(inspection: Inspection) -> None:
    """Which columns come from JSON, and their first values."""
    unpack = inspection.plan.unpack
    if not unpack.keys:
        return
    st.text(f"Unpacked from JSON: {len(unpack.keys)} property columns")
    for line in unpack.describe()[len(unpack.sources) :]:
        st.text(line)  # the cap
    st.dataframe(neutralise_formulas(key_table(unpack)), hide_index=True)
    st.dataframe(neutralise_formulas(inspection.unpacked_preview()), hide_index=True)


def time_formats(plan: ImportPlan, key: str) -> ImportPlan:
    """Per time column: the format (editable) and, when ambiguous, the day/month order."""
    times = dict(plan.times)
    if times:
        zone = st.text_input(
            "Time zone of times written without an offset",
            value="UTC",
            key=f"tz_{key}",
            help="An IANA name such as Europe/Paris. Times with an offset or Z keep theirs.",
        ).strip()
        times = {c: replace(g, timezone=zone or "UTC") for c, g in times.items()}
    for canonical in time_columns(plan.mapping.kind):  # subscriptions: start and end only
        guess = times.get(canonical)
        if guess is None or not plan.mapping.columns.get(canonical):
            continue
        detected = " | ".join(guess.formats)
        options = list(dict.fromkeys([detected, *COMMON_TIME_FORMATS]))
        left, right = st.columns([2, 1])
        left.text(f"{canonical}, for example: {guess.example[:40]}")
        choice = left.selectbox(
            f"Format of {canonical}",
            options,
            key=f"fmt_{canonical}_{key}",
            help="iso = ISO 8601 with or without offset; epoch_s / epoch_ms = Unix time; "
            "otherwise a strptime pattern. Several formats separated by | are tried in order.",
        )
        if choice != detected:
            guess = TimeGuess(
                formats=tuple(choice.split(" | ")), example=guess.example, timezone=guess.timezone
            )
        if guess.ambiguous:
            order = right.radio(
                f"Day/month order of {canonical} is ambiguous",
                ["day first (31/12)", "month first (12/31)"],
                index=None,
                key=f"dm_{canonical}_{key}",
            )
            if order is not None:
                guess = guess.resolve(day_first=order.startswith("day"))
        times[canonical] = guess
    return replace(plan, times=times)


def render_report(report: Any, key: str) -> None:
    """The validation report: counts, rejected rows and their CSV download."""
    a, b, c = st.columns(3)
    a.metric("Rows read", f"{report.rows_read:,}")
    b.metric("Accepted", f"{report.rows_accepted:,}")
    c.metric("Rejected", f"{report.rows_rejected:,}")
    for note in getattr(report, "notes", ()):
        st.text(note)
    if report.rows_rejected:
        st.text(report.summary())
        st.dataframe(neutralise_formulas(report.rejected.head(1000)), hide_index=True)
        st.download_button(
            "Download rejected rows (CSV)",
            to_safe_csv(report.rejected),
            file_name=f"rejected-{key}.csv",
            mime="text/csv",
            key=f"rejected_{key}",
        )


def target(catalog: Any, kind: Kind, stem: str, key: str) -> tuple[str, bool]:
    """Name field and new/append choice; returns (name, append)."""
    same_kind = [d.name for d in catalog.list() if d.kind == kind and not d.live]
    mode = st.radio(
        "Save as",
        ["New dataset", "Append to an existing dataset"],
        horizontal=True,
        key=f"mode_{key}",
        disabled=not same_kind,
    )
    if mode == "New dataset":
        return st.text_input("Dataset name", value=stem, key=f"name_{key}", max_chars=100), False
    name = st.selectbox("Dataset to append to", same_kind, key=f"append_{key}")
    return str(name), True


def render_upload(catalog: Any) -> None:
    """The whole upload flow; errors are shown with ``st.error`` and the page goes on."""
    uploaded = st.file_uploader(
        "Upload an export: CSV, TSV, CSV.gz, Parquet, JSON lines or Excel (.xlsx)",
        type=UPLOAD_TYPES,
        key="data_upload",
    )
    if uploaded is None:
        return
    key = re.sub(r"\W", "_", uploaded.file_id)[-24:]
    try:
        path = spool_upload(uploaded)
        kind_choice = st.selectbox("Kind", ["detect", "events", "subscriptions"], key=f"kind_{key}")
        kind = None if kind_choice == "detect" else kind_choice
        inspection = load_inspection(str(path), uploaded.file_id, uploaded.name, kind, None)
        corrected = file_options(inspection, key)
        if corrected is not None:
            inspection = load_inspection(
                str(path), uploaded.file_id, uploaded.name, kind, corrected
            )
        mapping = inspection.plan.mapping
        st.text(f"Detected: {mapping.preset} export of {mapping.kind}")
        if inspection.warnings:
            st.warning("Check the mapping:", icon=":material/warning:")
            for warning in inspection.warnings:
                st.text(warning)
        # the mapping widgets belong to one reading of the file (sheet, delimiter, ...): another
        # reading has other columns, so its widgets start from its own guesses
        read_key = f"{key}_{hashlib.sha256(repr(inspection.plan.file).encode()).hexdigest()[:8]}"
        inspection = column_mapping(inspection, read_key)
        inspection = json_and_people(inspection, read_key)
        plan = time_formats(inspection.plan, read_key)
        st.dataframe(neutralise_formulas(inspection.preview), hide_index=True)
        render_unpacked(inspection)
        name, append = target(
            catalog, plan.mapping.kind, Path(uploaded.name).stem.split(".")[0], key
        )
        if st.button("Import", type="primary", key=f"import_{key}", disabled=bool(plan.ambiguous)):
            result = catalog.import_file(
                path,
                name=name,
                plan=plan,
                label=uploaded.name,
                append=append,
                actor=current_actor(),
            )
            st.session_state["data_last_import"] = (result.info.name, result.report, result.added)
    except ProdOpsError as error:
        show_error(error)
        return
    last = st.session_state.get("data_last_import")
    if last:
        saved, report, added = last
        st.success(f"{added:,} rows saved", icon=":material/check_circle:")
        st.text(f"Dataset: {saved}")
        render_report(report, key)
