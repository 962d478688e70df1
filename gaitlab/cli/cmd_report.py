"""``gaitlab report PROJECT -o report.html``: the runner report as one HTML file.

Per runner and condition: headline metrics (mean ± SD over steps, number of
steps and trials), lean through stance (trunk, leg line, whole body), bend
index, overstride and braking per step with braking against lean, foot-strike
distribution, the lean-and-fall drill's results, quality flags; then the
provenance (gaitlab version, plugins, versions and parameters, definitions).
Figures are embedded: the file is self-contained. Needs the results of
``gaitlab run`` and matplotlib (``pip install 'gaitlab[report]'``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tqdm import tqdm

from gaitlab.cli._common import UsageError, help_text
from gaitlab.store.project import open_project

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write the runner report (self-contained HTML with figures)",
        description=help_text(__doc__),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("--subject", help="only this subject's trials")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="report file (.html)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar on stderr"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the report and print its path."""
    if args.output.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"{args.output}: the report is written as .html")
    from gaitlab.report.html import write_report

    project = open_project(args.project)
    with tqdm(
        total=None, unit="group", desc="report", disable=args.quiet, leave=False
    ) as bar:

        def progress(done: int, total: int, what: str) -> None:
            bar.total = total
            bar.set_postfix_str(what)
            bar.update(done - bar.n)

        path = write_report(
            project, args.output, subject=args.subject, progress=progress
        )
    print(path)
    return 0
