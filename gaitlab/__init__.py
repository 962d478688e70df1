"""gaitlab: force plates and motion capture for running biomechanics.

The scripting API::

    import gaitlab
    trial = gaitlab.read_c3d("capture.c3d")          # one file, no project
    project = gaitlab.create_project("study.gaitlab")
    for event in project.import_files(["captures/"]):
        print(event.kind, event.path, event.message)
    trial = project.load_trial(project.trial_ids[0])
    trial.forceplates[0].force                        # (n, 3) N, on the subject
    for event in gaitlab.run_pipeline(project):       # analyses (plugins)
        print(event.trial_id, event.statuses)
    gaitlab.export_metrics(project, "metrics.csv")    # tidy table + provenance

Everything is in SI units: m, s, N, N·m, kg.
"""

from __future__ import annotations

from gaitlab._version import __version__
from gaitlab.core.errors import (
    C3DReadError,
    FormatVersionError,
    GaitlabError,
    ProjectError,
    ProjectLockedError,
)
from gaitlab.core.trial import (
    AnalogSet,
    Event,
    ForcePlate,
    MarkerSet,
    PointSeries,
    SourceInfo,
    Subject,
    Trial,
)
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.export import export_metrics
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.store.project import (
    ImportEvent,
    Project,
    TrialRecord,
    create_project,
    open_project,
)

__all__ = [
    "AnalogSet",
    "C3DReadError",
    "Event",
    "ForcePlate",
    "FormatVersionError",
    "GaitlabError",
    "ImportEvent",
    "MarkerSet",
    "PointSeries",
    "Project",
    "ProjectError",
    "ProjectLockedError",
    "SourceInfo",
    "Subject",
    "Trial",
    "TrialRecord",
    "__version__",
    "create_project",
    "export_metrics",
    "open_project",
    "read_c3d",
    "run_pipeline",
]
