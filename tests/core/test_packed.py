"""Results as columns: packed and unpacked exactly, checked when they come
from another process (a plugin's child or a Dask worker)."""

from __future__ import annotations

import json
import math
import pickle
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from gaitlab.core.packed import (
    MAX_STEP,
    PackedResult,
    checked_packed,
    pack,
    unpack,
)
from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.core.trial import Event


def a_result() -> Result:
    return Result(
        status="partial",
        message="one step unclean",
        series={
            "com": Series(np.arange(12.0).reshape(4, 3), 200.0, 0.25, "m", "COM"),
            "speed": Series(np.array([1.0, np.nan, 3.0]), 100.0, 0.0, "m/s", ""),
        },
        metrics=[
            Metric("height", 1.02, "m", "", None, None, "ok", ""),
            Metric("lean", math.nan, "deg", "Left", 3, 1.125, "invalid", "gap — ✓"),
            Metric("lean", -2.5, "deg", "Right", 4, 1.5, "unclean", "two feet"),
            Metric("big", math.inf, "N", "", MAX_STEP, 0.0, "warning", ""),
            Metric("tiny", 5e-324, "N", "", -7, -0.0, "ok", ""),
        ],
        events=[Event(0.5, "Foot Strike", "Left", "plugin:x")],
        notes=["a note"],
        left_out={"leg": "no static trial"},
        provenance=Provenance(
            "x", "1.0", "builtin:x.py", {"cutoff_hz": 6.0}, "abc", {}, "0.1", "t", 0.01
        ),
    )


def test_unpack_gives_back_every_field_exactly() -> None:
    result = a_result()
    back = unpack(pack(result))
    assert (back.status, back.message, back.notes, back.left_out) == (
        result.status,
        result.message,
        result.notes,
        result.left_out,
    )
    assert back.events == result.events
    assert back.provenance == result.provenance
    for got, want in zip(back.metrics, result.metrics, strict=True):
        assert replace(got, value=0.0) == replace(want, value=0.0)
        assert got.value == want.value or (
            math.isnan(got.value) and math.isnan(want.value)
        )
        assert type(got.step) is type(want.step)  # int stays int, None stays None
        assert math.copysign(1, got.time_s or 1.0) == math.copysign(
            1, want.time_s or 1.0
        )
    for name, series in result.series.items():
        np.testing.assert_array_equal(back.series[name].values, series.values)
        assert back.series[name].values.shape == series.values.shape
        assert replace(back.series[name], values=0) == replace(series, values=0)


def test_a_plugins_numpy_and_text_subclass_values_become_plain() -> None:
    odd = Metric(
        np.str_("lean"),  # type: ignore[arg-type]
        np.float64(0.3),  # type: ignore[arg-type]
        "deg",
        "Right",
        np.int64(4),  # type: ignore[arg-type]
        np.float32(1.75),  # type: ignore[arg-type]
        "ok",
        "",
    )
    packed = checked_packed(pack(Result(metrics=[odd], notes=[np.str_("n")])))
    metric = unpack(packed).metrics[0]
    assert metric == Metric("lean", 0.3, "deg", "Right", 4, 1.75, "ok", "")
    assert [
        type(v) for v in (metric.name, metric.value, metric.step, metric.time_s)
    ] == [
        str,
        float,
        int,
        float,
    ]
    assert type(packed.entry["notes"][0]) is str


def test_a_step_a_float_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="2\\*\\*53"):
        pack(Result(metrics=[Metric("m", 1.0, step=MAX_STEP + 1)]))


def test_checked_copies_a_good_result_and_its_arrays() -> None:
    sent = pickle.loads(pickle.dumps(pack(a_result())))
    checked = checked_packed(sent)
    assert checked.entry == sent.entry
    np.testing.assert_array_equal(checked.numbers, sent.numbers)
    assert checked.numbers is not sent.numbers
    assert checked.series["com"] is not sent.series["com"]


def test_checked_makes_an_ok_result_with_metrics_left_out_partial() -> None:
    forged = pack(Result(status="ok", left_out={"c": "needs the moon"}))
    assert checked_packed(forged).status == "partial"
    unknown = pack(Result(status="great"))
    assert checked_packed(unknown).status == "failed"


class Sneaky(str):
    """A str subclass (it could carry behaviour)."""


