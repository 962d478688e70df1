"""The plot model without Qt: result plots built from the plugins' declarations.

No test here uses qtbot or a QApplication; the module is checked not to import
PySide6 or pyqtgraph.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gaitlab.core.results import Result, SeriesSpec
from gaitlab.gui.views.plot_model import (
    FORMER_PLOT_KEYS,
    SagittalFrame,
    result_plots,
)
from gaitlab.pipeline.spec import PluginSpec
from gaitlab.session import LoadedTrial

RATE_HZ = 100.0
N = 50

# lab frame of the made-up trial: Z up, running along -Y, so AP = -Y, ML = -X
FRAME = SagittalFrame(
    up=np.array([0.0, 0.0, 1.0]),
    forward=np.array([0.0, -1.0, 0.0]),
    right=np.array([-1.0, 0.0, 0.0]),
    view=None,  # type: ignore[arg-type]  (result_plots does not read it)
    method="test",
)


def plugin(name: str, *series: SeriesSpec) -> PluginSpec:
    """A third-party plugin's declaration (its function is never called here)."""
    return PluginSpec(
        name, "1.0", name, "test", "", lambda view: Result(), (), (), (), series, ()
    )


def loaded(
    specs: dict[str, PluginSpec],
    results: dict[str, Result],
    freshness: dict[str, str] | None = None,
) -> LoadedTrial:
    return LoadedTrial(
        "t",
        None,  # type: ignore[arg-type]  (result_plots does not read the trial)
        results,
        freshness or {},
        specs=specs,
    )


def ok(**series: np.ndarray) -> Result:
    result = Result()
    for name, values in series.items():
        result.add_series(name, values, rate_hz=RATE_HZ, t0_s=0.5)
    return result


def test_plot_model_imports_no_qt():
    code = (
        "import sys, gaitlab.gui.views.plot_model; "
        "bad = {'PySide6', 'pyqtgraph'} & set(sys.modules); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_third_party_series_are_plotted_from_their_declarations():
    wave = np.sin(np.linspace(0, 3, N))
    specs = {
        "knee": plugin(
            "knee",
            SeriesSpec(
                "knee_flexion",
                "deg",
                label="knee",
                plot="Joint angles",
                colour="#112233",
            ),
            SeriesSpec("hip_flexion", "deg", plot="Joint angles", visible=False),
            SeriesSpec("helper", "deg"),  # no plot: not in the default layout
        ),
        "ankle": plugin(
            "ankle",
            SeriesSpec("ankle_angle", "deg", label="ankle", plot="Joint angles"),
        ),
    }
    results = {
        "ankle": ok(ankle_angle=wave * 3),
        "knee": ok(knee_flexion=wave, hip_flexion=wave * 2, helper=wave),
    }
    # pipeline order (freshness = the planned plugins) decides: knee, then ankle
    plots = result_plots(
        loaded(specs, results, {"knee": "fresh", "ankle": "fresh"}), FRAME
    )
    assert [p.key for p in plots] == ["Joint angles"]
    (joint,) = plots
    assert joint.title == "Joint angles"
    assert joint.unit == "deg"
    assert joint.note == ""
    assert [c.name for c in joint.curves] == ["knee", "hip_flexion", "ankle"]
    knee, hip, ankle = joint.curves
    assert knee.colour == "#112233"
    assert hip.colour.startswith("#")
    assert hip.colour != knee.colour
    assert (knee.visible, hip.visible, ankle.visible) == (True, False, True)
    np.testing.assert_allclose(ankle.values, wave * 3, atol=1e-6)
    np.testing.assert_allclose(knee.time, 0.5 + np.arange(N) / RATE_HZ)


def test_position_series_gives_one_plot_per_sagittal_component():
    positions = np.column_stack(
        [np.full(N, 0.2), np.linspace(0, -1, N), np.full(N, 0.9)]
    )  # lab X, Y, Z in m
    specs = {
        "marker_com": plugin(
            "marker_com",
            SeriesSpec(
                "com", "m", plot="Marker COM", components=("vertical", "ap", "ml")
            ),
        )
    }
    plots = result_plots(loaded(specs, {"marker_com": ok(com=positions)}), FRAME)
    assert [p.title for p in plots] == [
        "Marker COM, vertical",
        "Marker COM, anteroposterior (lab position)",
        "Marker COM, mediolateral",
    ]
    assert [p.axis for p in plots] == ["Vertical", "AP", "ML"]
    vertical, ap, ml = (p.curves[0].values for p in plots)
    np.testing.assert_allclose(vertical, 0.9, atol=1e-6)
    np.testing.assert_allclose(ap, np.linspace(0, 1, N), atol=1e-6)  # AP = -Y
    np.testing.assert_allclose(ml, -0.2, atol=1e-6)  # ML = -X


@pytest.mark.parametrize(
    ("results", "note"),
    [
        ({}, "no joint angles: run the pipeline (knee)"),
        (
            {"knee": Result(status="failed", message="no markers")},
            "no joint angles: knee failed (no markers)",
        ),
        ({"knee": Result()}, "no joint angles: knee did not produce it"),
    ],
)
def test_missing_results_leave_a_note(results, note):
    specs = {
        "knee": plugin("knee", SeriesSpec("knee_flexion", "deg", plot="Joint angles"))
    }
    (plot,) = result_plots(loaded(specs, results), FRAME)
    assert plot.curves == ()
    assert plot.note == note


def test_result_of_a_plugin_not_installed_is_not_in_the_default_layout():
    assert result_plots(loaded({}, {"gone": ok(x=np.zeros(N))}), FRAME) == ()


def test_built_in_plugins_declare_the_former_result_plots():
    from gaitlab.pipeline.discovery import discover

    specs = discover().specs
    declared = {
        title
        for name in ("center_of_mass", "lean")
        for s in specs[name].series
        if s.plot
        for title in (
            [f"{s.plot}, {c}" for c in ("vertical", "anteroposterior (lab position)")]
            if s.components
            else [s.plot]
        )
    }
    assert set(FORMER_PLOT_KEYS.values()) <= declared


def test_envelope_strokes_cover_each_block_and_join_their_neighbours():
    from gaitlab.gui.views.plot_model import Curve

    rng = np.random.default_rng(3)
    values = np.cumsum(rng.normal(0.0, 1.0, 4096))
    values[1000:1300] = np.nan  # a gap (a flight phase of the COP)
    curve = Curve("c", np.arange(4096) / 1000.0, values, 0.0, 1000.0, "#000")
    for block, (times, strokes) in curve.envelopes.items():
        low, high = strokes[0::2], strokes[1::2]
        assert np.array_equal(times[0::2], times[1::2])  # vertical strokes
        n_blocks = len(low)
        blocks = values[: n_blocks * block].reshape(n_blocks, block)
        seen = ~np.isnan(blocks).all(axis=1)
        # each stroke spans its block's samples (float32, as drawn)
        with np.errstate(invalid="ignore"):
            true_low = np.nanmin(np.where(seen[:, None], blocks, 0.0), axis=1)
            true_high = np.nanmax(np.where(seen[:, None], blocks, 0.0), axis=1)
        assert np.all(low[seen] <= true_low[seen].astype(np.float32))
        assert np.all(high[seen] >= true_high[seen].astype(np.float32))
        # a block with no sample draws nothing
        assert np.isnan(low[~seen]).all()
        assert np.isnan(high[~seen]).all()
        # consecutive strokes with samples overlap: the line is unbroken
        both = seen[1:] & seen[:-1]
        assert np.all(low[1:][both] <= high[:-1][both])
        assert np.all(high[1:][both] >= low[:-1][both])
