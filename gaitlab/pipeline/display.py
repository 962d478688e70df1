"""What the plugins declare about showing their outputs, read in one place.

The demo's printout, the app's metrics table and the report all show a
trial's *headline* metrics first: those a plugin declares with
``MetricSpec(headline=True)``, in the order of the pipeline, then of the
declarations. No view keeps its own list of plugin names.
"""

from __future__ import annotations

from collections.abc import Iterable

from gaitlab.core.results import MetricSpec
from gaitlab.pipeline.discovery import DiscoveryReport
from gaitlab.pipeline.runner import project_pipeline
from gaitlab.pipeline.spec import PluginSpec
from gaitlab.store.project import Project

__all__ = ["headline_metrics", "pipeline_specs"]


def headline_metrics(specs: Iterable[PluginSpec]) -> tuple[MetricSpec, ...]:
    """The metrics declared ``headline=True``, in the order of ``specs``.

    Parameters
    ----------
    specs : iterable of PluginSpec
        Plugin declarations in the order to list them (pipeline order).

    Returns
    -------
    metrics : tuple of MetricSpec
        Their headline metrics, each plugin's in declaration order.

    Examples
    --------
    >>> from gaitlab.pipeline.spec import plugin
    >>> from gaitlab.core.results import MetricSpec
    >>> @plugin(name="demo_plugin", version="1.0.0", metrics=[
    ...     MetricSpec("speed", "m/s", headline=True), MetricSpec("noise", "1")])
    ... def demo_plugin(trial, ctx):
    ...     pass
    >>> [m.name for m in headline_metrics([demo_plugin.__gaitlab_plugin__])]
    ['speed']
    """
    return tuple(metric for spec in specs for metric in spec.metrics if metric.headline)


def pipeline_specs(project: Project, report: DiscoveryReport) -> tuple[PluginSpec, ...]:
    """Declarations of the project's pipeline plugins installed here, in its order.

    Parameters
    ----------
    project : Project
        The project (its saved pipeline, or the default one).
    report : DiscoveryReport
        The plugins installed here.

    Returns
    -------
    specs : tuple of PluginSpec
        One per planned plugin that is installed; the others are left out.
    """
    names = [
        step.plugin for step in project_pipeline(project, report).steps if step.enabled
    ]
    return tuple(report.specs[name] for name in names if name in report.specs)
