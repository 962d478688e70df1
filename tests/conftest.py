"""Shared fixtures: the real recordings in ../shared/data, and project helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_SHARED_DATA = Path(
    os.environ.get(
        "GAITLAB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real C3D recordings; tests using it skip when it is absent."""
    if not _SHARED_DATA.is_dir():
        pytest.skip(
            f"real recordings not found at {_SHARED_DATA} (set GAITLAB_SHARED_DATA "
            "to the shared/data folder to run these tests)"
        )
    return _SHARED_DATA
