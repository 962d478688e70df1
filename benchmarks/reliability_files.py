"""Fuzzing campaign against the isolated C3D reader (issue 18, items 6 and 9).

``python benchmarks/reliability_files.py [--files N] [--seconds S] [--seed K]``

Corrupted copies of real recordings (``../shared/data``, or
GAITLAB_SHARED_DATA) and of the bundled synthetic trials (``data/*.c3d``)
are read one by one through the isolated reader
(:class:`gaitlab.io.workers.WorkerPool` running
:func:`gaitlab.io.c3d.read_c3d_in_process`, with the default time and memory
limits). Damage families:

flip
    1-20 random bytes anywhere in the file.
param
    1-5 random bytes in the parameter section.
header
    one 16-bit header word set to an extreme (0, 1, 0x7fff, 0xffff...).
truncate
    the file cut at a random length.
pad
    1-50 MB of zeros, 0xff or copies of the file appended.
huge
    a declared size made huge: ANALOG:RATE, POINT:RATE, ANALOG:USED,
    POINT:USED, POINT:FRAMES or the header's last frame.
text
    one byte of a text parameter (marker, channel or event labels...) set to
    a Latin-1 letter or a control character (ESC, BEL).

Every outcome is classified: imported (and, read a second time, identical or
not), refused by the pre-parse check or a parser's error, crashed (the
parser died in its worker), hung (stopped at the time limit),
memory-capped (stopped at the memory limit), and unclear (an error that is
not a C3DReadError, or whose message does not name the file, or an
imported trial whose text cannot be stored as UTF-8: must be 0).
Printed: counts per family and in total, the longest time for one file, and
the peak memory of any reader worker. The corrupted files are written to a
temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import struct
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from gaitlab.core.errors import C3DReadError
from gaitlab.io._raw import parameter_entries
from gaitlab.io.c3d import read_c3d_in_process
from gaitlab.io.workers import WorkerPool, default_timeout_s

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GAITLAB_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: Real files that are refused as they are (see tests/io/test_real_files.py).
ALREADY_BROKEN = {"Empty.c3d", "simple.c3d", "bad_parameter_section.c3d"}
FAMILIES = ("flip", "param", "header", "truncate", "pad", "huge", "text")
OUTCOMES = (
    "imported",
    "refused",
    "crashed",
    "hung",
    "memory-capped",
    "unclear",
)


def source_files() -> list[Path]:
    """Real recordings that import, and the bundled synthetic trials."""
    real = (
        [
            p
            for p in SHARED.rglob("*")
            if p.suffix.lower() == ".c3d" and p.name not in ALREADY_BROKEN
        ]
        if SHARED.is_dir()
        else []
    )
    return sorted(real) + sorted((ROOT / "data").glob("*.c3d"))


# ------------------------------------------------------------------ damage


def damage(data: bytes, family: str, path: Path, rng: random.Random) -> bytes:
    """A damaged copy of ``data`` (the file at ``path``)."""
    out = bytearray(data)
    if family == "flip":
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif family == "param":
        start = (out[0] - 1) * 512
        length = 512 * max(out[start + 2], 1)
        for _ in range(rng.randint(1, 5)):
            at = start + rng.randrange(min(length, len(out) - start))
            out[at] = rng.randrange(256)
    elif family == "header":
        word = rng.choice([1, 2, 3, 4, 5, 6, 8, 9, 10])
        value = rng.choice([0, 1, 0x7FFF, 0x8000, 0xFFFF, 2000])
        out[2 * word : 2 * word + 2] = struct.pack("<H", value)
    elif family == "truncate":
        out = out[: rng.randrange(512, len(out))]
    elif family == "pad":
        size = rng.choice([1, 5, 20, 50]) * 1_000_000
        filler = rng.choice([b"\0", b"\xff", bytes(data)])
        out += (filler * (size // len(filler) + 1))[:size]
    elif family == "huge":
        out = _huge_declaration(out, path, rng)
    elif family == "text":
        out = _odd_text(out, path, rng)
    return bytes(out)


def _odd_text(out: bytearray, path: Path, rng: random.Random) -> bytearray:
    """One byte of a text parameter set to a Latin-1 letter or a control byte."""
    try:
        texts = [
            e
            for e in parameter_entries(path)
            if e.type_code == -1 and e.dims and int(np.prod(e.dims)) > 0
        ]
    except C3DReadError:
        texts = []
    if not texts:
        return out
    entry = rng.choice(texts)
    at = entry.dims_position + len(entry.dims) + rng.randrange(int(np.prod(entry.dims)))
    out[at] = rng.choice([0xC9, 0xE9, 0xFC, 0xB0, 0x1B, 0x07])
    return out


def _huge_declaration(out: bytearray, path: Path, rng: random.Random) -> bytearray:
    """Set one declared size to a huge value (Intel/DEC integer or float)."""
    targets = {
        ("ANALOG", "RATE"): [1e6, 1e9, 3e38],
        ("POINT", "RATE"): [1e-6, 1e9],
        ("ANALOG", "USED"): [32767, 65535],
        ("POINT", "USED"): [32767, 65535],
        ("POINT", "FRAMES"): [32767, 65535],
    }
    try:
        entries = [
            e
            for e in parameter_entries(path)
            if (e.group.upper(), e.name.upper()) in targets
        ]
    except C3DReadError:
        entries = []
    processor = out[(out[0] - 1) * 512 + 3]
    if not entries or processor != 84 or rng.random() < 0.2:
        out[8:10] = struct.pack("<H", 65535)  # header: last frame
        return out
    entry = rng.choice(entries)
    value = rng.choice(targets[(entry.group.upper(), entry.name.upper())])
    at = entry.dims_position + len(entry.dims)
    if entry.type_code == 4:
        out[at : at + 4] = struct.pack("<f", value)
    elif entry.type_code == 2:
        out[at : at + 2] = struct.pack("<H", int(min(value, 65535)))
    return out


# ------------------------------------------------------------------ reading


def classify(error: Exception | None, path: Path) -> str:
    """The outcome class of one read."""
    if error is None:
        return "imported"
    if not isinstance(error, C3DReadError) or str(path) not in str(error):
        return "unclear"
    reason = error.reason
    if "needs more than" in reason:
        return "memory-capped"
    if "time limit" in reason:
        return "hung"
    if "parser crashed" in reason:
        return "crashed"
    return "refused"


def _fingerprint(path: Path) -> tuple[bytes, bytes]:
    """Bytes of a read's marker and analog arrays (to compare two reads).

    The trial's text is encoded as UTF-8 first, as storing it in a project
    does: text a project cannot store fails here as it would at import.
    """
    trial = read_c3d_in_process(path)
    text = [
        *trial.markers.labels,
        *trial.analogs.labels,
        *trial.analogs.units,
        *(e.label for e in trial.events),
        *trial.warnings,
        trial.meta["c3d_parameters"],
    ]
    "\n".join(text).encode("utf-8")  # raises where storing would fail
    return (
        np.nan_to_num(trial.markers.data, nan=-1e300).tobytes(),
        np.nan_to_num(trial.analogs.data, nan=-1e300).tobytes(),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="damaged files to try")
    parser.add_argument(
        "--seconds", type=float, default=300.0, help="stop starting new files after"
    )
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    sources = source_files()
    if not sources:
        print("no source files found", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    longest: tuple[float, str, str] = (0.0, "", "")
    unclear: list[str] = []
    non_deterministic: list[str] = []
    pool = WorkerPool(n_workers=1)
    start = time.monotonic()
    tried = 0
    with tempfile.TemporaryDirectory(prefix="gaitlab-fuzz-") as folder:
        while tried < args.files and time.monotonic() - start < args.seconds:
            source = rng.choice(sources)
            family = FAMILIES[tried % len(FAMILIES)]
            target = Path(folder) / f"{tried:05d}_{family}_{source.name}"
            target.write_bytes(damage(source.read_bytes(), family, source, rng))
            began = time.monotonic()
            outcome = next(
                pool.imap_unordered(
                    _fingerprint, [(target, (target,), default_timeout_s(target))]
                )
            )
            elapsed = time.monotonic() - began
            kind = classify(outcome.error, target)
            if kind == "imported":
                again = next(
                    pool.imap_unordered(
                        _fingerprint, [(target, (target,), default_timeout_s(target))]
                    )
                )
                if again.error is not None or again.value != outcome.value:
                    non_deterministic.append(f"{target.name}")
            if kind == "unclear":
                detail = f"{type(outcome.error).__name__}: {outcome.error}"
                unclear.append(f"{target.name}: {detail[:160]}")
            counts[family][kind] += 1
            if elapsed > longest[0]:
                longest = (elapsed, target.name, kind)
            target.unlink()
            tried += 1
    pool.close()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total: Counter[str] = Counter()
    for family_counts in counts.values():
        total.update(family_counts)
    print(
        f"C3D fuzzing: {tried} damaged files from {len(sources)} sources, seed "
        f"{args.seed}, {time.monotonic() - start:.0f} s"
    )
    print(f"  {'family':<10}" + "".join(f"{k:>15}" for k in ("tried", *OUTCOMES)))
    for name in (*FAMILIES, "total"):
        row = total if name == "total" else counts[name]
        print(
            f"  {name:<10}{sum(row.values()):>15}"
            + "".join(f"{row[k]:>15}" for k in OUTCOMES)
        )
    print(
        f"  longest read: {longest[0]:.1f} s ({longest[1]}, {longest[2]}); "
        f"peak reader memory {peak_mb:.0f} MB"
    )
    print(
        f"  imported files read twice with different values: {len(non_deterministic)}"
    )
    for line in non_deterministic[:10] + unclear[:10]:
        print(f"    {line}")
    print(
        "  the calling process survived every file (crashes and hangs stayed in "
        "the workers)"
    )
    return 1 if unclear else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
