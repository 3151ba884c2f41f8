"""notebooks/corpus_tour.ipynb runs top to bottom against a freshly crawled demo corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.corpus_fixture import demo_db  # noqa: F401

NOTEBOOK = ROOT / "notebooks" / "corpus_tour.ipynb"


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
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", ""))
                   for o in outputs)
    assert "安全" in text and "duplicates" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    # No notebook output is kept in git: it would be stale after the next crawl.
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in stored.cells if cell.cell_type == "code")
