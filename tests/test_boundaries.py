import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geomap import boundaries
from geomap.boundaries import (
    country_mentions,
    figures_frame,
    join_countries,
    latest_figures,
    load_countries,
    movements_frame,
    places_frame,
    point_geometry,
    troop_presence,
)
from geomap.figures import Movement, TroopFigure
from geomap.gazetteer import Place
from geomap.geoparse import Mention
from geomap.tally import count_places

NIAMEY = Place(
    "geonames:2440485", "Niamey", "city", 13.51, 2.11, "NE", 1_300_000, 2440485, "geonames"
)
NO_COUNTRY = Place("geomap:x", "Camp X", "facility", 16.95, 8.01, None, 0, None, "geomap")
SAHEL = Place("geomap:sahel", "Sahel", "region", 14.5, 2.0, None, 0, None, "geomap")
PARIS = Place(
    "geonames:2988507", "Paris", "city", 48.85, 2.35, "FR", 2_000_000, 2988507, "geonames"
)


def mention(place, role="literal", sentence="s.", article="a", date=dt.date(2023, 9, 8)):
    return Mention(article, date, 0, 1, place.name, place, role, sentence, 0.9, "only candidate")


def test_point_geometry_is_lon_lat():
    point = point_geometry(13.5, 2.1)
    assert (point.x, point.y) == (2.1, 13.5)


def test_countries_have_codes_names_and_valid_polygons():
    countries = load_countries()
    assert countries.crs.to_epsg() == 4326
    assert {"iso_a2", "iso_a3", "name"} <= set(countries.columns)
    niger = countries.set_index("iso_a2").loc["NE"]
    assert niger.iso_a3 == "NER" and niger.geometry.is_valid
    assert niger.geometry.contains(point_geometry(13.51, 2.11))


def test_places_frame_groups_mentions_and_roles():
    frame = places_frame(
        count_places(
            [
                mention(NIAMEY, sentence="One."),
                mention(NIAMEY, sentence="One."),
                mention(NIAMEY, "associative", sentence="Two."),
                mention(PARIS, "associative"),
                mention(PARIS, "adjectival"),
                mention(SAHEL, "adjectival"),
            ]
        )
    ).set_index("name")
    assert set(frame.index) == {"Niamey", "Paris"}  # adjectival-only Sahel is left out
    assert frame.loc["Niamey", "mentions"] == 3 and frame.loc["Niamey", "role"] == "literal"
    assert frame.loc["Paris", "role"] == "associative" and frame.loc["Paris", "mentions"] == 1
    assert frame.loc["Niamey", "quotes"] == (
        ("2023-09-08", "a", "One."),
        ("2023-09-08", "a", "Two."),
    )


def test_places_keep_the_newest_quotes_newest_first_and_count_the_rest():
    day = dt.date(2023, 9, 1)
    said = [  # (article, days after `day`, sentences), in reading order
        ("a", 0, ["A1.", "A2."]),
        ("b", 5, ["B1."]),
        ("c", 2, ["C1.", "C2."]),
        ("d", 5, ["D1.", "D2."]),
        ("e", None, ["E1."]),
    ]
    mentions = [
        mention(NIAMEY, sentence=s, article=a, date=None if d is None else day + dt.timedelta(d))
        for a, d, sentences in said
        for s in sentences
    ]
    row = places_frame(count_places(mentions)).iloc[0]
    assert [sentence for _, _, sentence in row.quotes] == ["B1.", "D1.", "D2.", "C1.", "C2."]
    assert row.quotes[0] == ("2023-09-06", "b", "B1.") and row.quoted == 8
    # Two files with the same article id and date: their same sentence is quoted once.
    twice = count_places(mentions[:2]) + count_places(mentions[:1])
    assert places_frame(twice).iloc[0].quoted == 2
    # Five such files of the newest article, one sentence: the quotes go on to older ones.
    newest = mention(NIAMEY, sentence="Z.", article="z", date=day + dt.timedelta(9))
    repeated = count_places([newest]) * 5 + count_places(mentions)
    assert [sentence for _, _, sentence in places_frame(repeated).iloc[0].quotes] == [
        "Z.", "B1.", "D1.", "D2.", "C1.",
    ]  # fmt: skip


