"""``gaitlab compare PROJECT --metric M --by condition``: groups of trials compared.

Per group (condition, session or subject): the number of trials and steps, the
step mean ± SD (description), and the mean of the trial means with its 95 %
confidence interval; then, for every pair of groups (later minus earlier, in
alphabetical order or the order of ``--groups``), the difference with its 95 %
CI, Welch's t and p, and Hedges' g. Steps are averaged within each trial first
because steps of one trial are not independent (see :mod:`gaitlab.stats`).

Values with status ``unclean`` or ``invalid`` are left out (and counted);
stale results (out of date) are used with a warning. ``-o FILE.csv`` writes
the table, ``--plot FILE.png`` (or ``.svg``, ``.pdf``) the figure: steps and
trial means as points, each group's mean with its 95 % CI.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, help_text
from gaitlab.report.compare import (
    GROUPINGS,
    CompareError,
    MetricData,
    gather_metric,
    summaries,
    write_csv,
)
from gaitlab.stats import METHOD, Comparison, GroupSummary, pairwise
from gaitlab.store.project import open_project

__all__ = ["add_parser", "run"]

PLOT_FORMATS = (".png", ".svg", ".pdf")


def add_parser(subparsers: Any) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare conditions (or sessions, subjects): means with 95 %% CI, "
        "difference, Hedges' g",
        description=help_text(__doc__),
    )
    parser.add_argument("project", type=Path, help="project folder")
    parser.add_argument("--metric", required=True, help="metric name, e.g. trunk_lean")
    parser.add_argument(
        "--by", choices=GROUPINGS, default="condition", help="grouping of the trials"
    )
    parser.add_argument("--subject", help="only this subject's trials")
    parser.add_argument("--plugin", help="the plugin, when several give the metric")
    parser.add_argument(
        "--side", choices=("Left", "Right"), help="only steps of this side"
    )
    parser.add_argument(
        "--groups", nargs="+", metavar="G", help="only these groups, in this order"
    )
    parser.add_argument("-o", "--output", type=Path, help="write the table (.csv)")
    parser.add_argument(
        "--plot", type=Path, help="write the figure (.png, .svg or .pdf)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the comparison; write the table and the figure when asked."""
    if args.output is not None and args.output.suffix.lower() != ".csv":
        raise UsageError(f"{args.output}: the table is written as .csv")
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(
            f"{args.plot}: the figure is written as {', '.join(PLOT_FORMATS)}"
        )
    project = open_project(args.project)
    try:
        data = gather_metric(
            project,
            args.metric,
            args.by,
            subject=args.subject,
            plugin=args.plugin,
            side=args.side,
        )
        groups = summaries(data, args.groups) if data.groups else []
    except CompareError as error:
        raise UsageError(str(error)) from None
    if not data.groups:
        print(
            f"gaitlab compare: no usable value of {args.metric} "
            f"(left out: {data.left_out})",
            file=sys.stderr,
        )
        return 1
    comparisons = pairwise(groups)
    print(format_table(data, groups, comparisons, args.subject))
    if data.stale:
        print(
            f"gaitlab compare: {data.stale} values come from out-of-date results; "
            f"run `gaitlab run {args.project} --only-stale`",
            file=sys.stderr,
        )
    if args.output is not None:
        write_csv(args.output, data, groups, comparisons)
        print(args.output)
    if args.plot is not None:
        from gaitlab.report.figures import comparison_figure, save_figure

        figure = comparison_figure(data.metric, data.unit, data.by, groups, comparisons)
        save_figure(figure, args.plot)
        print(args.plot)
    return 0


def _number(value: float, digits: int = 3) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}g}"


def format_table(
    data: MetricData,
    groups: list[GroupSummary],
    comparisons: list[Comparison],
    subject: str | None,
) -> str:
    """The comparison as plain text."""
    unit = data.unit
    lines = [
        f"{data.metric} [{unit}] ({data.plugin}) by {data.by}, subject: "
        f"{subject or 'all'}",
        f"{data.by:<16} {'trials':>6} {'steps':>6}  {'step mean ± SD':>20}  "
        f"{'mean of trial means [95 % CI]':>32}",
    ]
    for g in groups:
        lines.append(
            f"{g.group:<16} {g.n_trials:>6} {g.n_steps:>6}  "
            f"{_number(g.step_mean):>9} ± {_number(g.step_sd):<8}  "
            f"{_number(g.mean):>9} [{_number(g.ci_low)}, {_number(g.ci_high)}]"
        )
    for c in comparisons:
        lines.append(
            f"{c.b} - {c.a}: {_number(c.difference)} {unit} [95 % CI "
            f"{_number(c.ci_low)}, {_number(c.ci_high)}], Welch t({_number(c.df)}) = "
            f"{_number(c.t)}, p = {_number(c.p)}, Hedges' g = {_number(c.hedges_g)}"
        )
    if any(g.n_trials < 2 for g in groups):
        lines.append("(a group with one trial has no CI: trials are the unit)")
    if data.left_out:
        left = ", ".join(f"{n} {s}" for s, n in sorted(data.left_out.items()))
        lines.append(f"left out: {left}")
    lines.append(f"method: {METHOD}")
    return "\n".join(lines)
