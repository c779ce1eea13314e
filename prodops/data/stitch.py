"""People, not device ids: the events of one person under one user id.

Product-analytics exports identify a person several ways. PostHog writes the person's id beside
each event (``person_id``) when it knows it; otherwise its ``$identify`` event links the anonymous
id used before sign-up (``properties.$anon_distinct_id``) to the identified ``distinct_id``.
Amplitude writes ``user_id`` once the user is known and ``device_id`` always; Segment writes
``userId`` once known and ``anonymousId`` always. Counting raw ids would count a person who
browsed anonymously, then signed up, twice and would start their retention at sign-up.

At import (:func:`stitch_sql`), after the rows are validated:

- ``person``: the person column, where filled, replaces the user id;
- ``identify``: every ``$identify`` event maps its anonymous id to its user id, and the anonymous
  id's events move to that user;
- ``alias`` (device / anonymous id): an event without a user id is kept under its device id (not
  rejected as "empty user id"); a device id seen with a user id maps to that user (the first one
  in time, when a device was shared) and its anonymous events move to them.

The report says how many ids were merged. ``keep_raw`` keeps the ids as exported (device-only
events are still kept, under their device id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from prodops.data.presets import normalise
from prodops.data.schema import EVENT_COL, TIME_COL, USER_COL
from prodops.duck import quote_ident

Mode = Literal["none", "person", "identify", "alias"]
IDENTIFY_EVENT = "$identify"
ANON_KEY = "$anon_distinct_id"


@dataclass(frozen=True)
class People:
    """How events are attributed to persons (the plan's part; see the module docstring).

    Attributes
    ----------
    mode : {"none", "person", "identify", "alias"}
    column : str or None
        The person column (``person``), the JSON column holding ``$anon_distinct_id``
        (``identify``) or the device / anonymous id column (``alias``).
    keep_raw : bool
        Keep the exported ids (no merging); device-only events keep their device id.
    """

    mode: Mode = "none"
    column: str | None = None
    keep_raw: bool = False

    @property
    def merges(self) -> bool:
        """True when ids are merged at import."""
        return self.mode != "none" and self.column is not None and not self.keep_raw

    def describe(self) -> str:
        """How persons are found, in words (the preview's line)."""
        if self.mode == "none" or self.column is None:
            return "user ids as exported"
        how = {
            "person": f"the person column {self.column!r}",
            "identify": f"$identify events ({ANON_KEY} in {self.column!r})",
            "alias": f"the device / anonymous id {self.column!r}",
        }[self.mode]
        return f"user ids as exported ({how} not used)" if self.keep_raw else f"persons from {how}"


def detect_people(preset: str, columns: Sequence[str], user_col: str | None) -> People:
    """How the export *preset* with *columns* identifies persons (``People()`` when it does not).

    Examples
    --------
    >>> detect_people("posthog", ["uuid", "event", "distinct_id", "person_id"], "distinct_id")
    People(mode='person', column='person_id', keep_raw=False)
    >>> detect_people("amplitude", ["user_id", "device_id", "event_type"], "user_id").mode
    'alias'
    """
    names: dict[str, str] = {}
    for column in columns:
        names.setdefault(normalise(column), column)
    user = normalise(user_col) if user_col else None
    if preset == "posthog":
        if "person_id" in names and user != "person_id":
            return People("person", names["person_id"])
        if "properties" in names:
            return People("identify", names["properties"])
    if preset == "amplitude" and "device_id" in names and user != "device_id":
        return People("alias", names["device_id"])
    if preset == "segment" and "anonymousid" in names and user != "anonymousid":
        return People("alias", names["anonymousid"])
    return People()


def _blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim({expr}) = '')"


def user_sql(people: People, user_text: str, alias_text: str | None) -> str:
    """SQL for the user id at load: the device / anonymous id where the user id is empty."""
    if people.mode != "alias" or alias_text is None:
        return user_text
    return f"(CASE WHEN {_blank(user_text)} THEN {alias_text} ELSE {user_text} END)"


def alias_sql(people: People, alias_text: str, event_text: str) -> str:
    """SQL for the helper column the merge reads: person id, anonymous id or device id."""
    if people.mode == "identify":  # only $identify events carry the link; parse only those
        path = f"'$.\"{ANON_KEY}\"'"
        return (
            f"(CASE WHEN {event_text} = '{IDENTIFY_EVENT}' "
            f"THEN try(json_extract_string({alias_text}, {path})) END)"
        )
    return alias_text


def stitch_sql(people: People, table: str, alias: str) -> list[str]:
    """The statements that merge ids in *table* whose helper column *alias* holds the links."""
    t, a = quote_ident(table), quote_ident(alias)
    user, event, time = quote_ident(USER_COL), quote_ident(EVENT_COL), quote_ident(TIME_COL)
    if people.mode == "person":
        return [f"UPDATE {t} SET {user} = {a} WHERE NOT {_blank(a)} AND {a} <> {user}"]
    links = f"NOT {_blank(a)} AND {a} <> {user}"
    if people.mode == "identify":
        links += f" AND {event} = '{IDENTIFY_EVENT}'"
    # one person per anonymous id: the first identified user in time (a shared device)
    mapping = (
        f"SELECT {a} AS anon, arg_min({user}, {time}) AS person FROM {t} WHERE {links} GROUP BY {a}"
    )
    return [
        f"UPDATE {t} SET {user} = m.person FROM ({mapping}) AS m "
        f"WHERE {t}.{user} = m.anon AND m.person <> m.anon"
    ]


def stitch(con: duckdb.DuckDBPyConnection, people: People, table: str, alias: str) -> int:
    """Merge the ids of *table* as *people* says; return how many ids were merged away."""
    t, user = quote_ident(table), quote_ident(USER_COL)
    before = con.execute(f"SELECT count(DISTINCT {user}) FROM {t}").fetchone()
    for statement in stitch_sql(people, table, alias):
        con.execute(statement)
    after = con.execute(f"SELECT count(DISTINCT {user}) FROM {t}").fetchone()
    return int(before[0] if before else 0) - int(after[0] if after else 0)
