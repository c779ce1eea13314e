"""The metric registry is the one declaration its consumers read: the functions, the CLI, the
JSON adapters, the charts and the OKR binding must agree with it."""

from __future__ import annotations

import argparse
import inspect
import typing
from typing import Any, Literal

import pytest

from prodops.cli import build_parser
from prodops.metrics import registry
from prodops.metrics.registry import Metric

METRICS = {m.name: m for m in registry.METRICS}


def _metric_params(metric: Metric) -> list[Any]:
    return [pytest.param(metric, p, id=f"{metric.name}.{p.name}") for p in metric.params]


ALL_PARAMS = [case for m in registry.METRICS for case in _metric_params(m)]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the prodops parser has no sub-commands")


COMMANDS = _subparsers(build_parser())


def test_names_and_commands_are_unique() -> None:
    assert len(METRICS) == len(registry.METRICS)
    assert len({m.command for m in registry.METRICS}) == len(registry.METRICS)
    for metric in registry.METRICS:
        assert len({p.name for p in metric.params}) == len(metric.params), metric.name


@pytest.mark.parametrize("metric", registry.METRICS, ids=lambda m: m.name)
def test_the_function_loads_and_takes_a_table_first(metric: Metric) -> None:
    function = metric.load()
    assert callable(function)
    first = next(iter(inspect.signature(function).parameters.values()))
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize(("metric", "param"), ALL_PARAMS)
def test_every_declared_parameter_is_a_keyword_of_the_function_with_its_default(
    metric: Metric, param: registry.Param
) -> None:
    parameters = inspect.signature(metric.load()).parameters
    if param.output_only:  # read by the output (e.g. the JSON average), not by the function
        assert param.name not in parameters, f"{metric.name}.{param.name} is not output-only"
        return
    assert param.name in parameters, f"{metric.function} has no parameter {param.name}"
    assert parameters[param.name].default == param.default


@pytest.mark.parametrize(
    ("metric", "param"), [case for case in ALL_PARAMS if case.values[1].choices is not None]
)
def test_every_choice_list_is_the_literal_of_the_function(
    metric: Metric, param: registry.Param
) -> None:
    hint = typing.get_type_hints(metric.load())[param.name]
    assert typing.get_origin(hint) is Literal, f"{metric.name}.{param.name} is not a Literal"
    assert param.choices == typing.get_args(hint)
    assert param.default is None or param.default in param.choices


def test_the_vocabulary_tuples_are_the_literals() -> None:
    assert typing.get_args(registry.Period) == registry.PERIODS
    assert typing.get_args(registry.RevenuePeriod) == registry.REVENUE_PERIODS
    assert typing.get_args(registry.Cohort) == registry.COHORTS
    assert typing.get_args(registry.WeekStart) == registry.WEEK_STARTS
    from prodops.metrics.periods import PERIODS, WEEK_STARTS
    from prodops.metrics.retention import COHORTS

    assert (PERIODS, WEEK_STARTS, COHORTS) == (
        registry.PERIODS,
        registry.WEEK_STARTS,
        registry.COHORTS,
    )


@pytest.mark.parametrize("metric", registry.METRICS, ids=lambda m: m.name)
def test_every_metric_has_a_cli_command_with_every_option(metric: Metric) -> None:
    assert metric.command in COMMANDS, f"prodops {metric.command} is missing"
    parser = COMMANDS[metric.command]
    shown = parser.format_help()
    for param in metric.params:
        assert param.flag in shown, f"prodops {metric.command} has no {param.flag}"
    args = parser.parse_args(["data.csv"])
    assert args.metric_name == metric.name
    for param in metric.params:
        default = False if param.type == "bool" else param.default
        assert getattr(args, param.name) == default, param.name


@pytest.mark.parametrize("metric", registry.METRICS, ids=lambda m: m.name)
def test_every_option_parses_to_its_type(metric: Metric) -> None:
    parser = COMMANDS[metric.command]
    argv = ["data.csv"]
    for param in metric.params:
        if param.type == "bool":
            argv.append(param.flag)
        elif param.type == "int":
            argv += [param.flag, "3"]
        elif param.type == "where":
            argv += [param.flag, "a=1", param.flag, "b=2"]
        elif param.choices:
            argv += [param.flag, param.choices[-1]]
        else:
            argv += [param.flag, "x"]
    args = parser.parse_args(argv)
    for param in metric.params:
        value = getattr(args, param.name)
        expected = {"bool": True, "int": 3, "where": ["a=1", "b=2"]}.get(
            param.type, param.choices[-1] if param.choices else "x"
        )
        assert value == expected, param.name


@pytest.mark.parametrize("metric", registry.METRICS, ids=lambda m: m.name)
def test_json_adapters_and_charts_resolve(metric: Metric) -> None:
    for path, load in ((metric.to_json, metric.load_json), (metric.chart, metric.load_chart)):
        if path is not None:
            assert callable(load()), path


def test_the_okr_binding_offers_the_bindable_metrics() -> None:
    from prodops.okr.readings import BINDABLE_METRICS

    assert list(BINDABLE_METRICS) == [m.name for m in registry.bindable()]


def test_get_reads_either_spelling_and_names_close_ones() -> None:
    from prodops.errors import NotFoundError

    assert registry.get("active-users") is registry.get("active_users")
    with pytest.raises(NotFoundError, match="churn"):
        registry.get("chrun")
