"""``gaitlab repair PROJECT [--check]``: find damaged files and repair the project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gaitlab.store.repair import repair_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "repair",
        help="check every file of a project and repair what can be repaired",
        description=(
            "Reads every file of the project in full (checksums, sizes; each "
            "in a worker process with a time limit). A damaged index is "
            "restored from its last good copy (project.h5.bak) or rebuilt from "
            "the trial files; damaged trial, events and results files are moved "
            "aside (NAME.h5.damaged): re-import a damaged trial's C3D file, and "
            "the next run recomputes damaged results. Exit status 0 when the "
            "project is sound (or was repaired), 1 when problems remain or "
            "--check found some."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report problems; change nothing (works on read-only projects)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check (and repair) the project; print what was found and done."""
    report = repair_project(args.project, check_only=args.check)
    print(f"checked   {report.checked} file(s) of {args.project}")
    for problem in report.problems:
        print(f"problem   {problem}")
    for action in report.actions:
        print(f"repaired  {action}")
    if not report.problems:
        print("the project is sound")
        return 0
    return 1 if args.check or not report.actions else 0
