"""``gaitlab markers PROJECT``: how lab marker labels map to anatomical landmarks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gaitlab.core.landmarks import LANDMARKS, PRESETS
from gaitlab.pipeline.runner import marker_map_for
from gaitlab.store.project import open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "markers",
        help="show the marker set found in each trial, or override the mapping",
        description=(
            "Analyses ask for anatomical landmarks (l_heel, c7 ...), not lab labels. "
            "Each trial's marker set is detected from its labels; --preset forces "
            "one for the project and --set LANDMARK=LABEL[,LABEL] overrides a "
            "landmark (several labels: their mean). --clear removes the overrides."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("--trial", help="show every landmark of this trial")
    parser.add_argument(
        "--preset", choices=[*PRESETS, "auto"], help="marker set for the whole project"
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="LANDMARK=LABEL"
    )
    parser.add_argument("--clear", action="store_true", help="remove all overrides")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Show or change the project's marker mapping."""
    project = open_project(args.project)
    settings = project.settings.get("markers", {})
    if args.preset or args.overrides or args.clear:
        overrides = {} if args.clear else dict(settings.get("overrides", {}))
        for text in args.overrides:
            name, _, labels = text.partition("=")
            if name not in LANDMARKS or not labels:
                raise SystemExit(
                    f"--set {text!r}: expected LANDMARK=LABEL with a landmark from: "
                    + ", ".join(LANDMARKS)
                )
            parts = [p.strip() for p in labels.split(",") if p.strip()]
            overrides[name] = parts[0] if len(parts) == 1 else parts
        preset = settings.get("preset") if args.preset is None else args.preset
        project.set_setting(
            "markers",
            {"preset": None if preset == "auto" else preset, "overrides": overrides},
        )
        settings = project.settings["markers"]
    print(f"preset     {settings.get('preset') or 'detected per trial'}")
    for name, labels in settings.get("overrides", {}).items():
        print(f"override   {name} = {labels}")
    for trial_id in [args.trial] if args.trial else project.trial_ids:
        labels = project.load_trial(trial_id).markers.labels
        marker_map = marker_map_for(project, labels)
        found = marker_map.as_dict()
        title = marker_map.preset.title if marker_map.preset else "no known marker set"
        print(f"{trial_id:<30} {title}: {len(found)} landmarks")
        if args.trial:
            for name in LANDMARKS:
                used = found.get(name)
                print(f"  {name:<18} {' + '.join(used) if used else '-'}")
    return 0
