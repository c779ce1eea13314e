"""Properties from JSON: object columns of an export unpacked into typed property columns.

PostHog puts an event's properties in one JSON column (``properties``, plus ``person_properties``),
Amplitude in ``event_properties`` / ``user_properties`` / ``groups``, Segment in ``properties`` /
``context`` / ``traits``. At import each key becomes a column under its own name (``plan``,
``$browser``), nested keys joined with dots (``$set.plan``); a name already taken (a top-level
column, a canonical column, the same key from an earlier JSON column) is prefixed with its source
column (``user_properties.plan``). A key whose sampled values are all numbers is a DOUBLE column,
all booleans a BOOLEAN column, anything else text. Only the :data:`MAX_KEYS` most frequent keys are
kept, so a wide export stays fast; the import report says how many were left out.

Keys are found in the first :data:`DISCOVERY_ROWS` rows (parsed here, in Python); the values are
extracted by DuckDB in the import's one ``CREATE TABLE ... AS SELECT`` (:func:`extract_items`):
one ``json_extract_string`` per JSON column and row, with the list of every key's path, so each
document is parsed once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from prodops.data.presets import normalise
from prodops.duck import quote_ident

if TYPE_CHECKING:  # pandas is imported where a frame is built (ADR 0016)
    import pandas as pd

    from prodops.data.sample import Sample

KeyType = Literal["number", "boolean", "text"]
MAX_KEYS = 200
DISCOVERY_ROWS = 20_000
# Known JSON object columns, most important first (a key found in two keeps its plain name in
# the first): normalised column name per preset.
KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    "posthog": ("properties", "person_properties", "set"),
    "amplitude": ("event_properties", "user_properties", "groups"),
    "segment": ("properties", "traits", "context"),
    "mixpanel": ("properties",),
}
_SQL_TYPES: dict[KeyType, str] = {"number": "DOUBLE", "boolean": "BOOLEAN", "text": "VARCHAR"}


@dataclass(frozen=True)
class JsonKey:
    """One key of a JSON column and the property column it becomes.

    Attributes
    ----------
    source : str
        The JSON column.
    path : tuple of str
        Keys from the top of the object down (``("$set", "plan")``).
    name : str
        The property column's name.
    type : {"number", "boolean", "text"}
    rows : int
        Sampled rows holding a value for it.
    """

    source: str
    path: tuple[str, ...]
    name: str
    type: KeyType
    rows: int


@dataclass(frozen=True)
class Unpacking:
    """Which JSON columns are unpacked, into which keys.

    Attributes
    ----------
    sources : tuple of str
        The JSON columns unpacked (they are not kept as text columns).
    keys : tuple of JsonKey
        The property columns, most frequent first.
    left_out : int
        Keys found beyond the cap of :data:`MAX_KEYS`.
    """

    sources: tuple[str, ...] = ()
    keys: tuple[JsonKey, ...] = ()
    left_out: int = 0

    def describe(self) -> list[str]:
        """Lines for the import report: keys unpacked per column, and what the cap left out."""
        per_source = Counter(k.source for k in self.keys)
        lines = [
            f"unpacked {per_source.get(s, 0)} JSON keys from {s!r} into property columns"
            for s in self.sources
        ]
        if self.left_out:
            lines.append(
                f"kept the {len(self.keys)} most frequent JSON keys; {self.left_out} rarer keys "
                f"were left out (at most {len(self.keys)})"
            )
        return lines


def _parse_object(text: Any) -> dict[str, Any] | None:
    """The JSON object in *text*, or None (empty, not JSON, not an object)."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def json_object_columns(sample: Sample | pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The columns of *columns* whose filled sampled values are all JSON objects (one at least).

    Examples
    --------
    >>> import pandas as pd
    >>> sample = pd.DataFrame({"p": ['{"plan": "pro"}', None, "{}"], "q": ["{", "x", None]})
    >>> json_object_columns(sample, ["p", "q"])
    ['p']
    """
    found = []
    for column in columns:
        values = [v for v in sample[column] if isinstance(v, str) and v.strip()]
        if values and all(_parse_object(v) is not None for v in values):
            found.append(column)
    return found


def order_sources(columns: Sequence[str], preset: str) -> list[str]:
    """*columns* in unpacking priority: the preset's known JSON columns first, then file order."""
    known = KNOWN_COLUMNS.get(preset, ())
    rank = {name: i for i, name in enumerate(known)}
    return sorted(columns, key=lambda c: (rank.get(normalise(c), len(known)), columns.index(c)))


Leaf = tuple[tuple[str, ...], Any]


