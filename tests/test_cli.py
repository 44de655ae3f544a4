"""The whole build through the ``geomap`` command, on the seed and on hostile input."""

import csv
import json
import re

import pytest
from geopy.distance import geodesic
from shapely.geometry import shape

from geomap import cli
from geomap.boundaries import load_countries
from geomap.cli import main

from .conftest import DATA, SEEDS

# True positions (lat, lon) and ISO country of what the seed's map must show.
EXPECTED = {
    "Niamey": (13.5137, 2.1098, "NE"),
    "Agadez": (16.9733, 7.9911, "NE"),
    "Air Base 101": (13.4817, 2.1836, "NE"),
    "Air Base 201": (16.9503, 8.0139, "NE"),
}
COUNTRIES = {"Niger": "NE", "Mali": "ML", "Burkina Faso": "BF"}
NOT_PLACES = {"Reuters", "Thursday", "Pentagon", "Biden", "Joe Biden", "Islamic State", "Daesh"}


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert main(["build", str(SEEDS), "--out", str(out)]) == 0
    return out


def features(out):
    data = json.loads((out / "places.geojson").read_text())
    return {f["properties"]["name"]: f for f in data["features"]}


def test_seed_places_positions_and_countries(seed_build):
    found = features(seed_build)
    for name, (lat, lon, iso) in EXPECTED.items():
        lon_f, lat_f = found[name]["geometry"]["coordinates"]
        assert geodesic((lat_f, lon_f), (lat, lon)).km < 10, name
        assert found[name]["properties"]["country"] == iso
        assert found[name]["properties"]["role"] == "literal"
    polygons = load_countries().set_index("iso_a2").geometry
    for name, iso in COUNTRIES.items():
        assert found[name]["properties"]["country"] == iso
        assert polygons[iso].contains(shape(found[name]["geometry"])), name
    assert found["Air Base 201"]["properties"]["kind"] == "facility"


def test_seed_leaves_out_non_places_and_keeps_governments_associative(seed_build):
    found = features(seed_build)
    assert not NOT_PLACES & set(found)
    for name in ("Paris", "Washington"):
        if name in found:
            assert found[name]["properties"]["role"] == "associative"


def test_places_geojson_has_the_documented_properties(seed_build):
    for feature in features(seed_build).values():
        assert list(feature["properties"]) == [
            "name",
            "kind",
            "country",
            "role",
            "mentions",
            "geonameid",
            "source",
        ]
        assert feature["geometry"]["type"] == "Point"
    assert features(seed_build)["Niamey"]["properties"]["geonameid"] == 2440485
    assert features(seed_build)["Niger"]["properties"]["mentions"] > 5


def test_seed_map_layers_and_small_size(seed_build):
    html = (seed_build / "map.html").read_text()
    assert "L.control.layers" in html and "Military facilities" in html
    assert "Air Base 201" in html and "geomap-legend" in html
    assert (seed_build / "map.html").stat().st_size < 1_000_000


def test_hostile_article_is_escaped_everywhere(tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(DATA / "hostile.txt"), "--out", str(out)]) == 0
    html = (out / "map.html").read_text()
    assert "Agadez" in features(out)
    for payload in (
        '</script><script>alert("x")',
        "<img src=x onerror",
        "${alert(2)}",
        "${document.cookie}",
        "`backtick`",
        "\\2",
    ):
        assert payload not in html, payload
    # The payloads are still there for the reader, as inert text.
    text = html.replace("\\u0026", "&")  # popups sit inside the layers' JSON
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&#36;&#123;alert(2)&#125;" in text and "&#96;backtick&#96;" in text
    # Exactly one closing script tag per opening one: nothing broke out of a script block.
    assert len(re.findall(r"<script\b", html)) == len(re.findall(r"</script>", html))


def test_seed_figures_csv_and_movements_geojson(seed_build):
    with (seed_build / "figures.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "article", "date", "actor", "actor_code", "count", "qualifier", "unit", "location",
        "country", "status", "sentence",
    ]  # fmt: skip
    found = {(r["actor_code"], r["count"], r["country"]) for r in rows}
    assert {("US", "1100", "NE"), ("FR", "1500", "NE")} <= found
    moved = json.loads((seed_build / "movements.geojson").read_text())["features"]
    assert [(f["properties"]["from"], f["properties"]["to"]) for f in moved] == [
        ("Air Base 101", "Air Base 201")
    ]
    assert list(moved[0]["properties"]) == ["actor", "from", "to", "date", "sentence"]


def test_seed_map_shows_troops_and_their_presence(seed_build):
    html = (seed_build / "map.html").read_text()
    assert "US 1,100" in html and "FR 1,500" in html
    assert "Niger: 2,600 foreign troops" in html
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S).group(1)
    for layer in ("Foreign troop presence", "Troop figures", "Movements"):
        assert f'"{layer}"' in overlays, layer


