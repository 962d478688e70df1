"""gait_events gives the events it gave when its reference was recorded.

``tests/data/gait_events_2.2.0_reference.json`` holds what gait_events
returned (2.0.0 before its marker filtering, side/cleanliness checks and
bias statistics were vectorised; regenerated for 2.1.0, which adds the
initial contacts whose toe-off is not seen as unpaired Foot Strike events,
and for 2.2.0, which keeps the pelvis centre through pelvis-marker gaps
(two off-plate events of the walking files moved by about 30 ms: the mean
of the markers left had jumped) and times a toe-off from the heel when the
toe marker is lost): every event (time, label, side), every
metric (value, side, step, time) and every note, on the demo trials with the
default parameters and three variants, and on a real 30 s treadmill trial
with its static trial (when ../shared/data is present). A change of any
event by more than 1e-9 s, of any metric by more than 1e-9 (relative), or
of any note fails here. Regenerate (``python
tests/plugins/test_gait_events_reference.py``) only with an intended change
of the plugin's results, and give it a new version.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from gaitlab.api import Result
from gaitlab.testing import analyse_file

REFERENCE = (
    Path(__file__).resolve().parents[1] / "data" / "gait_events_2.2.0_reference.json"
)
DEMO = Path(__file__).resolve().parents[2] / "data"
VARIANTS = (
    {},
    {"threshold_n": 20.0},
    {"source": "kinematic"},
    {"correct_kinematic_bias": False},
)
RBDS = "pfjrf-methods/data/RBDS001"
REAL = (  # (trial, static trial or None) in ../shared/data
    (f"{RBDS}/RBDS001runT25.c3d", f"{RBDS}/RBDS001static.c3d"),
    ("opensim-core/walking2.c3d", None),  # overground walking, two plates
    (
        "pyc3dserver_examples/Samples_C3D/Sample00/Codamotion/"
        "codamotion_gaitwands_20150204.c3d",
        None,
    ),
)
TOLERANCE = 1e-9  # s for event times, relative (at least 1e-9 absolute) for metrics


def summary(path: Path, static: Path | None, params: dict) -> dict:
    """What gait_events returns on a file, as plain data (NaN as None)."""
    try:
        result: Result = analyse_file(
            path, plugins=["gait_events"], static=static, params={"gait_events": params}
        )["gait_events"]
    except Exception as error:  # recorded, so a new failure is a difference too
        return {"error": f"{type(error).__name__}: {error}"}
    return {
        "status": "ok" if result.status in ("ok", "partial") else result.status,
        "events": [[e.time_s, e.label, e.context] for e in result.events],
        "metrics": [
            [
                m.name,
                None if math.isnan(m.value) else m.value,
                m.side,
                m.step,
                m.time_s,
            ]
            for m in result.metrics
        ],
        "notes": list(result.notes),
    }


def demo_cases() -> list[tuple[str, Path, dict]]:
    return [
        (f"{path.name} {json.dumps(params, sort_keys=True)}", path, params)
        for path in sorted(DEMO.glob("*.c3d"))
        for params in VARIANTS
    ]


def assert_same(found: dict, expected: dict, case: str) -> None:
    assert found.keys() == expected.keys(), case
    assert found.get("error") == expected.get("error"), case
    assert found.get("status") == expected.get("status"), case
    assert found.get("notes") == expected.get("notes"), case
    assert len(found.get("events", [])) == len(expected.get("events", [])), case
    for got, want in zip(
        found.get("events", []), expected.get("events", []), strict=True
    ):
        assert got[1:] == want[1:], (case, got, want)
        assert abs(got[0] - want[0]) <= TOLERANCE, (case, got, want)
    assert len(found.get("metrics", [])) == len(expected.get("metrics", [])), case
    for got, want in zip(
        found.get("metrics", []), expected.get("metrics", []), strict=True
    ):
        assert (got[0], got[2], got[3]) == (want[0], want[2], want[3]), (case, got)
        for a, b in ((got[1], want[1]), (got[4], want[4])):
            if a is None or b is None:
                assert a is b, (case, got, want)
            else:
                assert abs(a - b) <= TOLERANCE * max(1.0, abs(b)), (case, got, want)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize(
    ("case", "path", "params"), demo_cases(), ids=[c[0] for c in demo_cases()]
)
def test_demo_trials_give_the_reference_events(reference, case, path, params):
    assert_same(summary(path, None, params), reference[case], case)


def real_case(
    shared: Path, trial: str, static: str | None
) -> tuple[str, Path, Path | None]:
    path = shared / trial
    static_path = None if static is None else shared / static
    name = f"{path.name} {static_path.name if static_path else ''}".strip()
    return name, path, static_path


@pytest.mark.parametrize(("trial", "static"), REAL, ids=[t for t, _ in REAL])
def test_real_recordings_give_the_reference_events(
    reference, shared_data, trial, static
):
    """A 30 s treadmill run (77 contacts, static trial) and two walking trials."""
    case, path, static_path = real_case(shared_data, trial, static)
    assert_same(summary(path, static_path, {}), reference[case], case)


def regenerate(shared: Path) -> None:
    data = {case: summary(path, None, params) for case, path, params in demo_cases()}
    for trial, static in REAL:
        case, path, static_path = real_case(shared, trial, static)
        data[case] = summary(path, static_path, {})
    REFERENCE.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    regenerate(
        Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO.parents[1] / "shared" / "data"
    )
