"""The @plugin declaration: parameters, needs and outputs are checked when declared."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest

from gaitlab.api import MetricSpec, Param, Result, SeriesSpec, plugin
from gaitlab.pipeline.spec import Need, PluginError, resolve_parameters


def _declared(**kwargs):
    @plugin(name="demo_plugin", version="1.2.3", **kwargs)
    def demo(
        trial,
        ctx,
        *,
        cutoff: Annotated[
            float, Param(min=1, max=50, unit="Hz", doc="low-pass")
        ] = 12.0,
        mode: Literal["fast", "exact"] = "exact",
        passes: int = 2,
        strict: bool = False,
    ) -> Result:
        """Demo plugin."""
        return Result()

    return demo.__gaitlab_plugin__


def test_parameters_are_read_from_the_signature() -> None:
    spec = _declared(needs=("forceplates", "landmark:c7|landmark:clavicle"))
    cutoff, mode, passes, strict = spec.params
    assert (cutoff.name, cutoff.type, cutoff.default) == ("cutoff", float, 12.0)
    assert (cutoff.min, cutoff.max, cutoff.unit, cutoff.doc) == (
        1,
        50,
        "Hz",
        "low-pass",
    )
    assert mode.choices == ("fast", "exact")
    assert mode.type is str
    assert passes.type is int
    assert strict.type is bool
    assert spec.description == "Demo plugin."
    assert spec.needs[1].alternatives == (("landmark", "c7"), ("landmark", "clavicle"))


def test_resolve_parameters_checks_values_and_names() -> None:
    spec = _declared()
    assert resolve_parameters(spec, {"cutoff": 20}) == {
        "cutoff": 20.0,
        "mode": "exact",
        "passes": 2,
        "strict": False,
    }
    with pytest.raises(PluginError, match="above its maximum 50"):
        resolve_parameters(spec, {"cutoff": 80.0})
    with pytest.raises(PluginError, match="not one of: 'fast', 'exact'"):
        resolve_parameters(spec, {"mode": "slow"})
    with pytest.raises(PluginError, match="whole number"):
        resolve_parameters(spec, {"passes": 2.5})
    with pytest.raises(PluginError, match="true or false"):
        resolve_parameters(spec, {"strict": 1})
    with pytest.raises(
        PluginError, match="has no parameter order; its parameters are: cutoff"
    ):
        resolve_parameters(spec, {"order": 4})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(trial, ctx, *args) -> Result: ...", "args and \\*\\*kwargs"),
        ("def f(trial, ctx, *, x: float) -> Result: ...", "needs a default"),
        ("def f(trial, ctx, *, x: list = []) -> Result: ...", "must be typed"),
        ("def f(trial, *, x: int = 1) -> Result: ...", "signature must be"),
        (
            "def f(trial, ctx, *, x: Annotated[int, Param(min=5)] = 1) -> Result: ...",
            "below its minimum",
        ),
    ],
)
def test_bad_signatures_are_refused_at_declaration(source: str, message: str) -> None:
    namespace = {"Result": Result, "Annotated": Annotated, "Param": Param}
    exec(source, namespace)
    with pytest.raises(PluginError, match=message):
        plugin(name="bad", version="1.0.0")(namespace["f"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Bad-Name", "version": "1.0.0"}, "lowercase letters"),
        ({"name": "ok", "version": "v1"}, "MAJOR.MINOR.PATCH"),
        (
            {"name": "ok", "version": "1.0.0", "needs": ("marker:c7",)},
            "unknown kind 'marker'",
        ),
        ({"name": "ok", "version": "1.0.0", "needs": ("result",)}, "needs a name"),
        (
            {"name": "ok", "version": "1.0.0", "optional": ("landmark:c7",)},
            "must be 'result:",
        ),
        (
            {
                "name": "ok",
                "version": "1.0.0",
                "metrics": (MetricSpec("a", "s"), MetricSpec("a", "s")),
            },
            "declared twice",
        ),
        (
            {"name": "ok", "version": "1.0.0", "series": (MetricSpec("a", "s"),)},
            "must be SeriesSpec",
        ),
    ],
)
def test_bad_declarations_are_refused(kwargs: dict, message: str) -> None:
    def f(trial, ctx) -> Result:
        return Result()

    with pytest.raises(PluginError, match=message):
        plugin(**kwargs)(f)


def test_upstream_lists_required_and_optional_results() -> None:
    spec = _declared(
        needs=("result:gait_events", "forceplates|result:center_of_mass"),
        optional=("result:body_mass",),
        series=(SeriesSpec("x", "m"),),
    )
    assert spec.upstream == ("gait_events", "center_of_mass", "body_mass")
    assert Need.parse("markers").alternatives == (("markers", ""),)
