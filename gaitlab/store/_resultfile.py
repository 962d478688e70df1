"""Analysis results of one trial in one HDF5 file (derived data, with provenance).

Layout of ``results/<trial_id>.h5``::

    /                       attrs: gaitlab_format="gaitlab-results",
                            gaitlab_format_version, trial_id
    /<plugin>               attrs: status, message, notes (JSON list),
                            provenance (JSON object)
    /<plugin>/series/<name> values (n_samples, ...) float64;
                            attrs rate_hz, t0_s, unit, description
    /<plugin>/metrics       columns name, value, unit, side, step (-1 = none),
                            time_s (NaN = none), status, message
    /<plugin>/events        time_s, label, context, origin

The whole file is rewritten atomically whenever a trial's results change.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np

from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.store._trialfile import (
    _STR,
    _check_version,
    _read_events,
    _strings,
    _write_events,
    atomic_h5,
)
from gaitlab.store.schema import FORMAT_VERSION, RESULTS_FORMAT_NAME

__all__ = ["read_results_file", "write_results_file"]

_TEXT_COLUMNS = ("name", "unit", "side", "status", "message")


def write_results_file(path: Path, trial_id: str, results: dict[str, Result]) -> None:
    """Write all plugin results of one trial atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_h5(path) as f:
        f.attrs["gaitlab_format"] = RESULTS_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        f.attrs["trial_id"] = trial_id
        for name, result in results.items():
            group = f.create_group(name)
            group.attrs["status"] = result.status
            group.attrs["message"] = result.message
            group.attrs["notes"] = json.dumps(result.notes)
            group.attrs["provenance"] = json.dumps(
                asdict(result.provenance) if result.provenance else None,
                sort_keys=True,
            )
            series = group.create_group("series")
            for key, s in result.series.items():
                dataset = series.create_dataset(key, data=s.values)
                dataset.attrs["rate_hz"] = s.rate_hz
                dataset.attrs["t0_s"] = s.t0_s
                dataset.attrs["unit"] = s.unit
                dataset.attrs["description"] = s.description
            metrics = group.create_group("metrics")
            for column in _TEXT_COLUMNS:
                metrics[column] = np.array(
                    [getattr(m, column) for m in result.metrics], dtype=_STR
                )
            metrics["value"] = np.array([m.value for m in result.metrics], dtype=float)
            metrics["step"] = np.array(
                [-1 if m.step is None else m.step for m in result.metrics],
                dtype=np.int64,
            )
            metrics["time_s"] = np.array(
                [math.nan if m.time_s is None else m.time_s for m in result.metrics],
                dtype=float,
            )
            _write_events(group, result.events)


def read_results_file(path: Path) -> dict[str, Result]:
    """Read the results written by :func:`write_results_file` (empty if absent)."""
    if not path.is_file():
        return {}
    with h5py.File(path, "r") as f:
        _check_version(f, path)
        return {name: _read_result(group) for name, group in f.items()}


def _read_result(group: h5py.Group) -> Result:
    provenance = json.loads(group.attrs["provenance"])
    series = {
        key: Series(
            dataset[()],
            float(dataset.attrs["rate_hz"]),
            float(dataset.attrs["t0_s"]),
            str(dataset.attrs["unit"]),
            str(dataset.attrs["description"]),
        )
        for key, dataset in group["series"].items()
    }
    m = group["metrics"]
    text = {column: _strings(m[column]) for column in _TEXT_COLUMNS}
    values, steps, times = m["value"][()], m["step"][()], m["time_s"][()]
    metrics = [
        Metric(
            name=text["name"][i],
            value=float(values[i]),
            unit=text["unit"][i],
            side=text["side"][i],
            step=None if steps[i] < 0 else int(steps[i]),
            time_s=None if math.isnan(times[i]) else float(times[i]),
            status=text["status"][i],
            message=text["message"][i],
        )
        for i in range(len(values))
    ]
    return Result(
        status=str(group.attrs["status"]),
        message=str(group.attrs["message"]),
        series=series,
        metrics=metrics,
        events=_read_events(group),
        notes=json.loads(group.attrs["notes"]),
        provenance=Provenance(**provenance) if provenance else None,
    )
