"""Metric tables of a project: tidy rows, wide step and trial tables, CSV/XLSX files.

* **Tidy** (one row per value): ``trial_id, subject_id, session, condition,
  plugin, metric, side, step, value, unit, status`` followed by
  ``statistic, time_s, message``. ``statistic`` is ``value`` for a stored
  value (per step, or per trial when ``step`` is empty) and ``mean``, ``sd``
  or ``n`` for the trial aggregates of per-step metrics, per side
  (``Left``/``Right``) and over both sides (``side`` empty). Skipped and
  failed results appear as one row each, with an empty value and the reason
  in ``message``; results that are out of date are exported with status
  ``stale``.
* **Steps** (wide): one row per step, one column per per-step metric
  (``name [unit]``), plus ``flags`` listing values whose status is not ok.
* **Trials** (wide): one row per trial: mean, SD and count of every
  per-step metric over both sides, and the trial-level metrics.

Every export writes a provenance sidecar ``<file>.provenance.json``: gaitlab
version, pipeline (plugins, versions, sources, parameters), the unit and
definition of every metric, and per trial each result's inputs digest,
status and freshness.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab._version import __version__
from gaitlab.pipeline.config import Plan
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import freshness, project_pipeline, trial_state
from gaitlab.store.project import Project
from gaitlab.store.schema import FORMAT_VERSION

__all__ = [
    "TIDY_COLUMNS",
    "MetricTables",
    "collect_tables",
    "export_metrics",
]

TIDY_COLUMNS = (
    "trial_id",
    "subject_id",
    "session",
    "condition",
    "plugin",
    "metric",
    "side",
    "step",
    "value",
    "unit",
    "status",
    "statistic",
    "time_s",
    "message",
)
_IDENTITY = ("trial_id", "subject_id", "session", "condition")
_PROVENANCE_COLUMNS = [
    "trial_id",
    "plugin",
    "status",
    "freshness",
    "plugin_version",
    "plugin_source",
    "parameters",
    "inputs_digest",
    "created_utc",
    "message",
]


@dataclass
class MetricTables:
    """The metric tables of some trials (plain rows, no pandas needed).

    Attributes
    ----------
    tidy : list of dict
        One row per value (keys :data:`TIDY_COLUMNS`).
    steps_columns, steps : list of str, list of dict
        Wide table, one row per step.
    trials_columns, trials : list of str, list of dict
        Wide table, one row per trial.
    provenance : dict
        What the numbers came from (JSON-able).
    """

    tidy: list[dict[str, Any]]
    steps_columns: list[str]
    steps: list[dict[str, Any]]
    trials_columns: list[str]
    trials: list[dict[str, Any]]
    provenance: dict[str, Any]


def collect_tables(
    project: Project, trial_ids: Iterable[str] | None = None
) -> MetricTables:
    """Gather the stored results of trials into tidy and wide tables.

    Parameters
    ----------
    project : Project
        The project.
    trial_ids : iterable of str or None
        Trials to include (None: every trial).

    Returns
    -------
    tables : MetricTables
    """
    report = discover()
    config = project_pipeline(project, report)
    try:
        plan: Plan | None = config.plan(report)
    except Exception:  # plugins missing on this machine: export what is stored
        plan = None
    ids = list(project.trial_ids if trial_ids is None else trial_ids)
    tidy: list[dict[str, Any]] = []
    per_trial_provenance = {}
    for trial_id in ids:
        record = project.record(trial_id)
        identity = {
            "trial_id": trial_id,
            "subject_id": record.subject_id,
            "session": record.session,
            "condition": record.condition,
        }
        results = project.load_results(trial_id)
        fresh = (
            freshness(plan, trial_state(project, trial_id), results)
            if plan is not None
            else {}
        )
        per_trial_provenance[trial_id] = {
            "source_path": record.source_path,
            "source_sha256": record.source_sha256,
            "static_trial": project.static_trial_for(trial_id),
            "results": {
                name: {
                    "status": result.status,
                    "message": result.message,
                    "freshness": fresh.get(name, "unknown"),
                    "provenance": asdict(result.provenance)
                    if result.provenance
                    else None,
                }
                for name, result in results.items()
            },
        }
        for name, result in results.items():
            stale = fresh.get(name) == "stale"
            if result.status != "ok":
                tidy.append(
                    _row(identity, name, status=result.status, message=result.message)
                )
                continue
            values = [
                _row(
                    identity,
                    name,
                    metric=m.name,
                    side=m.side,
                    step=m.step,
                    value=m.value,
                    unit=m.unit,
                    status="stale" if stale else m.status,
                    time_s=m.time_s,
                    message="result out of date: run the pipeline again"
                    if stale
                    else m.message,
                )
                for m in result.metrics
            ]
            tidy += values
            tidy += _aggregates(identity, name, values, stale)
    steps_columns, steps = _steps_table(tidy)
    trials_columns, trials = _trials_table(tidy)
    provenance = {
        "gaitlab_version": __version__,
        "format_version": FORMAT_VERSION,
        "project": str(project.path),
        "project_id": project.project_id,
        "exported_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline": config.to_json(),
        "plugins": {
            spec.name: {
                "version": spec.version,
                "source": spec.source,
                "metrics": {
                    metric.name: {
                        "unit": metric.unit,
                        "per": "step" if metric.per_step else "trial",
                        "definition": metric.description,
                    }
                    for metric in spec.metrics
                },
            }
            for spec in (plan.specs if plan is not None else ())
        },
        "trials": per_trial_provenance,
        "columns": {
            "tidy": list(TIDY_COLUMNS),
            "statistic": "value = stored value; mean/sd/n = trial aggregate of a "
            "per-step metric (side empty = both sides)",
        },
    }
    return MetricTables(tidy, steps_columns, steps, trials_columns, trials, provenance)


def export_metrics(
    project: Project,
    path: str | Path,
    *,
    wide: bool = False,
    trial_ids: Iterable[str] | None = None,
) -> list[Path]:
    """Write the metric tables of a project, and the provenance sidecar.

    Parameters
    ----------
    project : Project
        The project.
    path : str or Path
        ``*.csv``: the tidy table (with ``wide``: ``<stem>_steps.csv`` and
        ``<stem>_trials.csv`` instead); ``*.xlsx``: one workbook with the
        sheets ``steps``, ``trials``, ``tidy`` and ``provenance``.
    wide : bool
        Write the wide tables for a CSV export.
    trial_ids : iterable of str or None
        Trials to include (None: every trial).

    Returns
    -------
    paths : list of Path
        The files written (the sidecar last).

    Examples
    --------
    >>> export_metrics(project, "metrics.csv")  # doctest: +SKIP
    [PosixPath('metrics.csv'), PosixPath('metrics.csv.provenance.json')]
    """
    target = Path(path)
    tables = collect_tables(project, trial_ids)
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(target, tables)
        written = [target]
    elif suffix == ".csv":
        if wide:
            steps = target.with_name(f"{target.stem}_steps.csv")
            trials = target.with_name(f"{target.stem}_trials.csv")
            _write_csv(steps, tables.steps_columns, tables.steps)
            _write_csv(trials, tables.trials_columns, tables.trials)
            written = [steps, trials]
        else:
            _write_csv(target, list(TIDY_COLUMNS), tables.tidy)
            written = [target]
    else:
        raise ValueError(
            f"{target}: export to .csv or .xlsx, not {suffix or 'no suffix'!r}"
        )
    sidecar = target.with_name(target.name + ".provenance.json")
    sidecar.write_text(
        json.dumps(tables.provenance, indent=2, sort_keys=True, default=str)
    )
    return [*written, sidecar]


# ---------------------------------------------------------------- helpers


def _row(identity: dict[str, Any], plugin: str, **values: Any) -> dict[str, Any]:
    row = dict.fromkeys(TIDY_COLUMNS, "")
    row.update(identity)
    row["plugin"] = plugin
    row["statistic"] = "value"
    for key, value in values.items():
        row[key] = "" if value is None else value
    return row


def _aggregates(
    identity: dict[str, Any], plugin: str, rows: Sequence[dict[str, Any]], stale: bool
) -> list[dict[str, Any]]:
    """Mean, SD (ddof 1) and count of each per-step metric, per side and overall.

    Values whose status is ``invalid`` (NaN) are left out; ``unclean`` values
    are left out of the aggregates too, as their forces are not the foot's.
    """
    out = []
    names = dict.fromkeys(r["metric"] for r in rows if r["step"] != "")
    for name in names:
        mine = [r for r in rows if r["metric"] == name and r["step"] != ""]
        for side in ("", "Left", "Right"):
            chosen = [
                r
                for r in mine
                if (not side or r["side"] == side)
                and r["status"] in ("ok", "warning", "stale")
                and math.isfinite(r["value"])
            ]
            if side and not chosen:
                continue
            values = np.array([r["value"] for r in chosen], dtype=float)
            stats = {
                "mean": float(values.mean()) if values.size else math.nan,
                "sd": float(values.std(ddof=1)) if values.size > 1 else math.nan,
                "n": float(values.size),
            }
            for statistic, value in stats.items():
                out.append(
                    _row(
                        identity,
                        plugin,
                        metric=name,
                        side=side,
                        value=value,
                        unit="" if statistic == "n" else mine[0]["unit"],
                        status="stale"
                        if stale
                        else ("ok" if values.size else "invalid"),
                        statistic=statistic,
                        message="" if values.size else "no valid step values",
                    )
                )
    return out


def _label(row: dict[str, Any]) -> str:
    return f"{row['metric']} [{row['unit']}]" if row["unit"] else row["metric"]


def _steps_table(tidy: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    stepped = [r for r in tidy if r["statistic"] == "value" and r["step"] != ""]
    columns = list(dict.fromkeys(_label(r) for r in stepped))
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for r in stepped:
        key = (r["trial_id"], r["step"])
        row = rows.setdefault(
            key,
            {
                **{k: r[k] for k in _IDENTITY},
                "step": r["step"],
                "side": r["side"],
                "time_s": r["time_s"],
                "flags": "",
            },
        )
        row[_label(r)] = r["value"]
        if r["status"] != "ok":
            flag = f"{r['metric']}:{r['status']}"
            row["flags"] = f"{row['flags']} {flag}".strip()
    header = [*_IDENTITY, "step", "side", "time_s", *columns, "flags"]
    ordered = sorted(rows.values(), key=lambda row: (row["trial_id"], row["step"]))
    return header, ordered


def _trials_table(tidy: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    rows: dict[str, dict[str, Any]] = {}
    columns: list[str] = []
    for r in tidy:
        row = rows.setdefault(r["trial_id"], {k: r[k] for k in _IDENTITY})
        if r["metric"] == "":
            note = f"{r['plugin']}: {r['status']} ({r['message']})"
            row["problems"] = f"{row.get('problems', '')}; {note}".strip("; ")
            continue
        if r["statistic"] == "value" and r["step"] == "":
            column = _label(r)
        elif r["statistic"] in ("mean", "sd") and r["side"] == "":
            unit = f" [{r['unit']}]" if r["unit"] else ""
            column = f"{r['metric']} {r['statistic']}{unit}"
        elif r["statistic"] == "n" and r["side"] == "":
            column = f"{r['metric']} n"
        else:
            continue
        row[column] = r["value"]
        if column not in columns:
            columns.append(column)
    header = [*_IDENTITY, *columns, "problems"]
    return header, list(rows.values())


def _write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k, "")) for k in columns})
    tmp.replace(path)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


def _write_xlsx(path: Path, tables: MetricTables) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, columns, rows in (
        ("steps", tables.steps_columns, tables.steps),
        ("trials", tables.trials_columns, tables.trials),
        ("tidy", list(TIDY_COLUMNS), tables.tidy),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_xlsx_cell(row.get(k, "")) for k in columns])
    sheet = workbook.create_sheet("provenance")
    for key in ("gaitlab_version", "format_version", "project", "exported_utc"):
        sheet.append([key, str(tables.provenance[key])])
    sheet.append([])
    sheet.append(_PROVENANCE_COLUMNS)
    for trial_id, trial in tables.provenance["trials"].items():
        for plugin, result in trial["results"].items():
            made = result["provenance"] or {}
            sheet.append(
                [
                    trial_id,
                    plugin,
                    result["status"],
                    result["freshness"],
                    made.get("plugin_version", ""),
                    made.get("plugin_source", ""),
                    json.dumps(made.get("parameters", {}), sort_keys=True),
                    made.get("inputs_digest", ""),
                    made.get("created_utc", ""),
                    result["message"],
                ]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    workbook.save(tmp)
    tmp.replace(path)


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
