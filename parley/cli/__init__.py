"""The `parley` command: thin argument parsing around the library's functions, one module per group of commands."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

# What bad input, a missing file or a refused action raises: reported as one `error:` line. Anything else is
# a bug in parley, reported the same way but saying so (the traceback is one `--debug` away).
EXPECTED_ERRORS = (ValueError, OSError)

COMMAND_GROUPS = ("labeled", "train", "predict", "ray_predict", "events", "report", "serve", "suggest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Extract diplomatic events from news.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    # Also accepted after the command (`parley predict ... --debug`); SUPPRESS keeps the one given before it.
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)

    for name in COMMAND_GROUPS:
        importlib.import_module(f"parley.cli.{name}").add_commands(commands, debug)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `parley` command; errors become one `error: ...` line on stderr and exit status 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        if isinstance(err, EXPECTED_ERRORS):
            print(f"error: {_message(err)}", file=sys.stderr)
        else:
            where = traceback.extract_tb(err.__traceback__)[-1]
            print(
                f"error: internal error, {type(err).__name__}: {err} (at {Path(where.filename).name}:{where.lineno}); "
                "rerun with --debug for the traceback and report it",
                file=sys.stderr,
            )
        return 1


def _message(err: BaseException) -> str:
    """An error as one line ("path: reason" for an OS error that names its file)."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.splitlines()) if "\n" in text else text


if __name__ == "__main__":
    sys.exit(main())
