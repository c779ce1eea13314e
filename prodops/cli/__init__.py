"""The ``prodops`` command line: a thin shell over the Python API.

Bad input exits with status 2 and one clear line on stderr; never a traceback (DESIGN.md).
Each command group lives in its own module with a ``register(subparsers)`` function.

The command answers at once: building the parser imports no pandas, Ibis, DuckDB, Altair,
SQLAlchemy or Streamlit (``tests/cli/test_cli_startup.py``). Command modules import what they
need inside their handlers; a group whose options need a heavy module to be spelled out adds
them with :func:`defer`, when the group is chosen on the command line.
"""

from __future__ import annotations

import argparse
import errno
import gc
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from prodops.errors import ProdOpsError

# Command-group modules, in help order. Each exposes register(subparsers).
_GROUPS = (
    "prodops.cli.setup",
    "prodops.cli.data",
    "prodops.cli.demo",
    "prodops.cli.metrics",
    "prodops.cli.revenue",
    "prodops.cli.okr",
    "prodops.cli.critique",
    "prodops.cli.insights",
    "prodops.cli.qbr",
    "prodops.cli.team",
)


class _Parser(argparse.ArgumentParser):
    _configure: Callable[[argparse.ArgumentParser], None] | None = None

    def error(self, message: str) -> NoReturn:  # one clear line, status 2
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        configure, self._configure = self._configure, None
        if configure is not None:
            configure(self)
        return super().parse_known_args(args, namespace)


def defer(
    parser: argparse.ArgumentParser, configure: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Run ``configure(parser)`` (adding options, sub-commands) only when *parser* parses.

    ``prodops --help`` lists the command from its ``help`` without configuring it.
    """
    if isinstance(parser, _Parser):
        parser._configure = configure
    else:
        configure(parser)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(prog="prodops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in _GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a full disk or a closed pipe is reported here, not at exit
        return status
    except ProdOpsError as error:
        print(f"prodops {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        return _report_unexpected(args.command, error)


def entry() -> int:
    """The ``prodops`` console script (and ``python -m prodops``): :func:`main`, then a quick exit.

    At exit Python collects every object still alive once more; with pandas, Ibis and sqlglot
    loaded that takes 0.2 s, for memory the process hands back anyway. Freezing them
    (:func:`gc.freeze`) leaves them out of those last collections; atexit handlers, flushing and
    finalizers still run. Not in :func:`main`, which tests call many times in one process.
    """
    status = main()
    gc.freeze()
    return status


# What to do about a file-system error, by errno (the path and the system's words come first).
_OS_FIXES = {
    errno.ENOSPC: "Free some space on that disk, then run the command again.",
    errno.EDQUOT: "Free some space within your quota, then run the command again.",
    errno.EROFS: "Write to a folder on a writable disk (for the data directory: PRODOPS_HOME).",
    errno.EACCES: "Use a path you may write to or read, or ask for the permission.",
    errno.EPERM: "Use a path you may write to or read, or ask for the permission.",
    errno.EISDIR: "Give the path of a file, not of a folder.",
    errno.ENOTDIR: "A part of the path is a file, not a folder: check the path.",
    errno.ENOENT: "Check the path: its folder must exist.",
    errno.EEXIST: "Choose another path, or remove what is there.",
}


def os_error_text(error: OSError) -> str:
    """One line for a file-system error: the system's words, the path, what to do.

    >>> print(os_error_text(OSError(28, "No space left on device", "/q.pdf")))
    No space left on device: '/q.pdf'. Free some space on that disk, then run the command again.
    """
    reason = error.strerror or type(error).__name__
    where = f": {str(error.filename)!r}" if error.filename else ""
    fix = _OS_FIXES.get(error.errno or 0, "Check the path and the disk, then try again.")
    return f"{reason}{where}. {fix}"


def _report_unexpected(command: str, error: Exception) -> int:
    """Print one line for an exception that is not a ProdOpsError; return the exit status.

    A database's refusal or failure (SQLAlchemy, a DB-API driver, Ibis, DuckDB: permission
    denied, unsupported operation, out of memory) is the user's to act on: status 2, the first
    line of the database's message without the SQL statement. Anything else is a bug of ours:
    status 1, still one line and no traceback.
    """
    from prodops.data.db_urls import mask_urls
    from prodops.engine import database_error

    translated = database_error(error)
    if translated is not None:
        print(f"prodops {command}: {translated}", file=sys.stderr)
        return 2
    if isinstance(error, OSError):  # the disk, a path, a permission: the user's to act on
        print(f"prodops {command}: {os_error_text(error)}", file=sys.stderr)
        return 2
    text = str(error).strip().splitlines()
    detail = mask_urls(text[0])[:200] if text else ""
    print(
        f"prodops {command}: unexpected error ({type(error).__name__}: {detail}). "
        "Please report it with the command you ran.",
        file=sys.stderr,
    )
    return 1
