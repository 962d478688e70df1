"""Pipeline settings: which plugins run, with which parameters, in which order.

The settings live in the project (``Project.settings["pipeline"]``), so the
same project gives the same numbers on another machine with the same plugin
versions. Order comes from the plugins' ``result:`` needs
(``graphlib.TopologicalSorter``); a missing provider or a cycle is an error
before anything runs.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gaitlab.pipeline.discovery import DiscoveryReport
from gaitlab.pipeline.spec import PluginError, PluginSpec, resolve_parameters

__all__ = ["PipelineConfig", "PipelineStep", "Plan"]


@dataclass(frozen=True)
class PipelineStep:
    """One plugin in the pipeline.

    Attributes
    ----------
    plugin : str
        Plugin name.
    params : dict
        Parameters that differ from the plugin's defaults.
    enabled : bool
        False keeps the step in the settings without running it.
    """

    plugin: str
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Plan:
    """Resolved pipeline: specs in run order and their full parameters.

    Attributes
    ----------
    specs : tuple of PluginSpec
        Plugins in dependency order.
    params : dict of str to dict
        Parameters of each plugin (defaults filled in, checked).
    left_out : dict of str to str
        Enabled steps of the pipeline that cannot run here, and why: a plugin
        not installed on this machine (a colleague's), or one needing such a
        plugin. The others run; their stored results are kept as they are.
    """

    specs: tuple[PluginSpec, ...]
    params: dict[str, dict[str, Any]]
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """Plugin names in run order."""
        return tuple(spec.name for spec in self.specs)

    def spec(self, name: str) -> PluginSpec:
        """The spec of one planned plugin."""
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(f"plugin {name!r} is not in the pipeline")

    def downstream(self, names: Iterable[str]) -> set[str]:
        """The given plugins and every planned plugin that depends on them."""
        affected = set(names)
        for spec in self.specs:
            if affected.intersection(spec.upstream):
                affected.add(spec.name)
        return affected


@dataclass
class PipelineConfig:
    """The project's pipeline: ordered steps with parameter overrides.

    Examples
    --------
    >>> config = PipelineConfig([PipelineStep("gait_events", {"threshold_n": 30.0})])
    >>> PipelineConfig.from_json(config.to_json()) == config
    True
    """

    steps: list[PipelineStep] = field(default_factory=list)

    @classmethod
    def default(cls, report: DiscoveryReport) -> PipelineConfig:
        """Every built-in plugin with its default parameters."""
        return cls(
            [
                PipelineStep(name)
                for name, spec in report.specs.items()
                if spec.source.startswith("builtin:")
            ]
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PipelineConfig:
        """Read the JSON-able form written by :meth:`to_json`."""
        return cls(
            [
                PipelineStep(
                    str(step["plugin"]),
                    dict(step.get("params", {})),
                    bool(step.get("enabled", True)),
                )
                for step in data.get("steps", [])
            ]
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (stored in the project settings)."""
        return {
            "steps": [
                {"plugin": s.plugin, "params": dict(s.params), "enabled": s.enabled}
                for s in self.steps
            ]
        }

    def step(self, name: str) -> PipelineStep | None:
        """The step of one plugin, or None."""
        return next((s for s in self.steps if s.plugin == name), None)

    def with_params(self, name: str, params: Mapping[str, Any]) -> PipelineConfig:
        """A copy with one step's parameter overrides replaced (step added if new)."""
        steps = [
            PipelineStep(s.plugin, dict(params), s.enabled) if s.plugin == name else s
            for s in self.steps
        ]
        if self.step(name) is None:
            steps.append(PipelineStep(name, dict(params)))
        return PipelineConfig(steps)

    def plan(self, report: DiscoveryReport, only: Iterable[str] | None = None) -> Plan:
        """Check the pipeline against the discovered plugins and order it.

        Parameters
        ----------
        report : DiscoveryReport
            Discovered plugins.
        only : iterable of str or None
            Restrict to these plugins plus everything they need (upstream
            plugins are included so the chosen ones can run).

        Raises
        ------
        PluginError
            Unknown plugin, bad parameter, a ``result:`` need no step
            provides, or a dependency cycle.
        """
        enabled = {s.plugin: s for s in self.steps if s.enabled}
        left_out = _not_runnable(enabled, report)
        for name in only or ():
            if name in left_out:
                raise PluginError(f"plugin {name!r} cannot run here: {left_out[name]}")
        enabled = {n: s for n, s in enabled.items() if n not in left_out}
        selected = set(enabled) if only is None else set(only)
        for name in selected:
            if name not in enabled:
                raise PluginError(
                    f"plugin {name!r} is not an enabled step of this project's "
                    f"pipeline; steps: {', '.join(enabled) or '(none)'}"
                )
        wanted = _with_upstream(selected, enabled, report)
        graph = {
            name: {u for u in report.specs[name].upstream if u in wanted}
            for name in wanted
        }
        order_hint = list(enabled)
        try:
            sorter = graphlib.TopologicalSorter(graph)
            sorter.prepare()
        except graphlib.CycleError as error:
            raise PluginError(
                f"plugins depend on each other in a cycle: {' -> '.join(error.args[1])}"
            ) from None
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=order_hint.index)
            ordered += ready
            sorter.done(*ready)
        specs = tuple(report.specs[name] for name in ordered)
        params = {
            spec.name: _checked_params(spec, enabled[spec.name].params)
            for spec in specs
        }
        return Plan(specs, params, left_out)


def _not_runnable(
    enabled: Mapping[str, PipelineStep], report: DiscoveryReport
) -> dict[str, str]:
    """Enabled plugins not installed here, and those that need one of them."""
    left_out: dict[str, str] = {}
    broken = [f for f in report.failures if f.builtin]
    for name in enabled:
        if name not in report.specs and broken:  # gaitlab itself is incomplete
            failed = "; ".join(f"{f.source}: {f.error}" for f in broken)
            raise PluginError(
                f"the pipeline uses plugin {name!r}, which is not installed; "
                f"load failures: {failed}"
            )
        if name not in report.specs:
            left_out[name] = report.missing_reason(name)
    changed = True
    while changed:  # a plugin needing a left-out one cannot run either
        changed = False
        for name in enabled:
            if name in left_out:
                continue
            for need in report.specs[name].needs:
                gone = [n for n in need.results if n in left_out]
                if gone and len(gone) == len(need.alternatives):
                    left_out[name] = f"it needs {gone[0]!r}, which cannot run here"
                    changed = True
                    break
    return left_out


def _with_upstream(
    selected: set[str], enabled: Mapping[str, PipelineStep], report: DiscoveryReport
) -> set[str]:
    """``selected`` plus, recursively, the plugins their required needs name."""
    wanted: set[str] = set()
    todo = list(selected)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        spec = report.specs[name]
        for need in spec.needs:
            providers = [n for n in need.results if n in enabled]
            if (
                need.results
                and not providers
                and len(need.alternatives) == len(need.results)
            ):
                raise PluginError(
                    f"plugin {name!r} needs {need.text!r}, but no enabled step of "
                    "the pipeline provides it"
                )
            todo += providers
        todo += [n for n in spec.optional if n in enabled]
    return wanted


def _checked_params(spec: PluginSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return resolve_parameters(spec, params)
    except PluginError as error:
        raise PluginError(f"pipeline step {spec.name!r}: {error}") from None
