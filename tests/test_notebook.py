"""notebooks/seed_map.ipynb runs from top to bottom and shows the map and the tables."""

import pytest

from .conftest import ROOT

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK = ROOT / "notebooks" / "seed_map.ipynb"


@pytest.fixture(scope="module")
def executed():
    """The notebook run in a fresh python3 kernel from its own folder (it reads ../seeds)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    return notebook


def outputs(notebook, mime: str) -> list[str]:
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if mime in output.get("data", {})
    ]


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_every_cell_runs(executed):
    errors = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []


def test_shows_the_folium_map_inline(executed):
    assert any("leaflet" in html.lower() for html in outputs(executed, "text/html"))


def test_shows_the_places_and_troop_figures_tables(executed):
    tables = "".join(outputs(executed, "text/html"))
    assert "Agadez" in tables and "Air Base 201" in tables
    assert "United Nations" in tables and "13000" in tables


def test_shows_the_static_map(executed):
    assert outputs(executed, "image/png")
