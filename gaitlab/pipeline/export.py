"""Metric tables of a project: tidy rows, wide step and trial tables, CSV/XLSX files.

* **Tidy** (one row per value): ``trial_id, subject_id, session, condition,
  plugin, metric, side, step, value, unit, status`` followed by
  ``statistic, category, time_s, toe_off_s, message``. ``statistic`` is
  ``value`` for a stored value (per step, or per trial when ``step`` is
  empty) and ``mean``, ``sd`` or ``n`` for the trial aggregates of per-step
  metrics, per side (``Left``/``Right``) and over both sides (``side``
  empty); ``n`` is an integer count of steps. ``time_s`` is the step's
  initial contact and ``toe_off_s`` its toe-off (s, trial clock). Skipped
  and failed results appear as one row each, with an empty value and the
  reason in ``message``; results that are out of date are exported with
  status ``stale``. A ``partial`` result (some declared metrics left out)
  is exported like an ``ok`` one, plus one row with an empty metric, status
  ``partial`` and in ``message`` the metrics left out and why (``left out:
  <names> — <reason>; ...``); the provenance lists them one by one.
* **Categorical metrics** (those whose declaration lists ``categories``, such
  as the foot-strike class or the event source) carry the code in ``value``
  and its label in ``category``; their aggregates are ``count`` rows, one per
  category (``category`` = label, ``value`` = number of steps), instead of
  mean and SD.
* **Plausible range**: a value outside the range its declaration gives
  (``plausible``), with status ``ok``, is exported with status ``warning``
  and says so in ``message``.
* **Steps** (wide): one row per step, one column per per-step metric
  (``name [unit]``; the label for a categorical metric), the toe-off time,
  plus ``flags`` listing values whose status is not ok.
* **Trials** (wide): one row per trial: mean, SD and count of every
  per-step metric over both sides (counts per category for categorical
  ones), and the trial-level metrics.
* **Events**: one row per gait event used by the analyses (trial, side, kind,
  time, source), see :func:`export_events`.

Every export writes a provenance sidecar: ``<file>.provenance.json`` beside
a single file, ``<stem>_provenance.json`` beside the wide
``<stem>_steps.csv`` and ``<stem>_trials.csv``. It holds the gaitlab
version, pipeline (plugins, versions, sources, parameters), the unit and
definition of every metric, and per trial each result's inputs digest,
status, freshness and ``left_out`` (declared metrics not computed on the
trial → reason; empty when the status is ``ok``).
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab._version import __version__
from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE, contacts_from_events
from gaitlab.core.errors import PluginError
from gaitlab.core.results import (
    USABLE_STATUSES,
    Metric,
    MetricSpec,
    Result,
    compact_names,
    left_out_by_reason,
)
from gaitlab.core.types import SIDES
from gaitlab.pipeline.config import Plan
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import freshness, project_pipeline, trial_state
from gaitlab.store.project import Project
from gaitlab.store.schema import FORMAT_VERSION

__all__ = [
    "EVENT_COLUMNS",
    "TIDY_COLUMNS",
    "MetricTables",
    "TableWriter",
    "collect_events",
    "collect_tables",
    "export_events",
    "export_metrics",
    "left_out_message",
    "register_table_writer",
    "table_formats",
    "table_writer_for",
    "table_writers",
    "unregister_table_writer",
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
    "category",
    "time_s",
    "toe_off_s",
    "message",
)
EVENT_COLUMNS = (
    "trial_id",
    "subject_id",
    "session",
    "condition",
    "step",
    "side",
    "kind",
    "time_s",
    "source",
    "status",
)
"""Columns of the events table (:func:`export_events`)."""

_IDENTITY = ("trial_id", "subject_id", "session", "condition")
_STALE_MESSAGE = "result out of date: run the pipeline again"
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
    "left_out",
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
    except PluginError:  # gaitlab's own plugins did not load: export what is stored
        plan = None
    ids = list(project.trial_ids if trial_ids is None else trial_ids)
    tidy: list[dict[str, Any]] = []
    per_trial_provenance = {}
    categorical: set[str] = set()
    for trial_id in ids:
        identity = _identity(project, trial_id)
        record = project.record(trial_id)
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
                    "left_out": dict(result.left_out),
                    "freshness": fresh.get(name, "unknown"),
                    "provenance": asdict(result.provenance)
                    if result.provenance
                    else None,
                }
                for name, result in results.items()
            },
        }
        toe_offs = _toe_offs(results)
        for name, result in results.items():
            stale = fresh.get(name) == "stale"
            if result.status not in USABLE_STATUSES:
                tidy.append(
                    _row(identity, name, status=result.status, message=result.message)
                )
                continue
            spec = report.specs.get(name)
            declared = {m.name: m for m in spec.metrics} if spec is not None else {}
            categorical |= {m for m, d in declared.items() if d.categories}
            values = [
                _value_row(identity, name, m, declared.get(m.name), stale, toe_offs)
                for m in result.metrics
            ]
            tidy += values
            tidy += _aggregates(identity, name, values, stale, declared)
            if result.left_out:
                tidy.append(
                    _row(
                        identity,
                        name,
                        status=result.status,
                        message=left_out_message(result.left_out),
                    )
                )
    steps_columns, steps = _steps_table(tidy, categorical)
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
                    metric.name: _definition(metric) for metric in spec.metrics
                },
            }
            for spec in (plan.specs if plan is not None else ())
        },
        "trials": per_trial_provenance,
        "columns": {
            "tidy": list(TIDY_COLUMNS),
            "statistic": "value = stored value; mean/sd/n = trial aggregate of a "
            "per-step metric (side empty = both sides; n = number of steps); "
            "count = number of steps in the category of a categorical metric",
            "category": "label of the code in value, for categorical metrics",
            "time_s": "initial contact of the step (s, trial clock)",
            "toe_off_s": "toe-off of the step (s, trial clock)",
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
        Its suffix chooses the table writer (:func:`table_writer_for`):
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
        The files written (the sidecar last): ``<file>.provenance.json``
        beside one file, ``<stem>_provenance.json`` beside the wide tables.

    Raises
    ------
    ValueError
        For a suffix no registered table writer takes
        (:func:`table_formats`).

    Examples
    --------
    >>> export_metrics(project, "metrics.csv")  # doctest: +SKIP
    [PosixPath('metrics.csv'), PosixPath('metrics.csv.provenance.json')]
    """
    target = Path(path)
    writer = table_writer_for(target)
    tables = collect_tables(project, trial_ids)
    written, sidecar = writer.write(target, tables, wide)
    sidecar.write_text(
        json.dumps(tables.provenance, indent=2, sort_keys=True, default=str)
    )
    return [*written, sidecar]


