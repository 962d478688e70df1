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
import csv
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitlab.cli._common import UsageError, close_matches, help_text
from gaitlab.pipeline.export import collect_tables
from gaitlab.stats import METHOD, Comparison, GroupSummary, pairwise, summarise_group
from gaitlab.store.project import Project, open_project

__all__ = ["MetricData", "add_parser", "gather_metric", "run"]

GROUPINGS = ("condition", "session", "subject")
PLOT_FORMATS = (".png", ".svg", ".pdf")
USED_STATUSES = ("ok", "warning", "stale")
CSV_COLUMNS = (
    "metric",
    "unit",
    "row",
    "group",
    "minus",
    "n_trials",
    "n_steps",
    "step_mean",
    "step_sd",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "difference",
    "df",
    "t",
    "p",
    "hedges_g",
    "method",
)


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


@dataclass
class MetricData:
    """Values of one metric grouped by group and trial.

    Attributes
    ----------
    metric, unit, plugin : str
        The metric, its unit and the plugin that gave it.
    by : str
        The grouping (condition, session, subject).
    groups : dict of str to dict of str to list of float
        Group → trial id → step values (one value for a per-trial metric).
    left_out : dict of str to int
        Status → number of values left out (unclean, invalid).
    stale : int
        Number of stale values used.
    """

    metric: str
    unit: str
    plugin: str
    by: str
    groups: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    stale: int = 0


def gather_metric(
    project: Project,
    metric: str,
    by: str,
    *,
    subject: str | None = None,
    plugin: str | None = None,
    side: str | None = None,
) -> MetricData:
    """Step values of a metric from the project's stored results, by group and trial.

    Raises
    ------
    UsageError
        Unknown metric, subject or plugin, or a metric given by several plugins.
    """
    if subject is not None and subject not in {r.subject_id for r in project.trials}:
        known = sorted({r.subject_id for r in project.trials})
        raise UsageError(
            f"no subject {subject!r} in {project.path}; subjects: {', '.join(known)}"
        )
    ids = [
        r.trial_id
        for r in project.trials
        if (subject is None or r.subject_id == subject)
        and not project.is_static(r.trial_id)
    ]
    tidy = collect_tables(project, ids).tidy
    values = [r for r in tidy if r["statistic"] == "value" and r["metric"]]
    names = {r["metric"] for r in values}
    if metric not in names:
        close = close_matches(metric, names)
        hint = (
            f"close matches: {', '.join(close)}"
            if close
            else (
                "run the pipeline first (gaitlab run)"
                if not names
                else f"{len(names)} metrics are stored; list them with gaitlab export"
            )
        )
        raise UsageError(
            f"no metric {metric!r} in the results of {project.path}; {hint}"
        )
    rows = [r for r in values if r["metric"] == metric]
    plugins = sorted({r["plugin"] for r in rows})
    if plugin is not None:
        if plugin not in plugins:
            raise UsageError(
                f"plugin {plugin!r} gives no {metric!r}; it comes from {', '.join(plugins)}"
            )
        rows = [r for r in rows if r["plugin"] == plugin]
    elif len(plugins) > 1:
        raise UsageError(
            f"{metric!r} is given by several plugins ({', '.join(plugins)}); "
            "choose one with --plugin"
        )
    data = MetricData(metric, rows[0]["unit"], rows[0]["plugin"], by)
    key = "subject_id" if by == "subject" else by
    for row in rows:
        if side is not None and row["side"] != side:
            continue
        if row["status"] not in USED_STATUSES:
            data.left_out[row["status"]] = data.left_out.get(row["status"], 0) + 1
            continue
        value = float(row["value"])
        if not math.isfinite(value):
            data.left_out["invalid"] = data.left_out.get("invalid", 0) + 1
            continue
        data.stale += row["status"] == "stale"
        group = row[key] or "(none)"
        data.groups.setdefault(group, defaultdict(list))[row["trial_id"]].append(value)
    return data


def summaries(data: MetricData, order: list[str] | None = None) -> list[GroupSummary]:
    """One `GroupSummary` per group (alphabetical, or ``order``)."""
    names = sorted(data.groups) if order is None else order
    missing = [g for g in names if g not in data.groups]
    if missing:
        raise UsageError(
            f"no {data.by} {', '.join(map(repr, missing))} with values of "
            f"{data.metric}; {data.by}s: {', '.join(sorted(data.groups))}"
        )
    return [summarise_group(g, data.groups[g]) for g in names]


def run(args: argparse.Namespace) -> int:
    """Print the comparison; write the table and the figure when asked."""
    if args.output is not None and args.output.suffix.lower() != ".csv":
        raise UsageError(f"{args.output}: the table is written as .csv")
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(
            f"{args.plot}: the figure is written as {', '.join(PLOT_FORMATS)}"
        )
    project = open_project(args.project)
    data = gather_metric(
        project,
        args.metric,
        args.by,
        subject=args.subject,
        plugin=args.plugin,
        side=args.side,
    )
    if not data.groups:
        print(
            f"gaitlab compare: no usable value of {args.metric} "
            f"(left out: {data.left_out})",
            file=sys.stderr,
        )
        return 1
    groups = summaries(data, args.groups)
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


def write_csv(
    path: Path,
    data: MetricData,
    groups: list[GroupSummary],
    comparisons: list[Comparison],
) -> None:
    """The table: one row per group, one per difference (columns `CSV_COLUMNS`)."""
    rows = []
    for g in groups:
        rows.append(
            {
                "row": "group",
                "group": g.group,
                "n_trials": g.n_trials,
                "n_steps": g.n_steps,
                "step_mean": g.step_mean,
                "step_sd": g.step_sd,
                "mean": g.mean,
                "sd": g.sd,
                "ci_low": g.ci_low,
                "ci_high": g.ci_high,
            }
        )
    for c in comparisons:
        rows.append(
            {
                "row": "difference",
                "group": c.b,
                "minus": c.a,
                "difference": c.difference,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "df": c.df,
                "t": c.t,
                "p": c.p,
                "hedges_g": c.hedges_g,
                "method": c.method,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            full = dict.fromkeys(CSV_COLUMNS, "") | row
            full |= {"metric": data.metric, "unit": data.unit}
            writer.writerow(
                {
                    k: "" if isinstance(v, float) and not math.isfinite(v) else v
                    for k, v in full.items()
                }
            )
