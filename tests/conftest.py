"""Shared fixtures: the real recordings in ../shared/data, and project helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
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


@pytest.fixture(autouse=True)
def _isolated_user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the real user's plugins and settings."""
    home = tmp_path_factory.getbasetemp() / "user-folders"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("GAITLAB_PLUGIN_PATH", raising=False)


@pytest.fixture
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on GAITLAB_PLUGIN_PATH; discovery is refreshed before and after."""
    from gaitlab.pipeline.discovery import refresh

    folder = tmp_path / "user-plugins"
    folder.mkdir()
    monkeypatch.setenv("GAITLAB_PLUGIN_PATH", str(folder))
    refresh()
    yield folder
    monkeypatch.delenv("GAITLAB_PLUGIN_PATH")
    refresh()


DEMO_DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def demo_files() -> list[Path]:
    """The bundled synthetic demo trials (data/*.c3d)."""
    files = sorted(DEMO_DATA.glob("*.c3d"))
    assert files, f"no demo trials in {DEMO_DATA}"
    return files


@pytest.fixture
def markers_file() -> Callable[[Path, list[str], str | None], Path]:
    """Write a 1 s marker-only C3D file (100 Hz) with given labels and subject name."""
    from gaitlab.io.c3d_writer import write_c3d

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
