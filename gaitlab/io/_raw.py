"""Low-level C3D parsing into one neutral form, with two backends.

``ezc3d`` (fast, C++) reads Intel and DEC files; the pure-Python ``c3d``
package reads SGI/MIPS files, which ezc3d refuses, and files whose parameter
section ezc3d rejects. Both are turned into :class:`RawC3D`, whose parameter
arrays follow the C3D dimension order (first index fastest), the layout ezc3d
returns: ``CORNERS[:, corner, plate]``, ``CAL_MATRIX[:, :, plate]``.

Only this module imports ezc3d and c3d. It runs inside the isolated reader
workers (see :mod:`gaitlab.io._isolation`), never in the application process.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gaitlab.core.errors import C3DReadError

__all__ = ["RawC3D", "check_header", "read_raw"]

_PROCESSORS = {84: "Intel", 85: "DEC", 86: "SGI/MIPS"}


@dataclass
class RawC3D:
    """A parsed C3D file, before any interpretation.

    Attributes
    ----------
    parameters : dict
        ``{GROUP: {NAME: value}}``; numeric values are ndarrays in C3D
        dimension order, strings are lists of stripped str.
    points : ndarray, shape (n_frames, n_points, 3)
        Point values in the file's units; NaN where invalid.
    residuals : ndarray, shape (n_frames, n_points)
        Residuals; negative means invalid.
    analogs : ndarray, shape (n_samples, n_channels)
        Scaled analog values: (stored - OFFSET) * GEN_SCALE * SCALE.
    point_rate_hz, analog_rate_hz : float
        Rates from the header/parameters.
    first_frame : int
        Zero-based index of the first frame in the capture.
    processor : str
        ``"Intel"``, ``"DEC"`` or ``"SGI/MIPS"``.
    storage : str
        ``"integer"`` or ``"float"``.
    reader : str
        Backend name and version.
    warnings : list of str
        Problems noticed while parsing.
    """

    parameters: dict[str, dict[str, Any]]
    points: npt.NDArray[np.float64]
    residuals: npt.NDArray[np.float64]
    analogs: npt.NDArray[np.float64]
    point_rate_hz: float
    analog_rate_hz: float
    first_frame: int
    processor: str
    storage: str
    reader: str
    warnings: list[str] = field(default_factory=list)

    def param(self, group: str, name: str, default: Any = None) -> Any:
        """A parameter value, or ``default`` when the group or name is absent."""
        return self.parameters.get(group, {}).get(name, default)


def check_header(path: Path) -> str:
    """Check that a file looks like a C3D file before handing it to a parser.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    processor : str
        The processor format named in the parameter section.

    Raises
    ------
    C3DReadError
        When the file is empty, too short, or its header or parameter
        pointers are inconsistent with its size.
    """
    size = path.stat().st_size
    if size == 0:
        raise C3DReadError(path, "the file is empty (0 bytes)")
    if size < 1024:
        raise C3DReadError(
            path, f"the file is truncated: {size} bytes, a C3D file has at least 1024"
        )
    with path.open("rb") as handle:
        header = handle.read(512)
        param_block, key = header[0], header[1]
        if key != 0x50:
            raise C3DReadError(
                path, f"not a C3D file: header byte 2 is {key:#x}, expected 0x50"
            )
        if param_block < 1 or (param_block - 1) * 512 + 4 > size:
            raise C3DReadError(
                path,
                f"the header points the parameter section at block {param_block}, "
                f"beyond the end of the {size}-byte file (truncated?)",
            )
        handle.seek((param_block - 1) * 512)
        param_header = handle.read(4)
        n_blocks = max(param_header[2], 1)
        section = param_header + handle.read(n_blocks * 512 - 4)
    processor_byte = param_header[3]
    if processor_byte not in _PROCESSORS:
        raise C3DReadError(
            path,
            f"unknown processor type {processor_byte} in the parameter section "
            "(expected 84 Intel, 85 DEC or 86 SGI/MIPS): the file is damaged",
        )
    n_param_blocks = param_header[2]
    if (param_block - 1 + n_param_blocks) * 512 > size:
        raise C3DReadError(
            path,
            f"the parameter section ({n_param_blocks} blocks) runs past the end of "
            f"the {size}-byte file: the file is truncated",
        )
    _check_parameter_section(path, section, (param_block - 1) * 512, processor_byte)
    data_start = _data_start_block(header, processor_byte)
    if data_start > 0 and (data_start - 1) * 512 > size:
        raise C3DReadError(
            path,
            f"the data section should start at block {data_start}, beyond the end "
            f"of the {size}-byte file: the file is truncated",
        )
    return _PROCESSORS[processor_byte]


def _check_parameter_section(
    path: Path, section: bytes, start: int, processor_byte: int
) -> None:
    """Walk the parameter entries; refuse a damaged chain before a parser hangs on it.

    Each entry is: name length (int8, negative = locked), id (int8), name,
    offset to the next entry (int16, from the offset field). A zero name
    length or offset, or the end of the declared blocks, ends the walk.
    """
    endian = ">" if processor_byte == 86 else "<"
    position = 4
    while position + 2 <= len(section):
        name_length = abs(struct.unpack("b", section[position : position + 1])[0])
        if name_length == 0:
            return
        name = section[position + 2 : position + 2 + name_length]
        offset_at = position + 2 + name_length
        if offset_at + 2 > len(section):
            break
        offset = struct.unpack(endian + "h", section[offset_at : offset_at + 2])[0]
        if not all(32 < c < 127 for c in name) or offset < 0:
            raise C3DReadError(
                path,
                "bad parameter section: the entry at byte "
                f"{start + position} has an invalid name {name!r} or a negative "
                "link to the next entry (the parameter section is damaged)",
            )
        if offset == 0:
            return
        position = offset_at + offset


def _data_start_block(header: bytes, processor_byte: int) -> int:
    endian = ">" if processor_byte == 86 else "<"
    return int(struct.unpack(endian + "H", header[16:18])[0])


def read_raw(path: Path) -> RawC3D:
    """Parse a C3D file with ezc3d, or with the ``c3d`` package where needed.

    Parameters
    ----------
    path : Path
        The C3D file.

    Returns
    -------
    raw : RawC3D
        The parsed content.

    Raises
    ------
    C3DReadError
        Naming the file and the reason when neither backend can read it.
    """
    processor = check_header(path)
    if processor == "SGI/MIPS":
        return _read_with_c3d_package(path, processor)
    try:
        return _read_with_ezc3d(path, processor)
    except Exception as ezc3d_error:
        reason = str(ezc3d_error).strip() or type(ezc3d_error).__name__
        try:
            raw = _read_with_c3d_package(path, processor)
        except C3DReadError as fallback_error:
            raise C3DReadError(
                path,
                f"ezc3d: {reason}; c3d package: {fallback_error.reason}",
            ) from None
        raw.warnings.append(
            f"ezc3d could not read the file ({reason}); read with the c3d package"
        )
        return raw


# ---------------------------------------------------------------- ezc3d backend


def _read_with_ezc3d(path: Path, processor: str) -> RawC3D:
    import ezc3d

    c3d = ezc3d.c3d(str(path))
    parameters: dict[str, dict[str, Any]] = {}
    for group_name, group in c3d["parameters"].items():
        entries: dict[str, Any] = {}
        for name, param in group.items():
            if name == "__METADATA__" or not isinstance(param, dict):
                continue
            value = param.get("value")
            if isinstance(value, list):
                entries[name.upper()] = [str(v).strip() for v in value]
            else:
                entries[name.upper()] = np.asarray(value)
        parameters[group_name.upper()] = entries
    header = c3d["header"]
    points4 = c3d["data"]["points"]  # (4, n_points, n_frames)
    points = np.ascontiguousarray(points4[:3].transpose(2, 1, 0), dtype=np.float64)
    residuals = np.ascontiguousarray(
        c3d["data"]["meta_points"]["residuals"][0].T, dtype=np.float64
    )
    analogs = np.ascontiguousarray(c3d["data"]["analogs"][0].T, dtype=np.float64)
    point_scale = _scalar(parameters.get("POINT", {}).get("SCALE"), -1.0)
    return RawC3D(
        parameters=parameters,
        points=points,
        residuals=residuals,
        analogs=analogs,
        point_rate_hz=float(header["points"]["frame_rate"]),
        analog_rate_hz=float(header["analogs"]["frame_rate"]),
        first_frame=int(header["points"]["first_frame"]),
        processor=processor,
        storage="float" if point_scale < 0 else "integer",
        reader=f"ezc3d {ezc3d.__version__}",
    )


# ------------------------------------------------------------ c3d-package backend


def _read_with_c3d_package(path: Path, processor: str) -> RawC3D:
    import c3d

    try:
        with path.open("rb") as handle:
            reader = c3d.Reader(handle)
            parameters = _c3d_package_parameters(reader, processor)
            n_points, n_channels = reader.point_used, reader.analog_used
            point_frames, analog_frames = [], []
            for _, frame_points, frame_analog in reader.read_frames(copy=True):
                point_frames.append(frame_points)
                analog_frames.append(np.asarray(frame_analog, dtype=np.float64).T)
    except C3DReadError:
        raise
    except Exception as error:
        raise C3DReadError(path, str(error).strip() or type(error).__name__) from None
    if point_frames:
        stacked = np.stack(point_frames).astype(np.float64)
        points = stacked[:, :, :3].copy()
        residuals = stacked[:, :, 3].copy()
    else:
        points = np.zeros((0, n_points, 3))
        residuals = np.zeros((0, n_points))
    points[residuals < 0] = np.nan
    analogs = (
        np.concatenate(analog_frames).reshape(-1, n_channels)
        if analog_frames and n_channels
        else np.zeros((0, n_channels))
    )
    point_scale = _scalar(parameters.get("POINT", {}).get("SCALE"), -1.0)
    analog_rate = _scalar(parameters.get("ANALOG", {}).get("RATE"), 0.0)
    return RawC3D(
        parameters=parameters,
        points=points,
        residuals=residuals,
        analogs=analogs,
        point_rate_hz=float(reader.point_rate),
        analog_rate_hz=float(analog_rate) if n_channels else 0.0,
        first_frame=int(reader.first_frame) - 1,
        processor=processor,
        storage="float" if point_scale < 0 else "integer",
        reader=f"c3d {getattr(c3d, '__version__', '')}".strip(),
    )


def _c3d_package_parameters(reader: Any, processor: str) -> dict[str, dict[str, Any]]:
    parameters: dict[str, dict[str, Any]] = {}
    for group_name, group in reader.group_items():
        if not isinstance(group_name, str):
            continue
        entries: dict[str, Any] = {}
        for name, param in group.param_items():
            entries[name.upper()] = _c3d_package_value(param, processor)
        parameters[group_name.upper()] = entries
    return parameters


def _c3d_package_value(param: Any, processor: str) -> Any:
    dims = list(param.dimensions)
    size = param.bytes_per_element
    if size == -1:  # characters: first dimension is the string length
        if not dims:
            return [param.bytes.decode("latin-1").strip()]
        strings = param.string_array
        return [str(s).strip() for s in np.asarray(strings).ravel(order="C")]
    if 0 in dims:
        return np.zeros(dims)
    if size == 4 and processor == "DEC":  # DEC floats need the package's conversion
        if not dims:
            return np.asarray([param.float_value])
        return np.asarray(param.float_array).T.copy()
    # decoded here: the package's typed accessors fail on scalars and on
    # big-endian (SGI/MIPS) files
    endian = ">" if processor == "SGI/MIPS" else "<"
    dtype = {1: "i1", 2: f"{endian}i2", 4: f"{endian}f4"}[size]
    flat = np.frombuffer(param.bytes, dtype=dtype).astype(float if size == 4 else int)
    return flat.reshape(dims or [1], order="F")


def _scalar(value: Any, default: float) -> float:
    if value is None:
        return default
    array = np.asarray(value, dtype=float).ravel()
    return float(array[0]) if array.size else default
