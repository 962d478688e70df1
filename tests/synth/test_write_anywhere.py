"""Writing synthetic trials where a researcher would: any folder, new or not."""

from __future__ import annotations

from pathlib import Path

from gaitlab.io.c3d import read_c3d
from gaitlab.synth.running import make_running_trial


def test_a_synthetic_trial_can_be_written_into_a_new_folder(tmp_path: Path) -> None:
    """Writing into a folder that does not exist yet creates it (was: a rename error)."""
    run = make_running_trial(tmp_path / "new" / "folder" / "run.c3d", n_steps=2)
    assert run.path.is_file()
    assert read_c3d(run.path).markers.n_frames > 0
