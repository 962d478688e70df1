"""``gaitlab subject PROJECT [ID] [--mass KG ...] [--from TABLE.csv]``: the project's subjects.

Without ID and options, list the subjects with their body data and units.
With ID and options, change that subject (``--trials`` moves trials to it,
creating it if new). With ``--from``, read a participants table (CSV) whose
columns are matched by name; the unit of each column is stated. A change of
what analyses use (mass, height, sex, leg, foot or shoe length) makes the
stored results of the subject's trials out of date; the command says how
many, and ``gaitlab run PROJECT --only-stale`` recomputes them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, close_matches, resolve_trials
from gaitlab.core.errors import PluginError
from gaitlab.core.subjects import read_subject_table
from gaitlab.core.trial import Subject
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import freshness, project_pipeline, trial_state
from gaitlab.store.project import Project, open_project, slugify

__all__ = ["add_parser", "apply_values", "run"]

_EXTRA_FIELDS = ("foot_length_m", "shoe_length_m")
"""Fields kept in ``Subject.extra`` (metres) while ``Subject`` has no such field."""
_MAX_LENGTH_M = {
    "height_m": 2.5,
    "leg_length_m": 1.5,
    "foot_length_m": 0.45,
    "shoe_length_m": 0.5,
}
"""Largest plausible value of each length (m): larger ones are a unit slip."""


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "subject",
        help="list or edit the subjects (mass, height, sex, leg/foot/shoe length)",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("id", nargs="?", help="subject id or name")
    parser.add_argument("--name", help="display name")
    parser.add_argument("--mass", type=float, metavar="KG", help="body mass in kg")
    parser.add_argument("--height", type=float, metavar="M", help="stature in metres")
    parser.add_argument("--sex", choices=["F", "M", "none"], help="F, M or none")
    parser.add_argument(
        "--leg-length",
        type=float,
        metavar="M",
        help="leg length in metres (both sides)",
    )
    parser.add_argument(
        "--foot-length",
        type=float,
        metavar="M",
        help="foot length in metres (heel to longest toe)",
    )
    parser.add_argument(
        "--shoe-length",
        type=float,
        metavar="M",
        help="shoe length in metres (outsole, heel to tip)",
    )
    parser.add_argument(
        "--trials",
        nargs="+",
        metavar="TRIAL",
        help="move these trials to subject ID (created if new)",
    )
    parser.add_argument(
        "--from",
        dest="table",
        type=Path,
        metavar="TABLE.csv",
        help="read subjects from a table: a subject column (Subject, participant, "
        "id, name) or a trial file column (FileName), and columns named mass "
        "(kg), height, sex, leg/foot/shoe length (m, cm or mm)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List, edit or import subjects."""
    project = open_project(args.project)
    values = _values_from_options(args)
    if args.table is not None:
        if args.id is not None or values or args.trials:
            raise UsageError("--from reads every subject from the table: give no ID")
        return _from_table(project, args.table)
    if args.id is None:
        if values or args.trials:
            raise UsageError("name the subject ID to change")
        print(_table_text(project))
        return 0
    if args.trials:
        subject_id = _find_subject(project, args.id, create=True)
        moved = resolve_trials(project, args.trials) or []
        for trial_id in moved:
            project.set_trial_info(trial_id, subject_id=subject_id)
        print(
            f"moved {len(moved)} trial(s) to subject {subject_id}: {', '.join(moved)}"
        )
    else:
        subject_id = _find_subject(project, args.id, create=False)
    if values:
        changed = apply_values(project, {subject_id: values})
        _report_changes(project, changed)
    elif args.trials:
        _report_stale(project, _trials_of(project, [subject_id]))
    print(_table_text(project, [subject_id]))
    return 0


