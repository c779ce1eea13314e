"""The one exception hierarchy of the core.

Every error a person can cause (a bad file, a wrong column, an impossible range, a stale edit, a
database that is down) is a :class:`ProdOpsError` carrying *what* went wrong, *where*, and *how to
fix it*. Pages show ``str(error)`` with ``st.error``; the CLI prints it on one line and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ProdOpsError(Exception):
    """An error a person can act on.

    Parameters
    ----------
    what : str
        What is wrong, in plain words ("column 'usr' not found").
    where : str, optional
        Where it is (a file name, "row 12, column 'mrr'", a dataset name).
    fix : str, optional
        What would fix it ("pick the user column in the mapping").

    Examples
    --------
    The message is one line: where, what, then the fix.

    >>> error = ProdOpsError(
    ...     "column 'usr' not found", where="events.csv", fix="Pick the user column."
    ... )
    >>> str(error)
    "events.csv: column 'usr' not found. Pick the user column."
    >>> error.what, error.where
    ("column 'usr' not found", 'events.csv')
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text = f"{text.rstrip('.')}. {self.fix}"
        return " ".join(text.split())  # one line, always


class InputError(ProdOpsError):
    """The data given cannot be used (unreadable file, wrong kind, malformed rows)."""


class UnreadableFileError(InputError):
    """A file that cannot be read at all (empty, binary junk, unknown format)."""


class ColumnError(InputError):
    """A column that is missing, duplicated or of the wrong type."""


class ParameterError(ProdOpsError):
    """An option that is out of range or inconsistent (bad period, bad time zone, empty range)."""


class NotFoundError(ProdOpsError):
    """A named thing (dataset, objective, key result, session) does not exist."""


class StaleEditError(ProdOpsError):
    """An edit based on an out-of-date copy; nothing was written."""


class PermissionDeniedError(ProdOpsError):
    """The acting user's role does not allow the write; nothing was written."""


class BackendError(ProdOpsError):
    """A database or engine failed (down, timed out, refused the query)."""


def did_you_mean(name: str, candidates: Iterable[str], *, n: int = 3) -> str:
    """Return a " Did you mean ...?" hint for *name* among *candidates*, or "".

    Examples
    --------
    >>> did_you_mean("usr_id", ["user_id", "event", "timestamp"])
    "Did you mean 'user_id'?"
    """
    pool = [str(c) for c in candidates]
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=n)]
    if not close:
        return ""
    return "Did you mean " + " or ".join(repr(c) for c in close) + "?"
