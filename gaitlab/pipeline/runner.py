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
change.

Plugin code never runs in the process that holds the project: each trial is
analysed in a contained child process (:mod:`gaitlab.pipeline.isolation`)
that loads the trial, runs the plugins and sends each result back; the
parent, which holds the project's writer lock, checks and stores them. A
plugin that crashes, ends its process, runs out of time (``Limits.time_s``
per plugin and trial) or of memory fails on that trial with the reason; the
plugins that need it are skipped, and the other plugins and trials go on.
Trials run in parallel children.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

import numpy as np

from gaitlab._version import __version__
from gaitlab.core.context import Cancelled, RunContext, Skip
from gaitlab.core.errors import GaitlabError
from gaitlab.core.landmarks import MarkerMap
from gaitlab.core.packed import MAX_STEP, PackedResult, checked_packed, pack, unpack
from gaitlab.core.results import (
    METRIC_STATUSES,
    Metric,
    Provenance,
    Result,
    Series,
    left_out_by_reason,
)
from gaitlab.core.trial import Trial
from gaitlab.pipeline.config import PipelineConfig, Plan
from gaitlab.pipeline.discovery import DiscoveryReport, discover
from gaitlab.pipeline.isolation import (
    Child,
    Limits,
    Zygote,
    child_context,
    send,
    zygote_available,
)
from gaitlab.pipeline.spec import PluginError, PluginSpec
from gaitlab.pipeline.view import TrialView
from gaitlab.store.project import Project

