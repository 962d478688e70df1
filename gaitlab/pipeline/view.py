"""What a plugin sees of a trial: data by anatomical landmark, results, static trial.

:class:`TrialView` wraps a loaded :class:`~gaitlab.core.trial.Trial` with
the project's marker mapping, the results of the plugins that ran before,
and the subject's static (standing) trial. Its arrays are read-only: a
plugin cannot change the trial it analyses.

Landmarks that only the static trial carries (cluster protocols: CAST,
6DOF sets) are rebuilt from the technical markers of their segment
(:mod:`gaitlab.core.cluster`) and served like measured ones;
:attr:`TrialView.reconstructed_landmarks` and
:attr:`~gaitlab.core.body.BodyPoints.reconstructed` say which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np

from gaitlab.core.body import BodyPoints, body_points
from gaitlab.core.cluster import TrialReconstruction, reconstruct_trial, segment_of
from gaitlab.core.contacts import FOOT_STRIKE, Contact, contacts_from_events
from gaitlab.core.context import Skip
from gaitlab.core.kinetics import (
    GroundReaction,
    Progression,
    combine_plates,
    find_progression,
)
from gaitlab.core.landmarks import MarkerMap
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.signal import lowpass
from gaitlab.core.trial import (
    AnalogSet,
    Event,
    ForcePlate,
    MarkerSet,
    Subject,
    Trial,
)
from gaitlab.core.types import SIDE_PREFIX, FloatArray

__all__ = ["MissingInput", "TrialView"]

PELVIS_LANDMARKS = ("l_asis", "r_asis", "l_psis", "r_psis")

_LENGTHS = (("thigh", "hjc", "kjc"), ("shank", "kjc", "ajc"))
_JOINT_LANDMARKS = {"kjc": ("knee", "knee_medial"), "ajc": ("ankle", "ankle_medial")}

SEGMENT_LENGTH_TOLERANCE_M = 0.02
"""Largest difference (m) between a thigh or shank length (joint centre to joint
centre, median over the trial) built with rebuilt landmarks and the same length
in the static trial before the static trial is refused as another subject's."""


class MissingInput(Skip):
    """A declared input is absent; the message says which and what was tried."""


