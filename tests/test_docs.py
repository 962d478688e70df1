"""The API reference (docs/api, Sphinx) builds from the docstrings without a warning."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "api"

pytestmark = pytest.mark.skipif(
    not (DOCS / "conf.py").is_file(),
    reason="the API reference sources are in the checkout",
)


# Sphinx's own extensions use interfaces Sphinx has deprecated: not ours to fix
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_api_reference_builds_and_documents_the_plugin_api(tmp_path: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    status = build.build_main(
        [
            "-b",
            "html",
            "-q",
            "-W",
            "--keep-going",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ]
    )
    assert status == 0, "sphinx warned or failed: see the captured output"
    page = html.unescape(
        re.sub(r"<[^>]+>", "", (tmp_path / "html" / "plugin_api.html").read_text())
    )
    for name in (
        "gaitlab.api.plugin",
        "gaitlab.api.SeriesSpec",
        "gaitlab.api.TrialView",
        "gaitlab.api.Result",
        "add_metric",
        "contacts",
    ):
        assert name in page
    testing = (tmp_path / "html" / "testing.html").read_text()
    assert "run_plugin" in testing
    assert "blank_trial" in testing
