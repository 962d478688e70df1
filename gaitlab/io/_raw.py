"""Low-level C3D parsing into one neutral form, with three backends.

Plain Intel and DEC files (header and parameters agreeing, every declared
frame present) are read with numpy alone (:mod:`gaitlab.io._numpy_c3d`,
about 9 times faster than ezc3d, giving ezc3d's values bit for bit); the
others with ``ezc3d`` (C++); the pure-Python ``c3d`` package reads SGI/MIPS
files, which ezc3d refuses, and files whose parameter section ezc3d rejects.
All are turned into :class:`RawC3D`, whose parameter
arrays follow the C3D dimension order (first index fastest), the layout ezc3d
returns: ``CORNERS[:, corner, plate]``, ``CAL_MATRIX[:, :, plate]``.

Only this module imports ezc3d and c3d. It runs inside the isolated reader
workers (see :mod:`gaitlab.io.workers`), never in the application process.

Before a parser sees a file, :func:`check_header` walks its header and
parameter section and refuses what would crash or hang a parser (a broken
chain of parameter entries), and nothing else: oddities a parser copes with
(parameter names with spaces, text that is not UTF-8) are read and noted in
:attr:`RawC3D.warnings`.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from gaitlab.core.errors import C3DReadError
from gaitlab.core.types import FloatArray
from gaitlab.io._numpy_c3d import NUMPY_READER_VERSION, decode_text, read_tables

__all__ = [
    "ParameterEntry",
    "RawC3D",
    "check_header",
    "not_c3d_reason",
    "parameter_entries",
    "read_raw",
]

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
    points: FloatArray
    residuals: FloatArray
    analogs: FloatArray
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


class ParameterEntry(NamedTuple):
    """One entry of a file's parameter section, as written.

    Attributes
    ----------
    group : str
        The group's name (for a group entry, its own name); ``"?"`` when the
        parameter's group is not declared.
    name : str
        The parameter's name; ``""`` for a group entry. Names are decoded as
        Latin-1 so that every byte shows.
    position : int
        Byte offset of the entry in the file.
    type_code : int
        Parameters: -1 text, 1 byte, 2 int16, 4 float; groups: 0.
    dims : tuple of int
        The parameter's dimensions (empty for a scalar or a group).
    dims_position : int
        Byte offset of the first dimension byte in the file; -1 for a group.
    """

    group: str
    name: str
    position: int
    type_code: int
    dims: tuple[int, ...]
    dims_position: int


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
    return _check_file(path)[0]


C3D_KEY_BYTE = 0x50
"""Second byte of every C3D file (the header's key), whatever its size."""


def not_c3d_reason(path: Path) -> str | None:
    """Why a file is not a C3D file at all, in words, or None when it may be one.

    Only the key byte is looked at, so a text file or a picture is named as
    what it is not rather than as a truncated or damaged C3D file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    reason : str or None
        e.g. ``"not a C3D file (it is a text file)"``.
    """
    with path.open("rb") as handle:
        head = handle.read(1024)
    if len(head) < 2 or head[1] == C3D_KEY_BYTE:
        return None
    if _is_text(head):
        return "not a C3D file (it is a text file)"
    return f"not a C3D file (its second byte is {head[1]:#x}; a C3D file has 0x50)"


def _is_text(head: bytes) -> bool:
    """True when the bytes are UTF-8 text without NUL bytes."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:  # a character cut at the end is fine
        if error.start < len(head) - 3:
            return False
    return b"\0" not in head


def parameter_entries(path: Path) -> list[ParameterEntry]:
    """The groups and parameters of a C3D file's parameter section, in file order.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    entries : list of ParameterEntry
        Groups and parameters as written (names not upper-cased).

    Raises
    ------
    C3DReadError
        As :func:`check_header`.
    """
    return _check_file(path)[1]


class _CheckedFile(NamedTuple):
    """What :func:`_check_file` found: the processor, the parameter entries,
    the frame count the header declares (last - first + 1, or None when the
    header cannot tell: last frame 65535, longer recordings keep their count
    in POINT:FRAMES), and the header and parameter section's bytes."""

    processor: str
    entries: list[ParameterEntry]
    declared_frames: int | None
    header: bytes
    section: bytes


def _check_file(path: Path) -> _CheckedFile:
    """:func:`check_header`, also returning what it read (:class:`_CheckedFile`)."""
    size = path.stat().st_size
    if size == 0:
        raise C3DReadError(path, "the file is empty (0 bytes)")
    reason = not_c3d_reason(path)
    if reason is not None:
        raise C3DReadError(path, reason)
    if size < 1024:
        raise C3DReadError(
            path, f"the file is truncated: {size} bytes, a C3D file has at least 1024"
        )
    with path.open("rb") as handle:
        header = handle.read(512)
        param_block = header[0]
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
    entries = _walk_parameter_section(
        path, section, (param_block - 1) * 512, processor_byte
    )
    data_start = _data_start_block(header, processor_byte)
    if data_start > 0 and (data_start - 1) * 512 > size:
        raise C3DReadError(
            path,
            f"the data section should start at block {data_start}, beyond the end "
            f"of the {size}-byte file: the file is truncated",
        )
    endian = ">" if processor_byte == 86 else "<"
    first, last = struct.unpack(endian + "HH", header[6:10])
    declared = last - first + 1 if 0 < first <= last < 65535 else None
    return _CheckedFile(_PROCESSORS[processor_byte], entries, declared, header, section)


def _walk_parameter_section(
    path: Path, section: bytes, start: int, processor_byte: int
) -> list[ParameterEntry]:
    """Walk the parameter entries; refuse a broken chain before a parser hangs on it.

    Each entry is: name length (int8, negative = locked), id (int8, negative
    for a group), name, offset to the next entry (int16, from the offset
    field), then for a parameter its type (int8) and dimensions. A zero name
    length or offset, or the end of the declared blocks, ends the walk. A
    name holding NUL bytes or a negative link is refused: the chain is
    broken there, and ezc3d hangs or crashes on it. Names with spaces (as
    Qualisys writes them) or other odd bytes are read by the parsers, so
    they pass and are noted (:func:`_entry_notes`).
    """
    endian = ">" if processor_byte == 86 else "<"
    raw: list[tuple[int, int, bytes, int, tuple[int, ...], int]] = []
    position = 4
    while position + 2 <= len(section):
        name_length = abs(struct.unpack("b", section[position : position + 1])[0])
        if name_length == 0:
            break
        entry_id = struct.unpack("b", section[position + 1 : position + 2])[0]
        name = section[position + 2 : position + 2 + name_length]
        offset_at = position + 2 + name_length
        if offset_at + 2 > len(section):
            break
        offset = struct.unpack(endian + "h", section[offset_at : offset_at + 2])[0]
        if b"\0" in name or offset < 0:
            raise C3DReadError(
                path,
                "bad parameter section: the entry at byte "
                f"{start + position} has a name with NUL bytes {name!r} or a "
                "negative link to the next entry (the parameter section is "
                "damaged)",
            )
        dims: tuple[int, ...] = ()
        type_code, dims_at = 0, -1
        if entry_id > 0 and offset_at + 4 <= len(section):
            type_code = struct.unpack("b", section[offset_at + 2 : offset_at + 3])[0]
            n_dims = section[offset_at + 3]
            dims_at = offset_at + 4
            dims = tuple(section[dims_at : dims_at + n_dims])
        raw.append(
            (
                start + position,
                entry_id,
                name,
                type_code,
                dims,
                start + dims_at if dims_at >= 0 else -1,
            )
        )
        if offset == 0:
            break
        position = offset_at + offset
    groups = {
        -entry_id: name.decode("latin-1")
        for _, entry_id, name, _, _, _ in raw
        if entry_id < 0
    }
    return [
        ParameterEntry(
            group=groups.get(abs(entry_id), "?"),
            name="" if entry_id < 0 else name.decode("latin-1"),
            position=at,
            type_code=type_code,
            dims=dims,
            dims_position=dims_at,
        )
        for at, entry_id, name, type_code, dims, dims_at in raw
    ]


def _entry_notes(entries: list[ParameterEntry]) -> list[str]:
    """Warnings for names a strict reader would refuse (spaces, non-ASCII bytes)."""
    spaced = [
        f"{e.group}:{e.name}" if e.name else e.group
        for e in entries
        if " " in (e.name or e.group).strip()
    ]
    foreign = [
        ascii(f"{e.group}:{e.name}" if e.name else e.group)
        for e in entries
        if not (e.name or e.group).isascii() or not (e.name or e.group).isprintable()
    ]
    notes = []
    if spaced:
        notes.append(
            f"{len(spaced)} parameter name(s) contain spaces, which the C3D "
            f"standard does not allow: {', '.join(spaced[:5])}"
            + (" ..." if len(spaced) > 5 else "")
            + "; read as written"
        )
    if foreign:
        notes.append(
            f"{len(foreign)} parameter name(s) contain non-ASCII or control "
            "bytes: "
            f"{', '.join(foreign[:5])}" + (" ..." if len(foreign) > 5 else "")
        )
    return notes


def _data_start_block(header: bytes, processor_byte: int) -> int:
    endian = ">" if processor_byte == 86 else "<"
    return int(struct.unpack(endian + "H", header[16:18])[0])


def read_raw(path: Path) -> RawC3D:
    """Parse a C3D file: numpy for plain files, else ezc3d, else the ``c3d`` package.

    Parameters
    ----------
    path : Path
        The C3D file.

    Returns
    -------
    raw : RawC3D
        The parsed content; ``warnings`` notes oddities that were read anyway
        (parameter names with spaces, text decoded as Latin-1, analog
        channels whose values the parser could not define).

    Raises
    ------
    C3DReadError
        Naming the file and the reason when neither backend can read it.
    MemoryError
        When parsing runs out of memory (the isolated reader turns this into
        a refusal that states its memory limit).
    """
    try:
        checked = _check_file(path)
        processor, declared_frames = checked.processor, checked.declared_frames
        raw = _read_with_numpy(path, checked)
    except OSError as error:  # a folder, no permission, a vanished file
        raise C3DReadError(
            path, f"the file cannot be opened: {error.strerror or error}"
        ) from None
    notes = _entry_notes(checked.entries)
    if raw is None and processor == "SGI/MIPS":  # ezc3d 1.7 cannot read these
        try:
            raw = _read_with_c3d_package(path, processor)
        except C3DReadError as error:
            raise C3DReadError(
                path, f"the c3d package cannot read this SGI/MIPS file: {error.reason}"
            ) from None
    elif raw is None:
        try:
            raw = _read_with_ezc3d(path, processor)
        except MemoryError:
            raise
        except Exception as ezc3d_error:
            reason = str(ezc3d_error).strip() or type(ezc3d_error).__name__
            if "bad_alloc" in reason:  # C++ out of memory, raised as RuntimeError
                raise MemoryError(reason) from None
            try:
                raw = _read_with_c3d_package(path, processor)
            except C3DReadError as fallback_error:
                raise C3DReadError(
                    path,
                    "neither C3D parser can read the file (it is damaged, or laid "
                    f"out in a way they do not support): ezc3d: {reason}; "
                    f"c3d package: {fallback_error.reason}",
                ) from None
            raw.warnings.append(
                f"ezc3d could not read the file ({reason}); read with the c3d package"
            )
    n_frames = raw.points.shape[0]
    if declared_frames is not None and n_frames < declared_frames:
        notes.append(
            f"the file holds {n_frames} of the {declared_frames} frames its header "
            "declares: it is truncated (an interrupted copy?) or its header is "
            f"stale; the {n_frames} frames present are imported"
        )
    raw.warnings[:0] = notes
    return raw


# ---------------------------------------------------------------- text


def _redecode(text: str) -> tuple[str, bool]:
    """Undo SWIG's surrogate escapes (ezc3d strings that are not UTF-8)."""
    if text.isascii() or not any("\udc80" <= c <= "\udcff" for c in text):
        return text, False
    return decode_text(text.encode("utf-8", "surrogateescape"))


def _latin1_note(names: list[str]) -> str:
    return (
        f"text in {', '.join(names[:5])}"
        + (" ..." if len(names) > 5 else "")
        + " is not valid UTF-8: decoded as Latin-1 (check accented letters)"
    )


# ---------------------------------------------------------------- numpy backend


def _read_with_numpy(path: Path, checked: _CheckedFile) -> RawC3D | None:
    """The file read by :func:`gaitlab.io._numpy_c3d.read_tables`, or None
    when it is not a plain file that reader takes (ezc3d reads it then).

    The numpy reader is a shortcut: a file it cannot make sense of (an
    entry it trips on) goes to ezc3d too, which decides what to say of it.
    """
    try:
        read = read_tables(
            path, checked.header, checked.section, checked.entries, checked.processor
        )
    except (ValueError, IndexError, TypeError, OverflowError, struct.error):
        return None
    if read is None:
        return None
    parameters, latin1, tables = read
    warnings = [_latin1_note(latin1)] if latin1 else []
    _blank_undefined_channels(parameters, tables["analogs"], warnings)
    return RawC3D(
        parameters=parameters,
        processor=checked.processor,
        reader=f"gaitlab numpy reader {NUMPY_READER_VERSION}",
        warnings=warnings,
        **tables,
    )


# ---------------------------------------------------------------- ezc3d backend


def _read_with_ezc3d(path: Path, processor: str) -> RawC3D:
    import ezc3d

    c3d = ezc3d.c3d(str(path))
    parameters: dict[str, dict[str, Any]] = {}
    latin1: list[str] = []
    for group_name, group in c3d["parameters"].items():
        group_text, fell_back = _redecode(group_name)
        entries: dict[str, Any] = {}
        for name, param in group.items():
            if name == "__METADATA__" or not isinstance(param, dict):
                continue
            name_text, name_fell_back = _redecode(name)
            fell_back |= name_fell_back
            value = param.get("value")
            if isinstance(value, list):
                texts = [_redecode(str(v)) for v in value]
                entries[name_text.upper()] = [text.strip() for text, _ in texts]
                if any(f for _, f in texts):
                    latin1.append(f"{group_text.upper()}:{name_text.upper()}")
            else:
                entries[name_text.upper()] = np.asarray(value)
        if fell_back:
            latin1.append(f"the names in group {group_text.upper()}")
        parameters[group_text.upper()] = entries
    header = c3d["header"]
    points4 = c3d["data"]["points"]  # (4, n_points, n_frames)
    points = np.ascontiguousarray(points4[:3].transpose(2, 1, 0), dtype=np.float64)
    residuals = np.ascontiguousarray(
        c3d["data"]["meta_points"]["residuals"][0].T, dtype=np.float64
    )
    analogs = np.ascontiguousarray(c3d["data"]["analogs"][0].T, dtype=np.float64)
    warnings = [_latin1_note(latin1)] if latin1 else []
    _blank_undefined_channels(parameters, analogs, warnings)
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
        warnings=warnings,
    )


