"""The bundled demo trials in ``data/``, made by the synthetic runner.

``python -m gaitlab.synth.demo [FOLDER]`` (re)writes them; ``gaitlab demo``
imports them. Their known answers are in ``data/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from gaitlab.synth.drill import make_drill_trial
from gaitlab.synth.running import make_running_trial, make_static_trial

__all__ = ["DEMO_DRILLS", "DEMO_STATIC", "DEMO_TRIALS", "write_demo_files"]

#: running trials: name -> keyword arguments of make_running_trial
DEMO_TRIALS: dict[str, dict[str, Any]] = {
    "demo_treadmill_run.c3d": {
        "speed": 3.5,
        "n_steps": 10,
        "treadmill": True,
        "up": "z",
        "forward": "+x",
        "noise_n": 3.0,
    },
    "demo_overground_run.c3d": {
        "speed": 3.5,
        "n_steps": 4,
        "treadmill": False,
        "up": "y",
        "forward": "-x",
    },
    "demo_treadmill_lean_ankles.c3d": {
        "speed": 3.5,
        "n_steps": 8,
        "treadmill": True,
        "up": "z",
        "forward": "+x",
        "lean_from_ankles_deg": 8.0,
        "bend_at_waist_deg": 0.0,
        "foot_strike_angle_deg": -5.0,
    },
    "demo_treadmill_bend_waist.c3d": {
        "speed": 3.5,
        "n_steps": 8,
        "treadmill": True,
        "up": "z",
        "forward": "+x",
        "lean_from_ankles_deg": 0.0,
        "bend_at_waist_deg": 12.0,
        "foot_strike_angle_deg": 0.0,
    },
}

#: the subject's standing trial: name -> keyword arguments of make_static_trial
DEMO_STATIC: dict[str, dict[str, Any]] = {
    "demo_static.c3d": {"up": "z", "forward": "+x", "duration_s": 1.0},
}

#: the lean-and-fall drill of the same runner (straight line from the ankles,
#: standing on a plate): name -> keyword arguments of make_drill_trial
DEMO_DRILLS: dict[str, dict[str, Any]] = {
    "demo_drill.c3d": {
        "up": "z",
        "forward": "+x",
        "subject_name": "SLIP01",
        "force_plate": True,
    },
}


def write_demo_files(folder: Path) -> list[Path]:
    """Write the demo C3D files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        make_running_trial(folder / name, **kwargs).path
        for name, kwargs in DEMO_TRIALS.items()
    ]
    paths += [
        make_static_trial(folder / name, **kwargs).path
        for name, kwargs in DEMO_STATIC.items()
    ]
    paths += [
        make_drill_trial(folder / name, **kwargs).path
        for name, kwargs in DEMO_DRILLS.items()
    ]
    return paths


if __name__ == "__main__":
    for path in write_demo_files(Path(sys.argv[1] if len(sys.argv) > 1 else "data")):
        sys.stdout.write(f"{path}\n")
