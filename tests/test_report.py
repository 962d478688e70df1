"""The runner report (``gaitlab report``): the HTML parsed back and checked."""

from __future__ import annotations

import base64
import math
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.store.project import create_project, open_project
from gaitlab.synth.drill import make_drill_trial

DATA = Path(__file__).resolve().parents[1] / "data"


class Page(HTMLParser):
    """Sections, table rows (cell texts), images and attributes of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, str]] = []
        self.rows: list[tuple[str, dict[str, str], list[str]]] = []
        self.images: list[str] = []
        self.headings: list[str] = []
        self._table = ""
        self._row: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._heading: list[str] | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.sections.append(a)
        elif tag == "table":
            self._table = a.get("class", "")
        elif tag == "tr":
            self._row, self._attrs = [], a
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")
        elif tag == "img":
            self.images.append(a["src"])
        elif tag in ("h1", "h2", "h3", "h4"):
            self._heading = []
        if tag in ("link", "script") and ("href" in a or "src" in a):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append((self._table, self._attrs, self._row))
            self._row = None
        elif tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._row:
            self._row[-1] += data
        if self._heading is not None:
            self._heading.append(data)

    def table(self, name: str) -> list[tuple[dict[str, str], list[str]]]:
        return [(a, cells) for t, a, cells in self.rows if t == name]

    def by(self, name: str, key: str) -> dict[str, list[str]]:
        """Rows of a table by their ``data-<key>`` attribute (header left out)."""
        return {a[f"data-{key}"]: c for a, c in self.table(name) if f"data-{key}" in a}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A running trial and its static trial (condition run), two drills (drill)."""
    folder = tmp_path_factory.mktemp("report")
    straight = make_drill_trial(folder / "drill_straight.c3d", subject_name="SLIP01")
    bent = make_drill_trial(
        folder / "drill_bend.c3d", bend_at_waist_deg=15.0, subject_name="SLIP01"
    )
    project = create_project(folder / "study.gaitlab")
    runs = [DATA / "demo_treadmill_lean_ankles.c3d", DATA / "demo_static.c3d"]
    list(project.import_files(runs, subject="slip01", condition="run"))
    list(
        project.import_files(
            [straight.path, bent.path], subject="slip01", condition="drill"
        )
    )
    list(run_pipeline(project))
    return project.path


