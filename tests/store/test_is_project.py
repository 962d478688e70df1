"""``gaitlab.store.is_project``: a project folder, or the path of its index."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.core.errors import ProjectError
from gaitlab.store import is_project
from gaitlab.store.project import create_project, open_project
from gaitlab.store.repair import repair_project


def test_a_project_folder_and_its_index_are_projects(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    assert not is_project(folder)  # missing
    create_project(folder)
    assert is_project(folder)
    assert is_project(str(folder / "project.h5"))
    assert not is_project(folder / "trials")
    assert not is_project(folder / "project.h5.bak")


def test_an_ordinary_folder_or_file_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert not is_project(tmp_path)
    assert not is_project(tmp_path / "notes.txt")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "project.h5").mkdir()  # a folder of that name is no index
    assert not is_project(tmp_path / "other")


def test_a_project_opens_from_the_path_of_its_index(tmp_path: Path) -> None:
    created = create_project(tmp_path / "study")
    opened = open_project(tmp_path / "study" / "project.h5")
    assert opened.path == tmp_path / "study"
    assert opened.project_id == created.project_id


def test_creating_over_a_project_is_refused_naming_it(tmp_path: Path) -> None:
    create_project(tmp_path / "study")
    with pytest.raises(ProjectError, match="already a gaitlab project"):
        create_project(tmp_path / "study")


def test_store_refuses_what_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a gaitlab project"):
        open_project(tmp_path)
    with pytest.raises(ProjectError, match="not a gaitlab project"):
        repair_project(tmp_path)