def _blank_undefined_channels(
    parameters: dict[str, dict[str, Any]],
    analogs: FloatArray,
    warnings: list[str],
) -> None:
    """Set to NaN the analog channels ezc3d scaled with memory it never read.

    ezc3d 1.7 scales channel ``i`` by ``ANALOG:SCALE[i]`` and ``OFFSET[i]``
    without checking that the file lists that many values (evart-style
    files list fewer than ANALOG:USED): for the channels past the end it
    reads whatever lies in memory, so their values change from one import
    to the next. The file gives no scale for them, so they are unknown:
    NaN, and a warning names them. Costs a length check per file.
    """
    n_channels = analogs.shape[1]
    if n_channels == 0:
        return
    analog = parameters.get("ANALOG", {})
    defined = n_channels
    for key in ("SCALE", "OFFSET"):
        values = [analog.get(key)] + [analog.get(f"{key}{k}") for k in range(2, 10)]
        count = sum(np.asarray(v).size for v in values if v is not None)
        defined = min(defined, count)
    if defined >= n_channels:
        return
    analogs[:, defined:] = np.nan
    labels = list(analog.get("LABELS") or []) + [
        label for k in range(2, 10) for label in (analog.get(f"LABELS{k}") or [])
    ]
    named = [
        f"{i + 1}" + (f" ({labels[i]})" if i < len(labels) and labels[i] else "")
        for i in range(defined, n_channels)
    ]
    warnings.append(
        f"analog channel(s) {', '.join(named[:8])}"
        + (" ..." if len(named) > 8 else "")
        + f" have no ANALOG:SCALE/OFFSET entry (the file lists {defined} for "
        f"{n_channels} channels): the parser's values for them are undefined "
        "(they differ from one import to the next), so they are set to NaN"
    )