def test_places_are_counted_per_article_then_folded_across_articles():
    def said(article, confidence, how, sentence):
        return Mention(article, None, 0, 1, "Niamey", NIAMEY, "literal", sentence, confidence, how)

    counts = count_places(
        [said("a", 0.5, "first", "A1."), said("a", 0.7, "second", "A2."), said("b", 0.9, "third",
         "B1."), said("b", 0.9, "fourth", "B1."), said("a", 0.1, "fifth", "A1.")]
    )  # fmt: skip
    assert [(c.article_id, c.mentions, c.quotes) for c in counts] == [
        ("a", 3, ("A1.", "A2.")),
        ("b", 2, ("B1.",)),
    ]
    row = places_frame(counts).iloc[0]
    assert row.mentions == 5 and row.articles == (("a", "", 3), ("b", "", 2))
    assert row.resolution == "third"  # the most confident mention, the first of equals


def test_places_frame_remakes_the_rows_of_changed_places_only_and_equals_a_fresh_one(
    monkeypatch,
):
    """An article added between others, or removed, changes the rows of the places it
    names (their best count, order of quotes, counts); the others are taken as the last
    call made them, and the frame is the one a first call gives."""

    def counts(article, day, *places, confidence=0.9):
        date = dt.date(2023, 9, day)
        return count_places(
            Mention(article, date, 0, 1, p.name, p, "literal", f"{article}: {p.name}.",
                    confidence, f"by {article}")
            for p in places
        )  # fmt: skip

    articles = [
        counts("a", 1, NIAMEY, PARIS),
        counts("b", 5, NIAMEY, NO_COUNTRY),
        counts("c", 5, PARIS),
    ]
    places_frame(c for a in articles for c in a)
    paris = boundaries._kept_rows[PARIS.id][1]
    added = [articles[0], counts("x", 5, NIAMEY, confidence=0.95), *articles[1:]]
    removed = articles[:2]  # after `added`: x and c go
    frames = []
    for changed, remade in [(added, {NIAMEY.id}), (removed, {NIAMEY.id, PARIS.id})]:
        before = dict(boundaries._kept_rows)
        frames.append(places_frame(c for a in changed for c in a))
        kept = {p for p, made in boundaries._kept_rows.items() if made is before.get(p)}
        assert set(boundaries._kept_rows) - kept == remade
        monkeypatch.setattr(boundaries, "_kept_rows", {})
        pd.testing.assert_frame_equal(frames[-1], places_frame(c for a in changed for c in a))
    assert boundaries._kept_rows[PARIS.id][1] is not paris
    niamey = frames[0].set_index("name").loc["Niamey"]
    assert niamey.resolution == "by x" and niamey.quotes[0][1] == "x"  # newest, read first


def test_join_fills_missing_country_but_not_for_regions():
    joined = join_countries(
        places_frame(count_places([mention(NO_COUNTRY), mention(SAHEL)])), load_countries()
    ).set_index("name")
    assert joined.loc["Camp X", "country"] == "NE"
    assert joined.loc["Sahel", "country"] is None


@pytest.mark.parametrize("extra", [[], [mention(PARIS, "associative")]])
def test_country_mentions_touched_and_neighbours(extra):
    places = places_frame(count_places([mention(NIAMEY), mention(NIAMEY), *extra]))
    shaded = country_mentions(places, load_countries(), {"NE": ("ML", "BF"), "FR": ("BE",)})
    assert list(shaded["iso_a2"]) == ["BF", "ML", "NE"]  # associative Paris touches nothing
    assert list(shaded.index) == [0, 1, 2] and list(shaded["touched"]) == [False, False, True]
    assert shaded["mentions"].dtype == "int64" and shaded["touched"].dtype == bool
    niger = shaded.set_index("iso_a2").loc["NE"]
    assert niger.mentions == 2 and niger.touched
    assert shaded.set_index("iso_a2").loc["ML", "mentions"] == 0


NIGER = Place("geonames:2440476", "Niger", "country", 17.7, 9.9, "NE", 0, 2440476, "geonames")
MALI = Place("geonames:2453866", "Mali", "country", 17.0, -4.0, "ML", 0, 2453866, "geonames")
BASE_101 = Place(
    "geomap:air-base-101", "Air Base 101", "facility", 13.48, 2.18, "NE", 0, None, "geomap"
)
BASE_201 = Place(
    "geomap:air-base-201", "Air Base 201", "facility", 16.95, 8.01, "NE", 0, None, "geomap"
)
SEPT_8 = dt.date(2023, 9, 8)
CODES = {"United States": "US", "France": "FR", "Niger": "NE", "United Nations": None}


