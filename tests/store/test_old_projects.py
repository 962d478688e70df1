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
import shutil
from pathlib import Path

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
