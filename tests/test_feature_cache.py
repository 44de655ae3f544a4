import datetime as dt

import orjson
import pytest
from shapely.geometry import LineString, Point

from bench.corpus import make_corpus
from geomap import render
from geomap.cli import main
from geomap.feature_cache import CACHE_NAME, FeatureCache
from geomap.files import write_whole
from geomap.popups import ArticleNames

DAY = dt.date(2023, 6, 1)


class Maker:
    """Makes one feature per call from ``inputs``, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, inputs):
        def make():
            self.calls += 1
            return [{"type": "Feature", "properties": {"n": self.calls, "of": repr(inputs)}}]

        return make


def text(fragments):
    return orjson.dumps(fragments)


def test_same_inputs_reuse_the_last_builds_text_and_changed_ones_are_rendered(tmp_path):
    path = tmp_path / CACHE_NAME
    same = ("figures", [{"date": DAY, "geometry": Point(2.1, 13.5), "count": 1100}])
    changed = ("figures", [{"date": DAY, "geometry": Point(2.1, 13.5), "count": 1200}])
    moved = ("figures", [{"date": DAY, "geometry": Point(2.1, 13.6), "count": 1100}])
    line = ("movements", [{"geometry": LineString([(2.1, 13.5), (8.0, 17.0)])}])
    first = FeatureCache(path)
    make = Maker()
    before = {
        name: text(first.features(i, make(i))) for name, i in [("same", same), ("line", line)]
    }
    first.save()

    again = FeatureCache(path)
    make = Maker()
    assert text(again.features(same, make(same))) == before["same"]
    assert text(again.features(line, make(line))) == before["line"]
    assert make.calls == 0  # both taken from the file
    again.features(changed, make(changed))
    again.features(moved, make(moved))
    assert make.calls == 2  # a count or a point changed: rendered
    again.save()

    third = FeatureCache(path)  # the file keeps what the last build used, all of it
    assert set(third._old) == set(again._used) and len(third._old) == 4


def test_the_text_is_what_jinja_would_write_keys_sorted(tmp_path):
    feature = {"type": "Feature", "properties": {"z": 1, "a": [1, "é"]}, "geometry": None}
    (fragment,) = FeatureCache(tmp_path / CACHE_NAME).features((), lambda: [feature])
    assert (
        orjson.dumps([fragment])
        == b'[{"geometry":null,"properties":{"a":[1,"\xc3\xa9"],"z":1},"type":"Feature"}]'
    )


@pytest.mark.parametrize(
    "damage",
    [b"", b"not marshal at all", None],
    ids=["empty", "garbage", "other code"],
)
def test_a_damaged_or_foreign_cache_is_ignored(tmp_path, monkeypatch, damage):
    path = tmp_path / CACHE_NAME
    first = FeatureCache(path)
    first.features(("x",), lambda: [{"type": "Feature"}])
    first.save()
    if damage is None:  # written by other code: geomap changed since
        monkeypatch.setattr("geomap.feature_cache.code_and_data", lambda: "other")
    else:
        path.write_bytes(damage)
    make = Maker()
    FeatureCache(path).features(("x",), make(("x",)))
    assert make.calls == 1


def test_the_file_is_read_once_while_it_stays_as_written(tmp_path, monkeypatch):
    path = tmp_path / CACHE_NAME
    first = FeatureCache(path)
    first.features(("x",), lambda: [{"type": "Feature"}])
    first.save()
    read = []
    original = type(path).read_bytes
    monkeypatch.setattr(type(path), "read_bytes", lambda p: read.append(p) or original(p))
    make = Maker()
    FeatureCache(path).features(("x",), make(("x",)))  # what this process wrote: kept
    assert make.calls == 0 and read == []
    write_whole(path, path.read_bytes())  # another process wrote it: read again
    read.clear()
    FeatureCache(path).features(("x",), make(("x",)))
    assert make.calls == 0 and read == [path]


def test_an_unknown_value_in_the_inputs_is_an_error():
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        FeatureCache().features((object(),), list)


def test_a_layers_key_holds_each_rows_values_coordinates_and_article_name():
    """What the troop layers key their features by (`render._inputs`) changes with a
    point or line moved, a value changed or an article retitled, and only then."""
    context = render.LayerContext({}, ArticleNames({"a": "A"}), None, FeatureCache())

    def key(rows, context=context):
        pairs = render.coordinates([row["geometry"] for row in rows])
        return orjson.dumps(render._inputs(context, list(zip(rows, pairs, strict=True))))

    row = {"article": "a", "count": 1100, "geometry": Point(2.1, 13.5)}
    line = {"article": "a", "geometry": LineString([(2.1, 13.5), (8.0, 17.0)])}
    first = key([row, line])
    assert key([dict(row), dict(line)]) == first
    for rows in (
        [{**row, "geometry": Point(2.1, 13.6)}, line],
        [row, {**line, "geometry": LineString([(2.1, 13.5), (8.0, 17.5)])}],
        [{**row, "count": 1200}, line],
    ):
        assert key(rows) != first
    retitled = render.LayerContext({}, ArticleNames({"a": "B"}), None, FeatureCache())
    assert key([row, line], retitled) != first


def test_a_rebuild_from_the_cache_writes_the_same_map_as_a_build_without_it(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 30, seed=5)
    out, cold = tmp_path / "out", tmp_path / "cold"

    def build(into):
        assert main(["-q", "build", str(corpus), "--out", str(into), "--format", "none"]) == 0

    build(out)
    assert (out / CACHE_NAME).exists()
    (corpus / "new.txt").write_text(
        "date 2024-06-01\nAbout 700 Italian troops arrived in Agadez, officials in Niamey said.\n"
        "French forces moved equipment from Gao to Bamako.\n",
        encoding="utf-8",
    )  # newer than every other article: it widens the time slider's period
    rendered = []
    location_features = render._location_features
    monkeypatch.setattr(
        render,
        "_location_features",
        lambda location, *rest: rendered.append(location) or location_features(location, *rest),
    )
    build(out)  # no image: pages are written in this process
    assert rendered == ["Agadez"]  # the other locations' circles came from the cache
    rendered.clear()
    build(cold)
    assert len(rendered) > 1
    html = (out / "map.html").read_text(encoding="utf-8")
    assert html == (cold / "map.html").read_text(encoding="utf-8")
    assert "Italy" in html
