"""A plugin's result as columns: how results travel and how they are stored.

A 30 s running trial has about 3400 metric values. As :class:`Metric`
objects they cost the analysis process 3.4 ms to pickle, the writer 6 ms to
unpickle and check, and 4.4 ms to write as JSON, where most of the time goes
to formatting floats. As columns (text in lists, numbers in one float64
array) the same values take under a millisecond each way, and the numbers
are written as they are. The writer is the one process of a batch that
every trial passes through, so its time per trial bounds how far a batch
scales with the cores.

A :class:`PackedResult` holds

``entry``
    Everything but numbers in bulk, JSON-able: ``status``, ``message``,
    ``notes``, ``left_out`` (metric → reason), ``provenance`` (a dict of the
    :class:`Provenance` fields, or None), ``series`` (name → ``rate_hz``,
    ``t0_s``, ``unit``, ``description``, ``shape``), ``metrics`` (text
    columns ``name``, ``unit``, ``side``, ``status``, ``message``) and
    ``events`` (columns ``time_s``, ``label``, ``context``, ``origin``).
    It travels as its JSON text, encoded by the analysis process: the
    writer decodes it to check it, and stores the text it received.
``numbers``
    float64, shape (3, n_metrics): each metric's ``value``, ``step`` and
    ``time_s``, NaN standing for a step or time of None.
``series``
    name → float64 array of the series' values (time first).

:func:`pack` and :func:`unpack` convert exactly (a value, step or time
comes back as the same float or int, NaN and infinities included);
:func:`checked_packed` checks what another process sent before the writer
stores it.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any

import numpy as np

from gaitlab.core.results import (
    METRIC_STATUSES,
    STATUSES,
    Metric,
    Provenance,
    Result,
    Series,
)
from gaitlab.core.trial import Event
from gaitlab.core.types import SIDES, FloatArray

__all__ = [
    "EVENT_TEXT",
    "MAX_STEP",
    "METRIC_TEXT",
    "PackedResult",
    "checked_packed",
    "pack",
    "unpack",
]

MAX_STEP = 2**53
"""Largest step number a float64 holds exactly (steps travel as floats)."""

METRIC_TEXT = ("name", "unit", "side", "status", "message")
"""The text columns of the metrics, in ``entry["metrics"]``."""

EVENT_TEXT = ("label", "context", "origin")
"""The text columns of the events, beside ``time_s``, in ``entry["events"]``."""

_SERIES_META = {"rate_hz", "t0_s", "unit", "description", "shape"}
_PROVENANCE_FIELDS = {f.name for f in fields(Provenance)}
_ENTRY_KEYS = {
    "status",
    "message",
    "notes",
    "left_out",
    "provenance",
    "series",
    "metrics",
    "events",
}
_METRIC_STATUSES = frozenset(METRIC_STATUSES)
_SIDES = frozenset(("", *SIDES))


class PackedResult:
    """One plugin's result on one trial, as columns (see the module docstring).

    Made from its entry or from the entry's JSON text; the other is made
    when first asked for. It travels between processes as the text (the
    process storing it need not encode it again).

    Parameters
    ----------
    numbers : ndarray, shape (3, n_metrics)
        Value, step and time (s) of each metric; NaN for no step or time.
    series : dict of str to ndarray
        The series' values.
    entry : dict or None
        The JSON-able part.
    text : str or None
        ``entry`` as JSON (when both are given, they must agree).
    """

    __slots__ = ("_entry", "_text", "numbers", "series")

    def __init__(
        self,
        numbers: FloatArray,
        series: dict[str, FloatArray],
        *,
        entry: dict[str, Any] | None = None,
        text: str | None = None,
    ) -> None:
        if entry is None and text is None:
            raise TypeError("a packed result is made from its entry or its text")
        self.numbers = numbers
        self.series = series
        self._entry = entry
        self._text = text

    @property
    def entry(self) -> dict[str, Any]:
        """The JSON-able part (see the module docstring)."""
        if self._entry is None:
            self._entry = json.loads(self._text)  # type: ignore[arg-type]
        return self._entry

    @property
    def text(self) -> str:
        """:attr:`entry` as JSON."""
        if self._text is None:  # what JSON cannot hold (a numpy integer
            # parameter in the provenance) is written as its text
            self._text = json.dumps(self._entry, separators=(",", ":"), default=str)
        return self._text

    def __getstate__(self) -> tuple[str, FloatArray, dict[str, FloatArray]]:
        """Send the entry as its text (encoded here, not by the receiver)."""
        return (self.text, self.numbers, self.series)

    def __setstate__(self, state: Any) -> None:
        """From what another process sent (checked by :func:`checked_packed`)."""
        if type(state) is not tuple or len(state) != 3:
            raise ValueError("a packed result is sent as its text, numbers and series")
        self._text, self.numbers, self.series = state
        self._entry = None

    @property
    def status(self) -> str:
        """The result's status (one of :data:`~gaitlab.core.results.STATUSES`)."""
        return str(self.entry["status"])

    @property
    def message(self) -> str:
        """Why the status is what it is ("" for none)."""
        return str(self.entry["message"])

    @property
    def left_out(self) -> dict[str, str]:
        """Declared metrics not computed, with the reason."""
        return dict(self.entry["left_out"])


