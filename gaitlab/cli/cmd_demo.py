"""``gaitlab demo``: build a project from the bundled synthetic trials and show it.

Until the desktop app exists this prints, for each demo trial, what the
import found and the force-plate checks a researcher makes first (peak
vertical GRF in body weights, mean vertical GRF against body weight).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.cli.cmd_import import _consume, _print_summary
from gaitlab.cli.cmd_inspect import GRAVITY, describe_trial
from gaitlab.store.project import create_project, open_project

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="import the bundled synthetic running trials and print what they hold",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=Path(tempfile.gettempdir()) / "gaitlab-demo.gaitlab",
        help="where to build the demo project (default: in the temp folder)",
    )
    parser.set_defaults(run=run)


def demo_files() -> list[Path]:
    """The bundled demo C3D files; generated into ``data/`` if missing."""
    files = sorted(DATA_DIR.glob("*.c3d"))
    if not files:
        from gaitlab.synth.demo import write_demo_files

        files = write_demo_files(DATA_DIR)
    return files


def run(args: argparse.Namespace) -> int:
    """Import the demo trials and describe each."""
    folder: Path = args.project
    project = (
        open_project(folder)
        if (folder / "project.h5").exists()
        else create_project(folder)
    )
    events = project.import_files(demo_files(), subject="slip01", condition="synthetic")
    status = _print_summary(_consume(events, quiet=True), folder)
    for trial_id in project.trial_ids:
        trial = project.load_trial(trial_id)
        print(f"\n=== trial {trial_id}")
        print(describe_trial(trial))
        print(_body_weight_check(trial))
    return status


def _body_weight_check(trial: Any) -> str:
    """Mean vertical GRF over the whole record against the subject's weight (§8.6)."""
    if not trial.forceplates or trial.subject is None or not trial.subject.mass_kg:
        return "check       no plates or no body mass: body-weight check not possible"
    total = sum(p.force for p in trial.forceplates) @ trial.up_axis
    mean_n = float(np.mean(total))
    weight = trial.subject.mass_kg * GRAVITY
    return (
        f"check       mean vertical GRF {mean_n:.1f} N = {mean_n / weight:.3f} body weights "
        f"(force-derived mass {mean_n / GRAVITY:.2f} kg; subject {trial.subject.mass_kg:.2f} kg)"
    )
