"""``gaitlab group PROJECT [TRIAL...]``: show or change subject, session and condition.

Without a change, list every trial's grouping. ``--subject``, ``--session``
and ``--condition`` set them on the TRIALs named (or ``--all``); ``--pattern``
reads them from each trial's file name, e.g. ``{subject}_{condition}_{trial}``
(see :mod:`gaitlab.core.grouping`). Every change is printed; ``--dry-run``
prints them without saving. Grouping changes no analysis number: results stay
as they are (a trial moved to another subject may refer to another static
trial, which makes its results out of date, and ``gaitlab run --only-stale``
brings them up to date).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, help_text, resolve_trials
from gaitlab.core.grouping import GroupingPattern
from gaitlab.store.project import Project, TrialRecord, open_project, slugify

__all__ = ["add_parser", "planned_changes", "run"]

FIELDS = (("subject", "subject_id"), ("session", "session"), ("condition", "condition"))
"""Grouping fields: option / pattern name and record attribute."""


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "group",
        help="show or change the subject, session and condition of trials",
        description=help_text(__doc__),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("trials", nargs="*", metavar="TRIAL", help="trial ids or names")
    parser.add_argument("--all", action="store_true", help="change every trial")
    parser.add_argument("--subject", help="subject id to set")
    parser.add_argument("--session", help="session label to set")
    parser.add_argument("--condition", help="condition label to set")
    parser.add_argument(
        "--pattern",
        metavar="PATTERN",
        help="read the grouping from the file names, e.g. '{subject}_{condition}_{trial}'",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the changes, save nothing"
    )
    parser.set_defaults(run=run)


def planned_changes(
    records: list[TrialRecord],
    *,
    values: dict[str, str] | None = None,
    pattern: GroupingPattern | None = None,
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """What setting ``values`` or applying ``pattern`` would change.

    Parameters
    ----------
    records : list of TrialRecord
        The trials to change.
    values : dict, optional
        ``subject``/``session``/``condition`` to set on every trial.
    pattern : GroupingPattern, optional
        Pattern matched against each trial's file name (its label).

    Returns
    -------
    changes : dict
        By trial id, the record attributes that change and their new values.
    unmatched : list of str
        Trials whose file name does not fit the pattern (left as they are).
    """
    changes: dict[str, dict[str, str]] = {}
    unmatched: list[str] = []
    for record in records:
        wanted = dict(values or {})
        if pattern is not None:
            found = pattern.match(record.label or Path(record.source_path).name)
            if found is None:
                unmatched.append(record.trial_id)
                continue
            wanted.update(found)
        change = {}
        for field, attribute in FIELDS:
            if field not in wanted:
                continue
            value = wanted[field].strip()
            if field == "subject":
                value = slugify(value, "subject")
            if getattr(record, attribute) != value:
                change[attribute] = value
        if change:
            changes[record.trial_id] = change
    return changes, unmatched


def run(args: argparse.Namespace) -> int:
    """List, or change and print, the trials' grouping."""
    project = open_project(args.project)
    values = {
        field: getattr(args, field)
        for field, _ in FIELDS
        if getattr(args, field) is not None
    }
    pattern = GroupingPattern.parse(args.pattern) if args.pattern else None
    if not values and pattern is None:
        if args.all or args.dry_run:
            raise UsageError(
                "nothing to change: give --subject, --session, --condition or --pattern"
            )
        _print_grouping(project, resolve_trials(project, args.trials or None))
        return 0
    if args.all and args.trials:
        raise UsageError("give TRIALs or --all, not both")
    if not args.all and not args.trials and pattern is None:
        raise UsageError("name the TRIALs to change, or --all for every trial")
    ids = resolve_trials(project, args.trials or None) or project.trial_ids
    records = [project.record(trial_id) for trial_id in ids]
    changes, unmatched = planned_changes(records, values=values, pattern=pattern)
    for trial_id in unmatched:
        print(f"{trial_id}: file name does not fit {args.pattern!r}: unchanged")
    for trial_id, change in changes.items():
        record = project.record(trial_id)
        text = ", ".join(
            f"{attribute.removesuffix('_id')} {getattr(record, attribute)!r} → {value!r}"
            for attribute, value in change.items()
        )
        print(f"{trial_id}: {text}")
        if not args.dry_run:
            project.set_trial_info(trial_id, **change)
    verb = "would change" if args.dry_run else "changed"
    print(f"{verb} {len(changes)} of {len(records)} trials")
    return 0


def _print_grouping(project: Project, trial_ids: list[str] | None) -> None:
    records = [project.record(t) for t in (trial_ids or project.trial_ids)]
    width = max((len(r.trial_id) for r in records), default=5)
    print(f"{'trial':<{width}}  subject          session          condition")
    for r in records:
        print(
            f"{r.trial_id:<{width}}  {r.subject_id or '-':<16} {r.session or '-':<16} "
            f"{r.condition or '-'}"
        )
