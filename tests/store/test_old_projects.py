"""Projects written by older gaitlab versions open in this one, forever.

Each ``tests/data/*.gaitlab`` project was written by the committed code of
its day (``tests/data/make_old_project.py``, run on a pristine ``git
archive`` of that commit) together with ``NAME.json``: what that code read
back. This version must open it, load every trial and every result, and read
the same records, events, shapes and numbers. When the store format changes,
add a project of the new format (``project-formatN-COMMIT.gaitlab``, written
by the commit that introduced it); never delete or regenerate an old one.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gaitlab.store.project import open_project

DATA = Path(__file__).resolve().parents[1] / "data"
PROJECTS = sorted(DATA.glob("*.gaitlab"))
assert PROJECTS, f"no old projects in {DATA}"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_old_project", DATA / "make_old_project.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder", PROJECTS, ids=[p.name for p in PROJECTS])
def test_old_project_is_named_by_its_format(folder: Path) -> None:
    import h5py

    from gaitlab.store.schema import FORMAT_VERSION

    with h5py.File(folder / "project.h5", "r") as index:
        written = int(index.attrs["gaitlab_format_version"])
    assert folder.name.startswith(f"project-format{written}-")
    assert written <= FORMAT_VERSION


@pytest.mark.parametrize("folder", PROJECTS, ids=[p.name for p in PROJECTS])
def test_old_project_opens_with_every_trial_and_result(
    folder: Path, tmp_path: Path
) -> None:
    copy = tmp_path / folder.name  # opening must not change the committed files
    shutil.copytree(folder, copy)
    expected = json.loads(folder.with_suffix(".json").read_text(encoding="utf-8"))

    project = open_project(copy)
    assert sorted(project.trial_ids) == sorted(expected["trials"])
    for trial_id in project.trial_ids:  # every trial and result loads
        trial = project.load_trial(trial_id, c3d_parameters=True)
        assert trial.markers.data.size > 0, trial_id
        project.load_results(trial_id)
    got = json.loads(json.dumps(_generator().manifest(project)))
    assert got["settings"] == expected["settings"]
    for trial_id, want in expected["trials"].items():
        have = got["trials"][trial_id]
        assert {k: v for k, v in have.items() if k not in ("events", "results")} == {
            k: v for k, v in want.items() if k not in ("events", "results")
        }, trial_id
        assert have["events"] == [
            [pytest.approx(e[0], rel=1e-12), *e[1:]] for e in want["events"]
        ], trial_id
        assert list(have["results"]) == list(want["results"]), trial_id
        for plugin, result in want["results"].items():
            mine = have["results"][plugin]
            assert mine["status"] == result["status"], (trial_id, plugin)
            assert mine["series"] == result["series"], (trial_id, plugin)
            assert mine["metrics"] == [
                [*m[:4], None if m[4] is None else pytest.approx(m[4], rel=1e-12)]
                for m in result["metrics"]
            ], (trial_id, plugin)
    assert sorted(p.relative_to(copy) for p in copy.rglob("*.h5")) == sorted(
        p.relative_to(folder) for p in folder.rglob("*.h5")
    )


@pytest.mark.parametrize("folder", PROJECTS, ids=[p.name for p in PROJECTS])
def test_running_one_plugin_moves_an_old_results_file_to_this_format(
    folder: Path, tmp_path: Path
) -> None:
    """The results not rerun are carried over exactly into a file of this format."""
    import h5py

    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.schema import FORMAT_VERSION

    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    project = open_project(copy)
    trial_id = next(t for t in project.trial_ids if not project.is_static(t))
    before = project.load_results(trial_id)
    events = list(run_pipeline(project, [trial_id], plugins=["body_mass"], workers=1))
    assert "body_mass" in events[1].statuses  # ran (skipped: no force plates)
    with h5py.File(project.results_path(trial_id), "r") as f:
        assert f.attrs["gaitlab_format_version"] == FORMAT_VERSION
    after = project.load_results(trial_id)
    assert set(after) == set(before)
    kept = set(before) - set(events[1].statuses)  # not run again (with upstreams)
    assert kept
    for name in kept:
        old = before[name]
        new = after[name]
        assert (new.status, new.message, new.notes, new.left_out, new.events) == (
            old.status,
            old.message,
            old.notes,
            old.left_out,
            old.events,
        ), name
        assert new.provenance == old.provenance, name
        assert len(new.metrics) == len(old.metrics), name
        for a, b in zip(new.metrics, old.metrics, strict=True):
            assert replace(a, value=0.0) == replace(b, value=0.0), name
            assert a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))
        for key, series in old.series.items():
            np.testing.assert_array_equal(new.series[key].values, series.values)
