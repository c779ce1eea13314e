"""``prodops revenue``, ``revenue-cohorts`` and ``ltv``: MRR movements, revenue retention, LTV.

One command per subscriptions metric of :mod:`prodops.metrics.registry`, built like the events
metrics (:func:`prodops.cli.metrics.add_metric_command`); JSON as in DESIGN.md ("The command
line"). ``prodops revenue --format json`` carries the one LTV of the range (``"ltv"``, with its
formula); ``prodops ltv`` prints it alone, the same figure whatever ``--period`` a view uses.
"""

from __future__ import annotations

import argparse
from typing import Any

from prodops.cli.metrics import add_metric_command
from prodops.metrics import registry


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add a command for each subscriptions metric of the registry to *sub*."""
    for metric in registry.of_kind("subscriptions"):
        add_metric_command(sub, metric)