def figure(actor, count, location=NIGER, status="present", date=SEPT_8, article="a", start=0):
    return TroopFigure(
        article, date, actor, CODES[actor], count, "exact", "troops", location, status,
        f"{actor} has {count} troops.", start, start + 10,
    )  # fmt: skip


def test_figures_frame_columns_order_and_geometry():
    frame = figures_frame(
        [
            figure("France", 1500, start=90),
            figure("United States", None, location=None, start=5),
            figure("France", 2000, MALI, "departed", dt.date(2022, 9, 8)),
            figure("United States", 1100, start=40),
        ]
    )
    assert list(frame.columns) == [
        "article", "date", "actor", "actor_code", "count", "qualifier", "unit", "location",
        "country", "status", "sentence", "geometry",
    ]  # fmt: skip
    assert frame.crs.to_epsg() == 4326
    assert str(frame["count"].dtype) == "Int64"
    # Ordered by date, then article, then sentence start.
    assert [None if pd.isna(c) else c for c in frame["count"]] == [2000, None, 1100, 1500]
    mali = frame.iloc[0]
    assert (mali.location, mali.country) == ("Mali", "ML")
    assert (mali.geometry.x, mali.geometry.y) == (-4.0, 17.0)
    countless = frame.iloc[1]
    assert pd.isna(countless.location) and pd.isna(countless.country)
    assert countless.geometry is None


def test_latest_figures_keeps_the_newest_and_same_day_conflicts():
    frame = figures_frame(
        [
            figure("United States", 800, date=dt.date(2023, 1, 5)),
            figure("United States", 1100, article="a"),
            figure("United States", 1000, article="b"),
            figure("United States", None, date=dt.date(2023, 9, 9)),  # newer, but no count
            figure("France", 1500),
            figure("France", 1700, date=None),  # undated: older than any dated figure
            figure("France", 900, location=None),  # no country: no group
        ]
    )
    latest = latest_figures(frame)
    us = latest[latest["actor"] == "United States"]
    assert sorted(us["count"]) == [1000, 1100]
    assert list(latest.loc[latest["actor"] == "France", "count"]) == [1500]
    assert list(latest.index) == sorted(latest.index)  # the frame's rows, in its order


def test_troop_presence_sums_latest_foreign_figures_present_or_departing():
    frame = figures_frame(
        [
            figure("United States", 1100),
            figure("France", 1500),
            figure("Niger", 25000),  # domestic: not a foreign presence
            figure("France", 2000, MALI, "departed"),
            figure("France", 2400, MALI, "present", dt.date(2021, 1, 1)),  # older than departed
            figure("United Nations", 13000, MALI, "departing"),  # no code: foreign everywhere
        ]
    )
    countries = country_mentions(places_frame([]), load_countries(), {}, frame["country"])
    presence = troop_presence(frame, countries).set_index("iso_a2")
    assert set(presence.index) == {"NE", "ML"}  # drawn because they host figures
    assert presence.loc["NE", "presence"] == 2600
    assert presence.loc["NE", "presence_actors"] == "United States 1,100; France 1,500"
    assert presence.loc["ML", "presence"] == 13000
    assert presence.loc["ML", "presence_actors"] == "United Nations 13,000"
    assert not presence.loc["NE", "touched"]


def test_troop_presence_does_not_add_up_conflicting_reports():
    frame = figures_frame(
        [figure("United States", 1100), figure("United States", 1000, article="b")]
    )
    countries = country_mentions(places_frame([]), load_countries(), {}, ["NE"])
    niger = troop_presence(frame, countries).set_index("iso_a2").loc["NE"]
    assert niger.presence == 1100 and niger.presence_actors == "United States 1,000–1,100"