class TrialView:
    """A read-only view of one trial for analysis plugins.

    Parameters
    ----------
    trial : Trial
        The loaded trial (its arrays are made read-only).
    marker_map : MarkerMap or None
        Landmark resolution; None builds one from the labels (preset detected).
    results : mapping of str to Result
        Results of plugins that ran before (by plugin name).
    static : TrialView or None
        The subject's static standing trial, if one is known.
    """

    def __init__(
        self,
        trial: Trial,
        *,
        marker_map: MarkerMap | None = None,
        results: Mapping[str, Result] | None = None,
        static: TrialView | None = None,
    ) -> None:
        _freeze(trial)
        self._trial = trial
        self.marker_map = marker_map or MarkerMap(trial.markers.labels)
        self._results: dict[str, Result] = dict(results or {})
        self._landmarks: dict[str, FloatArray] = {}
        self.static = static

    # ---- identity and raw data

    @property
    def id(self) -> str:
        """Trial id in the project ("" for a file read directly)."""
        return self._trial.id

    @property
    def label(self) -> str:
        """Display name (the C3D file's stem)."""
        return self._trial.label

    @property
    def subject(self) -> Subject | None:
        """The subject record (mass, height, sex, leg length, extra)."""
        return self._trial.subject

    @property
    def markers(self) -> MarkerSet:
        """Marker trajectories in m, lab frame (read-only)."""
        return self._trial.markers

    @property
    def analogs(self) -> AnalogSet:
        """Analog channels (read-only)."""
        return self._trial.analogs

    @property
    def forceplates(self) -> tuple[ForcePlate, ...]:
        """Force plates with samples (GRF on the subject, lab frame)."""
        return tuple(p for p in self._trial.forceplates if p.n_samples > 0)

    @property
    def events(self) -> tuple[Event, ...]:
        """The trial's events: from the file, or as edited in the project."""
        return self._trial.events

    @property
    def up(self) -> FloatArray:
        """Unit vector of the lab's upward vertical."""
        return self._trial.up_axis

    @property
    def marker_time(self) -> FloatArray:
        """Time of each marker frame in s."""
        return self._trial.markers.time

    @property
    def meta(self) -> dict[str, Any]:
        """The trial's metadata (manufacturer, warnings ...)."""
        return self._trial.meta

    # ---- landmarks

    def has_landmark(self, name: str) -> bool:
        """True when the landmark resolves to markers of this trial or was rebuilt.

        Rebuilt: carried by its segment's technical markers from the static
        trial (see :attr:`reconstruction`).
        """
        return (
            self.marker_map.resolve(name) is not None
            or name in self.reconstructed_landmarks
        )

    def landmark(self, name: str) -> FloatArray:
        """Trajectory of an anatomical landmark, shape (n_frames, 3), in m.

        A marker of this trial when one maps to the landmark, else the
        landmark rebuilt from the static trial (NaN in frames where its
        segment's cluster could not be fitted).

        Raises
        ------
        MissingInput
            When neither is available; the message names the labels that were
            tried and why the landmark could not be rebuilt.
        """
        position = self._landmarks.get(name)
        if position is None:
            position = self.marker_map.position(self._trial.markers, name)
            if position is None and name in self.reconstructed_landmarks:
                position = self.reconstruction.landmarks[name].copy()  # type: ignore[union-attr]
            if position is None:
                raise MissingInput(self.missing_message(name))
            position.flags.writeable = False
            self._landmarks[name] = position
        return position

    def missing_message(self, name: str) -> str:
        """Why a landmark is not available: labels tried, and why not rebuilt."""
        message = self.marker_map.missing_message(name)
        reconstruction = self.reconstruction
        if reconstruction is not None:
            problem = reconstruction.problem_for(name)
            return f"{message}; not rebuilt: {problem}" if problem else message
        segment = segment_of(name)
        if segment is not None and len(self.marker_map.cluster_labels(segment)) >= 3:
            return (
                f"{message}; the {segment} cluster could carry it from a static "
                "trial, but this trial has none"
            )
        return message

    @cached_property
    def reconstruction(self) -> TrialReconstruction | None:
        """Landmarks rebuilt from the static trial's calibration, or None.

        None without a static trial. Each landmark present in the static trial
        but not in this one is carried by the technical markers of its segment
        (rigid least-squares fit per frame); per segment, the fit residual (mm)
        and the frames flagged above the marker map's
        ``residual_threshold_mm``. A static trial of another subject is
        refused, the reason in ``refused``: subject ids differ, or the thigh or
        shank lengths built with the rebuilt landmarks differ from the static
        trial's (see :meth:`_segment_length_mismatch`). A segment whose
        clusters do not fit the static trial's is left out, the reason in
        ``problems``.
        """
        static = self.static
        if static is None:
            return None
        mine, theirs = self.subject, static.subject
        if mine is not None and theirs is not None and mine.id != theirs.id:
            return TrialReconstruction(
                static.label,
                refused=(
                    f"the static trial {static.label} is of subject {theirs.id!r}, "
                    f"this trial of {mine.id!r}: refused as calibration"
                ),
            )
        rebuilt = reconstruct_trial(
            static.markers,
            static.marker_map,
            self.markers,
            self.marker_map,
            static_label=static.label,
            threshold_mm=self.marker_map.residual_threshold_mm,
        )
        if not rebuilt.segments:
            return rebuilt
        refused = self._segment_length_mismatch(static, rebuilt)
        if refused:
            return TrialReconstruction(static.label, refused=refused)
        return rebuilt

    def _body_with(self, landmarks: Mapping[str, FloatArray]) -> BodyPoints:
        """Joint centres from this trial's markers plus the given rebuilt landmarks."""

        def get(name: str) -> FloatArray | None:
            direct = self.marker_map.position(self._trial.markers, name)
            return direct if direct is not None else landmarks.get(name)

        return body_points(get, **self._body_arguments())

    def _segment_length_mismatch(
        self, static: TrialView, rebuilt: TrialReconstruction
    ) -> str:
        """Why the static trial is not this subject's, from segment lengths, or "".

        A rigid cluster has the same shape on any subject, so its fit cannot
        tell a static trial of someone else. The thigh (HJC→KJC) and shank
        (KJC→AJC) lengths can: with another subject's calibration the joint
        centres land elsewhere on the segments, and the median length over
        this trial differs from the static trial's by more than
        :data:`SEGMENT_LENGTH_TOLERANCE_M`.
        """
        here = self._body_with(rebuilt.landmarks)
        there = static.body
        problems = []
        for side in SIDE_PREFIX.values():
            for segment, top, bottom in _LENGTHS:
                ends = [f"{side}_{top}", f"{side}_{bottom}"]
                if not _uses_rebuilt(rebuilt, ends):
                    continue
                length_here = _median_distance(here, *ends)
                length_there = _median_distance(there, *ends)
                if (
                    np.isfinite(length_here)
                    and np.isfinite(length_there)
                    and abs(length_here - length_there) > SEGMENT_LENGTH_TOLERANCE_M
                ):
                    problems.append(
                        f"{side}_{segment} {top.upper()}→{bottom.upper()} "
                        f"{length_here:.3f} m here, {length_there:.3f} m in the "
                        "static trial"
                    )
        if not problems:
            return ""
        return (
            f"the static trial {static.label} does not fit this trial: "
            f"{'; '.join(problems)} (a static trial of another subject, or the "
            "clusters were moved): refused as calibration"
        )

    def _body_arguments(self) -> dict[str, Any]:
        subject = self.subject
        legs = subject.leg_length_m if subject is not None else {}
        lengths = [v for v in legs.values() if v]
        extra = subject.extra if subject is not None else {}
        return {
            "leg_length_m": float(np.mean(lengths)) if lengths else None,
            "height_m": subject.height_m if subject is not None else None,
            "sex": subject.sex if subject is not None else None,
            "extra": {
                k: float(v) for k, v in extra.items() if isinstance(v, int | float)
            },
        }

    @cached_property
    def reconstructed_landmarks(self) -> frozenset[str]:
        """Landmarks served from the static calibration rather than from markers."""
        reconstruction = self.reconstruction
        if reconstruction is None:
            return frozenset()
        return frozenset(
            name
            for name in reconstruction.landmarks
            if self.marker_map.resolve(name) is None
        )

    def landmark_or_none(self, name: str) -> FloatArray | None:
        """Trajectory of a landmark, or None when it is not available."""
        return self.landmark(name) if self.has_landmark(name) else None

    @cached_property
    def body(self) -> BodyPoints:
        """Joint centres and reference points of the body (gaitlab.core.body rules).

        Uses the subject's leg length, stature, sex and ``extra`` widths when
        recorded; ``body.notes`` lists the approximations made (including
        which landmarks were rebuilt from the static trial, how well, or why
        not), ``body.missing`` what could not be computed and why, and
        ``body.reconstructed`` the rebuilt landmarks it used.
        """
        reconstruction = self.reconstruction
        rebuilt = {}
        if reconstruction is not None:
            for segment in reconstruction.segments:
                text = reconstruction.describe(segment)
                for name in reconstruction.segments[segment].landmarks:
                    if name in self.reconstructed_landmarks:
                        rebuilt[name] = text
        body = body_points(
            self.landmark_or_none, reconstructed=rebuilt, **self._body_arguments()
        )
        if reconstruction is None:
            return body
        problems = [reconstruction.refused] if reconstruction.refused else []
        problems += [f"{k}: {v}" for k, v in reconstruction.problems.items()]
        notes = [f"not rebuilt from the static trial: {text}" for text in problems]
        return replace(body, notes=(*body.notes, *notes)) if notes else body

    # ---- force plates and progression

    @cached_property
    def grf(self) -> GroundReaction | None:
        """Ground reaction summed over the plates (None without plates).

        The COP threshold uses the subject's mass when known (METHODS §1.7).
        """
        mass = self.subject.mass_kg if self.subject is not None else None
        return combine_plates(self.forceplates, self.up, mass)

    @cached_property
    def progression(self) -> Progression:
        """Direction of progression found from markers and forces (METHODS §5.1)."""
        pelvis = [self.landmark_or_none(n) for n in PELVIS_LANDMARKS]
        present = [p for p in pelvis if p is not None]
        centre = _nanmean_points(present) if present else None
        if centre is None and self.has_landmark("sacrum"):
            centre = self.landmark("sacrum")
        facing = None
        if all(p is not None for p in pelvis):
            l_asis, r_asis, l_psis, r_psis = pelvis
            facing = 0.5 * (l_asis + r_asis) - 0.5 * (l_psis + r_psis)  # type: ignore[operator]
        elif (
            self.has_landmark("sacrum")
            and pelvis[0] is not None
            and pelvis[1] is not None
        ):
            facing = 0.5 * (pelvis[0] + pelvis[1]) - self.landmark("sacrum")
        return find_progression(
            self.up, pelvis_centre=centre, facing=facing, grf=self.grf
        )

    # ---- results of other plugins

    def has_result(self, plugin: str) -> bool:
        """True when the plugin ran on this trial with status ok or partial."""
        result = self._results.get(plugin)
        return result is not None and result.status in USABLE_STATUSES

    def result(self, plugin: str) -> Result:
        """The result of a plugin that ran before this one.

        Raises
        ------
        MissingInput
            When it did not run or did not succeed (its reason is given).
        """
        result = self._results.get(plugin)
        if result is None:
            raise MissingInput(f"the result of {plugin!r} is not available (not run)")
        if result.status not in USABLE_STATUSES:
            raise MissingInput(
                f"{plugin!r} was {result.status} on this trial: {result.message}"
            )
        return result

    def add_result(self, plugin: str, result: Result) -> None:
        """Make a result visible to the plugins that run next (used by the runner).

        The result becomes the latest one (see :meth:`contacts`), also when it
        replaces an earlier result of the same plugin.
        """
        self._results.pop(plugin, None)
        self._results[plugin] = result

    def contacts(self) -> list[Contact]:
        """Foot contacts, numbered in time order (the ``step`` of per-step metrics).

        From the events of the latest usable result holding Foot Strike events
        (built in: ``gait_events``), with the clean flags of its
        ``contact_clean`` metric, otherwise from the trial's own Foot Strike /
        Foot Off events. Only a plugin declaring ``produces_events=True`` can
        return events (the runner refuses them from any other), so any such
        plugin, ours or a researcher's, is a source of contacts; "latest" is
        the order the results were given, then added (the pipeline order).
        """
        result = self._contact_result()
        if result is None:
            return contacts_from_events(self.events)
        clean = {
            m.time_s: m.value >= 0.5
            for m in result.metrics
            if m.name == "contact_clean" and m.time_s is not None
        }
        return contacts_from_events(result.events, clean)

    def _contact_result(self) -> Result | None:
        """The latest usable result whose events include a Foot Strike, or None."""
        holding = [
            result
            for result in self._results.values()
            if result.status in USABLE_STATUSES
            and any(event.label == FOOT_STRIKE for event in result.events)
        ]
        return holding[-1] if holding else None

    def first_cop(
        self,
        contacts: list[Contact],
        plate: dict[float | None, float],
        threshold_n: float,
        cutoff_hz: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """COP (m) and time (s) at each contact's first sample with a COP on its plate.

        The COP of the plate that measured the contact (``contact_plate``), not
        the combined COP of all plates, which in double support lies between the
        feet. It is computed from the plate's force and moment low-passed at
        ``cutoff_hz`` (METHODS §7: 50 Hz for COP; 0 = unfiltered) as
        ``COP = C + (e_up x M)/F_up``, M being the moment about the centre C of
        the plate surface (unfiltered this is the plate's own COP), where the
        plate's vertical force is at least ``threshold_n`` (T_cop, §1.7). Rows
        are NaN for contacts without a plate or never reaching T_cop.
        """
        up = self.up
        numbers = np.array([int(plate.get(c.ic_s, 0.0)) for c in contacts])
        ic = np.array([c.ic_s for c in contacts])
        to = np.array([c.to_s for c in contacts])
        cop_at = np.full((len(contacts), 3), np.nan)
        time_at = np.full(len(contacts), np.nan)
        for number in sorted(set(numbers.tolist()) - {0}):
            if number > len(self.forceplates):
                continue
            measured = self.forceplates[number - 1]
            wrench = np.column_stack([measured.force @ up, measured.moment])
            if cutoff_hz > 0:
                wrench = lowpass(wrench, measured.rate_hz, cutoff_hz)
            n = len(wrench)
            defined = wrench[:, 0] >= threshold_n
            next_defined = np.minimum.accumulate(
                np.where(defined, np.arange(n), n)[::-1]
            )[::-1]
            mine = np.flatnonzero(numbers == number)
            first = np.ceil((ic[mine] - measured.t0_s) * measured.rate_hz).astype(int)
            last = np.floor((to[mine] - measured.t0_s) * measured.rate_hz).astype(int)
            sample = next_defined[np.clip(first, 0, n - 1)]
            reached = sample <= np.minimum(last, n - 1)
            sample = sample[reached]
            cop_at[mine[reached]] = (
                measured.centre + np.cross(up, wrench[sample, 1:]) / wrench[sample, :1]
            )
            time_at[mine[reached]] = measured.t0_s + sample / measured.rate_hz
        return cop_at, time_at

    def body_mass_kg(self) -> float | None:
        """Body mass for normalisation: force-derived when available (METHODS §3.5).

        The ``body_mass`` plugin's trial value if it ran, else the subject's
        recorded mass, else None.
        """
        if self.has_result("body_mass"):
            values = self.result("body_mass").metric_values("body_mass")
            if values.size and np.isfinite(values[0]):
                return float(values[0])
        if self.subject is not None and self.subject.mass_kg:
            return float(self.subject.mass_kg)
        return None


def _uses_rebuilt(rebuilt: TrialReconstruction, points: list[str]) -> bool:
    """True when a rebuilt landmark enters one of the named joint centres."""
    rebuilt_names = set(rebuilt.landmarks)
    for point in points:
        side, _, joint = point.partition("_")
        names = _JOINT_LANDMARKS.get(joint, ())
        if any(f"{side}_{name}" in rebuilt_names for name in names):
            return True
    return False


def _median_distance(body: BodyPoints, first: str, second: str) -> float:
    """Median over frames of the distance between two body points (m), or NaN."""
    a, b = getattr(body, first), getattr(body, second)
    if a is None or b is None:
        return float("nan")
    distance = np.linalg.norm(a - b, axis=1)
    finite = np.isfinite(distance)
    return float(np.median(distance[finite])) if finite.any() else float("nan")


def _freeze(trial: Trial) -> None:
    """Make the trial's arrays read-only."""
    arrays = [trial.markers.data, trial.analogs.data, trial.up_axis]
    for plate in trial.forceplates:
        arrays += [
            plate.force,
            plate.moment,
            plate.cop,
            plate.free_moment,
            plate.corners,
        ]
    for array in arrays:
        array.flags.writeable = False


def _nanmean_points(points: list[FloatArray]) -> FloatArray:
    stack = np.stack(points)
    count = np.sum(np.isfinite(stack), axis=0)
    total = np.nansum(stack, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
