"""``gaitlab export-trial PROJECT [TRIAL ...] --format FORMAT -o DIR``: trials for other tools.

trc: the markers (OpenSim TRC, mm or m with --units, default mm). mot: the
force plates (OpenSim MOT: per plate force, centre of pressure and free
moment) and the ExternalLoads XML that applies each plate to the foot that
stood on it (calcn_r / calcn_l). TRC and MOT are in OpenSim's axes: Y up,
X along the direction of progression, Z to the right. mat: a MATLAB file
with markers (m, or --units mm), analog channels, force plates (lab frame),
events, subject and the stored results (metrics per plugin and step). c3d:
the trial written back with its edited events and the computed centre of
mass as a virtual marker COM. Without TRIAL every trial is exported; the
output folder is created if missing. Exit status 1 when some trial could
not be exported (the reason is printed), 2 for an unknown trial or format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, help_text, resolve_trials
from gaitlab.io.export_trial import (
    TrialExportError,
    check_export_options,
    trial_export_formats,
)
from gaitlab.pipeline.trial_export import export_trial
from gaitlab.store.project import open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "export-trial",
        help="write trials as OpenSim TRC / MOT + ExternalLoads, MATLAB .mat or C3D",
        description=help_text(__doc__),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "trials", nargs="*", metavar="TRIAL", help="trial ids or names (default: all)"
    )
    parser.add_argument(
        "--format",
        required=True,
        dest="fmt",
        metavar="FORMAT",
        help="one of " + ", ".join(trial_export_formats()),
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="output folder"
    )
    parser.add_argument(
        "--units",
        choices=("mm", "m"),
        help="marker length unit of trc (default mm) and mat (default m) files",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export each trial; list the files written; 1 when some trial failed."""
    fmt = args.fmt.lower().lstrip(".")
    try:
        check_export_options(fmt, args.units)
    except TrialExportError as error:
        raise UsageError(str(error)) from None
    project = open_project(args.project)
    trial_ids = resolve_trials(project, args.trials or None) or project.trial_ids
    if not trial_ids:
        raise UsageError(f"{project.path} has no trials yet (gaitlab import)")
    failed = []
    for trial_id in trial_ids:
        try:
            paths, notes = export_trial(
                project, trial_id, fmt, args.output, units=args.units
            )
        except TrialExportError as error:
            failed.append(trial_id)
            print(f"gaitlab export-trial: {trial_id}: {error}", file=sys.stderr)
            continue
        print(*paths, sep="\n")
        for note in notes:
            print(f"  {trial_id}: {note}", file=sys.stderr)
    if failed:
        print(
            f"gaitlab export-trial: {len(failed)} of {len(trial_ids)} trial(s) not "
            f"exported: {', '.join(failed)}",
            file=sys.stderr,
        )
        return 1
    return 0
