"""What a plugin child sends is rebuilt with exact field types in the parent."""

from __future__ import annotations

import numpy as np

from gaitlab.core.results import Metric, Result
from gaitlab.pipeline.runner import _checked_result


class Sneaky(str):
    """A str subclass a child could send (it could carry behaviour)."""


def test_exact_metrics_are_kept_and_others_rebuilt() -> None:
    exact = Metric("contact_time", 0.25, "s", "Left", 3, 1.5, "ok", "")
    odd = Metric(
        Sneaky("contact_time"),
        np.float64(0.3),  # type: ignore[arg-type]
        "s",
        "Right",
        np.int64(4),  # type: ignore[arg-type]
        np.float32(1.75),  # type: ignore[arg-type]
        "ok",
        "",
    )
    checked = _checked_result(Result(metrics=[exact, odd])).metrics
    assert checked[0] is exact
    rebuilt = checked[1]
    assert rebuilt == Metric("contact_time", 0.3, "s", "Right", 4, 1.75, "ok", "")
    assert type(rebuilt.name) is str
    assert type(rebuilt.value) is float
    assert type(rebuilt.step) is int
    assert type(rebuilt.time_s) is float
