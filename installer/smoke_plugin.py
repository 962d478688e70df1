"""A user plugin for installer/smoke.sh, run inside the desktop bundle.

It imports numpy and scipy from the bundle (they are not imported by
gaitlab's own modules in the same way, so a missing piece shows here) and
reports the process it runs in. Its per-trial metrics:

* ``smoke_contacts``: number of foot contacts (from ``gait_events``);
* ``smoke_lowpass_rms``: RMS (N) of the vertical GRF (summed plates)
  low-passed by scipy (4th-order Butterworth, 20 Hz, filtfilt);
* ``smoke_spawned``: 1 when the plugin runs in a spawned copy of the frozen
  executable (``--multiprocessing-fork`` in its command line), 0 in a forked
  or the main process; the message gives the command line (Linux).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.signal import butter, filtfilt

from gaitlab.api import MetricSpec, Result, RunContext, TrialView, plugin


@plugin(
    name="smoke_bundle",
    version="1.0.0",
    title="Bundle smoke test",
    category="Smoke test",
    needs=("forceplates", "result:gait_events"),
    metrics=(
        MetricSpec("smoke_contacts", "1", "Number of foot contacts", per_step=False),
        MetricSpec(
            "smoke_lowpass_rms", "N", "RMS of the low-passed GRF", per_step=False
        ),
        MetricSpec(
            "smoke_spawned",
            "1",
            "1 when the plugin runs in a spawned process",
            per_step=False,
        ),
    ),
)
def smoke_bundle(trial: TrialView, ctx: RunContext) -> Result:
    """Contacts, a scipy-filtered GRF and the plugin's process, as metrics."""
    result = Result()
    result.add_metric("smoke_contacts", float(len(trial.contacts())))
    grf = trial.grf
    assert grf is not None  # needs forceplates
    b, a = butter(4, 20.0 / (grf.rate_hz / 2.0))
    smooth = filtfilt(b, a, grf.vertical)
    result.add_metric("smoke_lowpass_rms", float(np.sqrt(np.mean(smooth**2))))
    command = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode()
    spawned = "--multiprocessing-fork" in command
    result.add_metric("smoke_spawned", float(spawned), message=command.strip())
    return result
