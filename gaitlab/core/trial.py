"""In-memory trial model: markers, analog channels, force plates, events, subject.

Everything here is plain dataclasses over numpy arrays, in SI units
(m, s, N, N·m, kg). Arrays are time-first and missing samples are NaN.
The model imports neither Qt, h5py nor ezc3d.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaitlab.core.types import FloatArray

__all__ = [
    "AnalogSet",
    "Event",
    "ForcePlate",
    "MarkerSet",
    "PointSeries",
    "SourceInfo",
    "Subject",
    "Trial",
]


def _time_axis(n: int, rate_hz: float, t0_s: float) -> FloatArray:
    if rate_hz <= 0:
        return np.zeros(0)
    return t0_s + np.arange(n) / rate_hz


@dataclass
class MarkerSet:
    """Marker trajectories.

    Attributes
    ----------
    data : ndarray, shape (n_frames, n_markers, 3)
        Positions in metres, lab frame. NaN where the marker is missing
        (negative residual in the file, or stored exactly at (0, 0, 0)).
    labels : tuple of str
        Marker labels with any subject prefix removed (``"A22:RKNE"`` ->
        ``"RKNE"``); unique.
    prefixes : tuple of str
        The subject prefix that was removed from each label (``""`` if none).
    rate_hz : float
        Sampling rate in Hz.
    t0_s : float
        Time of the first frame in seconds.
    original_unit : str
        Length unit the file stored (``POINT:UNITS``).
    """

    data: FloatArray
    labels: tuple[str, ...]
    rate_hz: float
    t0_s: float = 0.0
    prefixes: tuple[str, ...] = ()
    original_unit: str = "m"

    def __post_init__(self) -> None:
        """Default the prefixes; check the data shape and that labels are unique."""
        if not self.prefixes:
            self.prefixes = ("",) * len(self.labels)
        if self.data.ndim != 3 or self.data.shape[1:] != (len(self.labels), 3):
            raise ValueError(
                f"marker data must have shape (n_frames, {len(self.labels)}, 3), "
                f"got {self.data.shape}"
            )
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("marker labels must be unique")

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.data.shape[0])

    @property
    def time(self) -> FloatArray:
        """Time of each frame in seconds, shape (n_frames,)."""
        return _time_axis(self.n_frames, self.rate_hz, self.t0_s)

    def __getitem__(self, label: str) -> FloatArray:
        """Trajectory of one marker, shape (n_frames, 3) in metres."""
        try:
            index = self.labels.index(label)
        except ValueError:
            raise KeyError(
                f"no marker {label!r}; markers are: {', '.join(self.labels)}"
            ) from None
        return self.data[:, index, :]


@dataclass
class PointSeries:
    """Non-marker 3D points a vendor model stored in the C3D file.

    Plug-in Gait and similar models store joint angles, forces, moments and
    powers as C3D "points". They are kept apart from the markers because
    they are not positions; their values are as the file stored them.

    Attributes
    ----------
    data : ndarray, shape (n_frames, n_points, 3)
        Values as stored, NaN where invalid.
    labels : tuple of str
        Point labels (prefix removed).
    kinds : tuple of str
        What each point is: ``"angle"``, ``"force"``, ``"moment"``,
        ``"power"``, ``"scalar"`` or ``"reaction"``.
    units : tuple of str
        The unit of each point as the file gives it (e.g. ``"deg"``).
    rate_hz, t0_s : float
        Sampling rate in Hz and time of the first frame in seconds.
    """

    data: FloatArray
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    units: tuple[str, ...]
    rate_hz: float
    t0_s: float = 0.0


@dataclass
class AnalogSet:
    """Analog channels, scaled to the physical units the file gives.

    Attributes
    ----------
    data : ndarray, shape (n_samples, n_channels)
        Channel values: (stored - OFFSET) * GEN_SCALE * SCALE.
    labels : tuple of str
        Channel labels.
    units : tuple of str
        Unit of each channel (``ANALOG:UNITS``, ``""`` if absent).
    rate_hz : float
        Sampling rate in Hz.
    t0_s : float
        Time of the first sample in seconds.
    """

    data: FloatArray
    labels: tuple[str, ...]
    units: tuple[str, ...]
    rate_hz: float
    t0_s: float = 0.0

    @property
    def n_samples(self) -> int:
        """Number of samples per channel."""
        return int(self.data.shape[0])

    @property
    def time(self) -> FloatArray:
        """Time of each sample in seconds, shape (n_samples,)."""
        return _time_axis(self.n_samples, self.rate_hz, self.t0_s)

    def __getitem__(self, label: str) -> FloatArray:
        """One channel by label, shape (n_samples,)."""
        try:
            return self.data[:, self.labels.index(label)]
        except ValueError:
            raise KeyError(f"no analog channel {label!r}") from None


@dataclass
class ForcePlate:
    """One force plate's output in the lab frame, acting on the subject.

    Attributes
    ----------
    force : ndarray, shape (n_samples, 3)
        Ground reaction force on the subject in newtons, lab frame.
    moment : ndarray, shape (n_samples, 3)
        Moment of the reaction on the subject about the centre of the plate's
        working surface, in N·m, lab frame.
    cop : ndarray, shape (n_samples, 3)
        Centre of pressure in metres, lab frame; NaN where the vertical force
        is below ``cop_threshold_n``.
    free_moment : ndarray, shape (n_samples,)
        Free moment on the subject about the upward vertical through the COP,
        in N·m; NaN where the COP is NaN.
    corners : ndarray, shape (4, 3)
        Plate corners in metres, lab frame, in C3D quadrant order.
    rate_hz : float
        Sampling rate in Hz (the analog rate).
    t0_s : float
        Time of the first sample in seconds.
    plate_type : int
        C3D FORCE_PLATFORM:TYPE (1-4).
    sign : int
        +1 or -1: the factor applied to the C3D-convention force so that it
        acts on the subject (METHODS §1.6).
    cop_threshold_n : float
        Vertical-force threshold below which COP is NaN, in newtons.
    notes : tuple of str
        Repairs and decisions made while computing this plate (ORIGIN sign
        repair, baseline removal ...), in words.
    """

    force: FloatArray
    moment: FloatArray
    cop: FloatArray
    free_moment: FloatArray
    corners: FloatArray
    rate_hz: float
    t0_s: float = 0.0
    plate_type: int = 0
    sign: int = 1
    cop_threshold_n: float = 50.0
    notes: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.force.shape[0])

    @property
    def time(self) -> FloatArray:
        """Time of each sample in seconds, shape (n_samples,)."""
        return _time_axis(self.n_samples, self.rate_hz, self.t0_s)

    @property
    def centre(self) -> FloatArray:
        """Centre of the working surface in metres, lab frame, shape (3,)."""
        return self.corners.mean(axis=0)


@dataclass(frozen=True)
class Event:
    """A gait event.

    Attributes
    ----------
    time_s : float
        Time in seconds, on the same clock as the markers and analogs.
    label : str
        ``"Foot Strike"``, ``"Foot Off"``, or any label the file uses.
    context : str
        ``"Left"``, ``"Right"`` or ``"General"``.
    origin : str
        Who made it: ``"c3d"``, ``"user"`` or ``"plugin:NAME"``.
    """

    time_s: float
    label: str
    context: str = "General"
    origin: str = "c3d"


@dataclass
class Subject:
    """A participant.

    Attributes
    ----------
    id : str
        Slug, unique in a project.
    label : str
        Display name.
    mass_kg, height_m : float or None
        Body mass in kg and stature in metres, if known.
    sex : str or None
        ``"F"``, ``"M"`` or None.
    leg_length_m : dict
        Leg length per side (``"Left"``, ``"Right"``) in metres.
    extra : dict
        Anything else (JSON-able).
    """

    id: str
    label: str = ""
    mass_kg: float | None = None
    height_m: float | None = None
    sex: str | None = None
    leg_length_m: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check that mass and height are positive and the sex is F, M or None."""
        if self.mass_kg is not None and not self.mass_kg > 0:
            raise ValueError(f"subject mass must be > 0 kg, got {self.mass_kg}")
        if self.height_m is not None and not self.height_m > 0:
            raise ValueError(f"subject height must be > 0 m, got {self.height_m}")
        if self.sex not in (None, "F", "M"):
            raise ValueError(f"subject sex must be 'F', 'M' or None, got {self.sex!r}")


