"""Running plugins on trials: checks, isolation of failures, provenance, staleness.

For each trial the runner loads the data once, builds a
:class:`~gaitlab.pipeline.view.TrialView`, and calls the planned plugins in
dependency order. Before a call it checks the plugin's needs (a missing
input gives ``skipped`` with a message naming it); an exception inside a
plugin gives ``failed`` for that trial and the run goes on. Each result is
stored with its :class:`~gaitlab.core.results.Provenance`, whose
``inputs_digest`` covers everything the result depends on, so a result is
*stale* as soon as the trial's events, subject data, static trial, marker
mapping, the plugin's parameters, version or code, or any upstream result
change. Trials run in parallel worker processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gaitlab._version import __version__
from gaitlab.core.context import Cancelled, RunContext, Skip
from gaitlab.core.landmarks import MarkerMap
from gaitlab.core.results import Metric, Provenance, Result
from gaitlab.core.trial import Trial
from gaitlab.pipeline.config import PipelineConfig, Plan
from gaitlab.pipeline.discovery import DiscoveryReport, discover
from gaitlab.pipeline.spec import PluginSpec
from gaitlab.pipeline.view import TrialView
from gaitlab.store._resultfile import write_results_file
from gaitlab.store.project import Project

__all__ = [
    "RunEvent",
    "TrialState",
    "analyse_trial",
    "call_plugin",
    "freshness",
    "marker_map_for",
    "project_pipeline",
    "run_pipeline",
    "run_plugins",
    "trial_state",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunEvent:
    """Progress of :func:`run_pipeline`: started, one per trial, finished.

    Attributes
    ----------
    kind : str
        ``"started"``, ``"trial"``, ``"finished"`` or ``"cancelled"``.
    trial_id : str
        The trial (``"trial"`` events only).
    done, total : int
        Trials handled so far, and in all.
    statuses : dict of str to str
        Plugin → ``ok``/``skipped``/``failed`` for the plugins that ran.
    messages : dict of str to str
        Plugin → reason of a skip or failure.
    error : str
        Why the trial could not be analysed at all (unreadable file ...).
    """

    kind: str
    trial_id: str = ""
    done: int = 0
    total: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class TrialState:
    """What a trial's results depend on, apart from the plugins themselves.

    Attributes
    ----------
    trial_id : str
        The trial.
    source_sha256 : str
        SHA-256 of the imported C3D file.
    events_digest : str
        Digest of the edited events (``"c3d"`` if never edited).
    subject : dict
        The subject record (mass, height, sex, leg length, extra).
    static : dict or None
        The static trial's id, source digest and events digest.
    markers : dict
        Marker-mapping settings (preset and overrides).
    """

    trial_id: str
    source_sha256: str
    events_digest: str
    subject: dict[str, Any]
    static: dict[str, str] | None
    markers: dict[str, Any]


def project_pipeline(project: Project, report: DiscoveryReport) -> PipelineConfig:
    """The project's saved pipeline, or the default one (every built-in plugin)."""
    saved = project.settings.get("pipeline")
    return PipelineConfig.from_json(saved) if saved else PipelineConfig.default(report)


def marker_map_for(project: Project, labels: Iterable[str]) -> MarkerMap:
    """Landmark resolution with the project's marker settings."""
    settings = project.settings.get("markers", {})
    return MarkerMap(
        tuple(labels),
        preset=settings.get("preset") or None,
        overrides=settings.get("overrides") or None,
    )


def trial_state(project: Project, trial_id: str) -> TrialState:
    """Collect the non-plugin inputs of a trial's results (cheap: no arrays)."""
    record = project.record(trial_id)
    subject = project.subjects.get(record.subject_id)
    static_id = project.static_trial_for(trial_id)
    static = None
    if static_id is not None:
        static = {
            "trial_id": static_id,
            "source_sha256": project.record(static_id).source_sha256,
            "events_digest": project.events_digest(static_id),
        }
    return TrialState(
        trial_id=trial_id,
        source_sha256=record.source_sha256,
        events_digest=project.events_digest(trial_id),
        subject=_subject_dict(subject),
        static=static,
        markers=project.settings.get("markers", {}),
    )


