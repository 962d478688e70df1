"""Write a small project in the committed store format, for the upgrade test.

Run it with the code of a pristine commit (not a working tree with changes
in progress), e.g.::

    git archive HEAD | tar -x -C /tmp/gaitlab-head
    PYTHONPATH=/tmp/gaitlab-head python tests/data/make_old_project.py \
        tests/data/project-format1-COMMIT.gaitlab

It writes a static trial (0.5 s, 50 Hz markers, 250 Hz analogs) and a short synthetic running trial (3 steps, 100 Hz
markers, 500 Hz analogs), runs every built-in plugin on them, and saves an
edited event set, so the project has every kind of file: index, trial,
events and results files. Beside it, ``NAME.json`` records what that code
read back: trial records, event and sample counts, every result's status,
series shapes and metric values. ``tests/store/test_old_projects.py`` opens
every ``tests/data/*.gaitlab`` project forever after and compares.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from gaitlab.pipeline.runner import run_pipeline
from gaitlab.store.project import Project, create_project, open_project
from gaitlab.synth.running import make_running_trial, make_static_trial


def make_project(folder: Path) -> Path:
    """Create the project ``folder`` (which must not exist); return it."""
    with tempfile.TemporaryDirectory() as scratch:
        files = [
            make_static_trial(
                Path(scratch) / "static.c3d",
                duration_s=0.5,
                point_rate_hz=50.0,
                analog_rate_hz=250.0,
            ).path,
            make_running_trial(
                Path(scratch) / "run.c3d",
                n_steps=3,
                point_rate_hz=100.0,
                analog_rate_hz=500.0,
                noise_n=2.0,
            ).path,
        ]
        project = create_project(folder)
        for event in project.import_files(files, subject="old01", condition="format"):
            if event.kind == "refused":
                raise SystemExit(f"{event.path}: refused: {event.message}")
    for trial_event in run_pipeline(project, workers=1):
        if trial_event.error:
            raise SystemExit(f"{trial_event.trial_id}: {trial_event.error}")
    running = next(t for t in project.trial_ids if not project.is_static(t))
    events = project.load_trial(running).events
    project.set_events(running, [replace(e, origin="user") for e in events])
    for leftover in folder.rglob("*.lock"):
        leftover.unlink()
    return folder


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def manifest(project: Project) -> dict:
    """What the project holds, as plain JSON (NaN written as null)."""
    trials = {}
    for trial_id in project.trial_ids:
        record = project.record(trial_id)
        trial = project.load_trial(trial_id)
        results = project.load_results(trial_id)
        trials[trial_id] = {
            "subject_id": record.subject_id,
            "condition": record.condition,
            "source_sha256": record.source_sha256,
            "static": project.is_static(trial_id),
            "marker_frames": int(trial.markers.data.shape[0]),
            "markers": int(trial.markers.data.shape[1]),
            "events": [[e.time_s, e.label, e.context, e.origin] for e in trial.events],
            "results": {
                name: {
                    "status": result.status,
                    "plugin_version": result.provenance.plugin_version,
                    "series": {
                        s: list(series.values.shape)
                        for s, series in sorted(result.series.items())
                    },
                    "metrics": [
                        [m.name, m.side, m.step, m.unit, _number(m.value)]
                        for m in result.metrics
                    ],
                }
                for name, result in sorted(results.items())
            },
        }
    return {"settings": project.settings, "trials": trials}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if target.exists():
        shutil.rmtree(target)
    make_project(target)
    text = json.dumps(manifest(open_project(target)), indent=1, sort_keys=True)
    target.with_suffix(".json").write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(f"{target}\n")