def test_movements_frame_lines_run_from_origin_to_destination():
    moved = movements_frame(
        [
            Movement("a", SEPT_8, "United States", "US", BASE_101, BASE_201, "Moved.", 0, 6),
            Movement("a", SEPT_8, "United States", "US", None, BASE_201, "Arrived.", 7, 15),
        ]
    )
    assert list(moved.columns) == [
        "article", "date", "actor", "actor_code", "from", "to", "sentence", "geometry",
    ]  # fmt: skip
    assert len(moved) == 1  # no origin, no line
    row = moved.iloc[0]
    assert (row["from"], row["to"], row["sentence"]) == ("Air Base 101", "Air Base 201", "Moved.")
    assert list(row.geometry.coords) == [(2.18, 13.48), (8.01, 16.95)]


def test_figure_and_movement_rows_are_made_once_per_object_and_frames_equal_fresh_ones(
    monkeypatch,
):
    """The rows of figures and movements the last call had are taken from it (the store
    keeps them as they are): a rebuild makes the new ones' only, and the frames, their
    order included, are those a first call gives."""
    figures = [figure("United States", 1100), figure("France", None, location=None)]
    moves = [Movement("a", SEPT_8, "United States", "US", BASE_101, BASE_201, "Moved.", 0, 6)]
    figures_frame(figures), movements_frame(moves)
    added = figure("France", 900, date=dt.date(2022, 1, 1))  # older: its row goes first
    move = Movement("b", None, "France", "FR", MALI, BASE_201, "Undated.", 0, 8)  # likewise
    made = []

    def noting(make):
        return lambda item: made.append(item) or make(item)

    monkeypatch.setattr(boundaries._figure_rows, "_make", noting(boundaries._figure_row))
    monkeypatch.setattr(boundaries._movement_rows, "_make", noting(boundaries._movement_row))
    kept = [figures_frame([*figures, added]), movements_frame([*moves, move])]
    assert made == [added, move]
    assert kept[0]["count"].tolist()[0] == 900 and kept[1]["sentence"].tolist()[0] == "Undated."
    monkeypatch.setattr(boundaries, "_figure_rows", boundaries._KeptRows(boundaries._figure_row))
    monkeypatch.setattr(
        boundaries, "_movement_rows", boundaries._KeptRows(boundaries._movement_row)
    )
    pd.testing.assert_frame_equal(kept[0], figures_frame([*figures, added]))
    pd.testing.assert_frame_equal(kept[1], movements_frame([*moves, move]))


def test_countries_are_cached_and_a_damaged_cache_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOMAP_CACHE_DIR", str(tmp_path))
    first = load_countries()  # this process's, maybe from another cache folder
    load_countries.cache_clear()
    try:
        assert load_countries().equals(first)  # read with pyogrio, cached
        (cached,) = tmp_path.glob("countries-*.marshal")
        load_countries.cache_clear()
        assert load_countries().equals(first)  # from the cache
        cached.write_bytes(b"damaged")
        load_countries.cache_clear()
        assert load_countries().equals(first)  # read again
        assert cached.read_bytes() != b"damaged"
    finally:
        load_countries.cache_clear()


def test_join_countries_agrees_with_geopandas_sjoin_everywhere():
    countries = load_countries()
    lons, lats = np.meshgrid(np.arange(-180, 181, 2.5), np.arange(-85, 86, 2.5))
    points = gpd.GeoDataFrame(
        {"country": None, "kind": "city"},
        geometry=gpd.points_from_xy(lons.ravel(), lats.ravel()),
        crs=countries.crs,
        index=range(lons.size),
    )
    joined = join_countries(points, countries)
    reference = gpd.sjoin(points, countries[["iso_a2", "geometry"]], how="left", predicate="within")
    reference = reference[~reference.index.duplicated(keep="first")]["iso_a2"]
    expected = reference.astype(object).where(reference.notna(), None).tolist()
    assert joined["country"].tolist() == expected
    assert 500 < sum(code is not None for code in expected) < lons.size  # land and sea


def test_join_countries_takes_the_first_of_overlapping_polygons_like_sjoin():
    from shapely.geometry import box

    countries = gpd.GeoDataFrame(
        {"iso_a2": ["BB", "AA"]}, geometry=[box(0, 0, 2, 2), box(1, 1, 3, 3)], crs="EPSG:4326"
    )
    places = places_frame(count_places([mention(NO_COUNTRY)]))
    places["geometry"] = [point_geometry(1.5, 1.5)]
    assert join_countries(places, countries)["country"].tolist() == ["BB"]
    countries = countries.iloc[::-1].reset_index(drop=True)
    assert join_countries(places, countries)["country"].tolist() == ["AA"]
