"""``gaitlab markers PROJECT``: how lab marker labels map to anatomical landmarks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, close_matches, resolve_trial
from gaitlab.core.landmarks import LANDMARKS, PRESETS, normalize_label
from gaitlab.pipeline.runner import marker_map_for
from gaitlab.store.project import Project, open_project


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "markers",
        help="show the marker set found in each trial, or override the mapping",
        description=(
            "Analyses ask for anatomical landmarks (l_heel, c7 ...), not lab labels. "
            "Each trial's marker set is detected from its labels; --preset forces "
            "one for the project and --set LANDMARK=LABEL[,LABEL] overrides a "
            "landmark (several labels: their mean). A label no trial has is "
            "refused; one some trials lack is accepted with a warning naming "
            "them. --clear removes the overrides. A change prints, per landmark, "
            "the labels used before and after."
        ),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument(
        "--trial", help="show every landmark of this trial (id or name)"
    )
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
    shown = [resolve_trial(project, args.trial)] if args.trial else project.trial_ids
    settings = project.settings.get("markers", {})
    labels = {t: project.load_trial(t).markers.labels for t in project.trial_ids}
    if args.preset or args.overrides or args.clear:
        overrides = {} if args.clear else dict(settings.get("overrides", {}))
        for text in args.overrides:
            name, parts = _parse_override(text)
            _check_labels(name, parts, labels)
            overrides[name] = parts[0] if len(parts) == 1 else parts
        preset = settings.get("preset") if args.preset is None else args.preset
        before = _mappings(project, labels)
        project.set_setting(
            "markers",
            {
                **settings,  # keeps cluster overrides and thresholds
                "preset": None if preset == "auto" else preset,
                "overrides": overrides,
            },
        )
        settings = project.settings["markers"]
        _print_changes(before, _mappings(project, labels))
    print(f"preset     {settings.get('preset') or 'detected per trial'}")
    for name, used in settings.get("overrides", {}).items():
        print(f"override   {name} = {used}")
    for trial_id in shown:
        marker_map = marker_map_for(project, labels[trial_id])
        found = marker_map.as_dict()
        title = marker_map.preset.title if marker_map.preset else "no known marker set"
        print(f"{trial_id:<30} {title}: {len(found)} landmarks")
        if args.trial:
            for name in LANDMARKS:
                used = found.get(name)
                print(f"  {name:<18} {' + '.join(used) if used else '-'}")
    return 0


def _parse_override(text: str) -> tuple[str, list[str]]:
    name, _, labels = text.partition("=")
    parts = [p.strip() for p in labels.split(",") if p.strip()]
    if name.strip() not in LANDMARKS or not parts:
        close = close_matches(name.strip(), LANDMARKS)
        raise UsageError(
            f"--set {text!r}: expected LANDMARK=LABEL[,LABEL]"
            + (
                f"; did you mean {', '.join(close)}?"
                if close
                else f" with a landmark from: {', '.join(LANDMARKS)}"
            )
        )
    return name.strip(), parts


def _check_labels(
    landmark: str, parts: list[str], labels: dict[str, tuple[str, ...]]
) -> None:
    """Refuse labels no trial has; warn (stderr) naming the trials that lack one.

    Labels compare as the marker mapping compares them (case and punctuation
    ignored, :func:`~gaitlab.core.landmarks.normalize_label`).
    """
    keys = {
        t: {normalize_label(label) for label in found} for t, found in labels.items()
    }
    every = sorted({label for found in labels.values() for label in found})
    for part in parts:
        lacking = [t for t, found in keys.items() if normalize_label(part) not in found]
        if len(lacking) == len(labels):
            close = close_matches(part, every)
            raise UsageError(
                f"--set {landmark}={','.join(parts)}: no trial has a marker "
                f"labelled {part!r}"
                + (f"; close labels: {', '.join(close)}" if close else "")
                + " (see the labels with: gaitlab inspect FILE.c3d)"
            )
        if lacking:
            shown = ", ".join(lacking[:8]) + (
                f" and {len(lacking) - 8} more" if len(lacking) > 8 else ""
            )
            print(
                f"gaitlab markers: warning: {part!r} is missing in {len(lacking)} of "
                f"{len(labels)} trials ({shown}); {landmark} will be missing there",
                file=sys.stderr,
            )


def _mappings(
    project: Project, labels: dict[str, tuple[str, ...]]
) -> dict[str, dict[str, str]]:
    """Per trial, landmark -> the labels used (``"A + B"``)."""
    return {
        trial_id: {
            name: " + ".join(used)
            for name, used in marker_map_for(project, found).as_dict().items()
        }
        for trial_id, found in labels.items()
    }


def _print_changes(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> None:
    """One line per landmark whose labels changed: ``before -> after (n trials)``."""
    changes: dict[tuple[str, str, str], list[str]] = {}
    for trial_id, old in before.items():
        new = after[trial_id]
        for name in LANDMARKS:
            if old.get(name) != new.get(name):
                key = (name, old.get(name) or "-", new.get(name) or "-")
                changes.setdefault(key, []).append(trial_id)
    if not changes:
        print("changed    nothing: every trial maps its landmarks as before")
    for (name, old, new), trials in changes.items():
        print(f"changed    {name}: {old} -> {new} ({len(trials)} trial(s))")
