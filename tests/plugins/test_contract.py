"""Contract of every discovered built-in plugin (run automatically for new ones)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.discovery import builtin_plugin_folder, discover
from gaitlab.store._resultfile import read_results_file, write_results_file
from gaitlab.testing import analyse_trial_object

BUILTIN = sorted(
    n for n, s in discover().specs.items() if s.source.startswith("builtin:")
)
ALLOWED_IMPORTS = {"gaitlab.api", "numpy", "scipy", "__future__"}


@pytest.fixture(scope="module")
def demo_results(
    demo_files: list[Path],
) -> dict[str, tuple[dict[str, Result], dict[str, Result]]]:
    """Every built-in plugin on every demo running trial, twice (for determinism)."""
    static_file = next((f for f in demo_files if "static" in f.name), None)
    static = read_c3d(static_file) if static_file else None
    runs = {}
    for path in demo_files:
        if "static" in path.name:
            continue
        trial = read_c3d(path)
        before = trial.markers.data.copy(), [p.force.copy() for p in trial.forceplates]
        first = analyse_trial_object(trial, static=static)
        second = analyse_trial_object(read_c3d(path), static=static)
        np.testing.assert_array_equal(trial.markers.data, before[0])
        for plate, force in zip(trial.forceplates, before[1], strict=True):
            np.testing.assert_array_equal(plate.force, force)
        runs[path.name] = (first, second)
    return runs


def test_builtin_discovery_has_no_failures() -> None:
    report = discover()
    assert not report.failures, [f"{f.source}: {f.error}" for f in report.failures]
    assert len(BUILTIN) >= 2


@pytest.mark.parametrize("name", BUILTIN)
def test_plugin_imports_only_the_public_api(name: str) -> None:
    spec = discover().get(name)
    tree = ast.parse(Path(spec.module_file).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            root = module.split(".")[0]
            assert (
                module in ALLOWED_IMPORTS
                or root in ALLOWED_IMPORTS
                or (root in sys.stdlib_module_names and root != "gaitlab")
            ), f"{spec.module_file}: imports {module}; plugins import gaitlab.api only"
    assert Path(spec.module_file).parent == builtin_plugin_folder()


@pytest.mark.parametrize("name", BUILTIN)
def test_plugin_declaration_is_complete(name: str) -> None:
    spec = discover().get(name)
    assert spec.description
    assert spec.title
    assert spec.category
    for output in (*spec.series, *spec.metrics):
        assert output.unit, f"{name}.{output.name} has no unit"
        assert len(output.description) > 15, f"{name}.{output.name} has no definition"
    for param in spec.params:
        assert param.doc or param.choices or param.type is bool, f"{name}.{param.name}"


@pytest.mark.parametrize("name", BUILTIN)
def test_plugin_runs_on_every_demo_trial(name: str, demo_results: dict) -> None:
    spec = discover().get(name)
    statuses = {}
    for trial_name, (first, second) in demo_results.items():
        result = first[name]
        statuses[trial_name] = result.status
        assert result.status != "failed", (
            f"{name} failed on {trial_name}: {result.message}"
        )
        if result.status == "skipped":
            assert result.message, "a skip must say why"
            continue
        # outputs as declared, with units
        declared = {m.name: m for m in spec.metrics}
        for metric in result.metrics:
            assert metric.unit == declared[metric.name].unit
            assert (metric.step is not None) == declared[metric.name].per_step
            if metric.status == "invalid":
                assert metric.message
        assert set(result.series) <= {s.name for s in spec.series}
        for series in result.series.values():
            assert series.unit
            assert series.rate_hz > 0
            assert series.values.ndim >= 1
        # deterministic
        again = second[name]
        np.testing.assert_array_equal(
            [m.value for m in result.metrics], [m.value for m in again.metrics]
        )
        for key, series in result.series.items():
            np.testing.assert_array_equal(series.values, again.series[key].values)
    assert set(statuses.values()) & set(USABLE_STATUSES), (
        f"{name} never ran on the demo trials: {statuses}"
    )


@pytest.mark.parametrize("name", BUILTIN)
def test_plugin_result_round_trips_through_the_store(
    name: str, demo_results: dict, tmp_path: Path
) -> None:
    first, _ = next(iter(demo_results.values()))
    result = first[name]
    path = tmp_path / "results.h5"
    write_results_file(path, "trial", {name: result})
    back = read_results_file(path)[name]
    assert back.status == result.status
    assert back.message == result.message
    assert back.metrics == result.metrics or all(
        (a.name, a.step, a.side, a.unit, a.status)
        == (b.name, b.step, b.side, b.unit, b.status)
        and (a.value == b.value or (np.isnan(a.value) and np.isnan(b.value)))
        for a, b in zip(back.metrics, result.metrics, strict=True)
    )
    assert back.events == result.events
    assert back.provenance == result.provenance
    for key, series in result.series.items():
        np.testing.assert_array_equal(back.series[key].values, series.values)
        assert back.series[key].unit == series.unit
