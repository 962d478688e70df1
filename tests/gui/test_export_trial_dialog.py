"""File ▸ Export trial: the formats of the registry, written off the GUI thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.io.export_trial import trial_export_formats

TREADMILL = "demo_treadmill_run"


def test_export_trial_needs_a_shown_trial(window) -> None:
    assert not window.actions_["export_trial"].isEnabled()
    assert window.show_export_trial_dialog() is None


@pytest.mark.parametrize(
    ("fmt", "suffixes"), [("trc", [".trc"]), ("mot", [".mot", ".xml"])]
)
def test_export_trial_writes_the_chosen_format(
    qtbot, window, show_trial, tmp_path: Path, fmt: str, suffixes: list[str]
) -> None:
    show_trial(TREADMILL)
    assert window.actions_["export_trial"].isEnabled()
    dialog = window.show_export_trial_dialog()
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == list(
        trial_export_formats()
    )
    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    if fmt == "trc":
        assert [dialog.units.itemData(i) for i in range(dialog.units.count())] == [
            "mm",
            "m",
        ]
        dialog.units.setCurrentIndex(dialog.units.findData("m"))
    else:
        assert not dialog.units.isEnabled()
    dialog.folder.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.exported, timeout=20_000) as blocker:
        dialog.export()
    paths = [Path(p) for p in blocker.args[0]]
    assert sorted(p.suffix for p in paths) == sorted(suffixes)
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in paths)
    assert "Wrote" in dialog.result_label.text()
    if fmt == "trc":
        header = paths[0].read_text().splitlines()[2]
        assert "\tm\t" in header  # the units chosen
    dialog.close()


def test_a_failed_export_says_why_and_keeps_the_app(
    qtbot, window, show_trial, tmp_path: Path
) -> None:
    show_trial(TREADMILL)
    dialog = window.show_export_trial_dialog()
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    dialog.folder.setText(str(blocked))
    dialog.export()
    qtbot.waitUntil(
        lambda: "Not exported" in dialog.result_label.text(), timeout=20_000
    )
    assert dialog.buttons.isEnabled()
    dialog.close()
