"""Analysis results of one trial in one HDF5 file (derived data, with provenance).

Layout of ``results/<trial_id>.h5`` since format version 6::

    /                       attrs: gaitlab_format="gaitlab-results",
                            gaitlab_format_version, trial_id, checksums
    /document               uint8, compressed: UTF-8 JSON mapping each plugin
                            (in name order) to its entry (below)
    /metric_numbers         float64 (3, n), compressed: the value, step and
                            time_s of every metric, plugin after plugin in
                            document order (NaN for a step or time of none)
    /series_values          float64 (m,): the values of every series, plugin
                            after plugin, each series flattened (C order)

A plugin's entry is that of a :class:`~gaitlab.core.packed.PackedResult`:
``status``, ``message``, ``notes``, ``left_out`` (metric → reason),
``provenance``, ``metrics`` (text columns ``name``, ``unit``, ``side``,
``status``, ``message``; their numbers are the plugin's columns of
``metric_numbers``), ``events`` (columns ``time_s``, ``label``, ``context``,
``origin``) and ``series`` (name → ``rate_hz``, ``t0_s``, ``unit``,
``description`` and ``shape``; its values are the next ``prod(shape)`` of
``series_values``). Three datasets whatever the number of plugins and
series, and no number in bulk formatted as text: the results of a 30 s
trial are written in about a third of the time of version 4 (they are
rewritten after every run, by the one process that writes the project).

Versions 4–5 (still read): the same document, but with the metrics'
``value``, ``step`` and ``time_s`` as JSON columns (null for a missing step
or time, NaN written as ``NaN``), no series shapes, and each series in its
own dataset ``/series/<plugin>/<name>``.

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
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.core.packed import (
    METRIC_TEXT,
    PackedResult,
    checked_packed,
    pack,
    unpack,
)
from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.store._integrity import CheckedReader, Node, open_checked
from gaitlab.store._trialfile import (
    _check_kind,
    _read_events,
    atomic_h5,
    put,
)
from gaitlab.store.schema import FORMAT_VERSION, RESULTS_FORMAT_NAME

__all__ = [
    "read_packed_results",
    "read_results_file",
    "read_results_skipping",
    "write_results_file",
]

FIRST_DOCUMENT_VERSION = 4
"""First format version whose results files hold one JSON document."""
FIRST_PACKED_VERSION = 6
"""First format version whose results files hold the numbers apart (above)."""


def write_results_file(
    path: Path, trial_id: str, results: Mapping[str, Result | PackedResult]
) -> None:
    """Write all plugin results of one trial atomically (layout of version 6)."""
    packed = {
        name: result if isinstance(result, PackedResult) else pack(result)
        for name, result in sorted(results.items())  # read back in name order
    }
    entries = ",".join(  # the entries' texts as they came (not encoded again)
        f"{json.dumps(name)}:{result.text}" for name, result in packed.items()
    )
    text = f"{{{entries}}}"
    numbers = [result.numbers for result in packed.values()]
    series = [
        result.series[key].ravel()
        for result in packed.values()
        for key in result.entry["series"]
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = atomic_h5(path)
    with writer as f:
        f.attrs["gaitlab_format"] = RESULTS_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        f.attrs["trial_id"] = trial_id
        put(
            writer,
            f,
            "document",
            np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
            compress=True,
        )
        put(
            writer,
            f,
            "metric_numbers",
            np.concatenate(numbers, axis=1) if numbers else np.empty((3, 0)),
            compress=True,
        )
        put(
            writer,
            f,
            "series_values",
            np.concatenate(series) if series else np.empty(0),
        )


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
            names, packed = _read_packed_or_document(r, skip)
            return names, {name: unpack(result) for name, result in packed.items()}
        names = [str(name) for name in r.f]
        results = {
            name: _read_result(r, r.group(r.root, name))
            for name in names
            if name not in skip
        }
    return names, results


def read_packed_results(
    path: Path, skip: Collection[str] = ()
) -> tuple[list[str], dict[str, PackedResult]]:
    """As :func:`read_results_skipping`, the results packed (for rewriting them)."""
    if not path.is_file():
        return [], {}
    with open_checked(path) as r:
        _check_kind(r, RESULTS_FORMAT_NAME)
        if r.version >= FIRST_DOCUMENT_VERSION:
            return _read_packed_or_document(r, skip)
    names, results = read_results_skipping(path, skip)  # a file of version 1-3
    return names, {name: pack(result) for name, result in results.items()}


def _read_packed_or_document(
    r: CheckedReader, skip: Collection[str]
) -> tuple[list[str], dict[str, PackedResult]]:
    """The results of a file of version 4 or later, packed."""
    if r.version >= FIRST_PACKED_VERSION:
        return _read_packed(r, skip)
    return _read_document(r, skip)


def _read_packed(
    r: CheckedReader, skip: Collection[str]
) -> tuple[list[str], dict[str, PackedResult]]:
    """The results of a version-6 file (see the module docstring), checked as
    results sent by an analysis process are: a crafted file stores nothing
    a run could not."""
    document = _document(r)
    numbers = r.array(r.root, "metric_numbers")
    values = r.array(r.root, "series_values")
    if numbers.ndim != 2 or numbers.shape[0] != 3 or values.ndim != 1:
        raise r.damaged("its metric numbers or series values are not laid out")
    names = [str(name) for name in document]
    results = {}
    metric_start = value_start = 0
    for name in names:
        try:
            entry = document[name]
            count = len(entry["metrics"]["name"])
            series = {}
            for key, meta in entry["series"].items():
                shape = tuple(int(n) for n in meta["shape"])
                size = math.prod(shape)
                if min(shape, default=1) < 0 or value_start + size > len(values):
                    raise ValueError(f"series {key!r} runs past the stored values")
                series[key] = values[value_start : value_start + size].reshape(shape)
                value_start += size
            if metric_start + count > numbers.shape[1]:
                raise ValueError("its metrics run past the stored numbers")
            metrics = numbers[:, metric_start : metric_start + count]
            metric_start += count
            if name not in skip:
                results[name] = checked_packed(
                    PackedResult(metrics, series, entry=entry), stored=True
                )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise r.damaged(
                f"the results of {name!r} are malformed ({type(error).__name__}: "
                f"{error})"
            ) from None
    if (metric_start, value_start) != (numbers.shape[1], len(values)):
        raise r.damaged("it holds metric numbers or series values of no plugin")
    return names, results


def _document(r: CheckedReader) -> dict[str, Any]:
    """The results document of a file of version 4 or later."""
    try:
        document = json.loads(r.array(r.root, "document").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise r.damaged("its results document is not JSON") from None
    if not isinstance(document, dict):
        raise r.damaged("its results document is not a mapping of plugins")
    return document


def _read_document(
    r: CheckedReader, skip: Collection[str]
) -> tuple[list[str], dict[str, PackedResult]]:
    """The results of a version-4 or -5 file (see the module docstring), in
    the packed form of version 6 and checked as it is."""
    document = _document(r)
    names = [str(name) for name in document]
    results = {}
    for name in names:
        if name in skip:
            continue
        try:
            results[name] = checked_packed(
                _packed_from_entry(r, name, document[name]), stored=True
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise r.damaged(
                f"the results of {name!r} are malformed ({type(error).__name__}: "
                f"{error})"
            ) from None
    return names, results


def _packed_from_entry(
    r: CheckedReader, name: str, entry: dict[str, Any]
) -> PackedResult:
    """A version-4 or -5 entry: its metrics' numbers are JSON columns (null for
    no step or time), its series in datasets of their own."""
    metrics = dict(entry["metrics"])
    count = len(metrics["name"])
    numbers = [
        metrics.pop("value"),
        [math.nan if step is None else step for step in metrics.pop("step")],
        [math.nan if time is None else time for time in metrics.pop("time_s")],
    ]
    if any(len(row) != count for row in numbers):
        raise ValueError("metric columns of different lengths")
    series = {}
    described = {}
    if entry["series"]:
        group = r.group(r.group(r.root, "series"), name)
        for key, meta in entry["series"].items():
            series[key] = r.array(group, key)
            described[key] = {**meta, "shape": list(series[key].shape)}
    return PackedResult(
        np.array(numbers, dtype=float).reshape(3, count),
        series,
        entry={**entry, "metrics": metrics, "series": described},
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
    text = {column: r.strings(m, column) for column in METRIC_TEXT}
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
