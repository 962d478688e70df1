"""Subject measurements read from PROCESSING: sex, leg length and joint widths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlab.io.c3d import read_c3d
from gaitlab.io.c3d_writer import write_c3d


@pytest.mark.parametrize(
    ("written", "read"), [("M", "M"), ("female", "F"), ("x", None)]
)
def test_processing_sex_and_widths(
    tmp_path: Path, written: str, read: str | None
) -> None:
    path = write_c3d(
        tmp_path / "subject.c3d",
        markers=np.zeros((5, 1, 3)) + 1.0,
        marker_labels=["M1"],
        point_rate_hz=100.0,
        subject_name="S01",
        mass_kg=70.0,
        height_m=1.8,
        processing={
            "Sex": written,
            "LKneeWidth": 100.0,
            "RKneeWidth": 110.0,
            "LAnkleWidth": 70.0,
            "LLegLength": 900.0,
        },
    )
    subject = read_c3d(path).subject
    assert subject.sex == read
    assert subject.extra["knee_width_m"] == pytest.approx(0.105)
    assert subject.extra["ankle_width_m"] == pytest.approx(0.070)
    assert "elbow_width_m" not in subject.extra
    assert subject.leg_length_m == {"Left": pytest.approx(0.9)}
