import dataclasses
import zlib
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib import image
from matplotlib.text import Annotation, Text

from geomap import static_map
from geomap.exceptions import OutputError
from geomap.files import write_whole
from geomap.pipeline import build
from geomap.static_map import draw_map, save_figure
from geomap.styles import presence_classes, shade

from .conftest import SEEDS

#: "$" must stay a dollar sign, not start matplotlib's mathtext.
TITLE = "Niger: a $100 million base"
SUBTITLE = "US troops move from Niamey to Agadez"
SOURCE = "Source: Reuters, 2023-09-08"


@pytest.fixture(scope="module")
def seed():
    return build([SEEDS])


@pytest.fixture(scope="module")
def saved(seed, tmp_path_factory):
    """The seed map saved once as PNG and SVG: {format: path}."""
    folder = tmp_path_factory.mktemp("static")
    figure = draw_map(seed.tables(), title=TITLE, subtitle=SUBTITLE, source=SOURCE)
    return {fmt: save_figure(figure, folder / f"map.{fmt}", fmt) for fmt in ("png", "svg")}


@pytest.fixture(scope="module")
def pixels(saved):
    """The PNG's pixels as (height, width, RGB) integers 0–255."""
    return np.round(image.imread(saved["png"])[:, :, :3] * 255).astype(int)