def pack(result: Result) -> PackedResult:
    """Pack a result as columns (exactly: :func:`unpack` gives it back).

    Raises
    ------
    ValueError
        A step number beyond ±:data:`MAX_STEP` (not exact as a float).
    """
    metrics = result.metrics
    steps = [math.nan if m.step is None else m.step for m in metrics]
    if any(abs(step) > MAX_STEP for step in steps if step == step):
        raise ValueError(f"a step number beyond ±2**53 ({max(steps, key=abs)})")
    numbers = np.array(
        [
            [m.value for m in metrics],
            steps,
            [math.nan if m.time_s is None else m.time_s for m in metrics],
        ],
        dtype=float,
    ).reshape(3, len(metrics))
    entry = {
        "status": str(result.status),
        "message": str(result.message),
        "notes": _as_text(list(result.notes)),
        "left_out": {str(k): str(v) for k, v in result.left_out.items()},
        # a shallow copy: asdict's deep copy of the parameters costs more than
        # writing the whole document
        "provenance": dict(vars(result.provenance)) if result.provenance else None,
        "series": {
            str(name): {
                "rate_hz": float(s.rate_hz),
                "t0_s": float(s.t0_s),
                "unit": str(s.unit),
                "description": str(s.description),
                "shape": list(np.shape(s.values)),
            }
            for name, s in result.series.items()
        },
        "metrics": {
            column: _as_text([getattr(m, column) for m in metrics])
            for column in METRIC_TEXT
        },
        "events": {
            "time_s": [float(e.time_s) for e in result.events],
            **{
                column: _as_text([getattr(e, column) for e in result.events])
                for column in EVENT_TEXT
            },
        },
    }
    series = {
        str(name): np.asarray(s.values, dtype=float)
        for name, s in result.series.items()
    }
    return PackedResult(numbers, series, entry=entry)


def _as_text(values: list[Any]) -> list[str]:
    """``values`` as ``str`` (a plugin may give a ``numpy.str_`` or a number)."""
    return values if set(map(type, values)) <= {str} else [str(v) for v in values]


def unpack(packed: PackedResult) -> Result:
    """Return the :class:`Result` a packed result holds."""
    entry = packed.entry
    columns = entry["metrics"]
    values, steps, times = packed.numbers.tolist()
    metrics = [
        Metric(
            name,
            value,
            unit,
            side,
            None if step != step else int(step),
            None if time_s != time_s else time_s,
            status,
            message,
        )
        for name, value, unit, side, step, time_s, status, message in zip(
            columns["name"],
            values,
            columns["unit"],
            columns["side"],
            steps,
            times,
            columns["status"],
            columns["message"],
            strict=True,
        )
    ]
    events = entry["events"]
    provenance = entry["provenance"]
    return Result(
        status=str(entry["status"]),
        message=str(entry["message"]),
        series={
            name: Series(
                packed.series[name],
                float(meta["rate_hz"]),
                float(meta["t0_s"]),
                str(meta["unit"]),
                str(meta["description"]),
            )
            for name, meta in entry["series"].items()
        },
        metrics=metrics,
        events=[
            Event(time_s, label, context, origin)
            for time_s, label, context, origin in zip(
                events["time_s"],
                events["label"],
                events["context"],
                events["origin"],
                strict=True,
            )
        ],
        notes=list(entry["notes"]),
        left_out=dict(entry["left_out"]),
        provenance=Provenance(**provenance) if provenance else None,
    )


