"""Helpers for testing analysis plugins, ours and researchers' alike.

:func:`analyse_file` runs plugins on a C3D file in memory, exactly as the
project runner does (same checks, same order, same parameters), without a
project. Combine it with :mod:`gaitlab.synth`, whose synthetic runners carry
their known answers::

    from gaitlab.synth.running import make_running_trial
    from gaitlab.testing import analyse_file

    run = make_running_trial(tmp_path / "run.c3d")
    results = analyse_file(run.path, plugins=["gait_events"])
    contact = results["gait_events"].metric_values(...)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gaitlab.core.results import Result
from gaitlab.core.trial import Trial
from gaitlab.pipeline.config import PipelineConfig, PipelineStep
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import run_plugins
from gaitlab.pipeline.view import TrialView

__all__ = ["analyse_file", "analyse_trial_object"]


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
    """Read a C3D file and run plugins on it in memory (see :func:`analyse_trial_object`).

    Examples
    --------
    >>> results = analyse_file("data/demo_treadmill_run.c3d", plugins=["gait_events"])  # doctest: +SKIP
    >>> results["gait_events"].status  # doctest: +SKIP
    'ok'
    """
    from gaitlab.io.c3d import read_c3d

    trial = read_c3d(path)
    trial.label = Path(path).stem
    static_trial = None
    if static is not None:
        static_trial = read_c3d(static)
        static_trial.label = Path(static).stem
    return analyse_trial_object(
        trial, plugins=plugins, params=params, static=static_trial
    )
