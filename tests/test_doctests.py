"""Every numpydoc ``Examples`` block under ``prodops/`` runs as a doctest (issue 10: docs that run).

Modules are collected by walking the package, so a module that is added, split or moved is picked
up without editing this file. Alembic migrations and ``__main__`` are left out: importing them has
side effects (they run Alembic operations / the CLI).
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "prodops"
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# Examples that actually run (``+SKIP`` ones do not count). Counted when this test was written;
# raise it when you add examples, so the suite cannot silently stop running them.
MIN_EXAMPLES = 200


def _module_names() -> list[str]:
    names = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts or path.name == "__main__.py":
            continue
        names.append(".".join(parts).removesuffix(".__init__"))
    return sorted(names)


MODULES = _module_names()


def _doctests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return doctest.DocTestFinder(exclude_empty=True).find(module, name)


def _runs(example: doctest.Example) -> bool:
    return not example.options.get(doctest.SKIP, False)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_pass(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    report: list[str] = []
    for test in _doctests(name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples failed in {name}:\n" + "".join(report)
    )


def test_examples_are_collected() -> None:
    assert len(MODULES) > 20
    counts = {
        name: sum(_runs(ex) for test in _doctests(name) for ex in test.examples) for name in MODULES
    }
    total = sum(counts.values())
    with_examples = sorted(name for name, count in counts.items() if count)
    assert total >= MIN_EXAMPLES, f"only {total} runnable examples in {with_examples}"
