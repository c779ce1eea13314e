"""What an import reports: the :class:`ValidationReport` and the rejected rows it lists, by their
row in the file (the lines DuckDB's reader refused, :func:`malformed_rows`, and the rows a check
refused, :func:`renumber`-ed past them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from prodops.data.quotes import UNTERMINATED_REASON
from prodops.data.timeparse import sql_literal
from prodops.duck import quote_ident

if TYPE_CHECKING:  # pandas is imported once DuckDB has read the file (ADR 0016)
    import pandas as pd

REJECTED_COLUMNS = ("row", "column", "value", "reason")
ENCODING_REASON = "invalid characters (encoding)"
MAX_REJECTED_LISTED = 100_000


@dataclass(frozen=True)
class ValidationReport:
    """What happened to the rows of one file.

    Attributes
    ----------
    label : str
        The file's name.
    rows_read, rows_accepted, rows_rejected : int
        ``rows_read == rows_accepted + rows_rejected``.
    rejected : pandas.DataFrame
        ``row`` (1-based data row of the file), ``column``, ``value``, ``reason``; at most
        :data:`MAX_REJECTED_LISTED` rows (``truncated`` says when more were rejected).
    ids_merged : int
        User ids merged into persons (:mod:`prodops.data.stitch`).
    notes : tuple of str
        What else the import did: JSON keys unpacked (and left out), how persons were found.
    """

    label: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected: pd.DataFrame = field(repr=False)
    truncated: bool = False
    ids_merged: int = 0
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: ``events.csv: 10 rows read, 9 accepted, 1 rejected``."""
        text = (
            f"{self.label}: {self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected"
        )
        if self.rows_rejected:  # every reason, most frequent first (of the rows listed)
            counts = self.rejected["reason"].value_counts(sort=False)
            ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in ordered) + ")"
        return text


def no_rejects() -> pd.DataFrame:
    """An empty list of rejected rows (its columns: :data:`REJECTED_COLUMNS`)."""
    import pandas as pd

    return pd.DataFrame(columns=list(REJECTED_COLUMNS))


def joined(first: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows of *first*, then those of *then*."""
    import pandas as pd

    return pd.concat([first, then], ignore_index=True) if len(first) else then


def malformed_rows(
    con: duckdb.DuckDBPyConnection, rejects: str | None, *, skip_cast: bool = False
) -> pd.DataFrame:
    """The lines DuckDB's reader rejected (too few / too many fields, encoding, open quote), one
    row each: ``row`` (1-based data row), ``column``, ``value`` (the line), ``reason``.

    With *skip_cast*, lines rejected only because a typed value did not parse are left out (they
    are checked again as text) and a line with another error too reports that one.
    """
    if rejects is None:
        return no_rejects()
    where = "WHERE CAST(error_type AS VARCHAR) <> 'CAST' " if skip_cast else ""
    frame = con.execute(
        f"SELECT DISTINCT ON (line) CAST(line AS BIGINT) - 1 AS row, "
        f"coalesce(column_name, '') AS column, "
        f"left(replace(csv_line, chr(10), ' '), 200) AS value, "
        f"CASE error_type WHEN 'MISSING COLUMNS' THEN 'too few fields' "
        f"WHEN 'TOO MANY COLUMNS' THEN 'too many fields' "
        f"WHEN 'INVALID ENCODING' THEN {sql_literal(ENCODING_REASON)} "
        f"WHEN 'UNQUOTED VALUE' THEN {sql_literal(UNTERMINATED_REASON)} "
        f"ELSE lower(CAST(error_type AS VARCHAR)) END AS reason "
        f"FROM {quote_ident(rejects)} {where}ORDER BY line, column_idx"
    ).df()
    return frame


def renumber(listed: pd.DataFrame, skipped: Iterable[int]) -> pd.DataFrame:
    """Shift table row numbers past the data rows the table does not hold (*skipped*: rejected by
    DuckDB's reader), to file data rows.

    The k-th kept row is the data row n = k + (skipped rows before it); both grow together, so
    one pass over the sorted skipped rows is enough.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"row": [1, 2, 3]})
    >>> renumber(frame, [2, 4])["row"].tolist()
    [1, 3, 5]
    """
    ordered = sorted(int(r) for r in skipped)
    if listed.empty or not ordered:
        return listed
    rows, passed = [], 0
    for index in listed["row"]:  # increasing
        n = int(index) + passed
        while passed < len(ordered) and ordered[passed] <= n:
            passed += 1
            n = int(index) + passed
        rows.append(n)
    out = listed.copy()
    out["row"] = rows
    return out