def apply_values(
    project: Project, values: dict[str, dict[str, Any]]
) -> dict[str, list[str]]:
    """Set subject fields; return, per subject, the changes in words.

    Parameters
    ----------
    project : Project
        The project.
    values : dict of str to dict
        Per subject id, fields in SI units: ``label``, ``mass_kg``,
        ``height_m``, ``sex`` (``"F"``, ``"M"`` or None), ``leg_length_m``
        (metres, or a dict per side), ``foot_length_m``, ``shoe_length_m``.

    Returns
    -------
    changes : dict of str to list of str
        ``"mass_kg: 70 -> 62"`` lines, for the subjects that changed.
    """
    changes: dict[str, list[str]] = {}
    for subject_id, fields in values.items():
        current = project.subjects.get(subject_id) or Subject(
            id=subject_id, label=subject_id
        )
        updates: dict[str, Any] = {}
        extra = dict(current.extra)
        lines = []
        for name, value in fields.items():
            if name == "leg_length_m" and not isinstance(value, dict):
                value = {"Left": value, "Right": value}
            in_extra = name in _EXTRA_FIELDS and not hasattr(current, name)
            old = extra.get(name) if in_extra else getattr(current, name)
            if old == value:
                continue
            lines.append(f"{name}: {_show(old)} -> {_show(value)}")
            if in_extra:
                extra[name] = value
            else:
                updates[name] = value
        if not lines:
            continue
        try:
            project.set_subject(replace(current, **updates, extra=extra))
        except ValueError as error:
            raise UsageError(f"subject {subject_id}: {error}") from None
        changes[subject_id] = lines
    return changes


# ---------------------------------------------------------------- helpers