def test_figures_command_prints_a_table(capsys):
    assert main(["figures", str(SEEDS)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"United States\s+US\s+1100\s+exact\s+troops\s+Niger\s+NE\s+present", table)


def test_places_command_prints_a_table(capsys):
    assert main(["places", str(SEEDS)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"Agadez\s+city\s+NE\s+literal", table)


def test_missing_input_is_one_line_and_exit_1(tmp_path, capsys):
    assert main(["build", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("geomap: error:") and "does not exist" in err and "\n" not in err


def test_an_output_folder_that_is_a_file_is_one_line_and_exit_1(tmp_path, capsys):
    (tmp_path / "out").write_text("not a folder")
    assert main(["build", str(SEEDS), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("geomap: error: cannot use") and "(a file): give --out" in err
    assert "\n" not in err and (tmp_path / "out").read_text() == "not a folder"


def test_folder_without_articles_is_an_error(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "no readable article" in capsys.readouterr().err


def test_undated_article_builds_with_a_warning(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("Fighting was reported near Agadez.")
    assert main(["build", str(tmp_path), "--out", str(tmp_path / "o")]) == 0
    assert "no date found" in caplog.text
    assert "Agadez" in features(tmp_path / "o")


def test_help_explains_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "build" in out and "places" in out and "geocode" in out and "figures" in out


def test_geocode_command(capsys):
    assert main(["geocode", "Agadez"]) == 0
    lat, lon, name = capsys.readouterr().out.strip().split("\t")
    assert name == "Agadez" and abs(float(lat) - 16.97) < 0.1
    assert main(["geocode", "Qqqxxyyzz"]) == 1


def test_geoparse_writes_predictions_for_a_jsonl_corpus(tmp_path):
    corpus = tmp_path / "in.jsonl"
    lines = [
        {"id": 7, "text": "French troops left Gao for Niamey."},
        {"id": "b", "text": "Nothing."},
    ]
    corpus.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "pred.jsonl"
    assert main(["geoparse", "--jsonl", str(corpus), "--out", str(out)]) == 0
    first, second = [json.loads(line) for line in out.read_text().splitlines()]
    assert first["id"] == "7" and second == {"id": "b", "toponyms": []}
    found = {t["name"]: t for t in first["toponyms"]}
    assert set(found) == {"French", "Gao", "Niamey"}
    assert found["French"]["role"] == "adjectival" and found["French"]["kind"] == "country"
    assert lines[0]["text"][found["Gao"]["start"] : found["Gao"]["end"]] == "Gao"
    assert found["Niamey"]["geonameid"] == 2440485


def test_geoparse_needs_exactly_one_kind_of_input(tmp_path, capsys):
    assert main(["geoparse", "--out", str(tmp_path / "x.jsonl")]) == 1
    assert "give article PATHs or --jsonl IN" in capsys.readouterr().err


def test_geoparse_names_the_bad_line(tmp_path, capsys):
    corpus = tmp_path / "in.jsonl"
    corpus.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n')
    assert main(["geoparse", "--jsonl", str(corpus), "--out", str(tmp_path / "p.jsonl")]) == 1
    assert "line 2" in capsys.readouterr().err


def test_eval_scores_geomap_beside_prediction_files(tmp_path, capsys):
    text = "Troops left Niamey for Agadez."
    gold = tmp_path / "tiny.jsonl"
    gold.write_text(json.dumps({"id": "1", "text": text, "toponyms": [
        {"start": 12, "end": 18, "name": "Niamey", "lat": 13.51, "lon": 2.11},
        {"start": 23, "end": 29, "name": "Agadez", "lat": 16.97, "lon": 7.99},
    ]}) + "\n")  # fmt: skip
    peers = tmp_path / "peers"
    peers.mkdir()
    (peers / "tiny_half.jsonl").write_text(json.dumps({"id": "1", "toponyms": [
        {"start": 12, "end": 18, "name": "Niamey", "lat": 45.0, "lon": 2.0},
    ]}) + "\n")  # fmt: skip
    assert main(["eval", str(gold), "--peers", str(peers)]) == 0
    table = capsys.readouterr().out
    geomap_row = next(line for line in table.splitlines() if line.startswith("geomap"))
    half_row = next(line for line in table.splitlines() if line.startswith("half"))
    # geomap finds both exactly and within 161 km; the peer finds one, 3,500 km off.
    assert geomap_row.split()[1:4] == ["1.000", "1.000", "1.000"]
    assert geomap_row.split()[7] == "1.000"
    assert half_row.split()[1:4] == ["1.000", "0.500", "0.667"] and half_row.split()[7] == "0.000"


def test_eval_of_predictions_that_leave_documents_out_needs_partial(tmp_path, capsys):
    gold = tmp_path / "tiny.jsonl"
    gold.write_text("".join(json.dumps({"id": i, "text": "Troops left Niamey.", "toponyms": [
        {"start": 12, "end": 18, "name": "Niamey", "lat": 13.51, "lon": 2.11},
    ]}) + "\n" for i in ("1", "2")))  # fmt: skip
    one = tmp_path / "one.jsonl"  # predicts document 1 only
    one.write_text(json.dumps({"id": "1", "toponyms": [
        {"start": 12, "end": 18, "name": "Niamey", "lat": 13.51, "lon": 2.11},
    ]}) + "\n")  # fmt: skip
    assert main(["eval", str(gold), str(one), "--no-geomap"]) == 1
    err = capsys.readouterr().err
    assert "1 gold document(s) have no predictions ('2')" in err and "--partial" in err
    assert main(["eval", str(gold), str(one), "--no-geomap", "--partial"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("one"))
    assert row.split()[1:4] == ["1.000", "0.500", "0.667"]  # precision, recall, F1


def test_the_program_exits_with_mains_code_and_its_objects_frozen(monkeypatch):
    frozen = []
    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(SystemExit) as exit_:
        cli.command()
    assert exit_.value.code == 3 and frozen == [True]  # no collector pass over them at exit
