"""Subscriptions exports in other languages: headers recognised, mappings that fit, CLI flags."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from prodops.cli import main
from prodops.data.catalog import Catalog
from prodops.data.inspection import inspect_file
from prodops.data.presets import detect_mapping

Write = Callable[[str, bytes | str], Path]

# A German export as Excel writes it: cp1252, semicolons, decimal commas, dd.mm.yyyy, CRLF.
GERMAN = (
    "Kundennummer;Tarif;Vertragsbeginn;Vertragsende;Monatsbeitrag;Bemerkung\r\n"
    "K-001;Premium;01.02.2024;31.03.2024;1.234,50;Grüße\r\n"
    "K-002;Basis;15.01.2024;;9,90;\r\n"
    "K-003;Basis;01.03.2024;;19,00;Kündigung angekündigt\r\n"
)


def german(write: Write) -> Path:
    return write("abos.csv", GERMAN.encode("cp1252"))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Kunde", "Startdatum", "Kündigungsdatum", "Betrag"],
            ("Kunde", "Startdatum", "Kündigungsdatum", "Betrag"),
        ),
        (
            ["client", "date de début", "date de fin", "montant mensuel"],
            ("client", "date de début", "date de fin", "montant mensuel"),
        ),
        (
            ["cliente", "fecha de inicio", "fecha de baja", "importe"],
            ("cliente", "fecha de inicio", "fecha de baja", "importe"),
        ),
        (
            ["código cliente", "data de início", "data de término", "mensalidade"],
            ("código cliente", "data de início", "data de término", "mensalidade"),
        ),
        (
            ["codice cliente", "data di inizio", "data disdetta", "canone mensile"],
            ("codice cliente", "data di inizio", "data disdetta", "canone mensile"),
        ),
        (
            ["klantnummer", "ingangsdatum", "opzegdatum", "maandbedrag"],
            ("klantnummer", "ingangsdatum", "opzegdatum", "maandbedrag"),
        ),
        # MRR is a word in every language
        (["Kunde", "Beginn", "Ende", "MRR"], ("Kunde", "Beginn", "Ende", "MRR")),
    ],
)
def test_subscription_headers_in_seven_languages(headers: list[str], expected: tuple) -> None:
    mapping = detect_mapping(headers)
    assert mapping.kind == "subscriptions"
    found = tuple(mapping.columns[c] for c in ("customer_id", "start", "end", "mrr"))
    assert found == expected


def test_an_end_date_is_never_taken_for_the_start() -> None:
    # only the end date is named like a date: the start stays unmapped, the end is the end
    mapping = detect_mapping(["Kunde", "Kündigungsdatum", "Betrag"], kind="subscriptions")
    assert mapping.columns["start"] is None
    assert mapping.columns["end"] == "Kündigungsdatum"


def test_the_german_file_imports_by_itself_with_only_start_and_end_formats(
    write_file: Write,
) -> None:
    inspection = inspect_file(german(write_file))
    plan = inspection.plan
    assert (plan.file.encoding, plan.file.delimiter, plan.file.decimal) == ("cp1252", ";", ",")
    assert plan.mapping.columns == {
        "customer_id": "Kundennummer",
        "start": "Vertragsbeginn",
        "end": "Vertragsende",
        "mrr": "Monatsbeitrag",
    }
    assert sorted(plan.times) == ["end", "start"]  # no "timestamp" format for subscriptions
    assert plan.times["start"].formats == ("%d.%m.%Y",)
    result = Catalog().import_file(german(write_file), name="abos", plan=plan)
    assert (result.report.rows_accepted, result.report.rows_rejected) == (3, 0)
    with Catalog().open("abos") as table:
        frame = table.order_by("customer_id").to_pandas()
    assert frame["mrr"].tolist() == [1234.5, 9.9, 19.0]
    assert frame["start"].tolist() == [
        pd.Timestamp(datetime(2024, 2, 1, tzinfo=UTC)),
        pd.Timestamp(datetime(2024, 1, 15, tzinfo=UTC)),
        pd.Timestamp(datetime(2024, 3, 1, tzinfo=UTC)),
    ]
    assert frame["Bemerkung"].tolist()[0] == "Grüße"


def test_every_mapping_flag_given_for_the_german_file(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = german(write_file)
    flags = [
        "--customer-col", "Kundennummer", "--start-col", "Vertragsbeginn",
        "--end-col", "Vertragsende", "--mrr-col", "Monatsbeitrag",
    ]  # fmt: skip
    assert main(["import", str(path), "--name", "abos", *flags]) == 0
    assert "3 accepted, 0 rejected" in capsys.readouterr().out
    assert main(["revenue", str(path), *flags, "--format", "json"]) == 0
    periods = json.loads(capsys.readouterr().out)["periods"]
    # at 1 Feb: K-002 (9,90 since 15 Jan) + K-001 (1.234,50 from 1 Feb, inclusive); 1 Mar: + K-003
    assert [(p["mrr_end"], p["customers_end"]) for p in periods[:2]] == [(1244.4, 2), (1263.4, 3)]


def test_cli_mapping_errors_name_the_flag(
    write_file: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write_file("e.csv", "who,what,when\nu1,open,2024-01-01\n")
    assert main(["import", str(events), "--name", "x", "--user-col", "who"]) == 2
    err = capsys.readouterr().err
    assert "no column for 'event' (events)" in err
    assert "Pass --event-col COLUMN." in err and "mapping" not in err
    path = german(write_file)
    same = ["--start-col", "Vertragsbeginn", "--end-col", "Vertragsbeginn"]
    assert main(["import", str(path), "--name", "x", *same]) == 2
    err = capsys.readouterr().err
    assert "column 'Vertragsbeginn' is mapped to both start and end" in err
    assert "Give --start-col and --end-col different columns." in err


def test_cli_mapping_errors_name_the_flag_for_a_database_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    monkeypatch.setenv("PRODOPS_ALLOW_FILE_DB_DIR", str(tmp_path))
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE ev (who TEXT, what TEXT, ts TEXT)")
    con.close()
    argv = ["retention", "--db-url", f"sqlite:///{path}", "--table", "ev", "--user-col", "who"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no column for 'event' (events)" in err and "Pass --event-col COLUMN." in err
