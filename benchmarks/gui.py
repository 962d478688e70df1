"""GUI benchmark: ``python benchmarks/gui.py`` (offscreen unless QT_QPA_PLATFORM is set).

The issue-4 load: a 10-minute running trial with 2 kHz analog data, 8 force
plates (48 analog channels) and 40 markers at 200 Hz, built in memory by
tiling one stride of the SLIP synthetic runner (``gaitlab.synth.running``)
and handing each contact to the next plate, with ``center_of_mass`` and
``lean`` results made from the runner's known answers (so every plot has
data). Measured in one run, against a baseline measured in the same run:

1. Selecting the trial: ``SignalPlotsView.prepare`` + ``BodyView.prepare``
   (the shell runs them in its loading thread), then ``show_prepared`` on
   both views and ``session.show``, until both views have painted (the event
   loop is run until every plot's viewport received its paint event).
   Baseline: bare pyqtgraph ``PlotWidget``s drawing the same curves (same
   arrays, same peak downsampling and clip-to-view), until painted.
   Trials open on four strides around the cursor; zooming out to the whole
   trial is timed separately.
2. Redrawing after a cursor move: ``session.set_cursor(t)`` until every plot
   and the body view have repainted; median of 50 moves: random jumps with
   the whole trial in view and with 10 s in view, and one-frame steps (arrow
   keys, playback). Target: < 16 ms (60 frames per second). Baseline: the
   same bare PlotWidgets with one ``InfiniteLine`` each, moved.
3. Panning (a tenth of the window) and zooming, all plots redrawn; same
   baseline (its plots X-linked too). Target: < 50 ms (issue 13).

Prints times in ms, and ratios to the baseline.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

import gaitlab.gui  # noqa: F401  (selects the binding)
from gaitlab import read_c3d
from gaitlab.core.results import Result, Series
from gaitlab.core.trial import AnalogSet, Event, ForcePlate, MarkerSet
from gaitlab.gui.views.body_view import BodyView
from gaitlab.gui.views.signal_plots import SignalPlotsView
from gaitlab.session import LoadedTrial, Session
from gaitlab.synth.running import make_running_trial

pg.setConfigOptions(antialias=True)  # as gaitlab.gui.app sets it for the app

MINUTES = 10.0
ANALOG_HZ = 2000.0
MARKER_HZ = 200.0
N_PLATES = 8
N_MARKERS = 40
MOVES = 50
WINDOW_SIZE = (1900, 1050)


# ---------------------------------------------------------------- the trial


def long_trial(folder: Path) -> LoadedTrial:
    """A 10-minute, 8-plate trial in memory (see the module docstring)."""
    run = make_running_trial(
        folder / "stride.c3d",
        n_steps=6,
        analog_rate_hz=ANALOG_HZ,
        point_rate_hz=MARKER_HZ,
    )
    short = read_c3d(folder / "stride.c3d")
    ratio = int(ANALOG_HZ / MARKER_HZ)
    stride_frames = round(2 * run.gait.step_time_s * MARKER_HZ)
    period = stride_frames / MARKER_HZ
    first = round(run.touchdown_s[2] * MARKER_HZ) - 10  # a whole stride from step 3
    repeats = int(np.ceil(MINUTES * 60 / period))
    n_frames = repeats * stride_frames
    n_samples = n_frames * ratio

    window = short.markers.data[first : first + stride_frames]
    extra = window[:, :6] + np.array([0.0, 0.05, 0.0])  # 6 cluster markers -> 40
    markers = np.tile(np.concatenate([window, extra], axis=1), (repeats, 1, 1))
    labels = (*short.markers.labels, *(f"CLUSTER{i}" for i in range(1, 7)))

    start = first * ratio
    plate = short.forceplates[0]
    force = np.tile(plate.force[start : start + stride_frames * ratio], (repeats, 1))
    cop = np.tile(plate.cop[start : start + stride_frames * ratio], (repeats, 1))
    t0 = first / MARKER_HZ
    strikes = [
        (t, s)
        for t, s in zip(run.touchdown_s, run.sides, strict=True)
        if t0 <= t < t0 + period
    ]
    offs = [
        (t, s)
        for t, s in zip(run.liftoff_s, run.sides, strict=True)
        if t0 <= t < t0 + period + 0.3
    ]
    events, contacts = [], []
    for k in range(repeats):
        shift = k * period - t0
        for (ic, side), (to, _) in zip(strikes, offs, strict=False):
            events += [
                Event(ic + shift, "Foot Strike", side),
                Event(to + shift, "Foot Off", side),
            ]
            contacts.append((ic + shift, to + shift))
    time = np.arange(n_samples) / ANALOG_HZ
    owner = np.full(n_samples, -1)
    for index, (ic, to) in enumerate(contacts):
        owner[int(ic * ANALOG_HZ) : int(to * ANALOG_HZ) + 1] = index % N_PLATES
    rng = np.random.default_rng(0)
    plates, channels = [], []
    for k in range(N_PLATES):
        mine = owner == k
        plate_force = np.where(
            mine[:, None], force, rng.normal(0.0, 3.0, (n_samples, 3))
        )
        plate_cop = np.where(mine[:, None], cop, np.nan)
        corners = np.array(
            [[x, y, 0.0] for x, y in ((0.6, 0.2), (0, 0.2), (0, -0.2), (0.6, -0.2))]
        )
        plates.append(
            ForcePlate(
                plate_force,
                np.zeros_like(plate_force),
                plate_cop,
                np.zeros(n_samples),
                corners + np.array([0.6 * k - 2.4, 0.0, 0.0]),
                ANALOG_HZ,
            )
        )
        channels += [
            plate_force.astype(np.float32),
            np.zeros((n_samples, 3), np.float32),
        ]
    analogs = AnalogSet(
        np.concatenate(channels, axis=1),
        tuple(
            f"FP{k + 1}{c}"
            for k in range(N_PLATES)
            for c in ("Fx", "Fy", "Fz", "Mx", "My", "Mz")
        ),
        ("N",) * 3 * 2 * N_PLATES,
        ANALOG_HZ,
    )
    trial = type(short)(
        markers=MarkerSet(markers, labels, MARKER_HZ),
        analogs=analogs,
        forceplates=tuple(plates),
        events=tuple(events),
        subject=short.subject,
        up_axis=short.up_axis,
        label=f"{MINUTES:g}-minute synthetic run",
    )

    def tiled(values: np.ndarray) -> np.ndarray:
        return np.tile(
            values[first : first + stride_frames], (repeats,) + (1,) * (values.ndim - 1)
        )

    com = Result(series={"com": Series(tiled(run.com_m), MARKER_HZ, 0.0, "m")})
    angles = run.angles
    lean = Result(
        series={
            name: Series(tiled(getattr(angles, field)), MARKER_HZ, 0.0, "deg")
            for name, field in (
                ("trunk_lean", "trunk_lean_deg"),
                ("whole_body_lean", "whole_body_lean_cop_deg"),
                ("whole_body_lean_ankle", "whole_body_lean_ankle_deg"),
                ("leg_line", "leg_line_deg"),
                ("bend_index", "bend_index_deg"),
                ("body_line", "body_line_deg"),
                ("head_alignment", "head_alignment_deg"),
            )
        }
    )
    assert len(time) == n_samples
    return LoadedTrial(
        "bench",
        trial,
        {"center_of_mass": com, "lean": lean},
        {"center_of_mass": "fresh", "lean": "fresh"},
    )


# ---------------------------------------------------------------- painting


class PaintCounter(QtCore.QObject):
    """Counts paint events of the watched viewports."""

    def __init__(self, viewports: list[QtWidgets.QWidget]) -> None:
        super().__init__()
        self.viewports = viewports
        self.counts = dict.fromkeys(map(id, viewports), 0)
        for viewport in viewports:
            viewport.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.Paint:
            self.counts[id(watched)] += 1
        return False

    def snapshot(self) -> dict[int, int]:
        return dict(self.counts)

    def all_painted_since(self, snapshot: dict[int, int]) -> bool:
        return all(
            self.counts[id(v)] > snapshot[id(v)]
            for v in self.viewports
            if v.isVisible()
        )


def run_until_painted(
    app: QtWidgets.QApplication, counter: PaintCounter, before: dict
) -> None:
    for _ in range(200):
        app.processEvents()
        if counter.all_painted_since(before):
            return
    raise RuntimeError("the views did not repaint")


# ---------------------------------------------------------------- measurements


def wait_painted(app: QtWidgets.QApplication, counter: PaintCounter, action) -> float:
    """Seconds from calling ``action()`` until every watched view has repainted."""
    before = counter.snapshot()
    tick = time.perf_counter()
    action()
    run_until_painted(app, counter, before)
    return time.perf_counter() - tick


def cursor_moves(app, counter, move, times) -> float:
    """Median seconds to redraw after moving the cursor to each time."""
    return statistics.median(
        wait_painted(app, counter, lambda t=t: move(t)) for t in times
    )


def pans(app, counter, set_range, start: float, width: float) -> float:
    """Median seconds to redraw after panning a ``width`` window by a tenth of it."""
    return statistics.median(
        wait_painted(
            app, counter, lambda k=k: set_range(start + 0.1 * width * k, width)
        )
        for k in range(1, MOVES // 2 + 1)
    )


def move_times(
    rng: np.random.Generator, low: float, high: float
) -> dict[str, np.ndarray]:
    """Random jumps (clicks, metric rows) and one-frame steps (keys, playback)."""
    return {
        "jump": rng.uniform(low, high, MOVES),
        "step": low + 1.0 + np.arange(MOVES) / MARKER_HZ,
    }


def bench_ours(app, loaded: LoadedTrial) -> dict[str, float]:
    session = Session()
    window = QtWidgets.QSplitter()
    plots = SignalPlotsView(session)
    body = BodyView(session)
    window.addWidget(plots)
    window.addWidget(body)
    window.setSizes([1200, 700])
    window.resize(*WINDOW_SIZE)
    window.show()
    for _ in range(5):
        app.processEvents()

    start = time.perf_counter()
    prepared_plots = SignalPlotsView.prepare(loaded)
    prepared_body = BodyView.prepare(loaded)
    prepared = time.perf_counter()
    drawn = {"plots": False, "body": False}
    plots.drawn.connect(lambda: drawn.__setitem__("plots", True))
    body.drawn.connect(lambda: drawn.__setitem__("body", True))
    plots.show_prepared(loaded, prepared_plots)
    body.show_prepared(loaded, prepared_body)
    session.show(loaded)
    shown = time.perf_counter()
    longest = shown - prepared  # the longest the GUI thread is busy without a break
    while not all(drawn.values()):
        tick = time.perf_counter()
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 0)
        longest = max(longest, time.perf_counter() - tick)
    painted = time.perf_counter()
    first_view = plots.ruler.plot.getViewBox().viewRange()[0]

    viewports = [row.widget.viewport() for row in (plots.ruler, *plots.rows())]
    counter = PaintCounter([*viewports, body.sagittal.viewport()])
    plot_counter = PaintCounter(viewports)
    start_s, stop_s = session.time_range()
    rng = np.random.default_rng(1)
    result = {
        "prepare": prepared - start,
        "show": shown - prepared,
        "paint": painted - shown,
        "gui": painted - prepared,
        "longest": longest,
        "total": painted - start,
        "first_view": first_view,
        "whole": wait_painted(app, plot_counter, plots.show_whole_trial),
        "n_curves": sum(len(row.curves) for row in plots.rows()),
    }
    result["move_whole_jump"] = cursor_moves(
        app, counter, session.set_cursor, move_times(rng, start_s, stop_s)["jump"]
    )

    def set_range(x0: float, width: float) -> None:
        plots.ruler.plot.setXRange(x0, x0 + width, padding=0)

    result["pan_whole"] = statistics.median(
        wait_painted(
            app, plot_counter, lambda k=k: set_range(0.0, stop_s - 0.05 * (k % 2))
        )
        for k in range(1, 7)
    )
    set_range(300.0, 10.0)
    for _ in range(5):
        app.processEvents()
    for kind, times in move_times(rng, 300.0, 310.0).items():
        result[f"move_10s_{kind}"] = cursor_moves(
            app, counter, session.set_cursor, times
        )
    result["pan_10s"] = pans(app, plot_counter, set_range, 300.0, 10.0)
    window.close()
    window.deleteLater()
    app.processEvents()
    return result


def bench_bare(app, loaded: LoadedTrial) -> dict[str, float]:
    """Bare pyqtgraph: the same curves in plain PlotWidgets, one InfiniteLine each."""
    prepared = SignalPlotsView.prepare(loaded)
    specs = [s for s in (*prepared.force_plots, *prepared.result_plots) if s.curves]
    window = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(window)
    widgets, lines = [], []
    for _spec in specs:
        widget = pg.PlotWidget()
        widget.getPlotItem().getViewBox().disableAutoRange(axis=pg.ViewBox.XAxis)
        widget.getPlotItem().setXRange(prepared.start_s, prepared.stop_s, padding=0)
        layout.addWidget(widget)
        widgets.append(widget)
    for widget in widgets[1:]:
        widget.setXLink(widgets[0])
    window.resize(1200, WINDOW_SIZE[1])
    window.show()
    for _ in range(5):
        app.processEvents()
    counter = PaintCounter([w.viewport() for w in widgets])

    def draw() -> None:
        for widget, spec in zip(widgets, specs, strict=True):
            for curve in spec.curves:
                item = pg.PlotDataItem(pen=curve.colour, connect="finite")
                widget.addItem(item)
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
                item.setData(curve.time, curve.values)
            line = pg.InfiniteLine(angle=90, movable=True)
            widget.addItem(line, ignoreBounds=True)
            lines.append(line)

    result = {"gui": wait_painted(app, counter, draw)}
    rng = np.random.default_rng(1)

    def move(target: float) -> None:
        for line in lines:
            line.setValue(float(target))

    def set_range(x0: float, width: float) -> None:
        widgets[0].setXRange(x0, x0 + width, padding=0)

    start_s, stop_s = prepared.start_s, prepared.stop_s
    result["move_whole_jump"] = cursor_moves(
        app, counter, move, move_times(rng, start_s, stop_s)["jump"]
    )
    result["pan_whole"] = statistics.median(
        wait_painted(app, counter, lambda k=k: set_range(0.0, stop_s - 0.05 * (k % 2)))
        for k in range(1, 7)
    )
    set_range(300.0, 10.0)
    for _ in range(5):
        app.processEvents()
    for kind, times in move_times(rng, 300.0, 310.0).items():
        result[f"move_10s_{kind}"] = cursor_moves(app, counter, move, times)
    result["pan_10s"] = pans(app, counter, set_range, 300.0, 10.0)
    result["n_curves"] = sum(len(s.curves) for s in specs)
    window.close()
    window.deleteLater()
    app.processEvents()
    return result


def main() -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        loaded = long_trial(Path(folder))
        built = time.perf_counter() - start
    trial = loaded.trial
    print(
        f"gui: {trial.duration_s / 60:.1f}-minute trial, {len(trial.forceplates)} plates at "
        f"{trial.analogs.rate_hz:g} Hz ({trial.analogs.n_samples} samples, "
        f"{len(trial.analogs.labels)} channels), {len(trial.markers.labels)} markers at "
        f"{trial.markers.rate_hz:g} Hz, {len(loaded.gait_events)} events, "
        f"{len(loaded.contacts)} contacts (built in {built:.1f} s); platform "
        f"{QtWidgets.QApplication.platformName()}, window {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}"
    )
    bare = bench_bare(app, loaded)
    ours = bench_ours(app, loaded)
    ms = 1000.0
    x0, x1 = ours["first_view"]
    print("1. selecting the trial -> all plots drawn")
    print(f"  prepare (loading thread)     {ours['prepare'] * ms:8.1f} ms")
    print(f"  show_prepared + show (GUI)   {ours['show'] * ms:8.1f} ms")
    print(
        f"  until painted (GUI)          {ours['paint'] * ms:8.1f} ms  (opens on {x0:.0f}-{x1:.0f} s)"
    )
    print(
        f"  GUI thread total             {ours['gui'] * ms:8.1f} ms  ({ours['n_curves']} curves + body view)"
    )
    print(
        f"  longest GUI-thread block     {ours['longest'] * ms:8.1f} ms  (target ~100 ms)"
    )
    print(f"  selection to drawn           {ours['total'] * ms:8.1f} ms")
    print(f"  zoom out to the whole trial  {ours['whole'] * ms:8.1f} ms")
    print(
        f"  bare pyqtgraph, same curves  {bare['gui'] * ms:8.1f} ms  (whole trial, {bare['n_curves']} curves)"
    )
    print(f"  ratio GUI thread / bare      {ours['gui'] / bare['gui']:8.2f}")
    print(
        f"2. redraw after a cursor move (all plots + body view), median of {MOVES}; target < 16 ms"
    )
    rows = (
        ("move_whole_jump", "whole trial, random jumps"),
        ("move_10s_jump", "10 s in view, random jumps"),
        ("move_10s_step", "10 s in view, 1-frame steps"),
    )
    for key, label in rows:
        verdict = "met" if ours[key] < 0.016 else "NOT met"
        print(
            f"  {label:<28} ours {ours[key] * ms:6.2f} ms  bare {bare[key] * ms:6.2f} ms  "
            f"ratio {ours[key] / bare[key]:5.2f}  {verdict}"
        )
    print("3. pan/zoom (all plots redrawn), median; target < 50 ms")
    for key, label in (("pan_whole", "whole trial"), ("pan_10s", "10 s window")):
        verdict = "met" if ours[key] < 0.050 else "NOT met"
        print(
            f"  {label:<28} ours {ours[key] * ms:6.1f} ms  bare {bare[key] * ms:6.1f} ms  "
            f"ratio {ours[key] / bare[key]:5.2f}  {verdict}"
        )
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of Qt objects (slow for 1 GB of arrays)


if __name__ == "__main__":
    sys.exit(main())