def collect_events(
    project: Project, trial_ids: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The gait events the analyses used, one row per event (keys :data:`EVENT_COLUMNS`).

    Where the ``gait_events`` plugin ran, its events (paired into steps
    numbered like the per-step metrics), each with the label of its source:
    the step's ``event_source`` for the initial contact and its
    ``toe_off_source`` (if declared, else the same) for the toe-off
    (``plate``, ``markers``, ``markers corrected``, ``edited``). Otherwise the trial's own Foot Strike
    and Foot Off events, with source ``file`` (stored in the C3D file) or
    ``edited`` (changed in gaitlab); ``step`` is empty for an event without
    a partner.

    Parameters
    ----------
    project : Project
        The project.
    trial_ids : iterable of str or None
        Trials to include (None: every trial).

    Returns
    -------
    rows : list of dict
        In trial order, then time order. ``time_s`` in seconds (trial clock);
        ``status`` is ``stale`` when the events result is out of date.
    """
    report = discover()
    # the plugins that declare they produce events (gait_events among the built-ins)
    producers = [spec for spec in report.specs.values() if spec.produces_events]
    try:
        plan: Plan | None = project_pipeline(project, report).plan(report)
    except PluginError:  # gaitlab's own plugins did not load: export what is stored
        plan = None
    rows: list[dict[str, Any]] = []
    for trial_id in project.trial_ids if trial_ids is None else trial_ids:
        identity = _identity(project, trial_id)
        results = project.load_results(trial_id)
        spec = next(
            (
                p
                for p in producers
                if p.name in results and results[p.name].status in USABLE_STATUSES
            ),
            None,
        )
        result = results[spec.name] if spec is not None else None
        labels: dict[float, str] = {}
        if spec is not None:
            declared = {m.name: m for m in spec.metrics}.get("event_source")
            labels = dict(declared.categories) if declared is not None else {}
        if spec is not None and result is not None:
            stale = (
                plan is not None
                and freshness(plan, trial_state(project, trial_id), results).get(
                    spec.name
                )
                == "stale"
            )
            sources = {
                (m.name, _time_key(m.time_s)): m.value
                for m in result.metrics
                if m.name in ("event_source", "toe_off_source") and m.time_s is not None
            }
            first_row = len(rows)
            contacts = contacts_from_events(result.events)
            paired = {_time_key(c.ic_s) for c in contacts}
            unpaired_code = next(
                (m.value for m in result.metrics if m.name == "unpaired_strike_source"),
                math.nan,
            )
            for event in result.events:
                if event.label == FOOT_STRIKE and _time_key(event.time_s) not in paired:
                    rows.append(
                        {
                            **identity,
                            "step": "",
                            "side": event.context if event.context in SIDES else "",
                            "kind": FOOT_STRIKE,
                            "time_s": event.time_s,
                            "source": labels.get(unpaired_code, ""),
                            "status": "stale" if stale else "ok",
                        }
                    )
            for contact in contacts:
                ic = _time_key(contact.ic_s)
                ic_code = sources.get(("event_source", ic), math.nan)
                to_code = sources.get(("toe_off_source", ic), ic_code)
                for kind, time_s, code in (
                    (FOOT_STRIKE, contact.ic_s, ic_code),
                    (FOOT_OFF, contact.to_s, to_code),
                ):
                    rows.append(
                        {
                            **identity,
                            "step": contact.step,
                            "side": contact.side,
                            "kind": kind,
                            "time_s": time_s,
                            "source": labels.get(
                                code, "" if math.isnan(code) else f"{code:g}"
                            ),
                            "status": "stale" if stale else "ok",
                        }
                    )
            rows[first_row:] = sorted(rows[first_row:], key=lambda row: row["time_s"])
            continue
        trial = project.load_trial(trial_id)
        source = "file" if project.events_digest(trial_id) == "c3d" else "edited"
        steps = {}
        for contact in contacts_from_events(trial.events):
            steps[(FOOT_STRIKE, _time_key(contact.ic_s))] = contact.step
            steps[(FOOT_OFF, _time_key(contact.to_s))] = contact.step
        for event in sorted(trial.events, key=lambda e: e.time_s):
            if event.label not in (FOOT_STRIKE, FOOT_OFF):
                continue
            rows.append(
                {
                    **identity,
                    "step": steps.get((event.label, _time_key(event.time_s)), ""),
                    "side": event.context if event.context != "General" else "",
                    "kind": event.label,
                    "time_s": event.time_s,
                    "source": source,
                    "status": "ok",
                }
            )
    return rows


def export_events(
    project: Project, path: str | Path, *, trial_ids: Iterable[str] | None = None
) -> list[Path]:
    """Write the gait events of a project as CSV (see :func:`collect_events`).

    Parameters
    ----------
    project : Project
        The project.
    path : str or Path
        A ``*.csv`` file.
    trial_ids : iterable of str or None
        Trials to include (None: every trial).

    Returns
    -------
    paths : list of Path
        The CSV file.

    Raises
    ------
    ValueError
        For a suffix other than ``.csv``.
    """
    target = Path(path)
    if target.suffix.lower() != ".csv":
        raise ValueError(
            f"{target}: events export to .csv, not {target.suffix or 'no suffix'!r}"
        )
    _write_csv(target, EVENT_COLUMNS, collect_events(project, trial_ids))
    return [target]


# ------------------------------------------------------------ table writers

TableWriteFunction = Callable[[Path, MetricTables, bool], tuple[list[Path], Path]]
"""``write(target, tables, wide) -> (files written, provenance sidecar path)``."""


@dataclass(frozen=True)
class TableWriter:
    """One registered metric table format.

    Attributes
    ----------
    name : str
        The format's name (``"csv"``).
    suffix : str
        The file suffix it writes, lowercase with the dot (``".csv"``).
    write : callable
        ``write(target, tables, wide) -> (paths, sidecar)``: write the
        tables, return the files written and where the provenance sidecar
        goes (written by :func:`export_metrics`).
    description : str
        What the file holds, for help texts.
    """

    name: str
    suffix: str
    write: TableWriteFunction
    description: str = ""


_TABLE_WRITERS: dict[str, TableWriter] = {}


def register_table_writer(writer: TableWriter) -> TableWriter:
    """Register (or replace) a metric table format; returns it."""
    _TABLE_WRITERS[writer.suffix.lower()] = writer
    return writer


def unregister_table_writer(suffix: str) -> None:
    """Remove the table writer of a suffix (nothing happens if it is unknown)."""
    _TABLE_WRITERS.pop(suffix.lower(), None)


def table_writers() -> tuple[TableWriter, ...]:
    """The registered table writers, in registration order."""
    return tuple(_TABLE_WRITERS.values())


def table_formats() -> tuple[str, ...]:
    """Suffixes the table writers take.

    Examples
    --------
    >>> table_formats()
    ('.csv', '.xlsx')
    """
    return tuple(_TABLE_WRITERS)


def table_writer_for(path: str | Path) -> TableWriter:
    """The table writer of a file, chosen by its suffix.

    Raises
    ------
    ValueError
        For a suffix no writer takes; the message names those known.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    try:
        return _TABLE_WRITERS[suffix]
    except KeyError:
        raise ValueError(
            f"{target}: export to {' or '.join(_TABLE_WRITERS)}, not "
            f"{suffix or 'no suffix'!r}"
        ) from None


def _csv_tables(
    target: Path, tables: MetricTables, wide: bool
) -> tuple[list[Path], Path]:
    if wide:
        steps = target.with_name(f"{target.stem}_steps.csv")
        trials = target.with_name(f"{target.stem}_trials.csv")
        _write_csv(steps, tables.steps_columns, tables.steps)
        _write_csv(trials, tables.trials_columns, tables.trials)
        return [steps, trials], target.with_name(f"{target.stem}_provenance.json")
    _write_csv(target, list(TIDY_COLUMNS), tables.tidy)
    return [target], target.with_name(target.name + ".provenance.json")


def _xlsx_tables(
    target: Path, tables: MetricTables, wide: bool
) -> tuple[list[Path], Path]:
    _write_xlsx(target, tables)
    return [target], target.with_name(target.name + ".provenance.json")


register_table_writer(
    TableWriter(
        "csv",
        ".csv",
        _csv_tables,
        "tidy table, or with --wide FILE_steps.csv and FILE_trials.csv",
    )
)
register_table_writer(
    TableWriter("xlsx", ".xlsx", _xlsx_tables, "one workbook with every table")
)


# ---------------------------------------------------------------- helpers


def _identity(project: Project, trial_id: str) -> dict[str, Any]:
    record = project.record(trial_id)
    return {
        "trial_id": trial_id,
        "subject_id": record.subject_id,
        "session": record.session,
        "condition": record.condition,
    }


def _time_key(time_s: float) -> float:
    """Times of one instant stored by two plugins compare equal (µs)."""
    return round(float(time_s), 6)


def _toe_offs(results: Mapping[str, Result]) -> dict[float, float]:
    """Toe-off time by initial-contact time of each step of the gait events.

    The events are those of the usable result holding foot strikes (the
    plugin that declares ``produces_events``; the runner refuses events from
    any other), as :meth:`gaitlab.pipeline.view.TrialView.contacts` reads them.
    """
    for result in results.values():
        if result.status in USABLE_STATUSES and any(
            e.label == FOOT_STRIKE for e in result.events
        ):
            return {
                _time_key(c.ic_s): c.to_s for c in contacts_from_events(result.events)
            }
    return {}


def _definition(metric: MetricSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "unit": metric.unit,
        "per": "step" if metric.per_step else "trial",
        "definition": metric.description,
    }
    if metric.categories:
        entry["categories"] = {f"{code:g}": label for code, label in metric.categories}
    if metric.plausible is not None:
        entry["plausible"] = list(metric.plausible)
    if metric.label:
        entry["label"] = metric.label
    if metric.headline:
        entry["headline"] = True
    return entry


def left_out_message(left_out: Mapping[str, str]) -> str:
    """``"left out: <names> — <reason>; ..."``, one group per reason."""
    groups = left_out_by_reason(dict(left_out))
    return "left out: " + "; ".join(
        f"{compact_names(names)} — {reason}" for reason, names in groups
    )


def _row(identity: dict[str, Any], plugin: str, **values: Any) -> dict[str, Any]:
    row = dict.fromkeys(TIDY_COLUMNS, "")
    row.update(identity)
    row["plugin"] = plugin
    row["statistic"] = "value"
    for key, value in values.items():
        row[key] = "" if value is None else value
    return row


def _value_row(
    identity: dict[str, Any],
    plugin: str,
    metric: Metric,
    spec: MetricSpec | None,
    stale: bool,
    toe_offs: Mapping[float, float],
) -> dict[str, Any]:
    """The tidy row of one stored value: label, plausibility, toe-off."""
    status, message = metric.status, metric.message
    finite = math.isfinite(metric.value)
    if spec is not None and spec.plausible is not None and status == "ok" and finite:
        low, high = spec.plausible
        if not low <= metric.value <= high:
            status = "warning"
            message = (
                f"implausible: {metric.value:.4g} {metric.unit} is outside "
                f"{low:g}–{high:g} {metric.unit}"
            )
    category = ""
    if spec is not None and spec.categories and finite:
        category = dict(spec.categories).get(metric.value, f"{metric.value:g}")
    toe_off = None
    if metric.step is not None and metric.time_s is not None:
        toe_off = toe_offs.get(_time_key(metric.time_s))
    return _row(
        identity,
        plugin,
        metric=metric.name,
        side=metric.side,
        step=metric.step,
        value=metric.value,
        unit=metric.unit,
        status="stale" if stale else status,
        category=category,
        time_s=metric.time_s,
        toe_off_s=toe_off,
        message=_STALE_MESSAGE if stale else message,
    )


def _aggregates(
    identity: dict[str, Any],
    plugin: str,
    rows: Sequence[dict[str, Any]],
    stale: bool,
    declared: Mapping[str, MetricSpec],
) -> list[dict[str, Any]]:
    """Trial aggregates of each per-step metric, per side and over both sides.

    Quantities: mean, SD (ddof 1) and count ``n``. Categorical metrics: the
    number of steps in each declared category (``count``, the label in
    ``category``; codes not declared are counted under their own number),
    and ``n``. Values whose status is ``invalid`` (NaN) are left out;
    ``unclean`` values are left out too, as their forces are not the foot's.
    """
    out = []
    names = dict.fromkeys(r["metric"] for r in rows if r["step"] != "")
    for name in names:
        mine = [r for r in rows if r["metric"] == name and r["step"] != ""]
        spec = declared.get(name)
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
            status = "stale" if stale else ("ok" if chosen else "invalid")
            message = "" if chosen else "no valid step values"
            if spec is not None and spec.categories:
                counts = Counter(r["category"] for r in chosen)
                labels = [label for _, label in spec.categories]
                stats: list[tuple[str, str, float]] = [
                    ("count", label, counts[label])
                    for label in dict.fromkeys([*labels, *counts])
                ]
                stats.append(("n", "", len(chosen)))
                unit = ""
            else:
                values = np.array([r["value"] for r in chosen], dtype=float)
                stats = [
                    ("mean", "", float(values.mean()) if values.size else math.nan),
                    (
                        "sd",
                        "",
                        float(values.std(ddof=1)) if values.size > 1 else math.nan,
                    ),
                    ("n", "", int(values.size)),
                ]
                unit = mine[0]["unit"]
            for statistic, category, value in stats:
                out.append(
                    _row(
                        identity,
                        plugin,
                        metric=name,
                        side=side,
                        value=value,
                        unit=unit if statistic in ("mean", "sd") else "",
                        status=status,
                        statistic=statistic,
                        category=category,
                        message=message,
                    )
                )
    return out


def _label(row: dict[str, Any]) -> str:
    return f"{row['metric']} [{row['unit']}]" if row["unit"] else row["metric"]


def _steps_table(
    tidy: list[dict[str, Any]], categorical: set[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per step; categorical metrics (by name) show their labels."""
    stepped = [r for r in tidy if r["statistic"] == "value" and r["step"] != ""]

    def column(r: dict[str, Any]) -> str:
        return r["metric"] if r["metric"] in categorical else _label(r)

    columns = list(dict.fromkeys(column(r) for r in stepped))
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
                "toe_off_s": "",
                "flags": "",
            },
        )
        if r["toe_off_s"] != "":
            row["toe_off_s"] = r["toe_off_s"]
        row[column(r)] = r["category"] if r["metric"] in categorical else r["value"]
        if r["status"] != "ok":
            flag = f"{r['metric']}:{r['status']}"
            row["flags"] = f"{row['flags']} {flag}".strip()
    header = [*_IDENTITY, "step", "side", "time_s", "toe_off_s", *columns, "flags"]
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
        if r["side"] != "":
            continue
        if r["statistic"] == "value" and r["step"] == "":
            column = _label(r)
        elif r["statistic"] in ("mean", "sd"):
            unit = f" [{r['unit']}]" if r["unit"] else ""
            column = f"{r['metric']} {r['statistic']}{unit}"
        elif r["statistic"] == "count":
            column = f"{r['metric']} {r['category']} n"
        elif r["statistic"] == "n":
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
                    json.dumps(result.get("left_out", {})),
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
