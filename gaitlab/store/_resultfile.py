"""Analysis results of one trial in one HDF5 file (derived data, with provenance).

Layout of ``results/<trial_id>.h5`` since format version 4::

    /                       attrs: gaitlab_format="gaitlab-results",
                            gaitlab_format_version, trial_id, checksums
    /document               uint8, compressed: UTF-8 JSON of everything but
                            the series' samples (below)
    /series/<plugin>/<name> values (n_samples, ...), float64 as a rule

The document maps each plugin to ``status``, ``message``, ``notes``,
``left_out`` (metric → reason), ``provenance``, ``metrics`` (columns
``name``, ``value``, ``unit``, ``side``, ``step``, ``time_s``, ``status``,
``message``; null for a missing step or time, NaN written as ``NaN``),
``events`` (columns ``time_s``, ``label``, ``context``, ``origin``) and
``series`` (name → ``rate_hz``, ``t0_s``, ``unit``, ``description``).
One document instead of a dozen small datasets per plugin makes writing a
trial's results about four times faster (they are rewritten after every
run, by the one process that writes the project).

Versions 1–3 (still read)::

    /<plugin>               attrs: status, message, notes (JSON list),
                            left_out (JSON object metric -> reason),
                            provenance (JSON object)
    /<plugin>/series/<name> values; attrs rate_hz, t0_s, unit, description
    /<plugin>/metrics       columns name, value, unit, side, step (-1 = none),
                            time_s (NaN = none), status, message
    /<plugin>/events        time_s, label, context, origin

The whole file is rewritten atomically whenever a trial's results change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.core.trial import Event
from gaitlab.store._integrity import CheckedReader, Node, open_checked
from gaitlab.store._trialfile import (
    _check_kind,
    _read_events,
    atomic_h5,
    put,
)
from gaitlab.store.schema import FORMAT_VERSION, RESULTS_FORMAT_NAME

__all__ = ["read_results_file", "read_results_skipping", "write_results_file"]

FIRST_DOCUMENT_VERSION = 4
"""First format version whose results files hold one JSON document."""

_TEXT_COLUMNS = ("name", "unit", "side", "status", "message")


def write_results_file(path: Path, trial_id: str, results: dict[str, Result]) -> None:
    """Write all plugin results of one trial atomically (layout of version 4)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = atomic_h5(path)
    with writer as f:
        f.attrs["gaitlab_format"] = RESULTS_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        f.attrs["trial_id"] = trial_id
        document = {}
        series_root = f.create_group("series")
        for name, result in sorted(results.items()):  # read back in name order
            document[name] = _result_entry(result)
            if result.series:
                group = series_root.create_group(name)
                for key, series in result.series.items():
                    put(writer, group, key, np.asarray(series.values))
        text = json.dumps(document, separators=(",", ":"))
        put(
            writer,
            f,
            "document",
            np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
            compress=True,
        )


def _result_entry(result: Result) -> dict[str, Any]:
    """Everything of a result but its series' samples, as JSON-able columns."""
    metrics = result.metrics
    return {
        "status": result.status,
        "message": result.message,
        "notes": list(result.notes),
        "left_out": dict(result.left_out),
        # a shallow copy: asdict's deep copy of the parameters cost more than the
        # JSON encoding of the whole document
        "provenance": dict(vars(result.provenance)) if result.provenance else None,
        "series": {
            key: {
                "rate_hz": float(s.rate_hz),
                "t0_s": float(s.t0_s),
                "unit": s.unit,
                "description": s.description,
            }
            for key, s in result.series.items()
        },
        "metrics": {
            "name": [m.name for m in metrics],
            "value": [float(m.value) for m in metrics],
            "unit": [m.unit for m in metrics],
            "side": [m.side for m in metrics],
            "step": [None if m.step is None else int(m.step) for m in metrics],
            "time_s": [None if m.time_s is None else float(m.time_s) for m in metrics],
            "status": [m.status for m in metrics],
            "message": [m.message for m in metrics],
        },
        "events": {
            "time_s": [float(e.time_s) for e in result.events],
            "label": [e.label for e in result.events],
            "context": [e.context for e in result.events],
            "origin": [e.origin for e in result.events],
        },
    }


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
        if r.version >= FIRST_DOCUMENT_VERSION:
            return _read_document(r, skip)
        names = [str(name) for name in r.f]
        results = {
            name: _read_result(r, r.group(r.root, name))
            for name in names
            if name not in skip
        }
    return names, results


def _read_document(
    r: CheckedReader, skip: Collection[str]
) -> tuple[list[str], dict[str, Result]]:
    """The results of a version-4 file (see the module docstring)."""
    try:
        document = json.loads(r.array(r.root, "document").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise r.damaged("its results document is not JSON") from None
    if not isinstance(document, dict):
        raise r.damaged("its results document is not a mapping of plugins")
    names = [str(name) for name in document]
    results = {}
    for name in names:
        if name in skip:
            continue
        try:
            results[name] = _result_from_entry(r, name, document[name])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise r.damaged(
                f"the results of {name!r} are malformed ({type(error).__name__}: "
                f"{error})"
            ) from None
    return names, results


def _result_from_entry(r: CheckedReader, name: str, entry: dict[str, Any]) -> Result:
    series = {}
    if entry["series"]:
        group = r.group(r.group(r.root, "series"), name)
        for key, meta in entry["series"].items():
            series[str(key)] = Series(
                r.array(group, key),
                float(meta["rate_hz"]),
                float(meta["t0_s"]),
                str(meta["unit"]),
                str(meta["description"]),
            )
    columns = entry["metrics"]
    count = len(columns["name"])
    if any(len(column) != count for column in columns.values()):
        raise ValueError("metric columns of different lengths")
    metrics = [
        Metric(
            name=str(columns["name"][i]),
            value=float(columns["value"][i]),
            unit=str(columns["unit"][i]),
            side=str(columns["side"][i]),
            step=None if columns["step"][i] is None else int(columns["step"][i]),
            time_s=None
            if columns["time_s"][i] is None
            else float(columns["time_s"][i]),
            status=str(columns["status"][i]),
            message=str(columns["message"][i]),
        )
        for i in range(count)
    ]
    events = entry["events"]
    provenance = entry["provenance"]
    return Result(
        status=str(entry["status"]),
        message=str(entry["message"]),
        series=series,
        metrics=metrics,
        events=[
            Event(float(t), str(label), str(context), str(origin))
            for t, label, context, origin in zip(
                events["time_s"],
                events["label"],
                events["context"],
                events["origin"],
                strict=True,
            )
        ],
        notes=[str(note) for note in entry["notes"]],
        left_out={str(k): str(v) for k, v in entry["left_out"].items()},
        provenance=Provenance(**provenance) if provenance else None,
    )


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