def _values_from_options(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.name is not None:
        values["label"] = args.name
    if args.mass is not None:
        if not 10 <= args.mass <= 300:
            raise UsageError(f"--mass {args.mass:g}: expected kilograms (10–300 kg)")
        values["mass_kg"] = args.mass
    if args.sex is not None:
        values["sex"] = None if args.sex == "none" else args.sex
    for option, name in (
        ("height", "height_m"),
        ("leg_length", "leg_length_m"),
        ("foot_length", "foot_length_m"),
        ("shoe_length", "shoe_length_m"),
    ):
        value = getattr(args, option)
        if value is None:
            continue
        flag = "--" + option.replace("_", "-")
        if not 0 < value <= _MAX_LENGTH_M[name]:
            hint = (
                f" (did you mean {value / 100:g} m or {value / 1000:g} m?)"
                if value > _MAX_LENGTH_M[name]
                else ""
            )
            raise UsageError(
                f"{flag} {value:g}: expected metres, at most "
                f"{_MAX_LENGTH_M[name]:g} m{hint}"
            )
        values[name] = value
    return values


def _find_subject(project: Project, text: str, *, create: bool) -> str:
    """The id of a subject by id or name (any case); a new slug if ``create``."""
    subjects = project.subjects
    wanted = text.strip().lower()
    for subject_id, subject in subjects.items():
        if wanted in (subject_id.lower(), (subject.label or "").lower()):
            return subject_id
    if create:
        return slugify(text, "subject")
    close = close_matches(
        wanted, [*subjects, *(s.label for s in subjects.values() if s.label)]
    )
    hint = (
        f"close matches: {', '.join(close)}"
        if close
        else "subjects: " + (", ".join(subjects) or "(none)")
    )
    raise UsageError(
        f"no subject {text!r} in {project.path}; {hint} "
        "(use --trials to create one with its trials)"
    )


def _trials_of(project: Project, subject_ids: Iterable[str]) -> list[str]:
    wanted = set(subject_ids)
    return [r.trial_id for r in project.trials if r.subject_id in wanted]


def _report_changes(project: Project, changes: dict[str, list[str]]) -> None:
    if not changes:
        print("no change: the values are those already stored")
        return
    for subject_id, lines in changes.items():
        for line in lines:
            print(f"{subject_id}: {line}")
    _report_stale(project, _trials_of(project, changes))


def _report_stale(project: Project, trial_ids: list[str]) -> None:
    """Say how many trials' stored results the change made out of date."""
    report = discover()
    try:
        plan = project_pipeline(project, report).plan(report)
    except PluginError:  # plugins missing here: staleness cannot be computed
        return
    stale = [
        t
        for t in trial_ids
        if "stale"
        in freshness(plan, trial_state(project, t), project.load_results(t)).values()
    ]
    if stale:
        print(
            f"results of {len(stale)} trial(s) are now out of date "
            f"({', '.join(stale[:6])}{' ...' if len(stale) > 6 else ''}); "
            f"recompute them with: gaitlab run {project.path} --only-stale"
        )


def _show(value: Any) -> str:
    if value is None or value == {}:
        return "-"
    if isinstance(value, dict):
        return "/".join(f"{v:.3f}" for v in value.values())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _table_text(project: Project, only: list[str] | None = None) -> str:
    """The subjects as a table, units in the header."""
    counts: dict[str, int] = {}
    for record in project.trials:
        counts[record.subject_id] = counts.get(record.subject_id, 0) + 1
    header = (
        f"{'subject':<16} {'name':<16} {'mass kg':>8} {'height m':>9} {'sex':>4} "
        f"{'leg L/R m':>12} {'foot m':>7} {'shoe m':>7} {'trials':>6}"
    )
    lines = [header]
    for subject_id, s in project.subjects.items():
        if only is not None and subject_id not in only:
            continue
        legs = "/".join(
            f"{s.leg_length_m[side]:.3f}" if side in s.leg_length_m else "-"
            for side in ("Left", "Right")
        )
        lines.append(
            f"{subject_id:<16} {(s.label or '-'):<16} "
            f"{_number(s.mass_kg, 1):>8} {_number(s.height_m, 3):>9} "
            f"{s.sex or '-':>4} {legs if s.leg_length_m else '-':>12} "
            f"{_number(_length(s, 'foot_length_m'), 3):>7} "
            f"{_number(_length(s, 'shoe_length_m'), 3):>7} "
            f"{counts.get(subject_id, 0):>6}"
        )
    if len(lines) == 1:
        lines.append("(no subjects: import trials first)")
    return "\n".join(lines)


def _length(subject: Subject, name: str) -> float | None:
    """Foot or shoe length in m: a field of the subject, else kept in ``extra``."""
    return getattr(subject, name, None) or subject.extra.get(name)


def _number(value: Any, places: int) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _from_table(project: Project, path: Path) -> int:
    """Apply a participants table; exit 1 when no row matched a subject."""
    try:
        table = read_subject_table(path)
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None
    print(f"{path}: subject column {table.id_column!r}", end="")
    print(f", trial file column {table.file_column!r}" if table.file_column else "")
    for mapping in table.mappings:
        print(f"  column {mapping.text()}")
    if table.ignored:
        print(f"  {len(table.ignored)} other column(s) not used")
    by_label: dict[str, str] = {}
    for record in project.trials:
        by_label.setdefault(record.label.lower(), record.subject_id)
    wanted: dict[str, dict[str, Any]] = {}
    conflicts: set[str] = set()
    unmatched = 0
    for ident, values in table.rows:
        subject_id = None
        if ident.get("file"):
            subject_id = by_label.get(Path(ident["file"]).stem.lower())
        if subject_id is None and ident["id"]:
            subject_id = _match_subject(project, ident["id"])
        if subject_id is None:
            unmatched += 1
            continue
        merged = wanted.setdefault(subject_id, {})
        for name, value in values.items():
            if name in merged and merged[name] != value:
                conflicts.add(f"{subject_id}.{name}")
            merged.setdefault(name, value)
    for conflict in sorted(conflicts):
        print(
            f"gaitlab subject: warning: rows disagree on {conflict}; "
            "the first row's value is used",
            file=sys.stderr,
        )
    if unmatched:
        print(f"  {unmatched} row(s) name no subject or trial of this project")
    missing = [s for s in project.subjects if s not in wanted]
    if missing:
        print(f"  not in the table: {', '.join(missing)}")
    if not wanted:
        print(
            f"gaitlab subject: no row of {path} names a subject or trial of "
            f"{project.path}",
            file=sys.stderr,
        )
        return 1
    _report_changes(project, apply_values(project, wanted))
    print(_table_text(project, list(wanted)))
    return 0


def _match_subject(project: Project, text: str) -> str | None:
    wanted = text.strip().lower()
    for subject_id, subject in project.subjects.items():
        if (
            subject_id in (wanted, slugify(text, ""))
            or wanted == (subject.label or "").lower()
        ):
            return subject_id
    return None
