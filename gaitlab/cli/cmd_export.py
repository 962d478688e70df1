"""``gaitlab export PROJECT -o FILE``: metric tables as CSV or XLSX."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gaitlab.pipeline.export import export_metrics
from gaitlab.store.project import open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="write the metric tables (tidy or wide CSV, XLSX) and their provenance",
        description=(
            "FILE.csv: tidy table, one row per value (with --wide: FILE_steps.csv, "
            "one row per step, and FILE_trials.csv, one row per trial with mean "
            "and SD). FILE.xlsx: all tables in one workbook. A provenance sidecar "
            "FILE.provenance.json is always written."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="FILE.csv or FILE.xlsx"
    )
    parser.add_argument("--wide", action="store_true", help="wide CSV tables")
    parser.add_argument("--trials", nargs="+", metavar="ID", help="only these trials")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export and list the files written."""
    project = open_project(args.project)
    for path in export_metrics(
        project, args.output, wide=args.wide, trial_ids=args.trials
    ):
        print(path)
    return 0
