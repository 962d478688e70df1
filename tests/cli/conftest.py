"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gaitlab.io.c3d_writer import write_c3d


@pytest.fixture
def markers_file() -> Callable[[Path, list[str], str | None], Path]:
    """Write a 1 s marker-only C3D file (100 Hz) with given labels and subject name."""

    def write(path: Path, labels: list[str], subject: str | None) -> Path:
        rng = np.random.default_rng(0)
        markers = 0.5 + 0.01 * rng.standard_normal((100, len(labels), 3))
        return write_c3d(
            path,
            markers=markers,
            marker_labels=labels,
            point_rate_hz=100.0,
            subject_name=subject,
        )

    return write
