"""notebooks/corpus_tour.ipynb runs top to bottom against a freshly crawled demo corpus,
with nbclient from the project root and with `jupyter nbconvert` from notebooks/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.analysis.locate import corpus_path, project_root
from tests.conftest import ROOT
from tests.corpus_fixture import demo_db  # noqa: F401

NOTEBOOK = ROOT / "notebooks" / "corpus_tour.ipynb"
JUPYTER = Path(sys.executable).parent / "jupyter"


def _outputs(nb: Any) -> list[Any]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _check_outputs(nb: Any) -> None:
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    text = html + "".join(str(o.get("text", "")) for o in outputs)
    assert "安全" in text and "duplicates" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    # Snippets render highlighted (HTML <mark>), not as escaped tags or plain text.
    assert "<mark>安全</mark>" in html and "&lt;mark&gt;" not in html
    # Keyword trends are whole numbers.
    trends = next(str(o["data"]["text/plain"]) for o in outputs
                  if "text/plain" in o.get("data", {}) and "keyword" in o["data"]["text/plain"]
                  and "year" in o["data"]["text/plain"])
    assert ".0" not in trends


# jupyter_client/zmq emit DeprecationWarnings on some versions while starting the kernel;
# they concern the kernel machinery, not our code.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_corpus_tour_executes(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("FANWEN_DB", str(demo_db))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute(env={**os.environ, "FANWEN_DB": str(demo_db)})
    _check_outputs(nb)
    # No notebook output is kept in git: it would be stale after the next crawl.
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in stored.cells if cell.cell_type == "code")


def _project(tmp_path: Path, db: Path) -> Path:
    """A checkout-shaped directory: pyproject.toml, data/demo.db, notebooks/ (no FANWEN_DB)."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copyfile(db, root / "data" / "demo.db")
    shutil.copyfile(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    return root


def test_jupyter_nbconvert_runs_the_notebook_from_its_folder(demo_db: Path,  # noqa: F811
                                                              tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    assert JUPYTER.exists(), "jupyter is not installed: `make install` installs .[dev,notebook]"
    root = _project(tmp_path, demo_db)
    env = {k: v for k, v in os.environ.items() if k != "FANWEN_DB"}
    result = subprocess.run(
        [str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", NOTEBOOK.name,
         "--output", "executed.ipynb", "--ExecutePreprocessor.timeout=120"],
        cwd=root / "notebooks", env=env, capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    executed = nbformat.read(root / "notebooks" / "executed.ipynb", as_version=4)
    _check_outputs(executed)
    assert str(root / "data" / "demo.db") in "".join(
        str(o.get("text", "")) for o in _outputs(executed))


def test_corpus_path_from_root_notebooks_and_env(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "fanwen-crawler"\n', encoding="utf-8")
    expected = root / "data" / "demo.db"
    assert project_root(root / "notebooks") == root.resolve()
    assert corpus_path({}, root) == expected.resolve()
    assert corpus_path({}, root / "notebooks") == expected.resolve()
    assert corpus_path({"FANWEN_DB": "/srv/c.db"}, root / "notebooks") == Path("/srv/c.db")
    assert corpus_path({"FANWEN_DB": "data/other.db"}, root / "notebooks") == (
        root / "data" / "other.db").resolve()
    (root / "notebooks" / "mine.db").touch()
    assert corpus_path({"FANWEN_DB": "mine.db"}, root / "notebooks") == (
        root / "notebooks" / "mine.db").resolve()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "something-else"\n', encoding="utf-8")
    assert project_root(other) is None
