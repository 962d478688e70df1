"""Read a C3D file into a :class:`~gaitlab.core.trial.Trial`.

:func:`read_c3d` parses in an isolated worker process (ezc3d can crash or hang
on malformed files) and returns the trial; :func:`trial_from_raw` is the
interpretation step, run inside the worker: units to SI, invalid points to
NaN, labels split from subject prefixes, model outputs separated from
markers, the vertical axis found, force plates computed (METHODS §0.1, §1),
events, subject data and the parameter tree kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.core.errors import C3DReadError
from gaitlab.core.trial import (
    AnalogSet,
    Event,
    ForcePlate,
    MarkerSet,
    PointSeries,
    SourceInfo,
    Subject,
    Trial,
)
from gaitlab.core.types import FloatArray
from gaitlab.io._raw import RawC3D, not_c3d_reason, read_raw
from gaitlab.io.forceplates import (
    N_CHANNELS,
    SUPPORTED_TYPES,
    PlateDefinition,
    compute_forceplate,
    longest_run,
    plate_rotation,
)
from gaitlab.io.readers import register_reader, sha256_of

__all__ = [
    "not_c3d_reason",
    "read_c3d",
    "read_c3d_file",
    "read_c3d_in_process",
    "trial_from_raw",
]


#: POINT groups that list non-marker points (Plug-in Gait and similar models).
_MODEL_OUTPUT_GROUPS = {
    "ANGLES": "angle",
    "FORCES": "force",
    "MOMENTS": "moment",
    "POWERS": "power",
    "SCALARS": "scalar",
    "REACTIONS": "reaction",
}
_SNAP_TO_AXIS_DEG = 5.0


def read_c3d(path: str | Path, *, timeout_s: float | None = None) -> Trial:
    """Read a C3D file, safely, into a trial.

    Parsing runs in a separate worker process with a time limit and a memory
    limit (both scaled with the file's size and capped), so a file that
    crashes or hangs the C3D parser, or makes it allocate without bound,
    becomes a :class:`C3DReadError` instead of taking the caller down.
    Oddities the parsers cope with (parameter names with spaces, text that
    is not UTF-8, a truncated data section, analog channels without a
    scale) are read and listed in ``trial.warnings``.

    Parameters
    ----------
    path : str or Path
        The C3D file.
    timeout_s : float or None
        Time limit in seconds; None scales it with the file size.

    Returns
    -------
    trial : Trial
        Markers in metres, analogs, force plates (N, m, N·m, acting on the
        subject), events, subject data and metadata.

    Raises
    ------
    C3DReadError
        Naming the file and what is wrong with it.

    Examples
    --------
    >>> trial = gaitlab.read_c3d("data/demo_run.c3d")  # doctest: +SKIP
    >>> trial.forceplates[0].force.shape  # doctest: +SKIP
    (8000, 3)
    """
    from gaitlab.io.workers import shared_pool

    return shared_pool().call(read_c3d_in_process, Path(path), timeout_s=timeout_s)


def read_c3d_in_process(path: str | Path) -> Trial:
    """Read a C3D file in the calling process (no isolation).

    Use :func:`read_c3d` unless the caller is itself an isolated worker.
    """
    path = Path(path).resolve()
    if path.is_dir():
        raise C3DReadError(path, "this is a folder, not a C3D file")
    if not path.is_file():
        raise C3DReadError(path, "no such file")
    return read_c3d_file(path, sha256_of(path))


def read_c3d_file(path: Path, sha256: str) -> Trial:
    """The C3D entry of the reader registry: parse and interpret one file.

    Parameters
    ----------
    path : Path
        The C3D file.
    sha256 : str
        Hex digest of its bytes, recorded in ``trial.source``.
    """
    return trial_from_raw(read_raw(path), path, sha256)


def trial_from_raw(raw: RawC3D, path: Path, sha256: str = "") -> Trial:
    """Interpret a parsed C3D file (see the module docstring).

    Parameters
    ----------
    raw : RawC3D
        Parsed file.
    path : Path
        The file (for messages and provenance).
    sha256 : str
        Hex digest of the file.

    Returns
    -------
    trial : Trial
        The trial, in SI units.

    Raises
    ------
    C3DReadError
        Naming the file, when its parameters contradict each other or the
        data (a parameter of the wrong size or type, say).
    """
    try:
        return _trial_from_raw(raw, path, sha256)
    except (C3DReadError, MemoryError):
        raise
    except Exception as error:
        detail = str(error).strip() or "no detail"
        raise C3DReadError(
            path,
            "the file's parameters are inconsistent with each other or with its "
            f"data, so it cannot be interpreted ({type(error).__name__}: {detail})",
        ) from error


def _trial_from_raw(raw: RawC3D, path: Path, sha256: str) -> Trial:
    warnings = list(raw.warnings)
    unit_name, to_m = _length_unit(raw, warnings)
    t0 = raw.first_frame / raw.point_rate_hz if raw.point_rate_hz > 0 else 0.0
    markers, points = _points(raw, to_m, t0, warnings)
    analogs = AnalogSet(
        data=raw.analogs,
        labels=_unique(
            _strings(raw.param("ANALOG", "LABELS"), raw.analogs.shape[1], "analog{}")
        ),
        units=tuple(_strings(raw.param("ANALOG", "UNITS"), raw.analogs.shape[1], "")),
        rate_hz=raw.analog_rate_hz,
        t0_s=t0,
    )
    subject = _subject(raw)
    try:
        definitions = _plate_definitions(
            raw, path, to_m, analogs.data.shape[1], warnings
        )
    except (C3DReadError, ValueError, TypeError, IndexError) as error:
        # markers and channels are still worth having (what ezc3d reads imports)
        reason = error.reason if isinstance(error, C3DReadError) else str(error)
        warnings.append(
            f"force plates not read: {reason} (the FORCE_PLATFORM group is "
            "inconsistent); markers and analog channels imported without plates"
        )
        definitions = []
    up_axis, up_method = _up_axis(raw, markers, definitions)
    plates = _forceplates(raw, analogs, definitions, to_m, up_axis, subject, warnings)
    _check_rates(raw, warnings)
    meta: dict[str, Any] = {
        "manufacturer": _manufacturer(raw),
        "warnings": warnings,
        "c3d_parameters": _json_tree(raw.parameters),
        "c3d_subject_names": list(raw.param("SUBJECTS", "NAMES") or []),
        "point_unit": unit_name,
    }
    return Trial(
        markers=markers,
        analogs=analogs,
        forceplates=tuple(plates),
        events=tuple(_events(raw, warnings)),
        subject=subject,
        up_axis=up_axis,
        up_axis_method=up_method,
        points=points,
        source=SourceInfo(
            path=str(path),
            sha256=sha256,
            reader=raw.reader,
            processor=raw.processor,
            storage=raw.storage,
        ),
        meta=meta,
        label=path.stem,
    )


# -------------------------------------------------------------------- points


def _length_unit(raw: RawC3D, warnings: list[str]) -> tuple[str, float]:
    units = raw.param("POINT", "UNITS") or [""]
    name = units[0].strip() if units else ""
    lowered = name.lower()
    if lowered in ("mm", "millimeter", "millimeters", "millimetre", "millimetres"):
        return name, 1e-3
    if lowered.startswith("cm") or lowered.startswith("centim"):
        return name, 1e-2
    if lowered.startswith("m"):
        return name, 1.0
    if raw.points.shape[1] == 0:
        return name, 1e-3
    warnings.append(
        f"POINT:UNITS is {name!r}, not a length unit gaitlab knows: assumed mm"
    )
    return name or "mm", 1e-3


def _points(
    raw: RawC3D, to_m: float, t0: float, warnings: list[str]
) -> tuple[MarkerSet, PointSeries | None]:
    n_points = raw.points.shape[1]
    label_lists = [raw.param("POINT", "LABELS")]
    label_lists += [raw.param("POINT", f"LABELS{k}") for k in range(2, 10)]
    all_labels = [label for labels in label_lists if labels for label in labels]
    full_labels = _strings(all_labels, n_points, "")
    split = [_split_prefix(label) for label in full_labels]
    prefixes = [prefix for prefix, _ in split]
    bare = [name or f"unlabeled{i + 1}" for i, (_, name) in enumerate(split)]
    if any(not label for label in full_labels):
        warnings.append(
            f"{sum(not label for label in full_labels)} point(s) have blank labels: "
            "named unlabeledN"
        )
    kinds: dict[str, str] = {}
    for group, kind in _MODEL_OUTPUT_GROUPS.items():
        for name in raw.param("POINT", group) or []:
            kinds[_split_prefix(name)[1]] = kind
    is_marker = np.array([kinds.get(b) is None for b in bare], dtype=bool)
    data = raw.points.copy()
    invalid = raw.residuals < 0
    invalid |= np.all(data == 0.0, axis=2)
    data[invalid] = np.nan
    marker_index = np.flatnonzero(is_marker)
    marker_labels = _unique([bare[i] for i in marker_index])
    markers = MarkerSet(
        data=np.ascontiguousarray(data[:, marker_index, :] * to_m),
        labels=marker_labels,
        prefixes=tuple(prefixes[i] for i in marker_index),
        rate_hz=raw.point_rate_hz,
        t0_s=t0,
        original_unit=_first(raw.param("POINT", "UNITS")) or "",
    )
    if markers.data.size and np.isnan(markers.data).all():
        warnings.append("every marker sample is invalid (no usable marker data)")
    model_index = np.flatnonzero(~is_marker)
    points = None
    if model_index.size:
        kind_list = [kinds[bare[i]] for i in model_index]
        points = PointSeries(
            data=np.ascontiguousarray(data[:, model_index, :]),
            labels=_unique([bare[i] for i in model_index]),
            kinds=tuple(kind_list),
            units=tuple(
                _first(raw.param("POINT", f"{k.upper()}_UNITS")) or ""
                for k in kind_list
            ),
            rate_hz=raw.point_rate_hz,
            t0_s=t0,
        )
    return markers, points


def _split_prefix(label: str) -> tuple[str, str]:
    if ":" in label:
        prefix, _, name = label.rpartition(":")
        return prefix, name.strip()
    return "", label.strip()


# ------------------------------------------------------------------ vertical


def _up_axis(
    raw: RawC3D, markers: MarkerSet, plates: list[PlateDefinition]
) -> tuple[FloatArray, str]:
    """Upward unit vector (METHODS §0.1): plate normal, else screen axis, else markers."""
    # which side of a plate the markers are on: the median position of the
    # markers seen, over at most ~500 frames spread through the trial (it
    # says it as well as all of them, at a fraction of the time)
    sample = markers.data[:: max(1, markers.data.shape[0] // 500)].reshape(-1, 3)
    seen = sample[np.isfinite(sample).all(axis=1)]
    median_marker = np.median(seen, axis=0) if seen.size else None
    for plate in plates:
        rotation, centre = plate_rotation(plate.corners_m)
        normal = rotation[:, 2]
        if median_marker is not None:
            up = normal if (median_marker - centre) @ normal > 0 else -normal
            return _snap(up), "force-plate normal, side of the markers"
        return _snap(-normal), "force-plate normal, C3D convention (plate z down)"
    screen = _first(raw.param("POINT", "Y_SCREEN"))
    if screen and re.fullmatch(r"[+-][XYZ]", screen.strip().upper()):
        axis = np.zeros(3)
        axis["XYZ".index(screen.strip()[1].upper())] = (
            1.0 if screen.strip()[0] == "+" else -1.0
        )
        return axis, "POINT:Y_SCREEN"
    if median_marker is not None:
        spread = np.nanmedian(
            np.nanmax(markers.data, axis=1) - np.nanmin(markers.data, axis=1), axis=0
        )
        index = int(np.nanargmax(spread))
        axis = np.zeros(3)
        axis[index] = 1.0 if median_marker[index] >= 0 else -1.0
        return axis, "largest head-to-foot marker spread (no plates, no Y_SCREEN)"
    return np.array([0.0, 0.0, 1.0]), "assumed +Z (no plates, no markers)"


def _snap(up: FloatArray) -> FloatArray:
    index = int(np.argmax(np.abs(up)))
    if np.degrees(np.arccos(min(1.0, abs(float(up[index]))))) <= _SNAP_TO_AXIS_DEG:
        snapped = np.zeros(3)
        snapped[index] = np.sign(up[index])
        return snapped
    return up / np.linalg.norm(up)


# -------------------------------------------------------------- force plates


def _plate_definitions(
    raw: RawC3D, path: Path, to_m: float, n_channels: int, warnings: list[str]
) -> list[PlateDefinition]:
    used = int(_number(raw.param("FORCE_PLATFORM", "USED"), 0))
    if used <= 0:
        return []
    types = np.asarray(raw.param("FORCE_PLATFORM", "TYPE", []), dtype=int).ravel()
    if types.size < used:
        raise C3DReadError(
            path, f"FORCE_PLATFORM:USED is {used} but TYPE lists {types.size} plates"
        )
    for k, plate_type in enumerate(types[:used]):
        if plate_type not in SUPPORTED_TYPES:
            raise C3DReadError(
                path,
                f"force plate {k + 1} has TYPE {plate_type}, which gaitlab does not "
                "support (types 1, 2, 3 and 4 are supported)",
            )
    corners = np.asarray(raw.param("FORCE_PLATFORM", "CORNERS"), dtype=float)
    origins = np.asarray(raw.param("FORCE_PLATFORM", "ORIGIN"), dtype=float)
    channel_table = np.asarray(raw.param("FORCE_PLATFORM", "CHANNEL"), dtype=int)
    corners = corners.reshape(3, 4, -1, order="F") if corners.size else corners
    origins = origins.reshape(3, -1, order="F") if origins.size else origins
    if corners.ndim != 3 or corners.shape[2] < used:
        raise C3DReadError(path, "FORCE_PLATFORM:CORNERS does not describe every plate")
    channel_table = channel_table.reshape(channel_table.shape[0], -1, order="F")
    cal = raw.param("FORCE_PLATFORM", "CAL_MATRIX")
    zero = np.asarray(raw.param("FORCE_PLATFORM", "ZERO", [0, 0]), dtype=int).ravel()
    zero_frames = (int(zero[0]), int(zero[1])) if zero.size >= 2 else (0, 0)
    poly = raw.param("FORCE_PLATFORM", "FPCOPPOLY")
    if n_channels == 0 or raw.analog_rate_hz <= 0:
        warnings.append(
            f"{used} force plate(s) declared but the file has no analog samples: "
            "no force data"
        )
        return []
    definitions = []
    for k in range(used):
        plate_type = int(types[k])
        n_needed = N_CHANNELS[plate_type]
        channels = channel_table[:n_needed, k] - 1
        if (
            channels.size < n_needed
            or channels.min() < 0
            or channels.max() >= n_channels
        ):
            warnings.append(
                f"force plate {k + 1}: FORCE_PLATFORM:CHANNEL refers to analog channels "
                f"{(channels + 1).tolist()} but the file has {n_channels}: plate skipped"
            )
            continue
        cal_matrix = None
        if plate_type == 4:
            cal_matrix = _cal_matrix(cal, k, to_m, path)
        definitions.append(
            PlateDefinition(
                plate_type=plate_type,
                channels=channels,
                corners_m=corners[:, :, k].T * to_m,
                origin_m=origins[:, k] * to_m if origins.size else np.zeros(3),
                cal_matrix=cal_matrix,
                zero_frames=zero_frames,
                cop_poly=_cop_poly(poly, k),
                cop_poly_unit_m=to_m,
            )
        )
    return definitions


def _cal_matrix(cal: Any, plate: int, to_m: float, path: Path) -> FloatArray:
    array = np.asarray(cal, dtype=float) if cal is not None else np.zeros(0)
    if array.size < 36 * (plate + 1):
        raise C3DReadError(
            path, f"force plate {plate + 1} is TYPE 4 but has no 6x6 CAL_MATRIX"
        )
    matrix = array.reshape(-1, order="F")[36 * plate : 36 * (plate + 1)]
    matrix = matrix.reshape(6, 6, order="F").copy()
    matrix[3:6, :] *= to_m  # moment rows are N·<POINT:UNITS> per volt
    return matrix


def _cop_poly(poly: Any, plate: int) -> FloatArray | None:
    if poly is None:
        return None
    array = np.asarray(poly, dtype=float).reshape(-1, order="F")
    if array.size < 12 * (plate + 1):
        return None
    return array[12 * plate : 12 * (plate + 1)]


def _forceplates(
    raw: RawC3D,
    analogs: AnalogSet,
    definitions: list[PlateDefinition],
    to_m: float,
    up_axis: FloatArray,
    subject: Subject | None,
    warnings: list[str],
) -> list[ForcePlate]:
    ratio = raw.analog_rate_hz / raw.point_rate_hz if raw.point_rate_hz > 0 else 1.0
    plates = []
    for k, definition in enumerate(definitions):
        channels = analogs.data[:, definition.channels].copy()
        # TYPE 2 moments and TYPE 1 COP/Tz come in N·<POINT:UNITS> and
        # <POINT:UNITS>; TYPE 4 moment rows were converted in the CAL_MATRIX
        if definition.plate_type in (1, 2):
            channels[:, 3:6] *= to_m
        plate = compute_forceplate(
            definition,
            channels,
            rate_hz=raw.analog_rate_hz,
            t0_s=analogs.t0_s,
            frames_to_samples=ratio,
            up_axis=up_axis,
            body_mass_kg=subject.mass_kg if subject else None,
        )
        plates.append(plate)
        for note in plate.notes:
            if "ORIGIN" in note or "not removed" in note or "loaded there" in note:
                warnings.append(f"force plate {k + 1}: {note}")
        _check_saturation(channels, k, warnings)
    return plates


def _check_saturation(channels: FloatArray, plate: int, warnings: list[str]) -> None:
    """Flag channels that sit at their extreme value for a long run (clipping)."""
    for j in range(channels.shape[1]):
        column = channels[:, j]
        if column.size < 50 or not np.ptp(column) > 0:
            continue
        extreme = np.nanmax(np.abs(column))
        at_limit = np.abs(column) >= extreme * (1 - 1e-9)
        longest = longest_run(at_limit)
        if longest >= max(20, column.size // 100):
            warnings.append(
                f"force plate {plate + 1}: channel {j + 1} stays at its extreme value "
                f"for {longest} samples in a row (saturated or clipped signal)"
            )


def _check_rates(raw: RawC3D, warnings: list[str]) -> None:
    if raw.point_rate_hz <= 0 and raw.points.shape[1]:
        warnings.append("POINT:RATE is 0: marker times are unknown")
    if raw.analog_rate_hz > 0 and raw.point_rate_hz > 0:
        ratio = raw.analog_rate_hz / raw.point_rate_hz
        if abs(ratio - round(ratio)) > 1e-6:
            warnings.append(
                f"analog rate {raw.analog_rate_hz:g} Hz is not a whole multiple of the "
                f"point rate {raw.point_rate_hz:g} Hz: check the rate parameters"
            )


# ------------------------------------------------------- events and subject


def _events(raw: RawC3D, warnings: list[str]) -> list[Event]:
    used = int(_number(raw.param("EVENT", "USED"), 0))
    if used <= 0:
        return []
    labels = _strings(raw.param("EVENT", "LABELS"), used, "event{}")
    contexts = _strings(raw.param("EVENT", "CONTEXTS"), used, "General")
    times = np.asarray(raw.param("EVENT", "TIMES", []), dtype=float).ravel(order="F")
    if times.size < 2 * used:
        warnings.append("EVENT:TIMES has fewer entries than EVENT:USED: events dropped")
        return []
    minutes_seconds = times[: 2 * used].reshape(2, used, order="F")
    events = []
    for label, context, (minutes, seconds) in zip(
        labels, contexts, minutes_seconds.T, strict=True
    ):
        events.append(
            Event(
                time_s=float(minutes) * 60.0 + float(seconds),
                label=label,
                context=_side(context),
                origin="c3d",
            )
        )
    return events


def _side(context: str) -> str:
    lowered = context.strip().lower()
    if lowered.startswith("l"):
        return "Left"
    if lowered.startswith("r"):
        return "Right"
    return "General"


def _subject(raw: RawC3D) -> Subject | None:
    names = raw.param("SUBJECTS", "NAMES") or []
    processing = {
        k.lstrip("$").upper(): v
        for k, v in raw.parameters.get("PROCESSING", {}).items()
    }
    mass = _positive(processing.get("BODYMASS"))
    height_mm = _positive(processing.get("HEIGHT"))
    legs = {
        side: value / 1000.0
        for side, key in (("Left", "LLEGLENGTH"), ("Right", "RLEGLENGTH"))
        if (value := _positive(processing.get(key))) is not None
    }
    extra = {}
    for name, key in (
        ("knee", "KNEEWIDTH"),
        ("ankle", "ANKLEWIDTH"),
        ("elbow", "ELBOWWIDTH"),
    ):
        widths = [
            value
            for side in "LR"
            if (value := _positive(processing.get(side + key))) is not None
        ]
        if widths:
            extra[f"{name}_width_m"] = float(np.mean(widths)) / 1000.0
    if not names and mass is None and height_mm is None:
        return None
    label = names[0] if names else ""
    return Subject(
        id=re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-") or "subject",
        label=label,
        mass_kg=mass,
        height_m=height_mm / 1000.0 if height_mm is not None else None,
        sex=_sex(processing.get("SEX") or processing.get("GENDER")),
        leg_length_m=legs,
        extra=extra,
    )


def _sex(value: Any) -> str | None:
    """``"M"``/``"F"`` from PROCESSING:Sex (M, F, Male, Female, any case), else None."""
    text = _first(value) if not isinstance(value, str) else value
    if not text:
        return None
    letter = text.strip()[:1].upper()
    return letter if letter in ("M", "F") else None


def _manufacturer(raw: RawC3D) -> dict[str, str]:
    group = raw.parameters.get("MANUFACTURER", {})
    out = {}
    for key in ("COMPANY", "SOFTWARE", "VERSION_LABEL"):
        value = group.get(key)
        if isinstance(value, list) and value:
            out[key.lower()] = value[0]
    version = group.get("VERSION")
    if "version_label" not in out and isinstance(version, np.ndarray) and version.size:
        out["version_label"] = ".".join(str(int(v)) for v in version.ravel())
    return out


# ------------------------------------------------------------------ helpers


def _strings(value: Any, n: int, fallback: str) -> list[str]:
    """``n`` strings from a parameter; blanks and missing ones become ``fallback``.

    ``fallback`` may hold ``{}``, replaced by the one-based position.
    """
    items = (list(value) if isinstance(value, list) else [])[:n]
    items += [""] * (n - len(items))
    return [s or fallback.format(i + 1) for i, s in enumerate(items)]


def _unique(labels: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if label in seen:
            seen[label] += 1
            out.append(f"{label}_{seen[label]}")
        else:
            seen[label] = 1
            out.append(label)
    return tuple(out)


def _first(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return str(value[0])
    return None


def _number(value: Any, default: float) -> float:
    if value is None:
        return default
    array = np.asarray(value, dtype=float).ravel()
    return float(array[0]) if array.size else default


def _positive(value: Any) -> float | None:
    if value is None or isinstance(value, list):
        return None
    number = _number(value, 0.0)
    return number if number > 0 else None


def _json_tree(parameters: dict[str, dict[str, Any]]) -> str:
    tree = {
        group: {
            name: value.tolist() if isinstance(value, np.ndarray) else value
            for name, value in entries.items()
        }
        for group, entries in parameters.items()
    }
    return json.dumps(tree, sort_keys=True, default=str)


register_reader(
    "c3d",
    [".c3d"],
    read_c3d_file,
    rejects=not_c3d_reason,
    description="C3D motion capture file",
)
