"""``gaitlab gui [PROJECT] [--trial ID] [--screenshot PNG]``: the desktop app.

With ``--screenshot`` the app opens the project (and trial: by default the
first non-static one), waits until every view is drawn, saves a picture of
the main window as PNG and exits: 0 when saved, 1 when it could not be
drawn in time (the reason on stderr), 2 for a project that cannot be opened.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gaitlab.cli._common import help_text, resolve_trial
from gaitlab.core.errors import GaitlabError
from gaitlab.store import is_project
from gaitlab.store.project import open_project

__all__ = [
    "add_arguments",
    "add_parser",
    "display_problem",
    "gui_main",
    "parse_size",
    "run",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``gaitlab gui`` and ``gaitlab-gui``."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PROJECT",
        help="project folder to open (C3D files or folders after it: to import)",
    )
    parser.add_argument(
        "--trial", metavar="ID", help="trial to show first (id or name, any case)"
    )
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
        "--series",
        action="append",
        default=[],
        metavar="PLUGIN/NAME",
        help="also plot this series of a plugin (repeatable), e.g. lean/trunk_lean",
    )
    parser.add_argument(
        "--tab",
        metavar="NAME",
        help="bring this dock or tab to the front (Pipeline, Log, 3D markers, Trials…)",
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


def display_problem() -> str | None:
    """Why no window can be shown here, or None when a display seems usable.

    On Linux: neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` is set, or
    ``DISPLAY=:N`` names a local X server whose socket does not exist. Also
    ``QT_QPA_PLATFORM=offscreen``/``minimal``, which never shows a window.
    Checked before Qt starts, as Qt aborts the process without a display.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in ("offscreen", "minimal"):
        return f"QT_QPA_PLATFORM={platform} draws off screen"
    if not sys.platform.startswith("linux") or platform not in ("", "xcb", "wayland"):
        return None
    display = os.environ.get("DISPLAY", "")
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not display:
        return "neither DISPLAY nor WAYLAND_DISPLAY is set"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return f"DISPLAY={display} names an X server that is not running"
    return None


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "gui",
        help="open the desktop app (optionally on a project)",
        description=help_text(__doc__),
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
    series = []
    for text in args.series:
        plugin, slash, name = text.partition("/")
        if not slash or not plugin or not name:
            print(
                f"gaitlab gui: --series {text!r}: expected PLUGIN/NAME, e.g. "
                "lean/trunk_lean",
                file=sys.stderr,
            )
            return 2
        series.append((plugin, name))
    problem = display_problem()
    if problem is not None and args.screenshot is None:
        print(
            f"gaitlab gui: no display: {problem}, so the app cannot open a window "
            "here. Run it on a desktop, or under a virtual display "
            "(xvfb-run gaitlab gui ...), or save a picture of it without a "
            "display: gaitlab gui PROJECT --screenshot app.png",
            file=sys.stderr,
        )
        return 2
    if problem is not None:  # a screenshot needs no display: draw off screen
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    project = next((p for p in args.paths if is_project(p)), None)
    if args.trial is not None and project is not None:
        try:
            args.trial = resolve_trial(open_project(project), args.trial)
        except GaitlabError as error:
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
        series=series,
        tab=args.tab,
    )
    if outcome.message:
        print(outcome.message, file=sys.stdout if outcome.status == 0 else sys.stderr)
    return outcome.status


def gui_main(argv: Sequence[str] | None = None) -> int:
    """``gaitlab-gui [PROJECT] [FILES...] [--trial ID] [--screenshot PNG] ...``.

    The entry point of the windowed launcher (``[project.gui-scripts]`` and the
    desktop bundle): the same options as ``gaitlab gui``.
    """
    parser = argparse.ArgumentParser(
        prog="gaitlab-gui", description="The gaitlab desktop app."
    )
    add_arguments(parser)
    return run(parser.parse_args(sys.argv[1:] if argv is None else list(argv)))