# ------------------------------------------------------------ c3d-package backend


def _read_with_c3d_package(path: Path, processor: str) -> RawC3D:
    import c3d

    latin1: list[str] = []
    try:
        with path.open("rb") as handle, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = c3d.Reader(handle)
            parameters = _c3d_package_parameters(reader, processor, latin1)
            n_points, n_channels = reader.point_used, reader.analog_used
            point_frames, analog_frames = [], []
            for _, frame_points, frame_analog in reader.read_frames(copy=True):
                point_frames.append(frame_points)
                analog_frames.append(np.asarray(frame_analog, dtype=np.float64).T)
    except (C3DReadError, MemoryError):
        raise
    except Exception as error:
        detail = str(error).strip() or type(error).__name__
        if isinstance(error, UnicodeError):
            detail = f"text in the parameter section is not valid UTF-8 ({detail})"
        raise C3DReadError(path, detail) from None
    notes = [_latin1_note(latin1)] if latin1 else []
    notes += [
        f"c3d package: {w.message}"
        for w in caught
        if "No analog data" not in str(w.message)
    ]
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
        warnings=notes,
    )


def _c3d_package_parameters(
    reader: Any, processor: str, latin1: list[str]
) -> dict[str, dict[str, Any]]:
    """Every group's parameters; names of text decoded as Latin-1 go to ``latin1``."""
    parameters: dict[str, dict[str, Any]] = {}
    for group_name, group in reader.group_items():
        if not isinstance(group_name, str):
            continue
        entries: dict[str, Any] = {}
        for name, param in group.param_items():
            value = _c3d_package_value(param, processor)
            if isinstance(value, tuple):
                value, fell_back = value
                if fell_back:
                    latin1.append(f"{group_name.upper()}:{name.upper()}")
            entries[name.upper()] = value
        parameters[group_name.upper()] = entries
    return parameters


def _c3d_package_value(param: Any, processor: str) -> Any:
    """A parameter's value; text comes back as ``(strings, decoded_as_latin1)``."""
    dims = list(param.dimensions)
    size = param.bytes_per_element
    if size == -1:  # characters: first dimension is the string length
        data = bytes(param.bytes)
        width = dims[0] if len(dims) > 1 and dims[0] > 0 else len(data)
        chunks = [data[i : i + width] for i in range(0, len(data), width or 1)]
        texts = [decode_text(chunk) for chunk in chunks] or [("", False)]
        return [text.strip() for text, _ in texts], any(f for _, f in texts)
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
