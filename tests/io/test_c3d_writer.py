"""Round trips of gaitlab.io.c3d_writer through ezc3d and the pure-Python c3d reader."""

from __future__ import annotations

import c3d as pyc3d
import ezc3d
import numpy as np
import pytest

from gaitlab.io.c3d_writer import PlateParameters, write_c3d

POINT_RATE = 100.0
ANALOG_RATE = 500.0
N_FRAMES = 20
LABELS = ["LASI", "RASI", "C7"]


def _markers() -> np.ndarray:
    rng = np.random.default_rng(1)
    markers = rng.uniform(-1.0, 2.0, (N_FRAMES, len(LABELS), 3))
    markers[3, 1] = np.nan
    return markers


def _analogs(n_channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(2)
    return rng.normal(0.0, 300.0, (N_FRAMES * 5, n_channels))


def _param(reader: ezc3d.c3d, group: str, name: str):
    return reader["parameters"][group][name]["value"]


def _corners(centre: tuple[float, float, float]) -> np.ndarray:
    signs = np.array([[1, 1, 0], [-1, 1, 0], [-1, -1, 0], [1, -1, 0]])
    return np.asarray(centre) + signs * (0.2, 0.3, 0.0)


@pytest.mark.parametrize(("units", "scale"), [("mm", 1000.0), ("m", 1.0)])
def test_markers_round_trip(tmp_path, units, scale):
    markers = _markers()
    path = write_c3d(
        tmp_path / "m.c3d",
        markers=markers,
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        point_units=units,
    )
    reader = ezc3d.c3d(str(path))
    points = reader["data"]["points"][:3].transpose(2, 1, 0) / scale
    np.testing.assert_allclose(points, markers, rtol=1e-6, atol=1e-9)
    assert np.isnan(points[3, 1]).all()
    residuals = reader["data"]["meta_points"]["residuals"][0].T
    assert residuals[3, 1] == -1
    assert np.count_nonzero(residuals) == 1
    assert _param(reader, "POINT", "LABELS") == LABELS
    assert _param(reader, "POINT", "UNITS") == [units]
    assert _param(reader, "POINT", "RATE")[0] == POINT_RATE
    assert reader["header"]["points"]["frame_rate"] == POINT_RATE
    assert reader["header"]["points"]["last_frame"] == N_FRAMES - 1


def test_residuals_are_whole_point_units(tmp_path):
    markers = _markers()
    residuals = np.full((N_FRAMES, len(LABELS)), 0.0024)
    path = write_c3d(
        tmp_path / "r.c3d",
        markers=markers,
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        residuals=residuals,
    )
    stored = ezc3d.c3d(str(path))["data"]["meta_points"]["residuals"][0].T
    expected = np.full_like(residuals, 2.0)
    expected[3, 1] = -1.0
    np.testing.assert_array_equal(stored, expected)


def test_analogs_round_trip_with_scale(tmp_path):
    analogs = _analogs()
    scale = np.array([-1.0, 0.5, 1.0])
    path = write_c3d(
        tmp_path / "a.c3d",
        markers=_markers(),
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        analogs=analogs,
        analog_labels=["Fx", "Fy", "Fz"],
        analog_units=["N", "N", "V"],
        analog_rate_hz=ANALOG_RATE,
        analog_scale=scale,
    )
    reader = ezc3d.c3d(str(path))
    np.testing.assert_allclose(reader["data"]["analogs"][0].T, analogs, rtol=1e-6)
    np.testing.assert_array_equal(_param(reader, "ANALOG", "SCALE"), scale)
    assert _param(reader, "ANALOG", "GEN_SCALE")[0] == 1.0
    assert _param(reader, "ANALOG", "RATE")[0] == ANALOG_RATE
    assert _param(reader, "ANALOG", "LABELS") == ["Fx", "Fy", "Fz"]
    assert _param(reader, "ANALOG", "UNITS") == ["N", "N", "V"]

    # The stored floats of the first frame are physical / scale (OFFSET 0).
    block = int(_param(reader, "POINT", "DATA_START")[0])
    raw = np.fromfile(path, dtype="<f4", offset=(block - 1) * 512, count=4 * 3 + 15)
    np.testing.assert_allclose(raw[12:].reshape(5, 3), analogs[:5] / scale, rtol=1e-6)


def test_second_reader_agrees(tmp_path):
    markers, analogs = _markers(), _analogs()
    path = write_c3d(
        tmp_path / "b.c3d",
        markers=markers,
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        analogs=analogs,
        analog_labels=["A1", "A2", "A3"],
        analog_rate_hz=ANALOG_RATE,
        analog_scale=[-1.0, 2.0, 1.0],
    )
    with path.open("rb") as handle:
        reader = pyc3d.Reader(handle)
        assert reader.point_rate == POINT_RATE
        assert reader.analog_rate == ANALOG_RATE
        frames = list(reader.read_frames())
    points = np.stack([frame[1][:, :3] for frame in frames]) / 1000.0
    valid = ~np.isnan(markers)
    np.testing.assert_allclose(points[valid], markers[valid], rtol=1e-6, atol=1e-9)
    read = np.concatenate([frame[2].T for frame in frames])
    np.testing.assert_allclose(read, analogs, rtol=1e-6)


def test_force_platform_parameters(tmp_path):
    rng = np.random.default_rng(3)
    cal = np.diag([500.0, 500.0, 1000.0, 8e5, 2.5e5, 4e5]) + rng.normal(0, 5, (6, 6))
    kistler = [0.21, 0.35, -0.053]
    plates = [
        PlateParameters(
            4, _corners((0.5, 0.3, 0)), [0.01, -0.02, -0.04], range(1, 7), cal
        ),
        PlateParameters(3, _corners((1.5, 0.3, 0)), kistler, range(7, 15)),
    ]
    path = write_c3d(
        tmp_path / "fp.c3d",
        markers=_markers(),
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        analogs=_analogs(14),
        analog_labels=[f"ch{i}" for i in range(1, 15)],
        analog_rate_hz=ANALOG_RATE,
        plates=plates,
    )
    reader = ezc3d.c3d(str(path))
    assert _param(reader, "FORCE_PLATFORM", "USED")[0] == 2
    np.testing.assert_array_equal(_param(reader, "FORCE_PLATFORM", "TYPE"), [4, 3])
    np.testing.assert_array_equal(_param(reader, "FORCE_PLATFORM", "ZERO"), [0, 0])
    corners = _param(reader, "FORCE_PLATFORM", "CORNERS")
    assert corners.shape == (3, 4, 2)
    np.testing.assert_allclose(
        corners[:, :, 1].T, 1000 * plates[1].corners_m, rtol=1e-6
    )
    origin = _param(reader, "FORCE_PLATFORM", "ORIGIN")
    np.testing.assert_allclose(origin[:, 1], [210.0, 350.0, -53.0], rtol=1e-6)
    channel = _param(reader, "FORCE_PLATFORM", "CHANNEL")
    np.testing.assert_array_equal(channel[:, 0], [1, 2, 3, 4, 5, 6, 0, 0])
    np.testing.assert_array_equal(channel[:, 1], np.arange(7, 15))
    flat = _param(reader, "FORCE_PLATFORM", "CAL_MATRIX").flatten(order="F")
    i, j = np.indices((6, 6))
    np.testing.assert_allclose(flat[j * 6 + i], cal, rtol=1e-6)
    assert not flat[36:].any()


def test_events_and_subject(tmp_path):
    events = [("Foot Strike", "Left", 0.25), ("Foot Off", "Right", 75.5)]
    path = write_c3d(
        tmp_path / "e.c3d",
        markers=_markers(),
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
        events=events,
        subject_name="Runner",
        mass_kg=62.5,
        height_m=1.74,
    )
    reader = ezc3d.c3d(str(path))
    assert _param(reader, "EVENT", "USED")[0] == 2
    assert _param(reader, "EVENT", "LABELS") == ["Foot Strike", "Foot Off"]
    assert _param(reader, "EVENT", "CONTEXTS") == ["Left", "Right"]
    assert _param(reader, "EVENT", "SUBJECTS") == ["Runner", "Runner"]
    np.testing.assert_allclose(
        _param(reader, "EVENT", "TIMES"), [[0.0, 1.0], [0.25, 15.5]], rtol=1e-7
    )
    assert _param(reader, "SUBJECTS", "NAMES") == ["Runner"]
    assert _param(reader, "PROCESSING", "Bodymass")[0] == pytest.approx(62.5)
    assert _param(reader, "PROCESSING", "Height")[0] == pytest.approx(1740.0)


def test_any_suffix_is_written_in_place(tmp_path):
    path = write_c3d(
        tmp_path / "TRIAL.C3D",
        markers=_markers(),
        marker_labels=LABELS,
        point_rate_hz=POINT_RATE,
    )
    assert path == tmp_path / "TRIAL.C3D"
    assert [p.name for p in tmp_path.iterdir()] == ["TRIAL.C3D"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"analog_rate_hz": 250.0}, "integer multiple"),
        ({"analogs": np.zeros((99, 3))}, "analogs must have shape"),
        ({"analog_labels": ["A1"]}, "analogs must have shape"),
        ({"point_units": "cm"}, "point_units"),
        ({"marker_labels": ["A"]}, "markers must have shape"),
        ({"analog_scale": [1.0, 0.0, 1.0]}, "non-zero"),
    ],
)
def test_rejects_inconsistent_input(tmp_path, change, message):
    arguments = {
        "markers": _markers(),
        "marker_labels": LABELS,
        "point_rate_hz": POINT_RATE,
        "analogs": _analogs(),
        "analog_labels": ["A1", "A2", "A3"],
        "analog_rate_hz": ANALOG_RATE,
    } | change
    with pytest.raises(ValueError, match=message):
        write_c3d(tmp_path / "bad.c3d", **arguments)


def test_rejects_bad_plates(tmp_path):
    with pytest.raises(ValueError, match="cal_matrix"):
        PlateParameters(4, _corners((0, 0, 0)), np.zeros(3), range(1, 7))
    with pytest.raises(ValueError, match="channels must have shape"):
        PlateParameters(3, _corners((0, 0, 0)), np.zeros(3), range(1, 7))
    plate = PlateParameters(2, _corners((0, 0, 0)), np.zeros(3), range(2, 8))
    with pytest.raises(ValueError, match="outside"):
        write_c3d(
            tmp_path / "bad.c3d",
            markers=_markers(),
            marker_labels=LABELS,
            point_rate_hz=POINT_RATE,
            analogs=_analogs(6),
            analog_labels=[f"A{i}" for i in range(6)],
            analog_rate_hz=ANALOG_RATE,
            plates=[plate],
        )
