"""``gaitlab demo``: a project of the bundled synthetic trials, analysed, shown.

Builds the demo project (or reuses it: unchanged files are skipped and only
stale results are computed again) from ``data/*.c3d``, runs the analysis
pipeline, then opens the desktop app on it. Without a display (no
``DISPLAY``/``WAYLAND_DISPLAY`` on Linux, ``QT_QPA_PLATFORM=offscreen``, the
GUI extra not installed, or ``--no-gui``) it prints the main metrics of each
trial instead: mean ± SD over the trial's steps, with units.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gaitlab._builtin import builtin_folder
from gaitlab.cli._common import help_text
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.display import headline_metrics, pipeline_specs
from gaitlab.pipeline.export import collect_tables
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.store import is_project
from gaitlab.store.project import Project, create_project, open_project

__all__ = [
    "DEFAULT_PROJECT",
    "build_demo_project",
    "demo_files",
    "demo_metrics_text",
    "display_available",
]

DATA_DIR = builtin_folder("data")
DEFAULT_PROJECT = Path(tempfile.gettempdir()) / "gaitlab-demo.gaitlab"


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="analyse the bundled synthetic running trials and open the app on them",
        description=help_text(__doc__),
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=DEFAULT_PROJECT,
        help=f"where to build the demo project (default: {DEFAULT_PROJECT})",
    )
    parser.add_argument(
        "--no-gui",
        action="store_true",
        help="print the metrics even when a display is available",
    )
    parser.set_defaults(run=run)


def demo_files() -> list[Path]:
    """The bundled demo C3D files; generated into ``data/`` if missing."""
    files = sorted(DATA_DIR.glob("*.c3d"))
    if not files:
        from gaitlab.synth.demo import write_demo_files

        files = write_demo_files(DATA_DIR)
    return files


def build_demo_project(
    folder: Path = DEFAULT_PROJECT, *, verbose: bool = False
) -> Path:
    """Create (or update) the demo project and run the pipeline where results are stale.

    Returns the project folder.
    """
    project = open_project(folder) if is_project(folder) else create_project(folder)
    imports = Counter()
    for event in project.import_files(
        demo_files(), subject="slip01", condition="synthetic"
    ):
        imports[event.kind] += 1
        if event.kind == "refused":
            print(f"  refused {event.path}: {event.message}", file=sys.stderr)
    runs: Counter[str] = Counter()
    for event in run_pipeline(project, only_stale=True):
        for status in event.statuses.values():
            runs[status] += 1
        if event.error:
            print(f"  {event.trial_id} not analysed: {event.error}", file=sys.stderr)
    if verbose:
        print(
            f"demo project {folder}: {imports['imported']} imported, "
            f"{imports['skipped']} unchanged, {imports['refused']} refused; pipeline: "
            + (
                f"{runs['ok'] + runs['partial']} results computed "
                f"({runs['partial']} partial), {runs['skipped']} skipped, "
                f"{runs['failed']} failed"
                if runs
                else "every result up to date"
            )
        )
    return folder


def display_available() -> bool:
    """True when a window can be shown (a display and the GUI extra)."""
    from gaitlab.cli.cmd_gui import display_problem

    return display_problem() is None and importlib.util.find_spec("PySide6") is not None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, float | int) else math.nan


def _decimals(value: float) -> int:
    size = abs(value)
    if math.isnan(value) or size >= 1000:
        return 0
    if size >= 100:
        return 1
    if size >= 1:
        return 2
    return 3


def _fmt(value: float, decimals: int | None = None) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.{_decimals(value) if decimals is None else decimals}f}"


def demo_metrics_text(project: Project, metrics: Sequence[str] | None = None) -> str:
    """Per trial, a table of the main metrics: mean ± SD over its steps, n, unit.

    The main metrics are those the pipeline's plugins declare as headline ones
    (:func:`gaitlab.pipeline.display.headline_metrics`) unless ``metrics``
    names others. Trial-level metrics (``body_mass``) show their value.
    Metrics of plugins that are not installed are left out; a plugin that was
    skipped or failed on a trial is named with its reason.
    """
    if metrics is None:
        specs = pipeline_specs(project, discover())
        metrics = [metric.name for metric in headline_metrics(specs)]
    tables = collect_tables(project)
    lines: list[str] = []
    for trial_id in project.trial_ids:
        record = project.record(trial_id)
        rows = [r for r in tables.tidy if r["trial_id"] == trial_id]
        steps = {r["step"] for r in rows if r["step"] != ""}
        kind = "static trial" if project.is_static(trial_id) else f"{len(steps)} steps"
        group = ", ".join(
            p for p in (record.subject_id, record.session, record.condition) if p
        )
        lines += ["", f"{trial_id}  ({group}; {kind})"]
        lines.append(f"  {'metric':<20} {'mean ± SD':>22} {'n':>4}  unit")
        shown = 0
        for metric in metrics:
            mine = [r for r in rows if r["metric"] == metric and r["side"] == ""]
            stats = {r["statistic"]: r for r in mine if r["step"] == ""}
            if "mean" in stats:
                mean = _number(stats["mean"]["value"])
                sd = _number(stats["sd"]["value"]) if "sd" in stats else math.nan
                n = int(_number(stats["n"]["value"])) if "n" in stats else 0
                places = _decimals(mean)
                text = _fmt(mean, places) + (
                    "" if math.isnan(sd) else f" ± {_fmt(sd, places)}"
                )
                unit = stats["mean"]["unit"]
            elif "value" in stats:
                text, n, unit = (
                    _fmt(_number(stats["value"]["value"])),
                    1,
                    stats["value"]["unit"],
                )
            else:
                continue
            flag = (
                ""
                if stats.get("mean", stats.get("value", {})).get("status") == "ok"
                else (f"  ({stats.get('mean', stats.get('value', {})).get('status')})")
            )
            lines.append(f"  {metric:<20} {text:>22} {n:>4}  {unit}{flag}")
            shown += 1
        if not shown:
            lines.append(
                "  (static trial: the subject's reference posture, not analysed)"
                if project.is_static(trial_id)
                else "  (no metrics: run the pipeline)"
            )
        for r in rows:
            if not r["metric"] and r["status"] in ("partial", "skipped", "failed"):
                lines.append(f"  note: {r['plugin']} {r['status']}: {r['message']}")
    return "\n".join(lines).lstrip("\n")


def run(args: argparse.Namespace) -> int:
    """Build the demo project; show it in the app, or print its metrics."""
    folder = build_demo_project(args.project, verbose=True)
    if not args.no_gui and display_available():
        from gaitlab.gui.app import run_gui

        return run_gui([folder]).status
    if not args.no_gui:
        print("no display: printing the demo metrics instead of opening the app")
    print()
    print(demo_metrics_text(open_project(folder)))
    return 0
