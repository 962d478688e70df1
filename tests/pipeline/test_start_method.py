"""GAITLAB_START_METHOD chooses how gaitlab starts its child processes."""

from __future__ import annotations

import logging
import sys

import pytest

from gaitlab.core.processes import (
    START_METHOD_VARIABLE,
    chosen_start_method,
    worker_context,
)
from gaitlab.pipeline import isolation

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the start methods of Linux"
)


def test_spawn_is_used_everywhere_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_METHOD_VARIABLE, "spawn")
    assert worker_context().get_start_method() == "spawn"
    assert isolation.child_context().get_start_method() == "spawn"
    assert not isolation.zygote_available()  # a zygote is a fork


def test_a_fork_server_keeps_import_workers_spawned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(START_METHOD_VARIABLE, "forkserver")
    assert worker_context().get_start_method() == "spawn"
    assert isolation.child_context().get_start_method() == "forkserver"


def test_an_unknown_method_is_ignored_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(START_METHOD_VARIABLE, "teleport")
    with caplog.at_level(logging.WARNING):
        assert chosen_start_method() is None
    assert "GAITLAB_START_METHOD=teleport ignored" in caplog.text
    monkeypatch.delenv(START_METHOD_VARIABLE)
    assert chosen_start_method() is None
