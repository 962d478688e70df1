"""The public plugin API: the only gaitlab module an analysis plugin imports.

A plugin is a decorated function::

    from typing import Annotated
    from gaitlab.api import MetricSpec, Param, Result, RunContext, TrialView, plugin

    @plugin(
        name="mylab_step_width",
        version="1.0.0",
        needs=("result:gait_events", "landmark:l_heel", "landmark:r_heel"),
        metrics=(MetricSpec("step_width", "m", "Mediolateral heel distance at IC"),),
    )
    def step_width(trial: TrialView, ctx: RunContext, *,
                   smoothing: Annotated[float, Param(min=0, max=20, unit="Hz")] = 0.0
                   ) -> Result:
        result = Result()
        for contact in trial.contacts():
            ...
            result.add_metric("step_width", value, step=contact.step, side=contact.side)
        return result

A declared metric the plugin cannot compute on a trial is left out with the
reason, ``result.leave_out("step_width", "needs ...: missing landmarks ...")``:
the result is then ``partial``, not ``ok`` (see :class:`Result`).

See ``docs/plugins.md`` for the guide. Everything here follows semantic
versioning: names are only added, never changed, within a major version.
"""

from __future__ import annotations

from gaitlab.core.anthropometry import foot_length_m, hat_parameters, segment_parameters
from gaitlab.core.body import (
    BodyPoints,
    ComEstimate,
    best_com,
    full_body_com,
    pelvis_com,
    pelvis_offset_from_static,
    running_com,
)
from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE, Contact, contacts_from_events
from gaitlab.core.context import Cancelled, RunContext, Skip
from gaitlab.core.geometry import (
    GRAVITY,
    horizontal_unit,
    sagittal_angle_deg,
    sagittal_components,
    unit,
)
from gaitlab.core.kinetics import GroundReaction, Progression, runs
from gaitlab.core.landmarks import LANDMARKS
from gaitlab.core.results import Metric, MetricSpec, Result, Series, SeriesSpec
from gaitlab.core.signal import (
    cutoff_correction,
    derivative,
    fill_gaps,
    lowpass,
    sample_at,
)
from gaitlab.core.trial import Event, ForcePlate, MarkerSet, Subject
from gaitlab.pipeline.spec import Param, plugin
from gaitlab.pipeline.view import MissingInput, TrialView

__all__ = [
    "FOOT_OFF",
    "FOOT_STRIKE",
    "GRAVITY",
    "LANDMARKS",
    "BodyPoints",
    "Cancelled",
    "ComEstimate",
    "Contact",
    "Event",
    "ForcePlate",
    "GroundReaction",
    "MarkerSet",
    "Metric",
    "MetricSpec",
    "MissingInput",
    "Param",
    "Progression",
    "Result",
    "RunContext",
    "Series",
    "SeriesSpec",
    "Skip",
    "Subject",
    "TrialView",
    "best_com",
    "contacts_from_events",
    "cutoff_correction",
    "derivative",
    "fill_gaps",
    "foot_length_m",
    "full_body_com",
    "hat_parameters",
    "horizontal_unit",
    "lowpass",
    "pelvis_com",
    "pelvis_offset_from_static",
    "plugin",
    "running_com",
    "runs",
    "sagittal_angle_deg",
    "sagittal_components",
    "sample_at",
    "segment_parameters",
    "unit",
]
