"""``gaitlab`` command: argument parsing and dispatch.

Exit codes: 0 = everything worked, 1 = some files or trials were refused or
failed (a summary says which and why), 2 = usage error or unusable input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from gaitlab._version import version_text
from gaitlab.cli import (
    cmd_compare,
    cmd_demo,
    cmd_export,
    cmd_export_trial,
    cmd_group,
    cmd_gui,
    cmd_import,
    cmd_info,
    cmd_inspect,
    cmd_markers,
    cmd_plugins,
    cmd_repair,
    cmd_report,
    cmd_run,
    cmd_static,
    cmd_subject,
    cmd_video,
)
from gaitlab.core.errors import GaitlabError

__all__ = ["main"]

_COMMANDS = (
    cmd_import,
    cmd_run,
    cmd_export,
    cmd_export_trial,
    cmd_compare,
    cmd_report,
    cmd_plugins,
    cmd_static,
    cmd_subject,
    cmd_group,
    cmd_video,
    cmd_markers,
    cmd_info,
    cmd_inspect,
    cmd_repair,
    cmd_demo,
    cmd_gui,
)


class _VersionAction(argparse.Action):
    """``--version``: asks for the commit only when used (git costs ~20 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="gaitlab",
        description="Force plates and motion capture for running biomechanics.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the version and commit, exit"
    )
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(levelname)s %(name)s: %(message)s"
    )
    if args.command is None:
        parser.print_help()
        return 2
    from tqdm import tqdm

    # no progress-bar monitor thread: a process with one thread forks its
    # analysis children (see gaitlab.pipeline.isolation.child_context)
    tqdm.monitor_interval = 0
    try:
        return int(args.run(args))
    except GaitlabError as error:
        print(f"gaitlab {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gaitlab {args.command}: interrupted", file=sys.stderr)
        return 130
