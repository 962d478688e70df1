"""``gaitlab static PROJECT [TRIAL [STATIC | --none | --auto]]``: static (standing) reference trials."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, resolve_trial
from gaitlab.store.project import Project, open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "static",
        help="show or choose the static (standing) trial each trial is referred to",
        description=(
            "A static trial of the same subject is found from the trial labels "
            "(static, standing ...). Without TRIAL, list the choice for every "
            "trial; with TRIAL STATIC, choose by hand (a trial of another "
            "subject only with --force; a trial not named as static is accepted "
            "with a warning); with TRIAL --none, use none; with TRIAL --auto, "
            "go back to the automatic choice. Trials by id or name, any case."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("trial", nargs="?", help="trial id or name")
    parser.add_argument("static", nargs="?", help="static trial id or name")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--none", action="store_true", help="no static trial for TRIAL")
    choice.add_argument(
        "--auto",
        action="store_true",
        help="forget the choice made by hand: find TRIAL's static trial by name again",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="accept a static trial of another subject",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List or set static trials."""
    project = open_project(args.project)
    if args.trial is None:
        if args.static or args.none or args.auto:
            raise UsageError("name the TRIAL whose static trial to set")
    else:
        trial_id = resolve_trial(project, args.trial)
        if args.static is not None and (args.none or args.auto):
            raise UsageError("give either a STATIC trial, --none or --auto, not both")
        if args.static is None and not args.none and not args.auto:
            print(
                f"{trial_id}: static trial {project.static_trial_for(trial_id) or '(none)'}"
            )
            return 0
        if args.auto:
            chosen = dict(project.settings.get("static_trials", {}))
            chosen.pop(trial_id, None)
            project.set_setting("static_trials", chosen or None)
        elif args.none:
            project.set_static_trial(trial_id, None)
        else:
            static_id = resolve_trial(project, args.static)
            _check_static(project, trial_id, static_id, force=args.force)
            project.set_static_trial(trial_id, static_id)
    _print_choices(project)
    return 0


def _check_static(
    project: Project, trial_id: str, static_id: str, *, force: bool
) -> None:
    """Refuse the trial itself or another subject's trial; warn on a non-static one."""
    if static_id == trial_id:
        raise UsageError(f"{trial_id} cannot be its own static trial")
    subject = project.record(trial_id).subject_id
    other = project.record(static_id).subject_id
    if other != subject and not force:
        raise UsageError(
            f"{static_id} is a trial of subject {other!r}, not of {trial_id}'s "
            f"subject {subject!r}; add --force to use it anyway"
        )
    if not project.is_static(static_id):
        print(
            f"gaitlab static: warning: {static_id} is not named as a static "
            "(standing) trial; analyses will take its mean posture as the "
            "standing reference",
            file=sys.stderr,
        )


def _print_choices(project: Project) -> None:
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
