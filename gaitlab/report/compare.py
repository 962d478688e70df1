"""Comparison of groups of trials (conditions, sessions, subjects) from a project.

What ``gaitlab compare`` prints and the app's *Compare* view shows: the step
values of one metric gathered from the stored results by group and trial
(:func:`gather_metric`), one :class:`~gaitlab.stats.GroupSummary` per group
(:func:`summaries`: steps averaged within each trial first, because steps of
one trial are not independent, see :mod:`gaitlab.stats`), and the table
written as CSV (:func:`write_csv`).
"""

from __future__ import annotations

import csv
import difflib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gaitlab.core.errors import GaitlabError
from gaitlab.pipeline.export import collect_tables
from gaitlab.stats import Comparison, GroupSummary, summarise_group
from gaitlab.store.project import Project

__all__ = [
    "CSV_COLUMNS",
    "GROUPINGS",
    "CompareError",
    "MetricData",
    "gather_metric",
    "summaries",
    "write_csv",
]

GROUPINGS = ("condition", "session", "subject")
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


class CompareError(GaitlabError):
    """A comparison asked of a project cannot be made (unknown metric, subject ...)."""


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
    CompareError
        Unknown metric, subject or plugin, or a metric given by several plugins.
    """
    if subject is not None and subject not in {r.subject_id for r in project.trials}:
        known = sorted({r.subject_id for r in project.trials})
        raise CompareError(
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
        close = difflib.get_close_matches(metric, sorted(names), n=5, cutoff=0.6)
        hint = (
            f"close matches: {', '.join(close)}"
            if close
            else (
                "run the pipeline first (gaitlab run)"
                if not names
                else f"{len(names)} metrics are stored; list them with gaitlab export"
            )
        )
        raise CompareError(
            f"no metric {metric!r} in the results of {project.path}; {hint}"
        )
    rows = [r for r in values if r["metric"] == metric]
    plugins = sorted({r["plugin"] for r in rows})
    if plugin is not None:
        if plugin not in plugins:
            raise CompareError(
                f"plugin {plugin!r} gives no {metric!r}; it comes from {', '.join(plugins)}"
            )
        rows = [r for r in rows if r["plugin"] == plugin]
    elif len(plugins) > 1:
        raise CompareError(
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
        raise CompareError(
            f"no {data.by} {', '.join(map(repr, missing))} with values of "
            f"{data.metric}; {data.by}s: {', '.join(sorted(data.groups))}"
        )
    return [summarise_group(g, data.groups[g]) for g in names]


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
