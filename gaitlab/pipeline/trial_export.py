"""Export one trial of a project for other tools, through the trial writers.

The format writers (:mod:`gaitlab.io.export_trial`: TRC, MOT + ExternalLoads,
MAT, C3D) take a trial and plain data. This module gathers that data from
the project: the trial (with its C3D parameter tree for a C3D), its stored
results and their freshness against the project's pipeline, OpenSim's axes
from the direction of progression the analyses find
(:attr:`gaitlab.pipeline.view.TrialView.progression`, METHODS §5.1), and the
computed centre of mass (``center_of_mass`` result, series ``com``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gaitlab.core.errors import PluginError
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.trial import Trial
from gaitlab.core.types import FloatArray
from gaitlab.io.export_trial import (
    TrialExportData,
    TrialExportError,
    check_export_options,
    opensim_frame,
    trial_writer,
)
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import (
    freshness,
    marker_map_for,
    project_pipeline,
    trial_state,
)
from gaitlab.pipeline.view import TrialView
from gaitlab.store.project import Project

__all__ = ["TrialExportError", "com_series", "export_trial"]


def export_trial(
    project: Project,
    trial_id: str,
    fmt: str,
    folder: str | os.PathLike[str],
    *,
    units: str | None = None,
) -> tuple[list[Path], list[str]]:
    """Export one trial of a project into ``folder`` (created if missing).

    Parameters
    ----------
    project : Project
        The project.
    trial_id : str
        The trial's id.
    fmt : str
        A registered format (:func:`gaitlab.io.export_trial.trial_export_formats`):
        ``trc``: ``<label>.trc``; ``mot``: ``<label>_grf.mot`` and
        ``<label>_ExternalLoads.xml``; ``mat``: ``<label>.mat``; ``c3d``:
        ``<label>.c3d``.
    folder : str or PathLike
        Output folder.
    units : {"mm", "m"} or None
        Marker length unit of TRC (default mm) and MAT (default m) files;
        refused for ``mot`` (always m) and ``c3d`` (the original's unit).

    Returns
    -------
    paths : list of Path
        Files written.
    notes : list of str
        What the export could not include, and how the feet or the
        progression were found, in words.

    Raises
    ------
    TrialExportError
        For an unknown format, a unit the format ignores, or a trial the
        format cannot hold.
    """
    check_export_options(fmt, units)
    writer = trial_writer(fmt)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    trial = project.load_trial(trial_id, c3d_parameters=writer.needs_c3d_parameters)
    trial.id = trial_id
    trial.label = project.record(trial_id).label
    results = project.load_results(trial_id)
    fresh = _freshness(project, trial_id, results) if writer.uses_freshness else {}
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", trial.label) or trial_id
    stale = sorted(name for name, state in fresh.items() if state == "stale")
    notes = (
        [
            f"results of {', '.join(stale)} are out of date (events, subject or "
            "settings changed since the run): exported as stored; run `gaitlab "
            "run PROJECT --only-stale` to update them"
        ]
        if stale
        else []
    )
    com = com_series(trial, results, notes) if writer.needs_com else None
    frame = None
    if writer.needs_frame:
        view = TrialView(
            trial, marker_map=marker_map_for(project, trial.markers.labels)
        )
        progression = view.progression
        frame = opensim_frame(
            trial.up_axis, progression.direction, progression.method, progression.notes
        )
        notes.append(
            f"OpenSim X = progression {np.round(progression.direction, 3).tolist()} "
            f"({progression.method} method, METHODS §5.1), Y = up "
            f"{np.round(trial.up_axis, 3).tolist()}"
            + "".join(f"; {note}" for note in progression.notes)
        )
    data = TrialExportData(results, fresh, frame, com, units)
    paths, more = writer.write(folder, stem, trial, data)
    return paths, notes + more


def com_series(
    trial: Trial, results: Mapping[str, Result], notes: list[str]
) -> FloatArray | None:
    """The ``center_of_mass`` result's ``com`` at the marker frames, or None (noted).

    Parameters
    ----------
    trial : Trial
        The trial (its marker frames).
    results : mapping of str to Result
        Its stored results.
    notes : list of str
        Why there is no COM is appended here.

    Returns
    -------
    com : ndarray, shape (n_frames, 3), or None
        Centre of mass in m (lab frame), one row per marker frame.
    """
    plugin, name = _com_source()
    result = results.get(plugin)
    series = (
        result.series.get(name) if result and result.status in USABLE_STATUSES else None
    )
    if series is None:
        notes.append(
            f"no COM marker: the {plugin} plugin has not run with status ok "
            "(gaitlab run PROJECT)"
        )
        return None
    markers = trial.markers
    values = np.asarray(series.values, dtype=float)
    if (
        values.shape != (markers.n_frames, 3)
        or not math.isclose(series.rate_hz, markers.rate_hz)
        or not math.isclose(series.t0_s, markers.t0_s, abs_tol=0.5 / markers.rate_hz)
    ):
        notes.append(
            f"no COM marker: the COM series ({values.shape[0]} samples at "
            f"{series.rate_hz} Hz) is not at the marker frames"
        )
        return None
    return values


def _freshness(
    project: Project, trial_id: str, results: Mapping[str, Result]
) -> dict[str, str]:
    """``fresh`` / ``stale`` / ``missing`` per planned plugin ({} if unknown here)."""
    if not results:
        return {}
    report = discover()
    try:
        plan = project_pipeline(project, report).plan(report)
    except PluginError:  # plugins missing on this machine: staleness unknown
        return {}
    return freshness(plan, trial_state(project, trial_id), results)


def _com_source() -> tuple[str, str]:
    """The plugin and series declared as the body's COM (``point="com"``)."""
    for spec in discover().specs.values():
        for series in spec.series:
            if series.point == "com":
                return spec.name, series.name
    return "center_of_mass", "com"
