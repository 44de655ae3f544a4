import csv
import datetime as dt
import json
import sys

import pytest

from geomap.boundaries import FIGURE_COLUMNS, figures_frame, movements_frame
from geomap.exceptions import OutputError
from geomap.export import (
    Report,
    figures_table,
    write_embed,
    write_figures,
    write_movements,
    write_outputs,
)
from geomap.figures import Movement, TroopFigure
from geomap.gazetteer import Place
from geomap.pipeline import build

from .conftest import SEEDS

NIGER = Place("geonames:2440476", "Niger", "country", 17.7, 9.9, "NE", 0, 2440476, "geonames")
BASE_101 = Place("geomap:b101", "Air Base 101", "facility", 13.48, 2.18, "NE", 0, None, "geomap")
BASE_201 = Place("geomap:b201", "Air Base 201", "facility", 16.95, 8.01, "NE", 0, None, "geomap")


def figure(article, date, count, start, sentence="S.", location=NIGER):
    return TroopFigure(
        article, date, "United States", "US", count, "exact", "troops", location, "present",
        sentence, start, start + 5,
    )  # fmt: skip


FIGURES = [
    figure("b", dt.date(2023, 9, 8), 1100, 0, 'Said "1,100", then left.'),
    figure("a", dt.date(2023, 9, 8), None, 50, location=None),
    figure("a", dt.date(2023, 9, 8), 900, 10),
    figure("c", None, 5, 0),
]


def test_figures_csv_has_the_documented_columns_in_a_deterministic_order(tmp_path):
    path = write_figures(figures_frame(FIGURES), tmp_path / "out" / "figures.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "article", "date", "actor", "actor_code", "count", "qualifier", "unit", "location",
        "country", "status", "sentence",
    ]  # fmt: skip
    # Undated first, then by date, article and sentence start.
    assert [(r["article"], r["count"]) for r in rows] == [
        ("c", "5"), ("a", "900"), ("a", ""), ("b", "1100"),
    ]  # fmt: skip
    assert rows[1]["date"] == "2023-09-08" and rows[0]["date"] == ""
    assert rows[2]["location"] == "" and rows[2]["country"] == ""
    assert rows[3]["sentence"] == 'Said "1,100", then left.'
    assert rows[3]["location"] == "Niger" and rows[3]["country"] == "NE"


def test_figures_csv_is_what_pandas_writes_however_its_lines_were_kept(tmp_path):
    """Lines are kept by row between writes in a process: a changed, added or removed
    row gives the file pandas' to_csv gives (quotes, commas, line breaks, missing values)."""
    tricky = [
        *FIGURES,
        figure("d", dt.date(2024, 1, 2), 7, 0, 'One line,\nand a second with a "quote".'),
    ]
    changed = [*tricky[:2], figure("a", dt.date(2023, 9, 8), 950, 10), *tricky[3:]]
    for figures in (tricky, changed, tricky[1:], tricky):
        frame = figures_frame(figures)
        written = write_figures(frame, tmp_path / "figures.csv").read_bytes().decode()
        assert written == frame[FIGURE_COLUMNS].to_csv(index=False, lineterminator="\n")


def test_movements_geojson_lines_and_properties(tmp_path):
    moved = movements_frame(
        [Movement("a", dt.date(2023, 9, 8), "United States", "US", BASE_101, BASE_201, "M.", 0, 2)]
    )
    path = write_movements(moved, tmp_path / "movements.geojson")
    (feature,) = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert feature["geometry"] == {
        "type": "LineString",
        "coordinates": [[2.18, 13.48], [8.01, 16.95]],
    }
    assert feature["properties"] == {
        "actor": "United States",
        "from": "Air Base 101",
        "to": "Air Base 201",
        "date": "2023-09-08",
        "sentence": "M.",
    }


def test_movements_geojson_follows_its_rows_however_its_lines_were_kept(tmp_path):
    there = Movement(
        "a", dt.date(2023, 9, 8), "United States", "US", BASE_101, BASE_201, "M.", 0, 2
    )
    back = Movement("b", dt.date(2023, 9, 9), "United States", "US", BASE_201, BASE_101, "N.", 0, 2)
    for movements in ([there], [there, back], [back], [there]):
        path = write_movements(movements_frame(movements), tmp_path / "movements.geojson")
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        assert [(f["properties"]["from"], f["geometry"]["coordinates"][0]) for f in features] == [
            (m.origin.name, [m.origin.lon, m.origin.lat]) for m in movements
        ]


