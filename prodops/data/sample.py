"""The first rows of a file as text, column by column, held without pandas.

Guessing what a file's columns mean and how its times are written needs a couple of thousand
values per column, not a DataFrame. Holding them as plain tuples lets the command line inspect a
file and start DuckDB's read before pandas is imported (ADR 0016: pandas then loads while DuckDB
reads); the Data page's preview is built from the sample when it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Sample:
    """Rows of text values (None where empty in the source) under named columns.

    Examples
    --------
    >>> sample = Sample(("user", "at"), (("u1", "2026-01-05"), ("u2", None)))
    >>> sample["at"], len(sample), sample.head(1).rows
    (['2026-01-05', None], 2, (('u1', '2026-01-05'),))
    >>> frame = sample.frame()
    >>> frame["user"].tolist(), frame["at"].isna().tolist()
    (['u1', 'u2'], [False, True])
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        """No rows."""
        return not self.rows

    def __getitem__(self, column: str) -> list[str | None]:
        """The values of *column*, in row order (``KeyError`` for a column not sampled)."""
        if column not in self.columns:
            raise KeyError(column)
        at = self.columns.index(column)
        return [row[at] for row in self.rows]

    def head(self, rows: int) -> Sample:
        """The first *rows* rows."""
        return Sample(self.columns, self.rows[:rows])

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (pandas is imported here, not before)."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))
