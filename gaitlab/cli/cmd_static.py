"""``gaitlab static PROJECT [TRIAL [STATIC | --none]]``: static (standing) reference trials."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gaitlab.store.project import open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "static",
        help="show or choose the static (standing) trial each trial is referred to",
        description=(
            "A static trial of the same subject is found from the trial labels "
            "(static, standing ...). Without TRIAL, list the choice for every "
            "trial; with TRIAL STATIC, choose by hand; with TRIAL --none, use none."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("trial", nargs="?", help="trial id")
    parser.add_argument("static", nargs="?", help="static trial id")
    parser.add_argument("--none", action="store_true", help="no static trial for TRIAL")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List or set static trials."""
    project = open_project(args.project)
    if args.trial is not None:
        if args.static is None and not args.none:
            print(
                f"{args.trial}: static trial {project.static_trial_for(args.trial) or '(none)'}"
            )
            return 0
        project.set_static_trial(args.trial, None if args.none else args.static)
    chosen = project.settings.get("static_trials", {})
    for trial_id in project.trial_ids:
        if project.is_static(trial_id):
            print(f"{trial_id:<30} (static trial)")
            continue
        static = project.static_trial_for(trial_id)
        how = "set by hand" if trial_id in chosen else "found by name"
        print(
            f"{trial_id:<30} {static or '(none)'}"
            + (f"   [{how}]" if static or trial_id in chosen else "")
        )
    return 0
