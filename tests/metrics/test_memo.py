"""Within a memo scope (a page's one open of its dataset), what every metric asks first, the data
end and the time span, is asked once per query; the results are those computed without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from metrics.helpers import Loader
from prodops.metrics import engagement, memo


def events(days: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [f"u{i % 9}" for i in range(days * 3)],
            "event": ["open" if i % 4 else "buy" for i in range(days * 3)],
            "timestamp": pd.date_range("2024-01-01", periods=days * 3, freq="8h", tz="UTC"),
            "plan": ["pro" if i % 2 else "free" for i in range(days * 3)],
        }
    )


def test_a_scope_asks_the_data_end_and_span_once_and_changes_no_result(
    load: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = load(events())
    computed: list[str] = []
    real_once = memo.once

    def once(question: str, expr: Any, answer: Callable[[], Any]) -> Any:
        def counted() -> Any:
            if question.split()[0] in ("data_bounds", "events_data_end"):
                computed.append(question.split()[0])
            return answer()

        return real_once(question, expr, counted)

    monkeypatch.setattr(memo, "once", once)
    options = [{"window_days": d} for d in (1, 7, 30)] + [{"window_days": 7, "event": "buy"}]
    plain = [engagement.active_users(table, **o) for o in options]
    outside = sorted(computed)
    computed.clear()
    with memo.scope():
        kept = [engagement.active_users(table, **o) for o in options]
    for a, b in zip(plain, kept, strict=True):
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs == b.attrs
    # without a scope each metric asks both; within, each is asked once about the table
    assert outside == ["data_bounds"] * len(options) + ["events_data_end"] * len(options)
    assert sorted(computed) == ["data_bounds", "events_data_end"]
    computed.clear()
    engagement.active_users(table, window_days=7)  # the scope has ended: asked again
    assert sorted(computed) == ["data_bounds", "events_data_end"]