@pytest.fixture(scope="module")
def page(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    out = tmp_path_factory.mktemp("out") / "report.html"
    assert main(["report", str(project), "-o", str(out), "--quiet"]) == 0
    parsed = Page()
    parsed.feed(out.read_text(encoding="utf-8"))
    return parsed


def stored(project: Path, trial: str, plugin: str, metric: str) -> list[float]:
    result = open_project(project).load_results(trial)[plugin]
    return [m.value for m in result.metrics if m.name == metric]


def test_one_section_per_runner_and_condition(page: Page) -> None:
    assert [(s["data-subject"], s["data-condition"]) for s in page.sections] == [
        ("slip01", "drill"),
        ("slip01", "run"),
    ]
    assert "Runner slip01" in page.headings
    assert not page.external  # self-contained


def test_headline_metrics_are_the_step_means(page: Page, project: Path) -> None:
    rows = page.by("headline", "metric")
    assert {"trunk_lean", "bend_index", "braking_impulse", "cadence"} <= set(rows)
    values = [
        v
        for v in stored(project, "demo_treadmill_lean_ankles", "lean", "trunk_lean")
        if math.isfinite(v)
    ]
    mean = sum(values) / len(values)
    _, unit, mean_sd, n_steps, n_trials = rows["trunk_lean"]
    assert unit == "deg"
    assert float(mean_sd.split("±")[0]) == pytest.approx(mean, rel=1e-3)
    assert (int(n_steps), int(n_trials)) == (len(values), 1)


def test_drill_values_and_foot_strike(page: Page, project: Path) -> None:
    rows = page.by("drill", "metric")
    trials = page.table("drill")[0][1][2:]  # header: metric, unit, trial ids
    assert sorted(trials) == ["drill_bend", "drill_straight"]
    for column, trial in enumerate(trials, start=2):
        for metric in ("drill_bend_index", "drill_max_lean", "drill_catch_ic_time"):
            (value,) = stored(project, trial, "drill", metric)
            assert float(rows[metric][column]) == pytest.approx(value, abs=6e-4)
    straight = dict(zip(trials, rows["drill_straight"][2:], strict=True))
    assert straight == {"drill_bend": "no", "drill_straight": "yes"}
    strike = page.table("foot-strike")
    assert strike
    assert sum(int(cells[1]) for _, cells in strike if cells[1].isdigit()) > 0


def test_figures_are_embedded_png(page: Page) -> None:
    # run: stance lean and per-step figures; drill: the fall curves
    assert len(page.images) >= 3
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_quality_and_provenance(page: Page, project: Path) -> None:
    pipeline = page.by("pipeline", "plugin")
    assert {"lean", "drill", "braking", "gait_events"} <= set(pipeline)
    assert pipeline["drill"][1] == discover().specs["drill"].version
    assert pipeline["drill"][2].startswith("builtin:")
    assert "Provenance" in page.headings
    definitions = {cells[0]: cells for _, cells in page.table("definitions")}
    assert definitions["drill_max_lean"][1] == "deg"
    assert "Quality flags" in page.headings


def test_report_errors_name_the_problem(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(project), "--subject", "nobody", "-o", str(out)]) == 2
    assert "no subject 'nobody'" in capsys.readouterr().err
    assert main(["report", str(project), "-o", str(tmp_path / "r.pdf")]) == 2
    empty = create_project(tmp_path / "empty.gaitlab")
    assert main(["report", str(empty.path), "-o", str(out), "--quiet"]) == 2
    assert "no trial has results" in capsys.readouterr().err


def test_video_stills_at_the_initial_contact_and_midstance_of_a_step(
    project: Path, tmp_path: Path
) -> None:
    """A side camera attached to the running trial (offset 0.2 s): the report
    shows its frames at the first clean contact's IC and midstance, each the
    frame nearest the event's time + offset (its index read back from the
    embedded PNG); a missing video is said, not shown."""
    import re
    import shutil

    import av
    import numpy as np

    from gaitlab.pipeline.videos import attach_video
    from gaitlab.video.synthetic import read_index, write_video

    work = tmp_path / "study.gaitlab"
    shutil.copytree(project, work)
    store = open_project(work)
    trial = "demo_treadmill_lean_ankles"
    side = write_video(tmp_path / "side.mp4", frames=200, fps=50)
    attach_video(store, trial, side, camera="side", offset_s=0.2)
    gone = write_video(tmp_path / "front.mp4", frames=5, fps=50)
    attach_video(store, trial, gone, camera="front")
    gone.unlink()
    out = tmp_path / "report.html"
    assert main(["report", str(work), "-o", str(out), "--quiet"]) == 0
    text = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    assert "Video stills" in page.headings
    assert "front: video missing" in text
    stills = dict(
        re.findall(r"alt='side at ([a-z ]+)' src='data:image/png;base64,([^']+)'", text)
    )
    events = open_project(work).load_results(trial)["gait_events"]
    ic = next(m.time_s for m in events.metrics if m.name == "contact_clean" and m.value)
    off = min(
        e.time_s for e in events.events if e.label == "Foot Off" and e.time_s > ic
    )
    shown = {}
    for name, data in stills.items():
        (tmp_path / "s.png").write_bytes(base64.b64decode(data))
        with av.open(str(tmp_path / "s.png")) as container:
            frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
        shown[name] = read_index(np.asarray(frame))
    assert shown == {
        "initial contact": round((ic + 0.2) * 50),
        "midstance": round(((ic + off) / 2 + 0.2) * 50),
    }
