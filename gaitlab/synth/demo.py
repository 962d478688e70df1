"""The bundled demo trials in ``data/``, made by the synthetic runner.

``python -m gaitlab.synth.demo [FOLDER]`` (re)writes them; ``gaitlab demo``
imports them. Their known answers are in ``data/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gaitlab.synth.running import make_running_trial

__all__ = ["DEMO_TRIALS", "write_demo_files"]

#: name -> keyword arguments of make_running_trial
DEMO_TRIALS = {
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
}


def write_demo_files(folder: Path) -> list[Path]:
    """Write the demo C3D files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_running_trial(folder / name, **kwargs).path
        for name, kwargs in DEMO_TRIALS.items()
    ]


if __name__ == "__main__":
    for path in write_demo_files(Path(sys.argv[1] if len(sys.argv) > 1 else "data")):
        print(path)
