"""``gaitlab export PROJECT -o FILE``: metric tables (or the gait events) as CSV or XLSX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, resolve_trials
from gaitlab.pipeline.export import (
    export_events,
    export_metrics,
    table_formats,
    table_writers,
)
from gaitlab.store.project import Project, open_project


def _formats_text() -> str:
    """The table formats, e.g. ``.csv (tidy table ...) or .xlsx (...)``."""
    return " or ".join(f"{w.suffix} ({w.description})" for w in table_writers())


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="write the metric tables (tidy or wide CSV, XLSX) and their provenance",
        description=(
            "FILE.csv: tidy table, one row per value (with --wide: FILE_steps.csv, "
            "one row per step, and FILE_trials.csv, one row per trial with mean "
            "and SD, beside FILE_provenance.json). FILE.xlsx: all tables in one "
            "workbook. The provenance sidecar of a single file is named after it "
            "(FILE.csv.provenance.json, FILE.xlsx.provenance.json). With --events: FILE.csv holds the gait events "
            "(trial, step, side, kind, time in s, source: plate, markers, edited, "
            "or file where the pipeline has not run). Exit status 1 when no "
            "selected trial has metric results (run `gaitlab run PROJECT` first)."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="FILE" + " or FILE".join(table_formats()),
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--wide", action="store_true", help="wide CSV tables")
    what.add_argument(
        "--events",
        action="store_true",
        help="write the gait events (Foot Strike / Foot Off, with their source) "
        "instead of the metrics",
    )
    parser.add_argument(
        "--trials", nargs="+", metavar="ID", help="only these trials (id or name)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export and list the files written; 1 when nothing has been run."""
    suffix = args.output.suffix.lower()
    if args.events and suffix != ".csv":
        raise UsageError(
            f"{args.output}: events are written as .csv, not {suffix or 'no suffix'!r}"
        )
    if suffix not in table_formats():
        raise UsageError(
            f"{args.output}: cannot write {suffix or 'a file without suffix'!r}; "
            f"accepted formats: {_formats_text()}"
        )
    project = open_project(args.project)
    trial_ids = resolve_trials(project, args.trials)
    if args.events:  # the trials' own events where the pipeline has not run
        paths = export_events(project, args.output, trial_ids=trial_ids)
        print(*paths, sep="\n")
        return 0
    analysed, missing = _with_results(project, trial_ids)
    if not analysed:
        what = "the selected trials" if args.trials else str(args.project)
        print(
            f"gaitlab export: nothing has been run on {what}: no results for "
            f"{_names(missing)}; run `gaitlab run {args.project}` first",
            file=sys.stderr,
        )
        return 1
    if missing:
        print(
            f"gaitlab export: no results (not run yet) for {_names(missing)}; "
            "exported without them",
            file=sys.stderr,
        )
    paths = export_metrics(project, args.output, wide=args.wide, trial_ids=analysed)
    print(*paths, sep="\n")
    return 0


def _with_results(
    project: Project, trial_ids: list[str] | None
) -> tuple[list[str], list[str]]:
    """Trials with stored results, and analysable (non-static) trials without."""
    analysed, missing = [], []
    for trial_id in project.trial_ids if trial_ids is None else trial_ids:
        if project.load_results(trial_id):
            analysed.append(trial_id)
        elif not project.is_static(trial_id):
            missing.append(trial_id)
    return analysed, missing


def _names(trial_ids: list[str], shown: int = 8) -> str:
    if not trial_ids:
        return "any trial"
    more = len(trial_ids) - shown
    return ", ".join(trial_ids[:shown]) + (f" and {more} more" if more > 0 else "")
