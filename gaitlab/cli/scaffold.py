"""The files ``gaitlab plugins new NAME`` writes: a plugin, its test, a README.

The plugin is complete and correct, not a skeleton with holes: vertical
oscillation of the centre of mass per step, with a parameter, a per-step
metric, a per-trial metric and a series that appears in the app's default
plots. Its test runs it on a trial with made-up upstream results whose answer
is known (:func:`gaitlab.testing.run_plugin`), so it passes as written and
fails when the arithmetic is changed wrongly.
"""

from __future__ import annotations

import re
from pathlib import Path

from gaitlab.core.errors import GaitlabError

__all__ = ["scaffold_files", "write_scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

PLUGIN = '''"""{title}: vertical oscillation of the centre of mass in each step.

Written by ``gaitlab plugins new {name}``: a complete plugin with a parameter,
a per-step metric, a per-trial metric and a series. Change the arithmetic,
keep the shape; the guide is gaitlab's docs/plugins.md.
"""

import itertools
import math
from typing import Annotated

import numpy as np

from gaitlab.api import (
    MetricSpec,
    Param,
    Result,
    RunContext,
    SeriesSpec,
    TrialView,
    plugin,
)


@plugin(
    name="{name}",
    version="0.1.0",
    title="{title}",
    category="My lab",
    needs=("result:gait_events", "result:center_of_mass"),
    series=(
        SeriesSpec(
            "com_height",
            "m",
            "Height of the centre of mass above its mean over the trial",
            label="COM height",
            plot="{title}",
        ),
    ),
    metrics=(
        MetricSpec(
            "{name}_oscillation",
            "m",
            "Vertical excursion of the centre of mass (highest minus lowest "
            "height) from a step's initial contact to the next initial contact",
            plausible=(0.0, 0.3),
        ),
        MetricSpec(
            "{name}_mean_oscillation",
            "m",
            "Mean of {name}_oscillation over the trial's steps",
            per_step=False,
        ),
    ),
)
def {name}(
    trial: TrialView,
    ctx: RunContext,
    *,
    min_step_s: Annotated[
        float,
        Param(min=0.0, max=2.0, unit="s", doc="Steps shorter than this are left out"),
    ] = 0.1,
) -> Result:
    """Vertical excursion of the centre of mass from each initial contact to the next."""
    result = Result()
    com = trial.result("center_of_mass").series["com"]
    height = np.asarray(com.values) @ trial.up
    height = height - np.nanmean(height)
    result.add_series("com_height", height, rate_hz=com.rate_hz, t0_s=com.t0_s)

    time = com.time
    contacts = trial.contacts()
    values = []
    for contact, following in itertools.pairwise(contacts):
        if following.ic_s - contact.ic_s < min_step_s:
            continue
        inside = height[(time >= contact.ic_s) & (time <= following.ic_s)]
        if not np.isfinite(inside).any():
            value = math.nan
        else:
            value = float(np.nanmax(inside) - np.nanmin(inside))
        result.add_metric(
            "{name}_oscillation",
            value,
            step=contact.step,
            side=contact.side,
            time_s=contact.ic_s,
            status="ok" if math.isfinite(value) else "invalid",
            message="" if math.isfinite(value) else "no COM height in this step",
        )
        values.append(value)
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        result.add_metric("{name}_mean_oscillation", float(np.mean(finite)))
    else:
        result.leave_out("{name}_mean_oscillation", "no step with a COM height")
    return result
'''

TEST = '''"""Tests of the {name} plugin, on made-up upstream results with a known answer.

Run them with ``python -m pytest`` in this folder (gaitlab installed).
"""

import numpy as np
import pytest
from {name} import {name}

from gaitlab.api import Result
from gaitlab.testing import blank_trial, run_plugin

RATE_HZ = 200.0
STEP_S = 0.35
AMPLITUDE_M = 0.04


def upstream(n_steps=6, amplitude_m=AMPLITUDE_M):
    """A COM bouncing by ±amplitude once per step, and the steps' contacts."""
    time = np.arange(round((n_steps + 1) * STEP_S * RATE_HZ)) / RATE_HZ
    com = np.zeros((len(time), 3))
    com[:, 0] = 3.0 * time  # running forward at 3 m/s
    com[:, 2] = 1.0 + amplitude_m * np.cos(2 * np.pi * time / STEP_S)
    centre_of_mass = Result()
    centre_of_mass.add_series("com", com, rate_hz=RATE_HZ, unit="m")
    events = Result()
    for step in range(n_steps + 1):
        side = ("Left", "Right")[step % 2]
        events.add_event(step * STEP_S, "Foot Strike", side)
        events.add_event(step * STEP_S + 0.2, "Foot Off", side)
    return {{"center_of_mass": centre_of_mass, "gait_events": events}}


def test_oscillation_is_twice_the_amplitude():
    result = run_plugin({name}, blank_trial(3.0), upstream=upstream())
    assert result.status == "ok"
    per_step = result.metric_values("{name}_oscillation")
    assert len(per_step) == 6
    np.testing.assert_allclose(per_step, 2 * AMPLITUDE_M, rtol=1e-3)
    (mean,) = result.metric_values("{name}_mean_oscillation")
    assert mean == pytest.approx(2 * AMPLITUDE_M, rel=1e-3)


def test_height_series_is_centred():
    result = run_plugin({name}, blank_trial(3.0), upstream=upstream())
    height = result.series["com_height"].values
    assert abs(np.mean(height)) < 1e-3
    assert np.max(height) == pytest.approx(AMPLITUDE_M, rel=1e-3)


def test_short_steps_are_left_out():
    result = run_plugin(
        {name}, blank_trial(3.0), upstream=upstream(), params={{"min_step_s": 1.0}}
    )
    assert len(result.metric_values("{name}_oscillation")) == 0
    assert "{name}_mean_oscillation" in result.left_out


def test_without_a_centre_of_mass_it_is_skipped():
    only_events = {{"gait_events": upstream()["gait_events"]}}
    result = run_plugin({name}, blank_trial(3.0), upstream=only_events)
    assert result.status == "skipped"
'''

README = """# {title} (`{name}`)

A gaitlab analysis plugin, started with `gaitlab plugins new {name}`.

| file | what |
|---|---|
| `{name}.py` | the plugin: COM vertical oscillation per step (m), its mean over the trial, and the COM height series |
| `test_{name}.py` | its tests, on made-up upstream results with a known answer |

```bash
python -m pytest                        # run the tests (in this folder)
GAITLAB_PLUGIN_PATH=$PWD gaitlab plugins show {name}
GAITLAB_PLUGIN_PATH=$PWD gaitlab run PROJECT --plugins {name}
```

To install it for good, copy `{name}.py` into the user plugin folder that
`gaitlab plugins list` prints. The guide: gaitlab's `docs/plugins.md`.
"""


def scaffold_files(name: str) -> dict[str, str]:
    """The scaffold's files, by file name, for a plugin called ``name``.

    Parameters
    ----------
    name : str
        Plugin name: lowercase letters, digits and ``_``, starting with a
        letter (it is also the module and function name).

    Returns
    -------
    files : dict of str to str
        ``{name}.py``, ``test_{name}.py`` and ``README.md`` and their text.

    Raises
    ------
    GaitlabError
        When ``name`` is not a valid plugin name.

    Examples
    --------
    >>> sorted(scaffold_files("step_bounce"))
    ['README.md', 'step_bounce.py', 'test_step_bounce.py']
    """
    if not _NAME.match(name):
        raise GaitlabError(
            f"plugin name {name!r}: use lowercase letters, digits and _, starting "
            "with a letter (e.g. step_bounce)"
        )
    title = name.replace("_", " ").capitalize()
    return {
        f"{name}.py": PLUGIN.format(name=name, title=title),
        f"test_{name}.py": TEST.format(name=name),
        "README.md": README.format(name=name, title=title),
    }


def write_scaffold(name: str, folder: Path) -> list[Path]:
    """Write the scaffold of plugin ``name`` into ``folder`` (created if needed).

    Raises
    ------
    GaitlabError
        When the name is invalid, or a file of the scaffold already exists
        there (nothing is overwritten).
    """
    files = scaffold_files(name)
    existing = [folder / file for file in files if (folder / file).exists()]
    if existing:
        raise GaitlabError(
            f"{', '.join(map(str, existing))} already exist(s): nothing written; "
            "choose another name or --dir"
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in files.items():
        path = folder / file
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
