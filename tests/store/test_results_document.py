"""Results files of format 6: one JSON document, the metrics' numbers and the
series' values, read back exactly; a crafted file is refused clearly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.core.errors import DamagedFileError
from gaitlab.core.results import Metric, Provenance, Result, Series
from gaitlab.core.trial import Event
from gaitlab.store._integrity import seal
from gaitlab.store._resultfile import read_results_skipping, write_results_file
from gaitlab.store.schema import FORMAT_VERSION


def sample_results() -> dict[str, Result]:
    rng = np.random.default_rng(3)
    com = Result(
        status="ok",
        series={
            "com": Series(
                rng.normal(size=(500, 3)), 200.0, 0.25, "m", "centre of mass"
            ),
            "speed": Series(rng.normal(size=500), 200.0, 0.0, "m/s", ""),
        },
        metrics=[
            Metric("body_height", 1.02, "m", "", None, None, "ok", ""),
            Metric(
                "lean", math.nan, "deg", "Left", 3, 1.125, "invalid", "no marker — gap"
            ),
            Metric("lean", -2.5, "deg", "Right", 4, 1.5, "unclean", "two feet"),
            Metric("big", math.inf, "N", "", 0, 0.0, "warning", "ünïcode ✓"),
        ],
        events=[
            Event(0.5, "Foot Strike", "Left", "plate"),
            Event(0.75, "Foot Off", "Left", "markers"),
        ],
        notes=["a note", "another"],
        left_out={"leg_line": "no static trial"},
        provenance=Provenance(
            plugin="center_of_mass",
            plugin_version="2.1.0",
            plugin_source="builtin:center_of_mass.py",
            parameters={"cutoff_hz": 6.0, "model": "full"},
            inputs_digest="abc",
            upstream={"gait_events": "def"},
            gaitlab_version="0.1.0",
            created_utc="2026-12-04T23:00:00+00:00",
            duration_s=0.01,
        ),
    )
    skipped = Result(status="skipped", message="needs forceplates")
    return {"center_of_mass": com, "braking": skipped}


def assert_same(a: Result, b: Result) -> None:
    assert (a.status, a.message, a.notes, a.left_out) == (
        b.status,
        b.message,
        b.notes,
        b.left_out,
    )
    assert a.provenance == b.provenance
    assert a.events == b.events
    assert len(a.metrics) == len(b.metrics)
    for x, y in zip(a.metrics, b.metrics, strict=True):
        assert (x.name, x.unit, x.side, x.step, x.time_s, x.status, x.message) == (
            y.name,
            y.unit,
            y.side,
            y.step,
            y.time_s,
            y.status,
            y.message,
        )
        assert x.value == y.value or (math.isnan(x.value) and math.isnan(y.value))
    assert set(a.series) == set(b.series)
    for key, series in a.series.items():
        other = b.series[key]
        np.testing.assert_array_equal(series.values, other.values)
        assert (series.rate_hz, series.t0_s, series.unit, series.description) == (
            other.rate_hz,
            other.t0_s,
            other.unit,
            other.description,
        )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "results" / "t.h5"
    written = sample_results()
    write_results_file(path, "t", written)
    names, read = read_results_skipping(path)
    assert names == sorted(written)
    for name, result in written.items():
        assert_same(result, read[name])
    with h5py.File(path) as f:
        assert f.attrs["gaitlab_format_version"] == FORMAT_VERSION >= 6
        assert set(f) == {"document", "metric_numbers", "series_values"}


def test_skipped_plugins_are_named_not_read(tmp_path: Path) -> None:
    path = tmp_path / "t.h5"
    write_results_file(path, "t", sample_results())
    names, read = read_results_skipping(path, skip={"center_of_mass"})
    assert sorted(names) == ["braking", "center_of_mass"]
    assert set(read) == {"braking"}
    # a plugin skipped before another still counts its numbers and values
    braking = {"braking": sample_results()["center_of_mass"], "x": Result()}
    write_results_file(path, "t", {**sample_results(), **braking})
    names, read = read_results_skipping(path, skip={"braking", "x"})
    assert names == ["braking", "center_of_mass", "x"]
    assert_same(read["center_of_mass"], sample_results()["center_of_mass"])


def _rewrite_document(path: Path, change) -> None:
    """Replace the document by a changed one and re-seal, as a crafted file would."""
    with h5py.File(path, "a") as f:
        document = json.loads(f["document"][()].tobytes())
        text = change(document)
        del f["document"]
        f.create_dataset("document", data=np.frombuffer(text.encode(), dtype=np.uint8))
        seal(f)


def _plugin(name: str, **changes):
    """A change of one plugin's entry in the document."""
    return lambda d: json.dumps({**d, name: {**d[name], **changes}})


def _series(**meta):
    com = {"rate_hz": 200.0, "t0_s": 0.25, "unit": "m", "description": "centre of mass"}
    speed = {"rate_hz": 200.0, "t0_s": 0.0, "unit": "m/s", "description": ""}
    return {"com": {**com, "shape": [500, 3]}, "speed": {**speed, **meta}}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: "not json {", "not JSON"),
        (lambda d: json.dumps([1, 2]), "not a mapping"),
        (
            lambda d: json.dumps({**d, "braking": {"status": "ok"}}),
            "'braking' are malformed",
        ),
        (_plugin("braking", status="great"), "'braking' are malformed.*status"),
        (
            lambda d: _plugin(
                "center_of_mass",
                metrics={**d["center_of_mass"]["metrics"], "value": [1.0]},
            )(d),
            "columns are not",
        ),
        (
            lambda d: _plugin(
                "center_of_mass",
                metrics={**d["center_of_mass"]["metrics"], "unit": ["m"]},
            )(d),
            "different lengths",
        ),
        (
            lambda d: _plugin(
                "center_of_mass",
                metrics={k: v[:2] for k, v in d["center_of_mass"]["metrics"].items()},
            )(d),
            "metric numbers or series values of no plugin",
        ),
        (
            _plugin("center_of_mass", series=_series(shape=[5000])),
            "runs past the stored values",
        ),
        (
            _plugin("center_of_mass", series=_series(shape=[400])),
            "series values of no plugin",
        ),
        (
            _plugin("center_of_mass", series=_series(shape=[-500, -1])),
            "runs past",
        ),
        (_plugin("center_of_mass", series=_series(shape=None)), "malformed"),
    ],
)
def test_a_crafted_document_is_refused_clearly(
    tmp_path: Path, change, problem: str
) -> None:
    path = tmp_path / "t.h5"
    write_results_file(path, "t", sample_results())
    _rewrite_document(path, change)
    with pytest.raises(DamagedFileError, match=problem):
        read_results_skipping(path)


def test_a_changed_byte_is_caught_by_the_checksum(tmp_path: Path) -> None:
    path = tmp_path / "t.h5"
    write_results_file(path, "t", sample_results())
    with h5py.File(path, "a") as f:
        values = f["series_values"]
        values[-1] = values[-1] + 1.0
    with pytest.raises(DamagedFileError, match="checksum"):
        read_results_skipping(path)