def test_empty_outputs_are_still_valid(tmp_path):
    path = write_movements(movements_frame([]), tmp_path / "movements.geojson")
    assert json.loads(path.read_text()) == {"type": "FeatureCollection", "features": []}
    lines = write_figures(figures_frame([]), tmp_path / "figures.csv").read_text().splitlines()
    assert lines == [
        "article,date,actor,actor_code,count,qualifier,unit,location,country,status,sentence"
    ]
    assert figures_table(figures_frame([])) == "no troop figures found"


def test_figures_table_shortens_sentences():
    long = figure("a", dt.date(2023, 9, 8), 1100, 0, "word " * 40)
    table = figures_table(figures_frame([long]))
    assert "United States" in table and "1100" in table and "…" in table
    assert max(len(line) for line in table.splitlines()) < 200


def test_report_rejects_unknown_image_formats():
    with pytest.raises(OutputError, match="'gif' is not supported.*png, svg, none"):
        Report(image_format="gif")


def test_embed_snippet_is_a_responsive_iframe_with_an_escaped_title(tmp_path):
    text = write_embed(tmp_path / "embed.html", 'Sahel "forces" <now>').read_text()
    assert '<iframe src="map.html"' in text and "padding-top: 62.5%" in text
    assert 'title="Sahel &quot;forces&quot; &lt;now&gt;"' in text


@pytest.fixture(scope="module")
def seed_result():
    return build([SEEDS])


def test_two_builds_write_identical_bytes(seed_result, tmp_path):
    report = Report(title="Sahel", subtitle="September 2023", source="Test desk")
    first = write_outputs(seed_result, tmp_path / "one", report)
    second = write_outputs(seed_result, tmp_path / "two", report)
    assert [p.name for p in first] == [
        "map.html", "embed.html", "places.geojson", "figures.csv", "movements.geojson", "map.png",
    ]  # fmt: skip
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.skipif(sys.platform != "linux", reason="the files are written beside only on Linux")
def test_files_written_in_a_second_process_are_the_same_and_errors_reach_the_caller(
    seed_result, tmp_path
):
    serial = write_outputs(seed_result, tmp_path / "one", jobs=1)
    beside = write_outputs(seed_result, tmp_path / "two", jobs=2)
    assert [p.name for p in beside] == [p.name for p in serial]
    for a, b in zip(serial, beside, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    (tmp_path / "three" / "map.png").mkdir(parents=True)  # where the image cannot be written
    with pytest.raises(OutputError, match="could not write the map: IsADirectoryError.*map.png"):
        write_outputs(seed_result, tmp_path / "three", jobs=2)
    assert (tmp_path / "three" / "map.html").exists()  # the other process finished
    (tmp_path / "four" / "map.html").mkdir(parents=True)  # where the map cannot be written
    with pytest.raises(OutputError, match="could not write the map: IsADirectoryError"):
        write_outputs(seed_result, tmp_path / "four", jobs=2)
    assert (tmp_path / "four" / "map.png").exists() and (tmp_path / "four" / "figures.csv").exists()
    with pytest.raises(OutputError, match="could not write into .*map.html"):
        write_outputs(seed_result, tmp_path / "four", jobs=1)  # and without a second process
    # Both processes answered each build, failed or not: the next one waits for its own.
    again = write_outputs(seed_result, tmp_path / "five", jobs=2)
    for a, b in zip(serial, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_heading_subtitle_and_credit_line_are_on_the_map(seed_result, tmp_path):
    report = Report(
        title="Sahel <script>", subtitle="Sept 2023", source="Desk & co", image_format=""
    )
    (html_path, *_) = write_outputs(seed_result, tmp_path, report)
    html = html_path.read_text()
    assert "<h1>Sahel &lt;script&gt;</h1>" in html and "<p>Sept 2023</p>" in html
    assert '<div class="geomap-source">Desk &amp; co</div>' in html
    assert not (tmp_path / "map.png").exists()
