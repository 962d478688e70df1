"""Helpers for testing analysis plugins, ours and researchers' alike.

:func:`run_plugin` calls one plugin function on a trial with upstream results
you make up (no installation, no discovery, no project): the way to test a
plugin's own arithmetic. :func:`analyse_file` runs installed plugins on a C3D
file in memory, exactly as the project runner does (same checks, same order,
same parameters), without a project. Synthetic trials with known answers
are written as real C3D files, into any folder (created if needed), in any
lab frame (``up``, ``forward``): :func:`write_running_trial` (a runner on a
treadmill or overground, with plates), :func:`write_standing_trial` (a
static trial) and :func:`write_drill_trial` (the lean-and-fall drill), from
:mod:`gaitlab.synth`; each returns the file's path and truths::

    from gaitlab.testing import analyse_file, write_running_trial

    run = write_running_trial(tmp_path / "trials" / "run.c3d", speed=4.0)
    results = analyse_file(run.path, plugins=["gait_events"])
    contact = results["gait_events"].metric_values(...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.core.errors import PluginError
from gaitlab.core.results import Result
from gaitlab.core.trial import AnalogSet, MarkerSet, Trial
from gaitlab.pipeline.config import PipelineConfig, PipelineStep, Plan
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import read_only, run_plugins
from gaitlab.pipeline.spec import PluginSpec, resolve_parameters
from gaitlab.pipeline.view import TrialView
from gaitlab.synth.drill import make_drill_trial as write_drill_trial
from gaitlab.synth.running import make_running_trial as write_running_trial
from gaitlab.synth.running import make_static_trial as write_standing_trial

__all__ = [
    "analyse_file",
    "analyse_trial_object",
    "blank_trial",
    "plugin_spec",
    "run_plugin",
    "write_drill_trial",
    "write_running_trial",
    "write_standing_trial",
]


def blank_trial(
    duration_s: float = 1.0,
    point_rate_hz: float = 100.0,
    analog_rate_hz: float = 1000.0,
) -> Trial:
    """A trial with no markers, no analog channels and no plates, for a plugin
    that reads only upstream results.

    Parameters
    ----------
    duration_s : float
        Length of the capture, s.
    point_rate_hz, analog_rate_hz : float
        Marker and analog sampling rates, Hz.

    Examples
    --------
    >>> blank_trial(2.0).markers.data.shape
    (200, 0, 3)
    """
    n_points = round(duration_s * point_rate_hz)
    n_analog = round(duration_s * analog_rate_hz)
    return Trial(
        MarkerSet(np.zeros((n_points, 0, 3)), (), point_rate_hz),
        AnalogSet(np.zeros((n_analog, 0)), (), (), analog_rate_hz),
    )


def plugin_spec(plugin: Callable[..., Any]) -> PluginSpec:
    """The declaration a ``@plugin`` decorator attached to a function.

    Raises
    ------
    PluginError
        The function is not decorated with :func:`gaitlab.api.plugin`.
    """
    spec = getattr(plugin, "__gaitlab_plugin__", None)
    if not isinstance(spec, PluginSpec):
        raise PluginError(
            f"{getattr(plugin, '__name__', plugin)!r} is not a plugin: decorate it "
            "with @plugin(name=..., version=...) from gaitlab.api"
        )
    return spec


def run_plugin(
    plugin: Callable[..., Any],
    trial: Trial,
    *,
    upstream: Mapping[str, Result] | None = None,
    params: Mapping[str, Any] | None = None,
    static: Trial | None = None,
) -> Result:
    """Call one plugin on a trial, with upstream results made up by the test.

    The plugin function is called as the runner calls it: its needs are
    checked (a missing input gives a ``skipped`` result, as in a project),
    its parameters are completed with their defaults and checked against
    their declared types and limits, and what it returns is validated
    against its declaration (units, names, statuses). The plugin does not
    need to be installed or on ``GAITLAB_PLUGIN_PATH``.

    Parameters
    ----------
    plugin : callable
        The ``@plugin``-decorated function (import it from your plugin file).
    trial : Trial
        The trial (e.g. ``gaitlab.io.read_trial(path)`` of a file written by
        :mod:`gaitlab.synth`).
    upstream : mapping of str to Result, optional
        Results of the plugins it needs, by plugin name (``result:<name>``
        needs), e.g. a ``Result`` holding made-up contacts or a COM series.
    params : mapping, optional
        Parameter values (the others take their defaults).
    static : Trial, optional
        The subject's standing trial.

    Returns
    -------
    result : Result
        With its provenance filled in, as stored in a project.

    Examples
    --------
    >>> import numpy as np
    >>> from gaitlab.api import MetricSpec, Result, plugin
    >>> @plugin(name="doubled", version="1.0.0", needs=["result:source"],
    ...         metrics=[MetricSpec("twice", "m", per_step=False)])
    ... def doubled(trial, ctx, *, factor: float = 2.0):
    ...     result = Result()
    ...     value = trial.result("source").metric_values("length")[0]
    ...     result.add_metric("twice", factor * value)
    ...     return result
    >>> source = Result()
    >>> source.add_metric("length", 0.5)
    >>> run_plugin(doubled, blank_trial(), upstream={"source": source}).metric_values(
    ...     "twice")
    array([1.])
    """
    spec = plugin_spec(plugin)
    plan = Plan(
        specs=(spec,), params={spec.name: resolve_parameters(spec, params or {})}
    )
    view = TrialView(trial, static=None if static is None else TrialView(static))
    for name, result in (upstream or {}).items():
        view.add_result(name, read_only(result))
    return run_plugins(view, plan, [spec.name])[spec.name]


def analyse_trial_object(
    trial: Trial,
    *,
    plugins: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    static: Trial | None = None,
) -> dict[str, Result]:
    """Run plugins (and the plugins they need) on a trial held in memory.

    Parameters
    ----------
    trial : Trial
        The trial (``gaitlab.read_c3d`` or a project's ``load_trial``).
    plugins : iterable of str or None
        Plugins to run, with their upstream plugins; None: every built-in.
    params : mapping or None
        Parameter overrides by plugin name: ``{"gait_events": {"threshold_n": 50}}``.
    static : Trial or None
        The subject's static (standing) trial.

    Returns
    -------
    results : dict of str to Result
        By plugin name, including the upstream plugins that ran.
    """
    report = discover()
    params = dict(params or {})
    config = PipelineConfig.default(report)
    extra = [name for name in params if config.step(name) is None]
    config = PipelineConfig(
        [PipelineStep(s.plugin, dict(params.get(s.plugin, {}))) for s in config.steps]
        + [PipelineStep(name, dict(params[name])) for name in extra]
        + [
            PipelineStep(name)
            for name in (plugins or ())
            if config.step(name) is None and name not in params
        ]
    )
    plan = config.plan(report, only=None if plugins is None else list(plugins))
    static_view = TrialView(static) if static is not None else None
    view = TrialView(trial, static=static_view)
    return run_plugins(view, plan, plan.names)


def analyse_file(
    path: str | Path,
    *,
    plugins: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    static: str | Path | None = None,
) -> dict[str, Result]:
    """Read a file and run plugins on it in memory (see :func:`analyse_trial_object`).

    Any format the reader registry knows (:mod:`gaitlab.io.readers`), read in
    this process (a test wants its tracebacks here).

    Examples
    --------
    >>> results = analyse_file("data/demo_treadmill_run.c3d", plugins=["gait_events"])  # doctest: +SKIP
    >>> results["gait_events"].status  # doctest: +SKIP
    'ok'
    """
    from gaitlab.io.readers import read_trial_in_process

    trial = read_trial_in_process(path)
    trial.label = Path(path).stem
    static_trial = None
    if static is not None:
        static_trial = read_trial_in_process(static)
        static_trial.label = Path(static).stem
    return analyse_trial_object(
        trial, plugins=plugins, params=params, static=static_trial
    )
