"""``gaitlab info PROJECT``: what a project holds."""

from __future__ import annotations

import argparse
from itertools import groupby
from pathlib import Path
from typing import Any

from gaitlab.store.project import open_project
from gaitlab.store.schema import FORMAT_VERSION

SHOWN_WARNINGS = 3
"""Warnings listed per trial unless ``--all-warnings``."""


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "info",
        help="list a project's subjects and trials",
        description="List the subjects and trials of a project, with the "
        "problems found in each file at import (the first "
        f"{SHOWN_WARNINGS} per trial; all with --all-warnings).",
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "--all-warnings",
        action="store_true",
        help="show every warning of every trial",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the project summary."""
    project = open_project(args.project)
    trials = project.trials
    print(f"project   {project.path}")
    print(
        f"id        {project.project_id}   format version {FORMAT_VERSION}   created {project.created_utc}"
    )
    print(f"trials    {len(trials)}   subjects {len(project.subjects)}")
    for problem in project.problems:
        print(f"problem   {problem}")
    key = lambda r: (r.subject_id, r.session, r.condition)  # noqa: E731
    for (subject_id, session, condition), group in groupby(
        sorted(trials, key=key), key=key
    ):
        subject = project.subjects.get(subject_id)
        details = []
        if subject is not None:
            if subject.mass_kg:
                details.append(f"{subject.mass_kg:.1f} kg")
            if subject.height_m:
                details.append(f"{subject.height_m:.3f} m")
            if subject.sex:
                details.append(subject.sex)
        heading = f"subject {subject_id}" + (
            f" ({', '.join(details)})" if details else ""
        )
        heading += f"  session {session or '-'}  condition {condition or '-'}"
        print(f"\n{heading}")
        for record in group:
            flag = f"  [{len(record.warnings)} warning(s)]" if record.warnings else ""
            print(f"  {record.trial_id:40s} {record.source_path}{flag}")
            shown = (
                record.warnings
                if args.all_warnings
                else record.warnings[:SHOWN_WARNINGS]
            )
            for warning in shown:
                print(f"      warning: {warning}")
            if len(shown) < len(record.warnings):
                print(
                    f"      ... {len(record.warnings) - len(shown)} more "
                    f"(gaitlab info {args.project} --all-warnings)"
                )
    return 0
