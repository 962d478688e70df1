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

What it holds, by purpose:

Declaring and running
    :func:`plugin`, :class:`Param`, :class:`MetricSpec`, :class:`SeriesSpec`
    (with their display hints, ``docs/plugins.md`` "Display hints"),
    :class:`RunContext`, :class:`Skip`, :class:`Cancelled`, :class:`MissingInput`.
Inputs and outputs
    :class:`TrialView` (the trial, its contacts and the results of earlier
    plugins), :class:`Result`, :class:`Series`, :class:`Metric`, :class:`Event`,
    :class:`Contact`, :func:`contacts_from_events`, :data:`FOOT_STRIKE`,
    :data:`FOOT_OFF`, :class:`MarkerSet`, :class:`ForcePlate`, :class:`Subject`,
    :data:`LANDMARKS`.
Shared names
    :data:`FloatArray` (float64 arrays), :data:`Side`, :data:`SIDES`
    (``("Left", "Right")``), :data:`SIDE_PREFIX` (``{"Left": "l", "Right": "r"}``).
Geometry and signals (SI units, angles in degrees)
    :data:`GRAVITY`, :func:`unit`, :func:`horizontal_unit`,
    :func:`sagittal_components`, :func:`sagittal_angle_deg`; lines of the body
    (METHODS §4.1) :class:`Lines`, :func:`line_angles`, :func:`line_points`,
    :func:`trunk_points`, :data:`LINE_QUANTITIES`; :func:`lowpass`,
    :func:`cutoff_correction`, :func:`derivative`, :func:`fill_gaps`,
    :func:`sample_at`.
Body and forces
    :class:`BodyPoints`, :class:`ComEstimate`, :func:`best_com`,
    :func:`full_body_com`, :func:`running_com`, :func:`pelvis_com`,
    :func:`pelvis_offset_from_static`, :func:`segment_parameters`,
    :func:`hat_parameters`, :func:`foot_length_m`, :class:`GroundReaction`,
    :class:`Progression`, :func:`runs`.
Running measures (METHODS §5.4–5.6)
    :func:`step_intervals` (:class:`StepIntervals`), :func:`loading_rate`
    (:class:`LoadingRate`), :func:`least_squares_slope`,
    :func:`mcmahon_stiffness`, :func:`morin_stiffness` (:class:`SpringMass`).

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
from gaitlab.core.lines import (
    LINE_QUANTITIES,
    Lines,
    line_angles,
    line_points,
    trunk_points,
)
from gaitlab.core.loading_rate import LoadingRate, least_squares_slope, loading_rate
from gaitlab.core.results import YES_NO, Metric, MetricSpec, Result, Series, SeriesSpec
from gaitlab.core.signal import (
    cutoff_correction,
    derivative,
    fill_gaps,
    lowpass,
    sample_at,
)
from gaitlab.core.spring_mass import SpringMass, mcmahon_stiffness, morin_stiffness
from gaitlab.core.steps import StepIntervals, step_intervals
from gaitlab.core.trial import Event, ForcePlate, MarkerSet, Subject
from gaitlab.core.types import SIDE_PREFIX, SIDES, FloatArray, Side
from gaitlab.pipeline.spec import Param, plugin
from gaitlab.pipeline.view import MissingInput, TrialView

__all__ = [
    "FOOT_OFF",
    "FOOT_STRIKE",
    "GRAVITY",
    "LANDMARKS",
    "LINE_QUANTITIES",
    "SIDES",
    "SIDE_PREFIX",
    "YES_NO",
    "BodyPoints",
    "Cancelled",
    "ComEstimate",
    "Contact",
    "Event",
    "FloatArray",
    "ForcePlate",
    "GroundReaction",
    "Lines",
    "LoadingRate",
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
    "Side",
    "Skip",
    "SpringMass",
    "StepIntervals",
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
    "least_squares_slope",
    "line_angles",
    "line_points",
    "loading_rate",
    "lowpass",
    "mcmahon_stiffness",
    "morin_stiffness",
    "pelvis_com",
    "pelvis_offset_from_static",
    "plugin",
    "running_com",
    "runs",
    "sagittal_angle_deg",
    "sagittal_components",
    "sample_at",
    "segment_parameters",
    "step_intervals",
    "trunk_points",
    "unit",
]