def _leaves(value: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[Leaf]:
    for key, item in value.items():
        path = (*prefix, str(key))
        if isinstance(item, dict) and item:
            yield from _leaves(item, path)
        else:
            yield path, item


def _type_of(values: list[Any]) -> KeyType:
    filled = [v for v in values if v is not None]
    if filled and all(isinstance(v, bool) for v in filled):
        return "boolean"
    if filled and all(isinstance(v, int | float) and not isinstance(v, bool) for v in filled):
        return "number"
    return "text"


def plan_unpacking(
    sample: pd.DataFrame,
    sources: Sequence[str],
    *,
    taken: Iterable[str],
    max_keys: int | None = None,
) -> Unpacking:
    """Find the keys of the JSON columns *sources* (in priority order) in *sample* and name them.

    Parameters
    ----------
    sample : pandas.DataFrame
        The first rows of the file, as text.
    sources : sequence of str
        JSON object columns, most important first.
    taken : iterable of str
        Names already used (canonical and top-level columns): a key named like one of them is
        prefixed with its source column.
    max_keys : int, optional
        Keep only this many keys, the most frequent (ties: source order, then path); default
        :data:`MAX_KEYS`.

    Examples
    --------
    >>> import pandas as pd
    >>> sample = pd.DataFrame({
    ...     "properties": ['{"plan": "pro", "$set": {"seats": 3}}', '{"plan": "free"}'],
    ...     "user_properties": ['{"plan": "team", "beta": true}', None],
    ... })
    >>> found = plan_unpacking(sample, ["properties", "user_properties"], taken=["user_id"])
    >>> [(k.name, k.type, k.rows) for k in found.keys]
    [('plan', 'text', 2), ('$set.seats', 'number', 1), ('beta', 'boolean', 1), \
('user_properties.plan', 'text', 1)]
    """
    counts: Counter[tuple[int, tuple[str, ...]]] = Counter()
    values: dict[tuple[int, tuple[str, ...]], list[Any]] = {}
    for rank, source in enumerate(sources):
        for text in sample[source].tolist():
            parsed = _parse_object(text)
            if parsed is None:
                continue
            for path, value in _leaves(parsed):
                if value is None or any('"' in part for part in path):
                    continue  # no value here; or a key no JSON path can address (rare)
                counts[(rank, path)] += 1
                values.setdefault((rank, path), []).append(value)
    max_keys = MAX_KEYS if max_keys is None else max_keys
    ranked = sorted(counts, key=lambda k: (-counts[k], k[0], k[1]))
    kept = sorted(ranked[:max_keys], key=lambda k: (k[0], -counts[k], k[1]))
    used = {t.lower() for t in taken}
    keys = []
    for rank, path in kept:
        source = sources[rank]
        name = ".".join(path)
        if name.lower() in used:
            name = f"{source}.{name}"
        base, suffix = name, 2
        while name.lower() in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name.lower())
        key_type = _type_of(values[(rank, path)])
        keys.append(JsonKey(source, path, name, key_type, counts[(rank, path)]))
    return Unpacking(
        sources=tuple(sources), keys=tuple(keys), left_out=max(0, len(ranked) - max_keys)
    )


def json_path(path: Sequence[str]) -> str:
    """The JSON path of a key: ``$."$set"."plan"`` (every step quoted: ``$``, dots, spaces).

    Examples
    --------
    >>> json_path(("$set", "plan"))
    '$."$set"."plan"'
    """
    return "$" + "".join(f'."{part}"' for part in path)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def extract_items(
    unpacking: Unpacking, text_of: Mapping[str, str], helper: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """SQL for the unpacked keys: (helper items, property items).

    *text_of* gives the SQL text of each source column; *helper* the (free) name of the list
    column holding its extracted values. The helper items go in a layer under the property
    items (``SELECT *, <helper items> FROM file``): one ``json_extract_string`` with every path
    of the column, so each document is parsed once; a value that is not JSON gives NULL
    (``try``), which the import rejects with a reason. Each property item casts one element.
    """
    helpers, items = [], []
    for source in unpacking.sources:
        keys = [k for k in unpacking.keys if k.source == source]
        if not keys:
            continue
        paths = ", ".join(_literal(json_path(k.path)) for k in keys)
        column = quote_ident(helper[source])
        helpers.append(f"try(json_extract_string({text_of[source]}, [{paths}])) AS {column}")
        for index, key in enumerate(keys, start=1):
            value = f"{column}[{index}]"
            sql_type = _SQL_TYPES[key.type]
            expr = value if key.type == "text" else f"TRY_CAST({value} AS {sql_type})"
            items.append(f"{expr} AS {quote_ident(key.name)}")
    return helpers, items


def preview_frame(sample: pd.DataFrame, unpacking: Unpacking, *, rows: int = 20) -> pd.DataFrame:
    """The first *rows* rows' unpacked values, one column per key (for the preview)."""
    head = sample.head(rows)
    data: dict[str, list[Any]] = {}
    for key in unpacking.keys:
        column = []
        for text in head[key.source].tolist():
            value: Any = _parse_object(text)
            for part in key.path:
                value = value.get(part) if isinstance(value, dict) else None
            column.append(value if value is None or key.type != "text" else _as_text(value))
        data[key.name] = column
    import pandas as pd

    return pd.DataFrame(data, index=head.index)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def key_table(unpacking: Unpacking) -> pd.DataFrame:
    """One row per unpacked key: column, from, key, type, sampled rows (the preview's list)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "column": [k.name for k in unpacking.keys],
            "from": [k.source for k in unpacking.keys],
            "key": [".".join(k.path) for k in unpacking.keys],
            "type": [k.type for k in unpacking.keys],
            "rows in sample": [k.rows for k in unpacking.keys],
        }
    )