def expected_digests(plan: Plan, state: TrialState) -> dict[str, str]:
    """The inputs digest each planned plugin's result would have now."""
    digests: dict[str, str] = {}
    for spec in plan.specs:
        payload = {
            "trial": state.source_sha256,
            "events": state.events_digest,
            "subject": state.subject,
            "static": state.static,
            "markers": state.markers,
            "plugin": spec.name,
            "version": spec.version,
            "source": spec.source,
            "parameters": plan.params[spec.name],
            "upstream": {u: digests[u] for u in spec.upstream if u in digests},
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        digests[spec.name] = hashlib.sha256(text.encode()).hexdigest()
    return digests


def freshness(
    plan: Plan, state: TrialState, results: Mapping[str, Result]
) -> dict[str, str]:
    """``fresh``, ``stale`` or ``missing`` for each planned plugin of a trial."""
    expected = expected_digests(plan, state)
    status = {}
    for name in plan.names:
        stored = results.get(name)
        if stored is None or stored.provenance is None:
            status[name] = "missing"
        elif stored.provenance.inputs_digest != expected[name]:
            status[name] = "stale"
        else:
            status[name] = "fresh"
    return status


def call_plugin(
    spec: PluginSpec,
    view: TrialView,
    params: Mapping[str, Any],
    ctx: RunContext | None = None,
) -> Result:
    """Check the needs, call the plugin, and validate what it returned.

    Never raises for a plugin's own error (status ``failed``) or a missing
    input (status ``skipped``); only :class:`Cancelled` propagates.
    """
    ctx = ctx or RunContext(spec.name)
    missing = missing_inputs(spec, view)
    if missing:
        return Result(status="skipped", message="; ".join(missing))
    try:
        result = spec.func(view, ctx, **params)
    except Cancelled:
        raise
    except Skip as reason:
        return Result(status="skipped", message=str(reason))
    except Exception as error:  # isolation boundary: one plugin, one trial
        ctx.log.exception("plugin %s failed on trial %s", spec.name, view.id)
        return Result(status="failed", message=f"{type(error).__name__}: {error}")
    problem = _check_outputs(spec, result)
    if problem:
        return Result(status="failed", message=f"plugin output invalid: {problem}")
    return _with_units(spec, result)


def missing_inputs(spec: PluginSpec, view: TrialView) -> list[str]:
    """Messages for every declared need the trial does not satisfy."""
    messages = []
    for need in spec.needs:
        reasons = []
        for kind, name in need.alternatives:
            reason = _unmet(kind, name, view)
            if reason is None:
                break
            reasons.append(reason)
        else:
            messages.append(" or ".join(reasons))
    return messages


def analyse_trial(
    project: Project,
    trial_id: str,
    plan: Plan,
    *,
    rerun: Iterable[str] | None = None,
    only_stale: bool = False,
    is_cancelled: Callable[[], bool] | None = None,
    write: bool = True,
) -> tuple[dict[str, Result], list[str]]:
    """Run the plan on one trial and store the results.

    Parameters
    ----------
    project : Project
        The project (read; results written unless ``write`` is False).
    trial_id : str
        The trial.
    plan : Plan
        Planned plugins and parameters.
    rerun : iterable of str or None
        Plugins to run even if fresh (None: all planned). Upstream plugins
        whose stored result is stale or missing always run first.
    only_stale : bool
        Run only plugins whose result is stale or missing.
    is_cancelled : callable or None
        Checked between plugins.
    write : bool
        Store the results in the project.

    Returns
    -------
    results, ran : dict of str to Result, list of str
        All results of the trial (stored ones kept for plugins not run) and
        the names of the plugins that ran.
    """
    stored = project.load_results(trial_id)
    state = trial_state(project, trial_id)
    status = freshness(plan, state, stored)
    digests = expected_digests(plan, state)
    chosen = set(plan.names if rerun is None else rerun)
    to_run = [
        name
        for name in plan.names
        if status[name] != "fresh" or (name in chosen and not only_stale)
    ]
    if not to_run:
        return stored, []
    trial = project.load_trial(trial_id)
    trial.label = project.record(trial_id).label
    view = TrialView(
        trial,
        marker_map=marker_map_for(project, trial.markers.labels),
        results=stored,
        static=_static_view(project, state),
    )
    results = dict(stored)
    results.update(
        run_plugins(view, plan, to_run, digests=digests, is_cancelled=is_cancelled)
    )
    if write:
        write_results_file(project.results_path(trial_id), trial_id, results)
    return results, to_run


def run_plugins(
    view: TrialView,
    plan: Plan,
    names: Iterable[str],
    *,
    digests: Mapping[str, str] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> dict[str, Result]:
    """Call planned plugins in order on one view; each result gets its provenance.

    Each result is added to the view as it is made, so later plugins see it.

    Parameters
    ----------
    view : TrialView
        The trial (and any earlier results).
    plan : Plan
        Planned plugins and parameters.
    names : iterable of str
        Plugins to call (run in the plan's order).
    digests : mapping of str to str or None
        Inputs digest per plugin (None: the results are not from a project).
    is_cancelled : callable or None
        Checked between plugins.

    Returns
    -------
    results : dict of str to Result
    """
    digests = digests or {}
    chosen = set(names)
    results = {}
    for name in plan.names:
        if name not in chosen:
            continue
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("cancelled by the user")
        spec = plan.spec(name)
        params = plan.params[name]
        start = time.perf_counter()
        result = call_plugin(
            spec, view, params, RunContext(name, is_cancelled=is_cancelled)
        )
        result.provenance = Provenance(
            plugin=name,
            plugin_version=spec.version,
            plugin_source=spec.source,
            parameters=dict(params),
            inputs_digest=digests.get(name, ""),
            upstream={u: digests[u] for u in spec.upstream if u in digests},
            gaitlab_version=__version__,
            created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_s=time.perf_counter() - start,
        )
        results[name] = result
        view.add_result(name, result)
    return results


def run_pipeline(
    project: Project,
    trial_ids: Iterable[str] | None = None,
    *,
    plugins: Iterable[str] | None = None,
    only_stale: bool = False,
    workers: int | None = None,
    config: PipelineConfig | None = None,
) -> Iterator[RunEvent]:
    """Run the project's pipeline on trials, yielding one event per trial.

    The pipeline (``config``, else the project's saved one, else every
    built-in plugin) is saved in the project before running, so the numbers
    can be reproduced. Trials run in ``workers`` parallel processes (default:
    one per CPU; a single trial runs in this process). Closing the generator
    cancels the trials not yet started.

    Parameters
    ----------
    project : Project
        The project.
    trial_ids : iterable of str or None
        Trials to analyse (None: every trial except static trials, which
        serve as references).
    plugins : iterable of str or None
        Run these plugins (and whatever stale input they need); None: all.
        An installed plugin not yet in the pipeline is added to it.
    only_stale : bool
        Skip results that are up to date.
    workers : int or None
        Parallel processes.
    config : PipelineConfig or None
        Pipeline to use and save; None uses the project's.

    Yields
    ------
    event : RunEvent
    """
    report = discover()
    config = config or project_pipeline(project, report)
    plugins = None if plugins is None else list(plugins)
    for name in plugins or ():
        if config.step(name) is None and name in report.specs:
            config = config.with_params(name, {})
    config.plan(report, only=plugins)  # refuses unknown plugins and cycles first
    if trial_ids is None:
        ids = [t for t in project.trial_ids if not project.is_static(t)]
    else:
        ids = list(trial_ids)
        for trial_id in ids:
            project.record(trial_id)
    total = len(ids)
    with project._writer_lock():
        if project.settings.get("pipeline") != config.to_json():
            project.set_setting("pipeline", config.to_json())
        yield RunEvent("started", total=total)
        n_workers = min(workers or os.cpu_count() or 1, total)
        job = (str(project.path), config.to_json(), plugins, only_stale)
        done = 0
        if n_workers <= 1:
            for trial_id in ids:
                done += 1
                yield _trial_event(_analyse_job(trial_id, *job), done, total)
        else:
            yield from _run_parallel(ids, job, n_workers, total)
            done = total
        yield RunEvent("finished", done=total, total=total)


def _run_parallel(
    ids: list[str], job: tuple[Any, ...], n_workers: int, total: int
) -> Iterator[RunEvent]:
    from gaitlab.io._isolation import _context

    executor = ProcessPoolExecutor(max_workers=n_workers, mp_context=_context())
    pending: set[Future[dict[str, Any]]] = set()
    queue = list(reversed(ids))
    done = 0
    try:
        while queue or pending:
            while queue and len(pending) < 2 * n_workers:
                pending.add(executor.submit(_analyse_job, queue.pop(), *job))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done += 1
                yield _trial_event(future.result(), done, total)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _analyse_job(
    trial_id: str,
    project_path: str,
    config_json: dict[str, Any],
    plugins: list[str] | None,
    only_stale: bool,
) -> dict[str, Any]:
    """Analyse one trial (in a worker or in-process); return a picklable summary."""
    try:
        project = Project(Path(project_path))
        plan = PipelineConfig.from_json(config_json).plan(discover(), only=plugins)
        results, ran = analyse_trial(
            project, trial_id, plan, rerun=plugins, only_stale=only_stale
        )
    except Exception as error:  # the trial as a whole could not be analysed
        log.exception("trial %s could not be analysed", trial_id)
        return {"trial_id": trial_id, "error": f"{type(error).__name__}: {error}"}
    return {
        "trial_id": trial_id,
        "statuses": {name: results[name].status for name in ran},
        "messages": {
            name: results[name].message for name in ran if results[name].message
        },
    }


def _trial_event(summary: dict[str, Any], done: int, total: int) -> RunEvent:
    return RunEvent(
        "trial",
        summary["trial_id"],
        done,
        total,
        summary.get("statuses", {}),
        summary.get("messages", {}),
        summary.get("error", ""),
    )


def _static_view(project: Project, state: TrialState) -> TrialView | None:
    if state.static is None:
        return None
    static_id = state.static["trial_id"]
    trial: Trial = project.load_trial(static_id)
    trial.label = project.record(static_id).label
    return TrialView(trial, marker_map=marker_map_for(project, trial.markers.labels))


def _subject_dict(subject: Any) -> dict[str, Any]:
    if subject is None:
        return {}
    return {
        "mass_kg": subject.mass_kg,
        "height_m": subject.height_m,
        "sex": subject.sex,
        "leg_length_m": subject.leg_length_m,
        "extra": subject.extra,
    }


def _unmet(kind: str, name: str, view: TrialView) -> str | None:
    """None when the input is present, else why not (in words)."""
    if kind == "landmark":
        return (
            None if view.has_landmark(name) else view.marker_map.missing_message(name)
        )
    if kind == "forceplates":
        return None if view.forceplates else "no force plates with samples"
    if kind == "markers":
        present = view.markers.data.shape[0] > 0 and view.markers.data.shape[1] > 0
        return None if present else "no marker trajectories"
    if kind == "events":
        found = any(e.label == name for e in view.events)
        return None if found else f"no {name!r} events in the trial"
    if kind == "subject":
        subject = view.subject
        value = None
        if subject is not None:
            value = getattr(subject, name, None) or subject.extra.get(name)
        return None if value else f"the subject's {name.replace('_', ' ')} is not set"
    if kind == "result":
        if view.has_result(name):
            return None
        try:
            view.result(name)
        except Skip as reason:
            return f"needs {name}: {reason}"
    return f"unknown need {kind}:{name}"


def _check_outputs(spec: PluginSpec, result: Any) -> str | None:
    if not isinstance(result, Result):
        return f"expected a Result, got {type(result).__name__}"
    declared_series = {s.name: s for s in spec.series}
    declared_metrics = {m.name: m for m in spec.metrics}
    extra = sorted(set(result.series) - set(declared_series))
    if extra:
        return f"undeclared series {', '.join(extra)}"
    for metric in result.metrics:
        declared = declared_metrics.get(metric.name)
        if declared is None:
            return f"undeclared metric {metric.name!r}"
        if metric.unit and metric.unit != declared.unit:
            return (
                f"metric {metric.name!r} in {metric.unit!r}, declared {declared.unit!r}"
            )
        if declared.per_step != (metric.step is not None):
            which = "per step" if declared.per_step else "per trial"
            return f"metric {metric.name!r} is declared {which}"
    for name, series in result.series.items():
        unit = declared_series[name].unit
        if series.unit and series.unit != unit:
            return f"series {name!r} in {series.unit!r}, declared {unit!r}"
        if not series.rate_hz > 0:
            return f"series {name!r} has no sampling rate"
    if result.events and not spec.produces_events:
        return "returned events but does not declare produces_events=True"
    return None


def _with_units(spec: PluginSpec, result: Result) -> Result:
    """Fill units and descriptions from the declaration; set event origins."""
    series_specs = {s.name: s for s in spec.series}
    metric_units = {m.name: m.unit for m in spec.metrics}
    result.series = {
        name: replace(
            s,
            unit=series_specs[name].unit,
            description=series_specs[name].description,
        )
        for name, s in result.series.items()
    }
    result.metrics = [
        m
        if m.unit
        else Metric(
            m.name,
            m.value,
            metric_units[m.name],
            m.side,
            m.step,
            m.time_s,
            m.status,
            m.message,
        )
        for m in result.metrics
    ]
    result.events = [
        replace(e, origin=e.origin or f"plugin:{spec.name}") for e in result.events
    ]
    if result.notes and not result.message:
        result.message = "; ".join(result.notes)
    return result
