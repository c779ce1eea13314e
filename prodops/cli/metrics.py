"""`prodops retention|lifecycle|stickiness|active-users|churn SOURCE ...`: the events metrics.

A thin shell over :mod:`prodops.metrics`. Each command and its options are built from the
metric's declaration in :mod:`prodops.metrics.registry` (one flag per :class:`Param`); the JSON
documents of DESIGN.md's CLI table are the registry's ``to_json`` adapters
(:mod:`prodops.cli.metric_output`). Building the parser imports no pandas, Ibis or DuckDB: the
metric, its adapter and the writers are imported when the command runs.

Output goes to the *current* ``sys.stdout`` (passed explicitly: a default stream would be bound
at import). Errors are raised as :class:`prodops.errors.ProdOpsError`; the dispatcher prints one
line and exits 2.

Completeness (DESIGN.md): every command takes ``--as-of`` (the data end) and
``--include-incomplete`` (derived numbers such as the retention average count the periods in
progress). JSON documents carry the top-level ``data_end`` the metric recorded; CSV keeps the
``complete`` column; tables mark the values of periods in progress with a trailing ``*`` and end
with one footer line saying so.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prodops.cli.output import add_format_option
from prodops.cli.sources import add_source_arguments
from prodops.metrics import registry
from prodops.metrics.registry import Metric, Param

if TYPE_CHECKING:
    import pandas as pd

    from prodops.metrics.filters import Condition

# How a metric's frame is shaped for ``table``/``csv`` when it differs from the frame itself:
# metric -> "module:function(frame, fmt)".
SHOWN: dict[str, str] = {
    "retention": "prodops.cli.metric_output:retention_shown",
    "active_users": "prodops.cli.metric_output:active_users_shown",
}


def parse_where(items: Sequence[str] | None, *, flag: str = "--where") -> list[Condition] | None:
    """Turn repeated conditions (``plan=pro``, ``country!=DE``, ``amount>=100``,
    ``email~@acme.com``, ``plan?``, ``plan!?``) into a filter (None when none were given).

    Several ``=`` on one column are OR, the rest AND (:mod:`prodops.metrics.filters`); a
    malformed condition raises ParameterError naming *flag*.
    """
    if not items:
        return None
    from prodops.metrics.filters import parse_condition

    return [parse_condition(item, flag=flag) for item in items]


def add_param(parser: argparse.ArgumentParser, param: Param) -> None:
    """Add the option of *param*: ``--window-days N``, ``--cumulative``, ``--where COL=VAL``..."""
    if param.type == "bool":
        parser.add_argument(param.flag, dest=param.name, action="store_true", help=param.help)
        return
    options: dict[str, Any] = {"dest": param.name, "default": param.default, "help": param.help}
    if param.choices is not None:
        options["choices"] = param.choices
    elif param.metavar is not None:
        options["metavar"] = param.metavar
    if param.type == "where":
        options["action"] = "append"
    elif param.type == "int":
        options["type"] = int
    parser.add_argument(param.flag, **options)


def add_metric_command(
    sub: argparse._SubParsersAction[Any], metric: Metric
) -> argparse.ArgumentParser:
    """Add ``prodops <metric.command> SOURCE [options] --format ...`` to *sub*."""
    parser: argparse.ArgumentParser = sub.add_parser(
        metric.command, help=metric.help, description=metric.help
    )
    add_source_arguments(parser, metric.kind)
    for param in metric.params:
        add_param(parser, param)
    add_format_option(parser)
    parser.set_defaults(func=run_metric, metric_name=metric.name)
    return parser


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add a command for each events metric of the registry to *sub*."""
    for metric in registry.of_kind("events"):
        add_metric_command(sub, metric)


def metric_params(args: argparse.Namespace, metric: Metric) -> dict[str, Any]:
    """The keyword arguments of *metric*'s function, read from the parsed options."""
    params: dict[str, Any] = {}
    for param in metric.params:
        value = getattr(args, param.name)
        params[param.name] = parse_where(value, flag=param.flag) if param.type == "where" else value
    return params


def function_params(metric: Metric, params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the metric function: *params* minus the output-only options."""
    return {k: v for k, v in params.items() if not metric.param(k).output_only}


# Options of type "str" that name a property column (the "where" options name theirs too).
COLUMN_PARAMS = ("breakdown",)


def columns_read(metric: Metric, params: dict[str, Any]) -> set[str]:
    """The property columns *metric* reads with these *params*: those its conditions and its
    breakdown name (every events metric reads the canonical columns and no other).

    Examples
    --------
    >>> from prodops.metrics.filters import Condition
    >>> sorted(columns_read(registry.get("retention"),
    ...     {"where": [Condition("plan", "=", "pro")], "breakdown": "country"}))
    ['country', 'plan']
    """
    found: set[str] = set()
    for param in metric.params:
        value = params.get(param.name)
        if value and param.type == "where":
            found.update(condition.column for condition in value)
        elif value and param.name in COLUMN_PARAMS:
            found.add(str(value))
    return found


def run_metric(args: argparse.Namespace) -> int:
    """Compute the metric of the command on SOURCE and print it in ``--format``.

    A file is read keeping only the property columns the metric reads (:func:`columns_read`).
    """
    from prodops.cli.sources import open_source

    metric = registry.get(args.metric_name)
    params = metric_params(args, metric)
    ahead = (*metric.modules(), "prodops.cli.metric_output", "prodops.cli.output")
    with open_source(
        args, metric.kind, columns=columns_read(metric, params), preload_modules=ahead
    ) as table:
        frame: pd.DataFrame = metric.load()(table, **function_params(metric, params))
    write_metric(metric, frame, params, args.format)
    return 0


def write_metric(metric: Metric, frame: pd.DataFrame, params: dict[str, Any], fmt: str) -> None:
    """Print *frame* as a table, CSV, or the metric's JSON document, to the current stdout."""
    from prodops.cli import metric_output
    from prodops.cli.output import write_frame, write_json

    if fmt == "json":
        to_json = metric.load_json()
        if to_json is None:
            doc = metric_output.rows_json(frame, metric=metric.name)
        else:
            doc = to_json(frame, **params)
        write_json(metric_output.with_data_end(doc, frame), sys.stdout)
        return
    shown = frame
    shape = SHOWN.get(metric.name)
    if shape is not None:
        module, _, name = shape.partition(":")
        shown = getattr(importlib.import_module(module), name)(frame, fmt)
    if fmt != "table":
        write_frame(shown, fmt, sys.stdout)
        return
    shown = metric_output.mark_incomplete(shown)
    write_frame(shown, fmt, sys.stdout)
    footer = metric_output.in_progress_footer(shown, frame)
    if footer:
        sys.stdout.write(footer + "\n")