def _entry(change: dict[str, Any]) -> PackedResult:
    good = pack(a_result())
    entry = {**good.entry}
    for key, value in change.items():
        if "." in key:
            outer, inner = key.split(".")
            entry[outer] = {**entry[outer], inner: value}
        else:
            entry[key] = value
    return PackedResult(good.numbers, good.series, entry=entry)


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        (a_result(), "expected a packed result"),
        (_entry({"extra": 1}), "fields are not those"),
        (
            _entry({"metrics.name": [Sneaky("h"), "l", "l", "b", "t"]}),
            "not a list of text",
        ),
        (_entry({"metrics.unit": ["m"]}), "different lengths"),
        (
            _entry({"metrics.status": ["ok", "ok", "ok", "ok", "great"]}),
            "metric status",
        ),
        (_entry({"metrics.side": ["", "", "", "", "Up"]}), "metric side"),
        (_entry({"events.time_s": [math.inf]}), "event time"),
        (_entry({"events.time_s": [1]}), "event time"),
        (_entry({"events.label": []}), "different lengths"),
        (_entry({"notes": [b"x"]}), "notes"),
        (_entry({"left_out": {"c": 3}}), "left_out"),
        (_entry({"provenance": {"plugin": "x"}}), "provenance"),
        (_entry({"series": {"com": {"rate_hz": 200.0}}}), "do not match"),
        (
            _entry(
                {
                    "series.com": {
                        "rate_hz": -1.0,
                        "t0_s": 0.0,
                        "unit": "m",
                        "description": "",
                        "shape": [4, 3],
                    }
                }
            ),
            "not finite",
        ),
        (
            _entry(
                {
                    "series.com": {
                        "rate_hz": 1.0,
                        "t0_s": 0.0,
                        "unit": "m",
                        "description": "",
                        "shape": [12],
                    }
                }
            ),
            "not of its described shape",
        ),
    ],
)
def test_checked_refuses_what_a_result_cannot_hold(sent: Any, problem: str) -> None:
    with pytest.raises((TypeError, ValueError), match=problem):
        checked_packed(sent)


@pytest.mark.parametrize(
    ("row", "value", "problem"),
    [(1, 2.5, "whole number"), (1, 2.0**60, "whole number"), (2, math.inf, "time")],
)
def test_checked_refuses_steps_and_times_a_metric_cannot_have(
    row: int, value: float, problem: str
) -> None:
    good = pack(a_result())
    numbers = good.numbers.copy()
    numbers[row, 0] = value
    with pytest.raises(ValueError, match=problem):
        checked_packed(PackedResult(numbers, good.series, entry=good.entry))
    with pytest.raises(ValueError, match="shape"):
        checked_packed(PackedResult(numbers[:, 1:], good.series, entry=good.entry))
    with pytest.raises(ValueError, match="shape"):
        checked_packed(PackedResult(numbers.tolist(), good.series, entry=good.entry))  # type: ignore[arg-type]


def test_checked_refuses_series_that_are_not_arrays() -> None:
    good = pack(a_result())
    for values in ([1.0, 2.0], np.float64(1.0), np.array("text")):
        series = {**good.series, "com": values}
        with pytest.raises((TypeError, ValueError)):
            checked_packed(PackedResult(good.numbers, series, entry=good.entry))  # type: ignore[arg-type]


def test_a_result_travels_as_its_text_and_the_text_is_checked() -> None:
    packed = pack(a_result())
    sent = pickle.loads(pickle.dumps(packed))
    assert sent._entry is None  # the entry is not sent, only its text
    assert sent.text == packed.text
    checked = checked_packed(sent)
    assert checked.text is sent.text  # stored as it came, not encoded again
    assert checked.entry == json.loads(packed.text)

    def forged(text: Any) -> PackedResult:
        copy = pickle.loads(pickle.dumps(packed))
        copy._text = text
        return copy

    with pytest.raises(ValueError, match="not JSON"):
        checked_packed(forged('{"status": '))
    with pytest.raises(ValueError, match="not text"):
        checked_packed(forged(b"{}"))
    with pytest.raises(ValueError, match="fields"):
        checked_packed(forged("[1, 2]"))
    with pytest.raises(ValueError, match="text, numbers and series"):
        PackedResult.__new__(PackedResult).__setstate__({"_entry": {}})
    # a status made "partial" is written from the changed entry, not the old text
    ok = pickle.loads(pickle.dumps(pack(Result(status="ok", left_out={"c": "r"}))))
    assert json.loads(checked_packed(ok).text)["status"] == "partial"
