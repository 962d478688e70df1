"""The reader pool survives crashing and hanging parsers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from gaitlab.core.errors import C3DReadError
from gaitlab.io.workers import WorkerPool


def _crash(path: Path) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang(path: Path) -> None:
    time.sleep(3600)


def _echo(path: Path) -> str:
    return path.name


def test_crash_becomes_an_error_naming_the_file() -> None:
    pool = WorkerPool(n_workers=1)
    with pytest.raises(C3DReadError, match=r"broken\.c3d.*crashed.*SIGSEGV"):
        pool.call(_crash, Path("/data/broken.c3d"), timeout_s=30)
    assert pool.call(_echo, Path("/data/next.c3d")) == "next.c3d"
    pool.close()


def test_hang_is_stopped_at_the_time_limit() -> None:
    pool = WorkerPool(n_workers=1)
    with pytest.raises(C3DReadError, match="time limit"):
        pool.call(_hang, Path("/data/hangs.c3d"), timeout_s=0.5)
    assert pool.call(_echo, Path("/data/next.c3d")) == "next.c3d"
    pool.close()


def test_one_bad_task_does_not_stop_the_others() -> None:
    pool = WorkerPool(n_workers=2)
    tasks = [
        (Path("a.c3d"), (Path("a.c3d"),), 30.0),
        (Path("b.c3d"), (Path("b.c3d"),), 30.0),
    ]
    outcomes = {o.key.name: o for o in pool.imap_unordered(_echo, tasks)}
    assert {k: o.value for k, o in outcomes.items()} == {
        "a.c3d": "a.c3d",
        "b.c3d": "b.c3d",
    }
    crash_then_echo = list(pool.imap_unordered(_crash, tasks[:1])) + list(
        pool.imap_unordered(_echo, tasks[1:])
    )
    assert isinstance(crash_then_echo[0].error, C3DReadError)
    assert crash_then_echo[1].value == "b.c3d"
    pool.close()
