"""Filters with operators (DESIGN.md, "Filters"): every operator, OR within a column, AND across
columns, numbers compared as numbers, and what "set" means for NULL and the empty text.

Each case is worked by hand on five users; the same cases run on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from metrics.helpers import Loader, frame
from prodops.errors import ColumnError, ParameterError
from prodops.metrics import retention
from prodops.metrics.filters import Condition, conditions, describe, parse_condition, predicate

#        user  plan    country  amount  email
PEOPLE = [
    ("a", "pro", "DE", 150.0, "ann@acme.com"),
    ("b", "team", "FR", 100.0, "bob@Acme.com"),
    ("c", "free", None, 20.0, "cy@other.org"),
    ("d", "", "DE", None, None),
    ("e", None, "US", 99.5, "eve@acme.com.au"),
]


def people() -> pd.DataFrame:
    events = frame([(u, "open", "2024-01-01T10:00", plan) for u, plan, *_ in PEOPLE])
    return events.assign(
        country=pd.Series([p[2] for p in PEOPLE], dtype=object),
        amount=pd.Series([p[3] for p in PEOPLE], dtype="float64"),
        email=pd.Series([p[4] for p in PEOPLE], dtype=object),
    )


@pytest.fixture
def kept(load: Loader) -> Any:
    """The users a filter keeps, sorted."""
    events = people()
    extra = events[["country", "email"]].astype("string")
    table = load(events.assign(country=extra["country"], email=extra["email"]))

    def run(where: Any) -> str:
        rows = table.filter(predicate(table, where)).to_pandas()
        return "".join(sorted(rows["user_id"]))

    return run


@pytest.mark.parametrize(
    ("where", "users"),
    [
        ([("plan", "=", "pro")], "a"),
        ([("plan", "=", "pro"), ("plan", "=", "team")], "ab"),  # OR within a column
        ([("plan", "=", "pro"), ("plan", "=", "team"), ("country", "=", "FR")], "b"),  # AND
        ([("country", "!=", "DE")], "bce"),  # a missing country is "not DE"
        ([("country", "!=", "DE"), ("country", "!=", "FR")], "ce"),  # != values are AND
        ([("email", "~", "@ACME.com")], "abe"),  # contains, case-insensitive
        ([("email", "~", "other"), ("email", "~", "ann@")], "ac"),  # contains any
        ([("amount", ">=", "100")], "ab"),  # numbers, not text ("99.5" > "100" as text)
        ([("amount", ">", "100")], "a"),
        ([("amount", "<", "100")], "ce"),
        ([("amount", "<=", "99.5")], "ce"),
        ([("amount", "=", "100")], "b"),
        ([("amount", "=", "100.0"), ("amount", "=", "20")], "bc"),
        ([("amount", "!=", "100")], "acde"),
        ([("amount", ">=", "20"), ("amount", "<", "100")], "ce"),  # a range
        ([("plan", "?")], "abc"),  # set: neither missing nor ""
        ([("plan", "!?")], "de"),
        ([("amount", "?")], "abce"),
        ([("amount", "!?")], "d"),
        ([("plan", "=", "")], "d"),  # the empty text only, not the missing value
        ([("plan", ">", "pro")], "b"),  # text order on a text column ("team" > "pro")
        ({"plan": "pro"}, "a"),  # the mapping of OKR bindings
        ({"plan": ["pro", "team"], "country": "DE"}, "a"),
        (None, "abcde"),
        ([], "abcde"),
    ],
)
def test_each_operator_keeps_the_users_worked_by_hand(kept: Any, where: Any, users: str) -> None:
    assert kept(where) == users


def test_cli_spelling_reads_the_same_conditions(kept: Any) -> None:
    where = [parse_condition(t) for t in ["plan=pro", "plan=team", "amount>=100", "email~acme"]]
    assert kept(where) == "ab"
    assert kept([parse_condition("plan!?")]) == "de"
    assert kept([parse_condition("country!=DE")]) == "bce"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            [("amount", ">=", "abc")],
            "filter amount>=abc: 'abc' is not a number (amount is numeric)",
        ),
        ([("amount", "=", "")], "'' is not a number"),
        ([("plan", "like", "p")], "unknown operator 'like'"),
        ([("plan", "=")], "'=' needs a value"),
    ],
)
def test_a_bad_condition_is_refused_by_name(kept: Any, where: Any, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        kept(where)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_a_missing_column_is_named_with_a_close_one(kept: Any) -> None:
    with pytest.raises(ColumnError, match=r"(?i)did you mean .plan."):
        kept([("plann", "=", "pro")])


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("plan=pro", Condition("plan", "=", "pro")),
        ("country!=DE", Condition("country", "!=", "DE")),
        ("amount>=100", Condition("amount", ">=", "100")),
        ("amount<=100", Condition("amount", "<=", "100")),
        ("amount>1", Condition("amount", ">", "1")),
        ("amount<1", Condition("amount", "<", "1")),
        ("email~@acme.com", Condition("email", "~", "@acme.com")),
        ("plan?", Condition("plan", "?")),
        ("plan!?", Condition("plan", "!?")),
        ("plan=", Condition("plan", "=", "")),
        ("note=a=b", Condition("note", "=", "a=b")),  # the first operator splits
        ("$browser=Chrome", Condition("$browser", "=", "Chrome")),
    ],
)
def test_parse_condition(text: str, condition: Condition) -> None:
    assert parse_condition(text) == condition


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plan", "--where 'plan' is not a condition"),
        ("=pro", "--where '=pro' is not a condition"),
        ("plan?x", "--where 'plan?x': '?' takes no value"),
        ("email~", "contains needs a text"),
    ],
)
def test_parse_condition_refuses_malformed_text(text: str, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_condition(text)
    assert message in caught.value.message


def test_conditions_and_describe_read_mappings_and_tuples() -> None:
    assert conditions({"plan": 5.0}) == [Condition("plan", "=", "5")]
    assert describe([("plan", "=", "pro"), ("plan", "=", "team"), ("plan", "?")]) == (
        "plan is pro or team; plan is set"
    )
    assert describe([("amount", ">=", "10"), ("amount", ">=", "20")]) == "amount >= 10 and >= 20"


def test_retention_applies_global_start_and_return_filters(load: Loader) -> None:
    # a (pro) and b (team) sign up on day 1; on day 2 a opens on desktop, b on mobile.
    rows = [
        ("a", "signup", "2024-01-01T09:00", "pro"),
        ("b", "signup", "2024-01-01T09:00", "team"),
        ("c", "signup", "2024-01-01T09:00", None),
        ("a", "open", "2024-01-02T09:00", "pro"),
        ("b", "open", "2024-01-02T09:00", "team"),
        ("b", "zz", "2024-01-03T09:00", None),
    ]
    events = frame(rows).assign(
        device=pd.Series([None, None, None, "desktop", "mobile", None], dtype="string")
    )
    table = load(events)
    opts: dict[str, Any] = {"period": "day", "date_from": "2024-01-01", "date_to": "2024-01-02"}

    def first_row(**more: Any) -> list[Any]:
        r = retention(table, **opts, **more)
        return r[r["cohort"] == r["cohort"].min()]["count"].tolist()

    assert first_row() == [3, 2]
    assert first_row(start_where=[("plan", "=", "pro"), ("plan", "=", "team")]) == [2, 2]
    assert first_row(start_where=[("plan", "!?")]) == [1, 0]
    assert first_row(return_where=[("device", "~", "DESK")]) == [3, 1]
    assert first_row(return_where=[("device", "!=", "mobile")]) == [3, 1]
    assert first_row(where=[("plan", "!=", "team")]) == [2, 1]