@dataclass(frozen=True)
class SourceInfo:
    """Where a trial came from.

    Attributes
    ----------
    path : str
        Absolute path of the C3D file at import.
    sha256 : str
        SHA-256 of the file's bytes (hex).
    reader : str
        Library and version that parsed it (``"ezc3d 1.7.2"``, ``"c3d 0.6.0"``).
    processor : str
        C3D processor format (``"Intel"``, ``"DEC"``, ``"SGI/MIPS"``).
    storage : str
        ``"integer"`` or ``"float"``.
    """

    path: str = ""
    sha256: str = ""
    reader: str = ""
    processor: str = ""
    storage: str = ""


@dataclass
class Trial:
    """One capture: markers, analogs, force plates, events and subject data.

    Attributes
    ----------
    markers : MarkerSet
        Marker trajectories (may have zero markers).
    analogs : AnalogSet
        Analog channels (may have zero channels).
    forceplates : tuple of ForcePlate
        Force plates, in file order.
    events : tuple of Event
        Events sorted by time.
    subject : Subject or None
        Subject data found in the file.
    up_axis : ndarray, shape (3,)
        Unit vector of the lab's upward vertical.
    up_axis_method : str
        How ``up_axis`` was found (plates and markers, plates only, ...).
    points : PointSeries or None
        Model outputs stored as points (angles, moments ...), if any.
    source : SourceInfo
        Where the data came from.
    meta : dict
        JSON-able metadata: ``manufacturer``, ``warnings``, the C3D
        parameter tree under ``"c3d_parameters"`` (loaded lazily from a
        project).
    id, subject_id, session, condition, label : str
        Identity within a project (empty for a trial read straight from a
        file).
    """

    markers: MarkerSet
    analogs: AnalogSet
    forceplates: tuple[ForcePlate, ...] = ()
    events: tuple[Event, ...] = ()
    subject: Subject | None = None
    up_axis: FloatArray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    up_axis_method: str = "default"
    points: PointSeries | None = None
    source: SourceInfo = field(default_factory=SourceInfo)
    meta: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    subject_id: str = ""
    session: str = ""
    condition: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        """Sort the events by time."""
        self.events = tuple(sorted(self.events, key=lambda e: e.time_s))

    @property
    def duration_s(self) -> float:
        """Duration of the longest stream in seconds."""
        spans = [
            s.data.shape[0] / s.rate_hz
            for s in (self.markers, self.analogs)
            if s.rate_hz > 0 and s.data.shape[0] > 0
        ]
        return max(spans, default=0.0)

    @property
    def warnings(self) -> list[str]:
        """Problems found while reading the file, in words."""
        return list(self.meta.get("warnings", []))
