"""Reading the store's HDF5 files defensively: size limits and checksums.

A file on disk may be damaged (a flipped bit, a truncated copy) or crafted.
Every read of a project file therefore goes through a :class:`CheckedReader`:

* **Declared sizes** are checked before anything is read. An uncompressed
  array whose declared size (elements x item size) exceeds the file's size
  cannot be genuine; it is refused instead of allocating it. Since format
  version 3 the large arrays are compressed (Blosc with zstd and byte
  shuffle in versions 3-4, Zstandard since version 5, or shuffle +
  deflate): only these filters are accepted, and such an array may declare
  at most :data:`MAX_RATIO` times the bytes it occupies in the file (never
  more than the file's size): the most deflate can ever expand, which the
  writer also guarantees for the others. Each Blosc chunk's header, and
  each Zstandard frame's header (its content size), is checked against its
  chunk the same way before reading, since the filter allocates what it
  declares. A crafted file declaring a huge compressed array is so refused,
  not allocated. A variable-length string takes at least 16 bytes of the
  file per element, which bounds string arrays the same way.
* **Checksums.** Since format version 2 every file carries, in its root
  attribute ``gaitlab_checksums`` (JSON), a CRC-32 of each dataset's values
  and of each object's attributes, computed when the file was written
  (:func:`seal`). A reader recomputes the CRC of what it read and refuses a
  mismatch, so a damaged file is reported rather than loaded as different
  data. Files of format version 1 (written before checksums) are read
  without them.
* Anything else that goes wrong while reading a damaged file (h5py's
  ``OSError``, ``KeyError``, ``TypeError``...) becomes a
  :class:`~gaitlab.core.errors.DamagedFileError` naming the file.

The files are also written with HDF5's version-1.10 object format, whose
metadata (object headers, B-trees, heaps of attributes) carries HDF5's own
checksums, so most damage to the file structure is refused by HDF5 itself
before it is interpreted.

CRC-32 detects accidental damage; it is no defence against a forger, who
could recompute it. The size limits are what protect against crafted files.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin  # registers the Zstandard and Blosc filters of trial files
import numpy as np

from gaitlab.core.errors import DamagedFileError, FormatVersionError, ProjectError
from gaitlab.store.schema import FORMAT_VERSION

__all__ = [
    "CHECKSUMS_ATTR",
    "LIBVER",
    "CheckedReader",
    "open_checked",
    "seal",
    "value_digest",
]

CHECKSUMS_ATTR = "gaitlab_checksums"
"""Root attribute holding the JSON object ``{key: crc32 hex}`` of a file."""

LIBVER = ("v110", "latest")
"""HDF5 object format of written files (metadata with checksums)."""

FIRST_CHECKSUMMED_VERSION = 2
"""Format version from which every file must carry checksums."""

MAX_RATIO = 1032
"""Most decompressed bytes per stored byte of a genuine compressed array:
deflate's largest expansion (zlib's documented maximum, 1032:1); writers
store an array Blosc compresses further with deflate instead."""

_SHUFFLE, _DEFLATE = h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE
_BLOSC = hdf5plugin.BLOSC_ID
_BLOSC_HEADER = 16  # version, versionlz, flags, typesize, nbytes, blocksize, cbytes
_ZSTD = hdf5plugin.ZSTD_ID
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZSTD_HEADER = (
    18  # magic, descriptor, window, dictionary id (<= 4), content size (<= 8)
)

_VLEN_BYTES = 16  # the least a variable-length element takes in the file


def _crc(data: bytes | memoryview, start: int = 0) -> int:
    return zlib.crc32(data, start)


def _plain(value: Any) -> Any:
    """An attribute value as plain JSON-able Python."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, np.ndarray):
        return [value.dtype.str, list(value.shape), value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _attrs_digest(values: dict[str, Any]) -> str:
    text = json.dumps(
        {k: _plain(v) for k, v in values.items()},
        sort_keys=True,
        default=repr,
    )
    return f"{_crc(text.encode('utf-8', errors='surrogateescape')):08x}"


def _value_digest(value: Any) -> str:
    """CRC-32 of a dataset's value as read (array, number or string)."""
    if isinstance(value, str):
        return f"{_crc(b'str|' + value.encode('utf-8', errors='surrogateescape')):08x}"
    if isinstance(value, tuple):  # a string array
        text = json.dumps(list(value))
        return f"{_crc(b'strs|' + text.encode('utf-8', errors='surrogateescape')):08x}"
    array = np.ascontiguousarray(value)
    head = f"{array.dtype.str}|{array.shape}|".encode()
    return f"{_crc(array.data.cast('B') if array.size else b'', _crc(head)):08x}"


def _read_attr(attr_id: Any, dtype: np.dtype, shape: tuple[int, ...] | None) -> Any:
    """An attribute's value from its open id (as h5py reads it, opened once)."""
    if shape is None:  # an empty attribute
        return None
    if dtype.subdtype is not None:
        raise ValueError(f"array-typed attribute ({dtype}) is not a gaitlab attribute")
    array = np.zeros(shape, dtype=dtype)
    attr_id.read(array, mtype=h5py.h5t.py_create(dtype))
    if h5py.check_string_dtype(dtype) is not None and dtype.kind == "O":
        array = np.array(
            [
                b.decode("utf-8", "surrogateescape") if isinstance(b, bytes) else b
                for b in array.flat
            ],
            dtype=object,
        ).reshape(array.shape)
    if array.ndim == 0:
        return _plain(array[()])
    return array.astype(str) if array.dtype.kind == "O" else array


@dataclass(frozen=True)
class Node:
    """A group or dataset of a file being read, with its path (``""``: the root).

    The path is carried along because asking HDF5 for an object's name is slow.
    """

    obj: Any
    path: str


_NO_ATTRS = _attrs_digest({})


class CheckedReader:
    """Reads one open store file with size limits and checksum checks.

    Every method takes the parent :class:`Node` and a child's name;
    :attr:`root` is the file itself.

    Parameters
    ----------
    f : h5py.File
        The open file.
    path : Path
        Its name, for messages.
    """

    def __init__(self, f: h5py.File, path: Path) -> None:
        self.f = f
        self.root = Node(f, "")
        self.path = Path(path)
        self.size = os.fstat(f.id.get_vfd_handle()).st_size
        self.checksums: dict[str, str] | None = None
        root = self.attrs(self.root, verify=False)
        self.root_attrs = root
        version = root.get("gaitlab_format_version", -1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.damaged("the format version is not a whole number")
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                f"{self.path}: written by a newer gaitlab (format version "
                f"{version}; this gaitlab reads up to {FORMAT_VERSION}). Update "
                "gaitlab to open it."
            )
        if version < 1:
            raise ProjectError(f"{self.path}: not a gaitlab file (no format version)")
        self.version = version
        if version >= FIRST_CHECKSUMMED_VERSION:
            text = root.get(CHECKSUMS_ATTR)
            if not isinstance(text, str):
                raise self.damaged("its checksums are missing")
            try:
                checksums = json.loads(text)
            except ValueError:
                raise self.damaged("its checksums are unreadable") from None
            if not isinstance(checksums, dict) or not all(
                isinstance(v, str) for v in checksums.values()
            ):
                raise self.damaged("its checksums are unreadable")
            self.checksums = checksums
            self._verify(
                "/@attrs",
                _attrs_digest({k: v for k, v in root.items() if k != CHECKSUMS_ATTR}),
            )

    def damaged(self, problem: str) -> DamagedFileError:
        """The error for a damaged file (to raise)."""
        return DamagedFileError(self.path, problem)

    def _verify(self, key: str, digest: str) -> None:
        if self.checksums is None:
            return
        expected = self.checksums.get(key)
        if expected is None and key.endswith("@attrs"):
            expected = _NO_ATTRS  # sealed without: the object had none
        if expected is None:
            raise self.damaged(f"no checksum for {key}")
        if expected != digest:
            raise self.damaged(f"checksum mismatch in {key} (the data changed on disk)")

    def _check_size(
        self, name: str, shape: tuple[int, ...] | None, itemsize: int
    ) -> None:
        count = math.prod(shape) if shape else 1
        if count * max(itemsize, 1) > self.size:
            raise self.damaged(
                f"{name} declares {count} values of {itemsize} bytes, more than "
                f"the file's {self.size} bytes"
            )

    def child(self, parent: Node, name: str, kind: type = h5py.HLObject) -> Node:
        """A group or dataset in ``parent`` (refused when absent or of another kind)."""
        path = f"{parent.path}/{name}"
        try:
            item = parent.obj[name]
        except KeyError:
            item = None
        if not isinstance(item, kind):
            raise self.damaged(f"{path} is missing")
        return Node(item, path)

    def group(self, parent: Node, name: str) -> Node:
        """A subgroup (refused when absent or not a group)."""
        return self.child(parent, name, h5py.Group)

    def attrs(self, node: Node, *, verify: bool = True) -> dict[str, Any]:
        """All attributes of a group or dataset, as plain Python values."""
        values: dict[str, Any] = {}
        manager = node.obj.attrs
        for name in list(manager):
            attr_id = manager.get_id(name)
            dtype, shape = attr_id.dtype, attr_id.shape
            itemsize = _VLEN_BYTES if dtype.kind == "O" else dtype.itemsize
            self._check_size(f"attribute {node.path}@{name}", shape, itemsize)
            values[name] = _read_attr(attr_id, dtype, shape)
        if verify:
            self._verify(f"{node.path or '/'}@attrs", _attrs_digest(values))
        return values

    def _check_compressed(self, node: Node) -> bool:
        """Refuse filters gaitlab never writes; True when the data is compressed.

        A compressed array may declare at most :data:`MAX_RATIO` times its
        stored bytes (bounded by the file's size), and chunks no larger than
        itself (a filter allocates a whole chunk); each Blosc chunk may
        declare at most its chunk's bytes, and :data:`MAX_RATIO` times its own.
        """
        dataset = node.obj
        plist = dataset.id.get_create_plist()
        filters = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
        if not filters or filters == {_SHUFFLE}:
            return False
        if filters not in ({_BLOSC}, {_ZSTD}) and not filters <= {_SHUFFLE, _DEFLATE}:
            raise self.damaged(
                f"{node.path} uses HDF5 filters gaitlab does not write "
                f"({sorted(filters)})"
            )
        stored = min(dataset.id.get_storage_size(), self.size)
        declared = math.prod(dataset.shape) * dataset.dtype.itemsize
        chunk = math.prod(dataset.chunks or ()) * dataset.dtype.itemsize
        if chunk > max(declared, dataset.dtype.itemsize):  # filters allocate a chunk
            raise self.damaged(
                f"{node.path} declares chunks of {chunk} bytes, larger than its "
                f"{declared} bytes of data"
            )
        if declared > stored * MAX_RATIO:
            raise self.damaged(
                f"{node.path} declares {declared} bytes of compressed data stored "
                f"in {stored} bytes, more than a genuine file holds ({MAX_RATIO}:1)"
            )
        if filters == {_BLOSC}:
            self._check_blosc_chunks(node)
        elif filters == {_ZSTD}:
            self._check_zstd_chunks(node)
        return True

    def _check_zstd_chunks(self, node: Node) -> None:
        """Check the size each Zstandard chunk's frame header makes its filter
        allocate (the frame content size, which gaitlab always writes)."""
        dsid = node.obj.id
        chunk_bytes = math.prod(node.obj.chunks or ()) * node.obj.dtype.itemsize
        handle = self.f.id.get_vfd_handle()
        for i in range(dsid.get_num_chunks()):
            info = dsid.get_chunk_info(i)
            if info.filter_mask & 1:  # stored without the filter: read as it is
                continue
            header = os.pread(handle, min(_ZSTD_HEADER, info.size), info.byte_offset)
            nbytes = _zstd_content_size(header)
            if nbytes is None:
                raise self.damaged(f"{node.path} has a damaged compressed chunk")
            if nbytes > chunk_bytes or nbytes > info.size * MAX_RATIO:
                raise self.damaged(
                    f"{node.path}: a compressed chunk of {info.size} bytes declares "
                    f"{nbytes} bytes, more than its chunk holds ({chunk_bytes})"
                )

    def _check_blosc_chunks(self, node: Node) -> None:
        """Check the size each Blosc chunk's header makes its filter allocate."""
        dsid = node.obj.id
        chunk_bytes = math.prod(node.obj.chunks or ()) * node.obj.dtype.itemsize
        handle = self.f.id.get_vfd_handle()
        for i in range(dsid.get_num_chunks()):
            info = dsid.get_chunk_info(i)
            if info.filter_mask & 1:  # stored without Blosc: read as it is
                continue
            header = os.pread(handle, _BLOSC_HEADER, info.byte_offset)
            if len(header) < _BLOSC_HEADER or info.size < _BLOSC_HEADER:
                raise self.damaged(f"{node.path} has a truncated compressed chunk")
            nbytes, _, cbytes = np.frombuffer(header[4:16], "<u4").tolist()
            if nbytes > chunk_bytes or nbytes > info.size * MAX_RATIO:
                raise self.damaged(
                    f"{node.path}: a compressed chunk of {info.size} bytes declares "
                    f"{nbytes} bytes, more than its chunk holds ({chunk_bytes})"
                )
            if cbytes != info.size:
                raise self.damaged(f"{node.path} has a damaged compressed chunk")

    def array(self, parent: Node, name: str) -> np.ndarray:
        """A numeric dataset, after its size and checksum checks."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        dtype = dataset.dtype
        if dtype.kind not in "biuf":
            raise self.damaged(f"{node.path} is not numeric ({dtype})")
        if not self._check_compressed(node):
            self._check_size(node.path, dataset.shape, dtype.itemsize)
        dsid = dataset.id
        value = np.empty(dsid.shape, dtype=dtype)
        if value.size:  # read whole, through the low-level call (a quick path)
            dsid.read(h5py.h5s.ALL, h5py.h5s.ALL, value)
        self._verify(node.path, _value_digest(value))
        return value

    def strings(self, parent: Node, name: str) -> tuple[str, ...]:
        """A one-dimensional string dataset."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        shape = dataset.shape
        if len(shape) != 1 or h5py.check_string_dtype(dataset.dtype) is None:
            raise self.damaged(f"{node.path} is not a list of strings")
        self._check_size(node.path, shape, _VLEN_BYTES)
        value = tuple(dataset.asstr()[()].tolist()) if shape[0] else ()
        self._verify(node.path, _value_digest(value))
        return value

    def text(self, parent: Node, name: str) -> str:
        """A scalar string dataset."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        if dataset.shape != () or h5py.check_string_dtype(dataset.dtype) is None:
            raise self.damaged(f"{node.path} is not a text")
        value = dataset.asstr()[()]
        self._verify(node.path, _value_digest(value))
        return value


@contextmanager
def open_checked(path: Path) -> Iterator[CheckedReader]:
    """Open a store file for reading; any failure becomes a clear error.

    Raises
    ------
    DamagedFileError
        When the file cannot be opened or read, or fails a check.
    FormatVersionError
        When a newer gaitlab wrote it.
    ProjectError
        When it is not a gaitlab file at all.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found") from None
    except OSError as error:
        raise DamagedFileError(path, f"cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
        raise DamagedFileError(path, "not a regular file")
    try:
        f = h5py.File(path, "r", locking=False)
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found") from None
    except Exception as error:
        raise DamagedFileError(path, f"cannot be opened as HDF5 ({error})") from None
    try:
        with f:
            yield CheckedReader(f, path)
    except ProjectError:
        raise
    except MemoryError:
        raise DamagedFileError(path, "declares more data than memory holds") from None
    except Exception as error:
        raise DamagedFileError(
            path, f"cannot be read ({type(error).__name__}: {error})"
        ) from None


def seal(f: h5py.File, known: dict[str, str] | None = None) -> None:
    """Write the checksums of everything in the open file ``f`` (last step).

    Stores the CRC-32 of each dataset and attribute set in the root attribute
    ``gaitlab_checksums`` (objects without attributes get no ``@attrs``
    entry), as :class:`CheckedReader` recomputes them on reading.

    Parameters
    ----------
    f : h5py.File
        The file being written.
    known : dict, optional
        Digests of datasets computed by the writer from the values it wrote
        (:func:`value_digest`), by path (``/markers``). Other datasets, and
        all attributes, are read back to compute theirs (reading compressed
        arrays back would cost a decompression each).
    """
    reader = CheckedReader.__new__(CheckedReader)
    reader.f, reader.path, reader.checksums = f, Path(f.filename), None
    reader.size = 2**63
    known = known or {}
    digests: dict[str, str] = {}

    def visit(name: str, obj: Any) -> None:
        node = Node(obj, f"/{name}")
        if len(obj.attrs):  # no entry: no attributes (keeps sealing quick)
            digests[f"{node.path}@attrs"] = _attrs_digest(
                reader.attrs(node, verify=False)
            )
        if isinstance(obj, h5py.Dataset):
            if node.path in known:
                digests[node.path] = known[node.path]
            elif h5py.check_string_dtype(obj.dtype) is None:
                digests[node.path] = _value_digest(np.asarray(obj[()]))
            elif obj.shape == ():
                digests[node.path] = _value_digest(obj.asstr()[()])
            else:
                value = tuple(obj.asstr()[()].tolist()) if obj.shape[0] else ()
                digests[node.path] = _value_digest(value)

    f.visititems(visit)
    root = reader.attrs(Node(f, ""), verify=False)
    root.pop(CHECKSUMS_ATTR, None)
    digests["/@attrs"] = _attrs_digest(root)
    f.attrs[CHECKSUMS_ATTR] = json.dumps(digests, sort_keys=True)


def value_digest(value: np.ndarray | str | tuple[str, ...]) -> str:
    """The checksum a reader computes of a dataset holding ``value``.

    ``value`` must be exactly what reading the dataset gives back: a numeric
    array of the stored dtype and shape, a ``str`` (scalar text) or a tuple of
    ``str`` (a string list).
    """
    return _value_digest(value)


def _zstd_content_size(header: bytes) -> int | None:
    """The content size a Zstandard frame header declares (RFC 8878 §3.1.1.1),
    or None when the bytes are not the start of a frame that declares one.

    Examples
    --------
    >>> _zstd_content_size(_ZSTD_MAGIC + bytes([0x20, 5]))  # single segment, 1 byte
    5
    >>> _zstd_content_size(b"not a frame") is None
    True
    """
    if len(header) < 6 or header[:4] != _ZSTD_MAGIC:
        return None
    descriptor = header[4]
    size_flag, single_segment = descriptor >> 6, bool(descriptor & 0x20)
    dictionary_bytes = (0, 1, 2, 4)[descriptor & 0x03]
    field_bytes = (1 if single_segment else 0, 2, 4, 8)[size_flag]
    start = 5 + (0 if single_segment else 1) + dictionary_bytes
    if field_bytes == 0 or len(header) < start + field_bytes:
        return None  # no content size declared: not a frame gaitlab writes
    size = int.from_bytes(header[start : start + field_bytes], "little")
    return size + 256 if field_bytes == 2 else size