def colour_share(pixels: np.ndarray, colour: str, tolerance: int = 0) -> float:
    """The share of pixels within ``tolerance`` (per channel) of ``colour``."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return float((np.abs(pixels - rgb).max(axis=2) <= tolerance).mean())


def test_png_has_the_default_size(pixels):
    assert pixels.shape == (1000, 1600, 3)


def test_png_is_a_drawn_map_not_a_blank(pixels):
    packed = pixels[:, :, 0] << 16 | pixels[:, :, 1] << 8 | pixels[:, :, 2]
    assert len(np.unique(packed)) > 500
    assert pixels.std() > 30


def test_png_shows_niger_shaded_by_mentions_and_hatched_by_presence(seed, pixels):
    niger = seed.countries.set_index("iso_a2").loc["NE"]
    assert colour_share(pixels, shade(niger["mentions"])) > 0.05
    for _, _, colour in presence_classes(seed.countries.query("presence > 0")["presence"]):
        assert colour_share(pixels, colour, tolerance=8) > 0.002, colour


def test_same_build_gives_the_same_bytes(seed, saved, tmp_path):
    figure = draw_map(seed.tables(), title=TITLE, subtitle=SUBTITLE, source=SOURCE)
    for fmt, first in saved.items():
        again = save_figure(figure, tmp_path / f"again.{fmt}", fmt)
        assert again.read_bytes() == first.read_bytes(), fmt


def test_layers_cache_gives_the_same_bytes_whatever_it_holds(seed, saved, tmp_path):
    """Kept, missing, damaged, or from another map: the PNG is the same as drawn at once."""
    cache = tmp_path / "cache"
    cache.mkdir()
    first = saved["png"].read_bytes()

    def png(name, subtitle=SUBTITLE):
        figure = draw_map(seed.tables(), title=TITLE, subtitle=subtitle, source=SOURCE)
        return save_figure(figure, tmp_path / name, "png", cache=cache).read_bytes()

    def kept():
        return {path.name: path.read_bytes() for path in sorted(cache.iterdir())}

    assert png("drawn.png") == first
    layers = kept()
    assert list(layers) == [".geomap-image-base", ".geomap-image-legend"]
    assert png("from-cache.png") == first
    assert kept() == layers
    for name, data in layers.items():
        (cache / name).write_bytes(data[: len(data) // 2])
    assert png("from-damaged.png") == first
    assert kept() == layers
    png("other.png", subtitle="")  # moves the map and the legend up: other layers
    assert kept().keys() == layers.keys() and kept() != layers
    assert png("after-other.png") == first


def test_a_map_drawn_after_another_is_as_drawn_first(seed, saved, write, gazetteer, tmp_path):
    """Maps of one size share a renderer (it keeps measured texts): no pixel of the last stays."""
    other = build([write("empty.txt", "Nothing here.")], gazetteer=gazetteer)
    first = draw_map(other.tables(), title="Other")
    save_figure(first, tmp_path / "other.png", "png")
    again = draw_map(seed.tables(), title=TITLE, subtitle=SUBTITLE, source=SOURCE)
    assert again.canvas.get_renderer() is first.canvas.get_renderer()
    drawn = save_figure(again, tmp_path / "again.png", "png")
    assert drawn.read_bytes() == saved["png"].read_bytes()


def test_png_bands_kept_from_the_last_image_give_the_bytes_drawn_anew(monkeypatch):
    """Rows deflated in bands, the unchanged ones taken from the last PNG: the pixels
    decode whole (zlib checks the sum), and the bytes are those of a process that drew
    the image first."""
    rng = np.random.default_rng(1)
    first = np.full((60, 40, 4), 200, np.uint8)
    changed = first.copy()
    changed[30:33] = rng.integers(0, 255, (3, 40, 4), dtype=np.uint8)  # one band of three

    def fresh_png(rgba):
        monkeypatch.setattr(static_map, "_DEFLATER", static_map._Deflater())
        return static_map._png(rgba, 100)

    drawn_anew = fresh_png(changed)
    fresh_png(first)
    after_first = static_map._png(changed, 100)
    assert after_first == drawn_anew
    assert static_map._png(first, 100) == fresh_png(first)
    idat = after_first[after_first.index(b"IDAT") + 4 : after_first.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(60, -1)
    assert (rows[:, 0] == 0).all() and np.array_equal(rows[:, 1:].reshape(changed.shape), changed)


def test_layer_files_are_read_once_while_they_stay_the_same(seed, saved, tmp_path, monkeypatch):
    read = []
    original = Path.read_bytes

    def counted(path):
        if path.name.startswith(".geomap-image"):
            read.append(path.name)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", counted)

    def png():
        figure = draw_map(seed.tables(), title=TITLE, subtitle=SUBTITLE, source=SOURCE)
        return save_figure(figure, tmp_path / "map.png", "png", cache=tmp_path).read_bytes()

    assert png() == saved["png"].read_bytes()  # drawn: the files written and kept
    assert png() == saved["png"].read_bytes() and read == []
    legend = tmp_path / ".geomap-image-legend"
    write_whole(legend, legend.read_bytes())  # another process wrote it: read it again
    read.clear()
    assert png() == saved["png"].read_bytes() and read == [".geomap-image-legend"]


def test_only_the_last_images_texts_are_kept(seed, monkeypatch, tmp_path):
    monkeypatch.setattr(static_map, "_LABEL_PIXELS", static_map._LabelPixels())
    for title in ("First title", "Second title"):
        save_figure(draw_map(seed.tables(), title=title), tmp_path / "map.png", "png")
    keys = " ".join(static_map._LABEL_PIXELS._kept)
    assert "'Second title'" in keys and "'First title'" not in keys
    assert len(static_map._LABEL_PIXELS._kept) < 40  # a few dozen texts, not all ever drawn


def test_texts_drawn_again_over_the_same_pixels_are_pasted_and_the_same(
    seed, saved, tmp_path, monkeypatch
):
    """A label's or heading's pixels are kept with a hash of what lay under it: the same
    map again pastes them all, a map with other symbols under a label draws that one
    anew, and each PNG is the one drawn with nothing kept."""
    drawn = []
    for kind in (Text, Annotation):

        def counted(text, renderer, kind=kind, draw=kind.draw):
            if text.get_visible() and type(text) is kind:
                drawn.append(text.get_text())
            draw(text, renderer)

        monkeypatch.setattr(kind, "draw", counted)
    frame = seed.figures_frame
    no_us = dataclasses.replace(seed, figures_frame=frame[frame["actor"] != "United States"])

    def png(build, name):
        figure = draw_map(build.tables(), title=TITLE, subtitle=SUBTITLE, source=SOURCE)
        drawn.clear()
        return save_figure(figure, tmp_path / name, "png").read_bytes(), set(drawn)

    kept = {"Niamey", "NIGER", "US 1,100", "FR 1,500", TITLE, SUBTITLE, SOURCE}
    monkeypatch.setattr(static_map, "_LABEL_PIXELS", static_map._LabelPixels())
    no_us_alone, _ = png(no_us, "no-us-alone.png")
    monkeypatch.setattr(static_map, "_LABEL_PIXELS", static_map._LabelPixels())
    first, drawn_first = png(seed, "first.png")
    again, drawn_again = png(seed, "again.png")
    assert first == again == saved["png"].read_bytes()
    assert kept <= drawn_first and not kept & drawn_again
    after, drawn_after = png(no_us, "no-us.png")
    assert after == no_us_alone
    assert kept & drawn_after == {"FR 1,500"}  # the US circle was under it


def test_a_text_changes_no_pixel_outside_the_box_kept_for_it(seed, tmp_path, monkeypatch):
    """The box kept around a text reaches past its halo and backing, at any size."""
    outside = []
    draw = static_map._LabelPixels.draw

    def checked(self, text, key, renderer):
        canvas = np.asarray(renderer.buffer_rgba())
        x0, y0, x1, y1 = text.get_window_extent(renderer).extents
        near = 100  # pixels around the text's extent where drawing it could reach
        top, left = max(0, int(canvas.shape[0] - y1) - near), max(0, int(x0) - near)
        window = canvas[top : int(canvas.shape[0] - y0) + near, left : int(x1) + near]
        before = window.copy()
        draw(self, text, key, renderer)
        rows, columns = np.nonzero((window != before).any(axis=2))
        if key in self._drawn and len(rows):
            (up, down, start, end), _, _ = self._drawn[key]
            rows, columns = rows + top, columns + left
            beyond = (rows < up) | (rows >= down) | (columns < start) | (columns >= end)
            outside.append(int(beyond.sum()))

    monkeypatch.setattr(static_map._LabelPixels, "draw", checked)
    monkeypatch.setattr(static_map, "_LABEL_PIXELS", static_map._LabelPixels())
    for size in (static_map.REFERENCE_SIZE, (4000, 2500)):
        figure = draw_map(seed.tables(), title=TITLE, subtitle=SUBTITLE, size=size)
        save_figure(figure, tmp_path / "map.png", "png")
    assert len(outside) > 20 and not any(outside)


def test_svg_keeps_the_headings_and_labels_as_text(saved):
    svg = saved["svg"].read_text(encoding="utf-8")
    texts = (TITLE, SUBTITLE, SOURCE, "Data as of 2023-09-08 (1 article)", "US 1,100", "FR 1,500")
    for text in texts:
        assert f">{text}<" in svg, text
    assert "Matplotlib v" not in svg  # no version metadata to change the bytes


def test_custom_size_is_exact(seed, tmp_path):
    path = save_figure(draw_map(seed.tables(), size=(1234, 777)), tmp_path / "small.png", "png")
    assert image.imread(path).shape[:2] == (777, 1234)


def test_figures_without_a_number_get_the_white_marker(seed, tmp_path):
    frame = seed.figures_frame
    countless = dataclasses.replace(seed, figures_frame=frame[frame["count"].isna()])
    svg = save_figure(draw_map(countless.tables()), tmp_path / "countless.svg", "svg").read_text()
    assert "troops, number not given" in svg
    assert "US 1,100" not in svg


def test_a_build_without_places_still_draws(write, gazetteer, tmp_path):
    article = write("empty.txt", " date 2023-09-08 Nothing was said about anywhere.")
    result = build([article], gazetteer=gazetteer)
    svg = save_figure(draw_map(result.tables(), title="Nothing"), tmp_path / "none.svg", "svg")
    assert ">Nothing<" in svg.read_text()


def test_drawing_leaves_pyplot_and_rc_params_alone(seed):
    import matplotlib.pyplot as plt

    before, figures = dict(mpl.rcParams), plt.get_fignums()
    draw_map(seed.tables())
    assert dict(mpl.rcParams) == before
    assert plt.get_fignums() == figures


def test_unknown_image_format_is_refused(seed, tmp_path):
    with pytest.raises(OutputError, match="'jpeg'.*png, svg"):
        save_figure(draw_map(seed.tables()), tmp_path / "map.jpeg", "jpeg")