def checked_packed(value: Any, *, stored: bool = False) -> PackedResult:
    """Check a packed result from another process before it is stored.

    Every field must have exactly its type (text is ``str``, times are
    finite ``float``, steps whole numbers), the columns must be of one
    length, and every series must be described, its shape included. A
    result ``"ok"`` with metrics left out becomes ``"partial"``, one of an
    unknown status ``"failed"``.

    Parameters
    ----------
    value : Any
        What the process sent.
    stored : bool
        ``value`` was read from a results file: its status must be known,
        and is kept as written.

    Returns
    -------
    PackedResult
        The result, its series as float64 arrays.

    Raises
    ------
    TypeError, ValueError
        What is wrong with ``value``.
    """
    if type(value) is not PackedResult:
        raise TypeError(f"expected a packed result, got {type(value).__name__}")
    text = value._text
    if text is None:
        entry = value._entry
    elif type(text) is not str:
        raise ValueError("the result's entry is not text")
    else:
        try:
            entry = json.loads(text)
        except ValueError:
            raise ValueError("the result's entry is not JSON") from None
    if type(entry) is not dict or set(entry) != _ENTRY_KEYS:
        raise ValueError("the result's fields are not those of a result")
    status = entry["status"]
    left_out = _text_mapping(entry["left_out"], "left_out")
    if stored and not (type(status) is str and status in STATUSES):
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if type(status) is not str or status not in STATUSES:
        status = "failed"
    if status == "ok" and left_out and not stored:  # "ok": every metric computed
        status = "partial"
    if status != entry["status"]:
        entry["status"] = status
        text = None  # no longer the entry's text
    if type(entry["message"]) is not str:
        raise ValueError("the result's message is not text")
    metrics = _columns(entry["metrics"], METRIC_TEXT, "metrics")
    count = len(metrics["name"])
    if not set(metrics["status"]) <= _METRIC_STATUSES:
        raise ValueError("a metric status is not one of " + ", ".join(METRIC_STATUSES))
    if not set(metrics["side"]) <= _SIDES:
        raise ValueError("a metric side is not 'Left', 'Right' or ''")
    numbers = value.numbers
    if type(numbers) is not np.ndarray or numbers.shape != (3, count):
        raise ValueError(f"the metric numbers are not an array of shape (3, {count})")
    numbers = np.asarray(numbers, dtype=float)
    steps, times = numbers[1], numbers[2]
    known = steps[~np.isnan(steps)]
    if not (np.all(known == np.round(known)) and np.all(np.abs(known) <= MAX_STEP)):
        raise ValueError("a metric step is not a whole number")
    if np.isinf(times).any():
        raise ValueError("a metric time is not finite")
    events = _columns(entry["events"], ("time_s", *EVENT_TEXT), "events", text=False)
    if not set(map(type, events["time_s"])) <= {float} or not all(
        map(math.isfinite, events["time_s"])
    ):
        raise ValueError("an event time is not a finite number")
    for column in EVENT_TEXT:
        if not set(map(type, events[column])) <= {str}:
            raise ValueError(f"the events' {column} column is not a list of text")
    notes = entry["notes"]
    if type(notes) is not list or not set(map(type, notes)) <= {str}:
        raise ValueError("the notes are not a list of text")
    provenance = entry["provenance"]
    if provenance is not None and (
        type(provenance) is not dict or set(provenance) != _PROVENANCE_FIELDS
    ):
        raise ValueError("the provenance's fields are not those of a provenance")
    return PackedResult(
        numbers, _checked_series(entry["series"], value.series), entry=entry, text=text
    )


def _checked_series(described: Any, series: Any) -> dict[str, FloatArray]:
    """Return the series' values as float64 arrays, each checked against its entry."""
    described = _mapping(described, "series")
    if type(series) is not dict or set(series) != set(described):
        raise ValueError("the series' values and descriptions do not match")
    checked = {}
    for name, meta in described.items():
        if type(meta) is not dict or set(meta) != _SERIES_META:
            raise ValueError(f"series {name!r} is not described")
        rate, t0 = meta["rate_hz"], meta["t0_s"]
        if not (type(rate) is float and type(t0) is float):
            raise ValueError(f"series {name!r}: rate_hz and t0_s are not numbers")
        if not (math.isfinite(rate) and rate > 0 and math.isfinite(t0)):
            raise ValueError(f"series {name!r}: rate_hz and t0_s are not finite")
        if not (type(meta["unit"]) is str and type(meta["description"]) is str):
            raise ValueError(f"series {name!r}: unit and description are not text")
        values = series[name]
        if type(values) is not np.ndarray or values.ndim == 0:
            raise ValueError(f"series {name!r} is not a time-first array")
        if meta["shape"] != list(values.shape):
            raise ValueError(f"series {name!r} is not of its described shape")
        checked[name] = np.asarray(values, dtype=float)
    return checked


def _mapping(value: Any, what: str) -> dict[Any, Any]:
    if type(value) is not dict:
        raise ValueError(f"the {what} are not a mapping")
    return value


def _text_mapping(value: Any, what: str) -> dict[str, str]:
    mapping = _mapping(value, what)
    if not set(map(type, mapping)) | set(map(type, mapping.values())) <= {str}:
        raise ValueError(f"the {what} are not text")
    return mapping


def _columns(
    value: Any, names: tuple[str, ...], what: str, *, text: bool = True
) -> dict[str, list[Any]]:
    """Columns ``names`` of one length (of ``str`` when ``text``)."""
    columns = _mapping(value, what)
    if set(columns) != set(names):
        raise ValueError(f"the {what}' columns are not {', '.join(names)}")
    lengths = set()
    for name in names:
        column = columns[name]
        if type(column) is not list or (text and not set(map(type, column)) <= {str}):
            raise ValueError(f"the {what}' {name} column is not a list of text")
        lengths.add(len(column))
    if len(lengths) > 1:
        raise ValueError(f"the {what}' columns are of different lengths")
    return columns
