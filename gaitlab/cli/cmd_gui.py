"""``gaitlab gui [PROJECT] [--trial ID] [--screenshot PNG]``: the desktop app.

With ``--screenshot`` the app opens the project (and trial: by default the
first non-static one), waits until every view is drawn, saves a picture of
the main window as PNG and exits: 0 when saved, 1 when it could not be
drawn in time (the reason on stderr), 2 for a project that cannot be opened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "add_parser", "parse_size", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``gaitlab gui`` and ``gaitlab-gui``."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PROJECT",
        help="project folder to open (C3D files or folders after it: to import)",
    )
    parser.add_argument("--trial", metavar="ID", help="trial to show first")
    parser.add_argument(
        "--time",
        type=float,
        metavar="S",
        help="put the time cursor at S seconds of that trial",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save a picture of the main window once everything is drawn, then exit",
    )
    parser.add_argument(
        "--size",
        metavar="WxH",
        help="window size in pixels (default for --screenshot: 1600x1000)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="--screenshot gives up after this many seconds (default 60)",
    )


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x800"`` → (1280, 800); ArgumentTypeError if malformed.

    Examples
    --------
    >>> parse_size("1280x800")
    (1280, 800)
    """
    width, sep, height = text.lower().replace("×", "x").partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 200:
        raise argparse.ArgumentTypeError(
            f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1600x1000"
        )
    return size


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "gui",
        help="open the desktop app (optionally on a project)",
        description=__doc__.split("\n\n", 1)[1],
    )
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the desktop app; return its exit status."""
    try:
        size = parse_size(args.size) if args.size else None
    except argparse.ArgumentTypeError as error:
        print(f"gaitlab gui: {error}", file=sys.stderr)
        return 2
    try:
        from gaitlab.gui.app import run_gui
    except ImportError as error:
        print(
            f"gaitlab gui: the desktop app is not installed ({error}); "
            "install it with: pip install 'gaitlab[gui]'",
            file=sys.stderr,
        )
        return 2
    outcome = run_gui(
        args.paths,
        trial=args.trial,
        time_s=args.time,
        screenshot=args.screenshot,
        size=size,
        timeout_s=args.timeout,
    )
    if outcome.message:
        print(outcome.message, file=sys.stdout if outcome.status == 0 else sys.stderr)
    return outcome.status