__all__ = [
    "Limits",
    "RunEvent",
    "TrialState",
    "analyse_trial",
    "call_plugin",
    "freshness",
    "marker_map_for",
    "project_pipeline",
    "run_pipeline",
    "run_plugins",
    "static_trial_view",
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
        Plugin → ``ok``/``partial``/``skipped``/``failed`` for the plugins
        that ran.
    messages : dict of str to str
        Plugin → reason of a skip or failure (for ``partial``, a summary of
        what was left out).
    error : str
        Why the trial could not be analysed at all (unreadable file ...).
    left_out : dict of str to dict of str to str
        Plugin → {metric: reason} for the ``partial`` results: the declared
        metrics not computed on this trial, and why.
    declared : dict of str to int
        Plugin → number of metrics it declares (for "30 of 48 left out").
    """

    kind: str
    trial_id: str = ""
    done: int = 0
    total: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    error: str = ""
    left_out: dict[str, dict[str, str]] = field(default_factory=dict)
    declared: dict[str, int] = field(default_factory=dict)


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


class FinishedTrial(Protocol):
    """A trial whose analysis ended, as :func:`run_pipeline` stores and reports it.

    Attributes
    ----------
    trial_id : str
    results : dict of str to PackedResult
        The new results, checked (with ``stored``: see :func:`_merged`).
    ran : list of str
        Plugins that ran.
    error : str
        Why the trial as a whole could not be analysed ("" when it was).
    stored : set of str
        Stored results the trial had; those not in ``results`` are kept.
    """

    trial_id: str
    results: dict[str, PackedResult]
    ran: list[str]
    error: str
    stored: set[str]


TrialDriver = Callable[
    [Project, list[str], Plan, list[str] | None, bool, Limits], Iterable[FinishedTrial]
]
"""Analyses trials elsewhere: ``driver(project, trial_ids, plan, rerun,
only_stale, limits)`` yields each trial as it finishes, results unwritten."""


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
        clusters=settings.get("clusters") or None,
        residual_threshold_mm=settings.get("cluster_residual_threshold_mm"),
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

    Never raises for a plugin's own error (status ``failed``, also when it
    calls ``sys.exit``) or a missing input (status ``skipped``); only
    :class:`Cancelled` propagates. Metric values that are not finite get
    status ``invalid`` and infinite series samples are stored as NaN, with a
    note saying so (:func:`mark_non_finite`). Declared metrics without a
    value make the status ``partial`` (:func:`mark_left_out`).
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
    except SystemExit as error:  # sys.exit() in a plugin ends the plugin only
        return Result(
            status="failed",
            message=f"the plugin tried to end the program (sys.exit({error.code!r}))",
        )
    problem = _check_outputs(spec, result)
    if problem:
        return Result(status="failed", message=f"plugin output invalid: {problem}")
    return mark_left_out(spec, mark_non_finite(_with_units(spec, result)))


def mark_non_finite(result: Result) -> Result:
    """Give non-finite values a status that says so (in place; returns ``result``).

    A metric whose value is NaN or infinite gets status ``invalid`` and value
    NaN; its message says what the plugin returned unless the plugin gave a
    reason. Series may hold NaN where a signal is undefined, but not
    infinity: infinite samples are stored as NaN and the result's notes and
    message count them, as they do a series without a single finite value.
    """
    added = []
    metrics = []
    for m in result.metrics:
        if not math.isfinite(m.value):
            reason = m.message or f"the plugin returned {m.value!r}, not a number"
            m = replace(m, value=math.nan, status="invalid", message=reason)
        metrics.append(m)
    result.metrics = metrics
    for name, series in list(result.series.items()):
        infinite = np.isinf(series.values)
        if infinite.any():
            values = np.where(infinite, np.nan, series.values)
            result.series[name] = replace(series, values=values)
            added.append(
                f"series {name!r}: {int(infinite.sum())} infinite values stored as NaN"
            )
        if series.values.size and not np.isfinite(series.values).any():
            added.append(f"series {name!r} has no finite value")
    result.notes = [*result.notes, *added]
    result.message = "; ".join(t for t in (result.message, *added) if t)
    return result


NO_REASON = "not computed (no reason given)"
"""Reason recorded for a declared metric a plugin neither computed nor left out."""


def mark_left_out(spec: PluginSpec, result: Result) -> Result:
    """Complete ``result.left_out`` and set status ``partial`` (in place).

    A declared metric counts as computed when the result holds at least one
    finite value of it (a per-step metric with values on some steps is
    computed). The plugin's :meth:`Result.leave_out` stands for a metric
    without a finite value (its NaN values, if any, keep their per-step
    reasons); a metric the plugin left out but then computed is taken off the
    list. A metric with no value at all and no stated reason is left out
    with :data:`NO_REASON`; one with only NaN values (status ``invalid``,
    each with its reason) and not left out counts as computed. An ``ok``
    result with metrics left out becomes ``partial``, and its message starts
    with a summary (shown by ``gaitlab run`` and the app's pipeline panel).
    """
    finite = {m.name for m in result.metrics if math.isfinite(m.value)}
    present = {m.name for m in result.metrics}
    left_out = {}
    for declared in spec.metrics:
        name = declared.name
        if name in finite or (name in present and name not in result.left_out):
            continue
        left_out[name] = result.left_out.get(name) or NO_REASON
    result.left_out = left_out
    if left_out and result.status == "ok":
        result.status = "partial"
        summary = left_out_summary(left_out, len(spec.metrics))
        result.message = "; ".join(t for t in (summary, result.message) if t)
    return result


def left_out_summary(left_out: Mapping[str, str], n_declared: int) -> str:
    """``"30 of 48 metrics left out (reason: n; ...)"`` in one line."""
    reasons = "; ".join(
        f"{reason}: {len(names)}"
        for reason, names in left_out_by_reason(dict(left_out))
    )
    return f"{len(left_out)} of {n_declared} metrics left out ({reasons})"


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
    limits: Limits | None = None,
) -> tuple[dict[str, PackedResult], list[str]]:
    """Run the plan on one trial in a contained child process; store the results.

    The child loads the trial and runs the plugins; this process checks what
    it sends back and writes it under the project's writer lock.

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
        Checked while the plugins run (Cancelled is raised).
    write : bool
        Store the results in the project.
    limits : Limits or None
        Time per plugin and memory for the child (None: the defaults).

    Returns
    -------
    results, ran : dict of str to PackedResult, list of str
        All results of the trial (stored ones kept for plugins not run), as
        they are stored and sent (:func:`gaitlab.core.packed.unpack` makes a
        :class:`~gaitlab.core.results.Result` of one; ``project.load_results``
        reads them all so), and the names of the plugins that ran.

    Raises
    ------
    GaitlabError
        When the trial itself could not be analysed (unreadable file ...).
    """
    job = _TrialJob(project, trial_id, plan, rerun, only_stale, limits or Limits())
    for _ in _drive([job], 1, is_cancelled):
        pass
    if job.error:
        raise GaitlabError(f"trial {trial_id}: {job.error}")
    if not job.ran:
        return project.load_packed_results(trial_id)[1], []
    results = _merged(project, job)
    if write:
        project.write_results(trial_id, results)
    return results, job.ran


def run_plugins(
    view: TrialView,
    plan: Plan,
    names: Iterable[str],
    *,
    digests: Mapping[str, str] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[str, Result], None] | None = None,
) -> dict[str, Result]:
    """Call planned plugins in order on one view; each result gets its provenance.

    Each result is added to the view as it is made, so later plugins see it,
    as a read-only copy (:func:`read_only`): a plugin cannot change another
    plugin's result. This runs in the calling process; projects run plugins
    in a contained child (:func:`analyse_trial`).

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
    on_start, on_result : callable or None
        Told the name of each plugin before it is called, and its result.

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
        if on_start is not None:
            on_start(name)
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
        if on_result is not None:
            on_result(name, result)
        view.add_result(name, read_only(result))
    return results


def read_only(result: Result) -> Result:
    """A copy of ``result`` whose arrays cannot be changed in place.

    The copy has its own containers (series, metrics, events, notes), so a
    plugin editing what it received changes neither the stored result nor
    what the next plugin sees; the arrays are shared but made read-only, so
    ``com -= com.mean(0)`` raises ``ValueError: output array is read-only``.
    """
    for series in result.series.values():
        series.values.flags.writeable = False
    return replace(
        result,
        series=dict(result.series),
        metrics=list(result.metrics),
        events=list(result.events),
        notes=list(result.notes),
        left_out=dict(result.left_out),
    )


def run_pipeline(
    project: Project,
    trial_ids: Iterable[str] | None = None,
    *,
    plugins: Iterable[str] | None = None,
    only_stale: bool = False,
    workers: int | None = None,
    config: PipelineConfig | None = None,
    limits: Limits | None = None,
    driver: TrialDriver | None = None,
) -> Iterator[RunEvent]:
    """Run the project's pipeline on trials, yielding one event per trial.

    The pipeline (``config``, else the project's saved one, else every
    built-in plugin) is saved in the project before running, so the numbers
    can be reproduced. Trials are analysed in ``workers`` parallel contained
    child processes (default: one per CPU); this process holds the writer
    lock and is the only one that writes. Closing the generator stops the
    running children and cancels the trials not yet started.

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
    limits : Limits or None
        Time per plugin and trial, and memory per child (None: defaults).
    driver : TrialDriver or None
        Analyse the trials elsewhere instead of in local children (``workers``
        is then unused): :func:`gaitlab.pipeline.distributed.on_cluster`
        gives one for a Dask cluster. This process still writes every result.

    Yields
    ------
    event : RunEvent
    """
    report = discover()
    config = config or project_pipeline(project, report)
    saved = config  # a plugin named only in ``plugins`` runs once, is not saved
    plugins = None if plugins is None else list(plugins)
    todo = list(plugins or ())
    while todo:  # plugins named for this run, and the plugins they need
        name = todo.pop()
        if config.step(name) is None and name in report.specs:
            config = config.with_params(name, {})
            todo += [n for need in report.specs[name].needs for n in need.results]
    plan = config.plan(report, only=plugins)  # refuses unknown plugins, cycles
    if trial_ids is None:
        ids = [t for t in project.trial_ids if not project.is_static(t)]
    else:
        ids = list(trial_ids)
        for trial_id in ids:
            project.record(trial_id)
    total = len(ids)
    limits = limits or Limits()
    with project._writer_lock():
        if project.settings.get("pipeline") != saved.to_json():
            project.set_setting("pipeline", saved.to_json())
        yield RunEvent("started", total=total)
        n_workers = max(1, min(workers or os.cpu_count() or 1, total))
        if n_workers > 1 or driver is not None:  # longest first: no long trial
            ids.sort(key=lambda t: -_trial_bytes(project, t))  # alone at the end
        finished: Iterable[FinishedTrial] = (
            driver(project, ids, plan, plugins, only_stale, limits)
            if driver is not None
            else _analyse_locally(
                project, ids, plan, plugins, only_stale, limits, n_workers
            )
        )
        for done, job in enumerate(finished, start=1):
            if job.ran and not job.error:
                _store(project, job)
            ran = [] if job.error else job.ran
            yield RunEvent(
                "trial",
                job.trial_id,
                done,
                total,
                {name: job.results[name].status for name in ran},
                {
                    name: job.results[name].message
                    for name in ran
                    if job.results[name].message
                },
                job.error,
                {
                    name: dict(job.results[name].left_out)
                    for name in ran
                    if job.results[name].left_out
                },
                {name: len(plan.spec(name).metrics) for name in ran},
            )
        yield RunEvent("finished", done=total, total=total)


def _analyse_locally(
    project: Project,
    trial_ids: list[str],
    plan: Plan,
    rerun: list[str] | None,
    only_stale: bool,
    limits: Limits,
    n_workers: int,
) -> Iterator[_TrialJob]:
    """Analyse trials in contained children, ``n_workers`` at a time.

    A batch of several trials has its children forked by a :class:`Zygote`
    where one is available, so that this process, which stores every
    result, does not share its memory with the running children.
    """
    with contextlib.ExitStack() as stack:
        zygote = None
        if len(trial_ids) > 1 and zygote_available():
            _preload()  # before the fork: the zygote's children inherit them
            zygote = stack.enter_context(
                Zygote(shared=(project, plan), protect=(project.path,))
            )
        jobs = (
            _TrialJob(project, trial_id, plan, rerun, only_stale, limits, zygote)
            for trial_id in trial_ids
        )
        yield from _drive(jobs, n_workers)


def _trial_bytes(project: Project, trial_id: str) -> int:
    """Size of a trial's file in bytes (0 if unreadable): its analysis time
    grows with it, so the batch starts the largest first."""
    try:
        return project._trial_path(trial_id).stat().st_size
    except OSError:
        return 0


def _store(project: Project, job: FinishedTrial) -> None:
    """Write a trial's new results over its stored ones (writer lock held)."""
    try:
        project.write_results(job.trial_id, _merged(project, job))
    except Exception as error:  # the trial's results could not be stored
        log.exception("results of trial %s could not be stored", job.trial_id)
        job.error = f"results not stored: {type(error).__name__}: {error}"


def _merged(project: Project, job: FinishedTrial) -> dict[str, PackedResult]:
    """The trial's stored results with the new ones in their place."""
    if job.stored <= set(job.results):  # every stored result was made again
        return dict(job.results)
    kept = project.load_packed_results(job.trial_id, skip=job.results)[1]
    return {**kept, **job.results}


# ------------------------------------------------------------ contained runs


class _TrialJob:
    """One trial analysed in contained children, seen from the parent.

    The child announces the plugins it will run and the stored results it
    found (``("plan", names, stored)``), then
    for each plugin ``("start", name)`` and ``("result", name, result)``, and
    ``("done",)``; or ``("error", text)`` when the trial cannot be analysed.
    Each message restarts the time limit. When the child dies or runs out of
    time in a plugin, that plugin fails with the reason and a fresh child
    runs the plugins left (those needing the failed one are then skipped).
    """

    def __init__(
        self,
        project: Project,
        trial_id: str,
        plan: Plan,
        rerun: Iterable[str] | None,
        only_stale: bool,
        limits: Limits,
        zygote: Zygote | None = None,
    ) -> None:
        self.project = project
        self.trial_id = trial_id
        self.plan = plan
        self.zygote = zygote
        self.rerun = None if rerun is None else list(rerun)
        self.only_stale = only_stale
        self.limits = limits
        self.ran: list[str] = []
        self.stored: set[str] = set()
        self.results: dict[str, PackedResult] = {}
        self.error = ""
        self.finished = False
        self.running: str | None = None
        self.child: Child | None = None
        self.deadline = math.inf

    def start(self, names: list[str] | None = None) -> None:
        """Start a child for the plugins ``names`` (None: the child decides)."""
        self.running = None
        self.child = Child(
            _trial_child,
            self._child_args(names),
            self.limits,
            protect=(self.project.path,),
            zygote=self.zygote,
        )
        self.deadline = time.monotonic() + self.limits.time_s

    def waitables(self) -> list[Any]:
        assert self.child is not None
        return [self.child.connection, self.child.sentinel]

    def step(self) -> None:
        """Take the child's messages; handle its end or its time-out."""
        child = self.child
        assert child is not None
        try:
            while not self.finished and child.connection.poll():
                self._handle(child.receive())
        except EOFError:
            pass  # the child is gone: see below
        except OSError as error:  # a message longer than the memory limit
            self._abnormal(f"sent a message that could not be read ({error})")
            return
        except Exception as error:  # a child that sends anything but results
            self._abnormal(
                f"sent data that is not a result ({type(error).__name__}: {error})"
            )
            return
        if self.finished:
            child.kill()
        elif not child.is_alive():
            self._abnormal(f"ended its process ({child.exit_reason()})")
        elif time.monotonic() >= self.deadline:
            self._abnormal(
                f"did not finish within its time limit of {self.limits.time_s:g} s "
                "and was stopped"
            )

    def stop(self) -> None:
        """Kill the child (cancelled, or the run was abandoned)."""
        if self.child is not None:
            self.child.kill()

    def _handle(self, message: Any) -> None:
        kind = message[0]
        self.deadline = time.monotonic() + self.limits.time_s
        if kind == "plan":
            if not self.ran:  # a child started again goes on with the first plan
                self.ran = [n for n in message[1] if n in self.plan.names]
                self.stored = {str(n) for n in message[2]}
        elif kind == "start" and message[1] in self.ran:
            self.running = message[1]
        elif kind == "result" and message[1] in self.ran:
            self.results[message[1]] = checked_packed(message[2])
            self.running = None
        elif kind == "done":
            self.finished = True
        elif kind == "error":
            self.error = str(message[1])
            self.finished = True
        else:
            raise ValueError(f"unexpected message {kind!r}")

    def _abnormal(self, what: str) -> None:
        """The child ended or hung: fail the running plugin, go on without it."""
        assert self.child is not None
        self.child.kill()
        name = self.running
        if name is None and not self.results:
            self.error = f"the analysis process {what} while loading the trial"
            self.finished = True
            return
        if name is None:  # between plugins: none to blame, run no more of them
            for left in self.ran:
                if left not in self.results:
                    failed = Result(
                        status="failed",
                        message=f"not run: the analysis process {what} after "
                        f"{list(self.results)[-1]} finished",
                    )
                    self.results[left] = self._with_provenance(left, failed)
            self.finished = True
            return
        log.info("plugin %s on trial %s %s", name, self.trial_id, what)
        failed = Result(status="failed", message=f"the plugin {what}")
        self.results[name] = self._with_provenance(name, failed)
        remaining = [n for n in self.ran if n not in self.results]
        if remaining:
            self.start(remaining)
        else:
            self.finished = True

    def _with_provenance(self, name: str, result: Result) -> PackedResult:
        spec = self.plan.spec(name)
        digests = expected_digests(self.plan, trial_state(self.project, self.trial_id))
        result.provenance = Provenance(
            plugin=name,
            plugin_version=spec.version,
            plugin_source=spec.source,
            parameters=dict(self.plan.params[name]),
            inputs_digest=digests[name],
            upstream={u: digests[u] for u in spec.upstream if u in digests},
            gaitlab_version=__version__,
            created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_s=0.0,
        )
        return pack(result)

    def _child_args(self, names: list[str] | None) -> tuple[Any, ...]:
        if child_context().get_start_method() == "fork":  # inherited, not pickled
            _preload()
            plan: Any = self.plan
        else:  # specs are found again by the child
            plan = (
                [(spec.name, spec.source) for spec in self.plan.specs],
                self.plan.params,
            )
        return (
            self.project,
            self.trial_id,
            plan,
            self.rerun,
            self.only_stale,
            names,
            self.results,
        )


@functools.cache
def _preload() -> None:
    """Import, once, the libraries gaitlab's analyses import on first use.

    Forked children inherit them; otherwise every trial's child would pay
    for importing ``scipy.signal`` (about 1 s) again.
    """
    for name in _PRELOAD:
        importlib.import_module(name)


_PRELOAD = ("scipy.signal", "scipy.ndimage", "scipy.interpolate")


def _drive(
    jobs: Iterable[_TrialJob],
    n_workers: int,
    is_cancelled: Callable[[], bool] | None = None,
) -> Iterator[_TrialJob]:
    """Run trial jobs, ``n_workers`` at a time; yield each when it is finished.

    A finished job's place is taken by the next job before the job is
    yielded, so the caller storing its results keeps no worker idle.
    """
    waiting = iter(jobs)
    active: list[_TrialJob] = []

    def fill() -> None:
        while len(active) < n_workers:
            job = next(waiting, None)
            if job is None:
                return
            job.start()
            active.append(job)

    try:
        fill()
        while active:
            now = time.monotonic()
            timeout = max(0.0, min(j.deadline for j in active) - now)
            if is_cancelled is not None:
                timeout = min(timeout, 0.2)
            wait([w for j in active for w in j.waitables()], timeout=timeout)
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("cancelled by the user")
            finished = []
            for job in list(active):
                job.step()
                if job.finished:
                    active.remove(job)
                    finished.append(job)
            fill()
            yield from finished
    finally:
        for job in active:
            job.stop()


def _trial_child(
    connection: Connection,
    project: Project,
    trial_id: str,
    plan: Plan | tuple[Any, ...],
    rerun: list[str] | None,
    only_stale: bool,
    names: list[str] | None,
    given: dict[str, PackedResult],
) -> None:
    """Child side of :class:`_TrialJob`: analyse one trial, send each result."""
    try:
        if not isinstance(plan, Plan):
            plan = _plan_from_payload(*plan)
        state = trial_state(project, trial_id)
        digests = expected_digests(plan, state)
        if names is None and (rerun is not None or only_stale):
            stored = project.load_results(trial_id)  # freshness reads provenance
            status = freshness(plan, state, stored)
            chosen = set(plan.names if rerun is None else rerun)
            names = [
                name
                for name in plan.names
                if status[name] != "fresh" or (name in chosen and not only_stale)
            ]
            stored_names = list(stored)
        else:  # every planned plugin runs (or those given): fresh or not
            names = list(plan.names) if names is None else names
            stored_names, stored = project.load_results_skipping(trial_id, names)
        send(connection, ("plan", names, stored_names))
        if names:
            trial = project.load_trial(trial_id)
            trial.label = project.record(trial_id).label
            known = {**stored, **{n: unpack(r) for n, r in given.items()}}
            view = TrialView(
                trial,
                marker_map=marker_map_for(project, trial.markers.labels),
                results={n: read_only(r) for n, r in known.items()},
                static=_static_view(project, state),
            )
            run_plugins(
                view,
                plan,
                names,
                digests=digests,
                on_start=lambda name: send(connection, ("start", name)),
                on_result=lambda name, result: send(
                    connection, ("result", name, pack(result))
                ),
            )
    except Exception as error:  # the trial as a whole could not be analysed
        log.exception("trial %s could not be analysed", trial_id)
        send(connection, ("error", f"{type(error).__name__}: {error}"))
        return
    send(connection, ("done",))


def _plan_from_payload(
    sources: list[tuple[str, str]], params: dict[str, dict[str, Any]]
) -> Plan:
    """The parent's plan, in a child that was not forked from it."""
    report = discover()
    specs = []
    for name, source in sources:
        spec = report.specs.get(name)
        if spec is None or spec.source != source:
            raise PluginError(
                f"plugin {name!r} ({source}) is no longer installed as it was when "
                "the run started"
            )
        specs.append(spec)
    return Plan(tuple(specs), params)


def static_trial_view(project: Project, static_id: str | None) -> TrialView | None:
    """The static trial ``static_id`` as the plugins see it (project marker settings).

    None when ``static_id`` is None (the trial has no static trial).
    """
    if static_id is None:
        return None
    trial: Trial = project.load_trial(static_id)
    trial.label = project.record(static_id).label
    return TrialView(trial, marker_map=marker_map_for(project, trial.markers.labels))


def _static_view(project: Project, state: TrialState) -> TrialView | None:
    return static_trial_view(
        project, state.static["trial_id"] if state.static else None
    )


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
        return None if view.has_landmark(name) else view.missing_message(name)
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
        if not isinstance(metric, Metric):
            return f"metrics must be Metric, got {type(metric).__name__}"
        problem = None if _plain_metric(metric) else _metric_problem(metric)
        if problem:
            return f"metric {metric.name!r}: {problem}"
        declared = declared_metrics.get(metric.name)
        if declared is None:
            return f"undeclared metric {metric.name!r}"
        if metric.unit and metric.unit not in (declared.unit, *declared.other_units):
            declared_units = " or ".join(
                repr(u) for u in (declared.unit, *declared.other_units)
            )
            return (
                f"metric {metric.name!r} in {metric.unit!r}, declared {declared_units}"
            )
        if declared.per_step != (metric.step is not None):
            which = "per step" if declared.per_step else "per trial"
            return f"metric {metric.name!r} is declared {which}"
    for name, series in result.series.items():
        unit = declared_series[name].unit
        if series.unit and series.unit != unit:
            return f"series {name!r} in {series.unit!r}, declared {unit!r}"
        if not (isinstance(series, Series) and isinstance(series.values, np.ndarray)):
            return f"series {name!r} is not a Series of an array"
        if series.values.dtype.kind not in "fiub" or series.values.ndim == 0:
            return f"series {name!r} is not a time-first array of numbers"
        if not (_is_number(series.rate_hz) and series.rate_hz > 0):
            return f"series {name!r} has no sampling rate"
        if not (math.isfinite(series.rate_hz) and _is_number(series.t0_s)):
            return f"series {name!r}: rate_hz and t0_s must be finite numbers"
        if not math.isfinite(series.t0_s):
            return f"series {name!r}: t0_s must be finite"
    for event in result.events:
        if not (_is_number(event.time_s) and math.isfinite(event.time_s)):
            return f"event {event.label!r} at time {event.time_s!r}: not a finite time"
    if result.events and not spec.produces_events:
        return "returned events but does not declare produces_events=True"
    if not isinstance(result.left_out, dict):
        return "left_out is not a dict of metric name to reason"
    for name, reason in result.left_out.items():
        if name not in declared_metrics:
            return f"left out undeclared metric {name!r}"
        if not (isinstance(reason, str) and reason):
            return f"left out {name!r} without a reason (text)"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )


def _exact_types(m: Any) -> bool:
    """True for a :class:`Metric` whose every field has exactly its type."""
    return (
        type(m) is Metric
        and type(m.name) is str
        and type(m.value) is float
        and type(m.unit) is str
        and type(m.side) is str
        and (m.step is None or type(m.step) is int)
        and (m.time_s is None or type(m.time_s) is float)
        and type(m.status) is str
        and type(m.message) is str
    )


def _plain_metric(metric: Metric) -> bool:
    """True for a metric as ``Result.add_metric`` makes it: every field of
    exactly its type and an allowed value (a quick pass for the thousands of
    metrics of a long trial; any other goes through :func:`_metric_problem`)."""
    return (
        _exact_types(metric)
        and metric.status in _STATUS_SET
        and metric.side in _SIDE_SET
        and (metric.time_s is None or math.isfinite(metric.time_s))
        and (metric.step is None or -MAX_STEP <= metric.step <= MAX_STEP)
    )


_STATUS_SET = frozenset(METRIC_STATUSES)
_SIDE_SET = frozenset(("", "Left", "Right"))


def _metric_problem(metric: Metric) -> str | None:
    """Why a metric cannot be stored as it is (None when it can)."""
    if not _is_number(metric.value):
        return f"value {metric.value!r} is not a number"
    if metric.status not in METRIC_STATUSES:
        return f"status {metric.status!r} is not one of {', '.join(METRIC_STATUSES)}"
    if metric.side not in ("", "Left", "Right"):
        return f"side {metric.side!r} is not 'Left', 'Right' or ''"
    if metric.step is not None and not isinstance(metric.step, int | np.integer):
        return f"step {metric.step!r} is not a whole number"
    if metric.step is not None and abs(int(metric.step)) > MAX_STEP:
        return f"step {metric.step!r} is beyond ±2**53"
    if metric.time_s is not None and not (
        _is_number(metric.time_s) and math.isfinite(metric.time_s)
    ):
        return f"time_s {metric.time_s!r} is not a finite time"
    if not isinstance(metric.message, str):
        return "message is not text"
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
