"""Analysis results of one trial in one HDF5 file (derived data, with provenance).

Layout of ``results/<trial_id>.h5``::

    /                       attrs: gaitlab_format="gaitlab-results",
                            gaitlab_format_version, trial_id
    /<plugin>               attrs: status, message, notes (JSON list),
                            left_out (JSON object metric -> reason),
                            provenance (JSON object)
    /<plugin>/series/<name> values (n_samples, ...), float64 as a rule;
                            attrs rate_hz, t0_s, unit, description
    /<plugin>/metrics       columns name, value, unit, side, step (-1 = none),
                            time_s (NaN = none), status, message
    /<plugin>/events        time_s, label, context, origin

The whole file is rewritten atomically whenever a trial's results change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path

import numpy as np

from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.store._integrity import CheckedReader, Node, open_checked
from gaitlab.store._trialfile import (
    _STR,
    _check_kind,
    _read_events,
    _write_events,
    atomic_h5,
    put,
)
from gaitlab.store.schema import FORMAT_VERSION, RESULTS_FORMAT_NAME

__all__ = ["read_results_file", "read_results_skipping", "write_results_file"]

_TEXT_COLUMNS = ("name", "unit", "side", "status", "message")


def write_results_file(path: Path, trial_id: str, results: dict[str, Result]) -> None:
    """Write all plugin results of one trial atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = atomic_h5(path)
    with writer as f:
        f.attrs["gaitlab_format"] = RESULTS_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        f.attrs["trial_id"] = trial_id
        for name, result in results.items():
            group = f.create_group(name)
            group.attrs["status"] = result.status
            group.attrs["message"] = result.message
            group.attrs["notes"] = json.dumps(result.notes)
            group.attrs["left_out"] = json.dumps(result.left_out)
            group.attrs["provenance"] = json.dumps(
                asdict(result.provenance) if result.provenance else None,
                sort_keys=True,
            )
            series = group.create_group("series")
            for key, s in result.series.items():
                put(writer, series, key, np.asarray(s.values))
                dataset = series[key]
                dataset.attrs["rate_hz"] = s.rate_hz
                dataset.attrs["t0_s"] = s.t0_s
                dataset.attrs["unit"] = s.unit
                dataset.attrs["description"] = s.description
            metrics = group.create_group("metrics")
            for column in _TEXT_COLUMNS:
                metrics[column] = np.array(
                    [getattr(m, column) for m in result.metrics], dtype=_STR
                )
            values = np.array([m.value for m in result.metrics], dtype=float)
            put(writer, metrics, "value", values)
            steps = [-1 if m.step is None else m.step for m in result.metrics]
            put(writer, metrics, "step", np.array(steps, dtype=np.int64))
            times = [math.nan if m.time_s is None else m.time_s for m in result.metrics]
            put(writer, metrics, "time_s", np.array(times, dtype=float))
            _write_events(writer, group, result.events)


def read_results_file(path: Path) -> dict[str, Result]:
    """Read the results written by :func:`write_results_file` (empty if absent).

    Raises
    ------
    DamagedFileError
        When the file is damaged (see :mod:`gaitlab.store._integrity`).
    """
    return read_results_skipping(path)[1]


def read_results_skipping(
    path: Path, skip: Collection[str] = ()
) -> tuple[list[str], dict[str, Result]]:
    """Read the results written by :func:`write_results_file`, but those of ``skip``.

    Parameters
    ----------
    path : Path
        The results file.
    skip : collection of str
        Plugins whose stored results are not read (about to be replaced).

    Returns
    -------
    names : list of str
        Every plugin with a stored result, ``skip`` included.
    results : dict
        The stored results of the plugins not in ``skip``.

    Raises
    ------
    DamagedFileError
        When the file is damaged (see :mod:`gaitlab.store._integrity`).
    """
    if not path.is_file():
        return [], {}
    with open_checked(path) as r:
        _check_kind(r, RESULTS_FORMAT_NAME)
        names = [str(name) for name in r.f]
        results = {
            name: _read_result(r, r.group(r.root, name))
            for name in names
            if name not in skip
        }
    return names, results


def _read_result(r: CheckedReader, group: Node) -> Result:
    attrs = r.attrs(group)
    provenance = json.loads(attrs["provenance"])
    series_group = r.group(group, "series")
    series = {}
    for key in series_group.obj:
        s_attrs = r.attrs(r.child(series_group, key))
        series[key] = Series(
            r.array(series_group, key),
            float(s_attrs["rate_hz"]),
            float(s_attrs["t0_s"]),
            str(s_attrs["unit"]),
            str(s_attrs["description"]),
        )
    m = r.group(group, "metrics")
    text = {column: r.strings(m, column) for column in _TEXT_COLUMNS}
    values, steps, times = (r.array(m, n) for n in ("value", "step", "time_s"))
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
        status=str(attrs["status"]),
        message=str(attrs["message"]),
        series=series,
        metrics=metrics,
        events=_read_events(r, group),
        notes=json.loads(attrs["notes"]),
        left_out=json.loads(attrs.get("left_out", "{}")),
        provenance=Provenance(**provenance) if provenance else None,
    )
