"""The seed map, built with ``--inline``, in headless Chromium with the network cut off.

What the HTML tests cannot see: that Leaflet and its plugins load from the page itself,
that every place and country is drawn, that the layer control and popups work, and
that no script fails. Skipped where Chromium or playwright is missing, unless
``GEOMAP_REQUIRE_BROWSER`` is set (CI sets it), which makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from geomap.cli import main
from geomap.pipeline import build

from .conftest import SEEDS
from .test_render import interval, layer_var, layers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The only host the page may try to reach: background tiles cannot be inlined.
TILE_HOST = "tile.openstreetmap.org"
#: places.geojson kind → the layer that draws the literal places of that kind.
LAYER_OF_KIND = {"region": "Regions", "facility": "Military facilities"}
PLACES_LAYER = "Places (sized by mentions)"
COUNTRIES_LAYER = "Countries (shaded by mentions)"
ASSOCIATIVE_LAYER = "Governments speaking (associative)"
CLICKED_PLACE = "Air Base 201"
#: Overlay name → how many of its features are drawn (an SVG path or icon in the page).
#: A GeoJSON layer (or folium's Timeline, which holds only the features of the slider's
#: date) has one Leaflet layer per feature; a feature may be a group (circle and label).
DRAWN_FEATURES_JS = """() => {
    const overlays = Object.entries(window)
        .find(([name]) => /^layer_control_\\w+_layers$/.test(name))[1].overlays;
    const drawn = (layer) => layer.getLayers
        ? layer.getLayers().some(drawn)
        : Boolean((layer._path || layer._icon)?.isConnected);
    const features = (layer) => layer.feature
        ? [layer]
        : (layer.getLayers ? layer.getLayers().flatMap(features) : []);
    return Object.fromEntries(Object.entries(overlays).map(
        ([name, layer]) => [name, features(layer).filter(drawn).length]
    ));
}"""
#: The dates (ms) each of the page's timelines knows, from its features' intervals.
TIMELINE_TIMES_JS = """() => Object.values(window)
    .filter((value) => value instanceof L.Timeline)
    .map((timeline) => timeline.times)"""
#: Marks the icon of the feature whose tooltip is ``name`` so that playwright can click it.
MARK_ICON_JS = """(name) => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    let found = null;
    map.eachLayer((layer) => {
        if (layer._icon && layer.feature?.properties.tooltip === name) { found = layer._icon; }
    });
    found.setAttribute("data-test-place", name);
}"""


def _sync_playwright():
    """playwright's sync API, or a skip (a failure under GEOMAP_REQUIRE_BROWSER) saying why."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        reason = f"no real-browser test: missing {' and '.join(missing)}"
        if os.environ.get("GEOMAP_REQUIRE_BROWSER"):
            pytest.fail(reason + "; GEOMAP_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    return sync_playwright


@pytest.fixture(scope="module")
def seed_map(tmp_path_factory) -> Path:
    """The seed built by the ``geomap`` command with ``--inline`` (no static image)."""
    out = tmp_path_factory.mktemp("inline")
    assert main(["-q", "build", str(SEEDS), "--out", str(out), "--inline", "--format", "none"]) == 0
    return out


def test_inlined_seed_map_works_offline_in_chromium(seed_map, tmp_path, record_property):
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    places = json.loads((seed_map / "places.geojson").read_text(encoding="utf-8"))["features"]
    result = build([SEEDS])
    literal = [p["properties"] for p in places if p["properties"]["role"] == "literal"]
    expected = {name: 0 for name in (PLACES_LAYER, *LAYER_OF_KIND.values())}
    for place in literal:
        expected[LAYER_OF_KIND.get(place["kind"], PLACES_LAYER)] += 1
    associative = sum(p["properties"]["role"] == "associative" for p in places)
    row = result.places[result.places["name"] == CLICKED_PLACE].iloc[0]
    html = (seed_map / "map.html").read_text(encoding="utf-8")
    newest_quote = max(row.quotes)[2]

    blocked: list[tuple[str, str]] = []
    errors: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    def console(message) -> None:
        blocked_tile = any(url == message.location.get("url") for _, url in blocked)
        if message.type == "error" and not blocked_tile:
            errors.append(f"console: {message.text}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", only_files)
            page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
            page.on("console", console)
            page.goto((seed_map / "map.html").as_uri())
            page.wait_for_selector(".leaflet-container .leaflet-overlay-pane path")

            assert page.evaluate("window.L && L.version") == "1.9.3"
            # Leaflet's default marker uses the inlined images, not files beside the page.
            icon = page.evaluate("new L.Icon.Default()._getIconUrl('icon')")
            assert icon.startswith("data:image/png;base64,")
            # moment formats the time slider's date; it opens at the newest one.
            newest = max(article.date for article in result.articles).isoformat()
            expect(page.locator(".leaflet-timeline-control .time-text")).to_have_text(newest)

            # The features' intervals as Leaflet.timeline computes them with the page's
            # getInterval: the features' own dates, the period's where they have none.
            assert sorted(page.evaluate(TIMELINE_TIMES_JS)) == timeline_times(html)
            drawn = page.evaluate(DRAWN_FEATURES_JS)
            for layer, count in expected.items():
                assert drawn[layer] == count, layer
            assert drawn[COUNTRIES_LAYER] == len(result.countries)
            assert drawn[ASSOCIATIVE_LAYER] == 0  # off by default

            paths = page.locator(".leaflet-overlay-pane path")
            before = paths.count()
            page.get_by_role("checkbox", name=COUNTRIES_LAYER).uncheck()
            expect(paths).to_have_count(before - len(result.countries))
            page.get_by_role("checkbox", name=ASSOCIATIVE_LAYER).check()
            drawn = page.evaluate(DRAWN_FEATURES_JS)
            assert (drawn[COUNTRIES_LAYER], drawn[ASSOCIATIVE_LAYER]) == (0, associative)
            page.get_by_role("checkbox", name=COUNTRIES_LAYER).check()
            page.get_by_role("checkbox", name=ASSOCIATIVE_LAYER).uncheck()
            expect(paths).to_have_count(before)

            page.evaluate(MARK_ICON_JS, CLICKED_PLACE)
            page.click(f'[data-test-place="{CLICKED_PLACE}"]')
            popup = page.locator(".leaflet-popup-content")
            expect(popup).to_be_visible()
            assert popup.locator("h4").inner_text() == CLICKED_PLACE
            assert newest_quote in popup.inner_text()

            screenshot = page.screenshot(path=str(tmp_path / "map.png"))
        finally:
            browser.close()

    assert errors == []
    strays = [(kind, url) for kind, url in blocked if urlparse(url).hostname != TILE_HOST]
    assert strays == [], "the inlined map requested something besides background tiles"
    assert all(kind == "image" for kind, _ in blocked)
    record_property("blocked_tile_requests", len(blocked))
    png = (tmp_path / "map.png").read_bytes()
    assert png.startswith(b"\x89PNG") and png == screenshot
    assert len(png) > 20_000  # a drawn map, not a blank page


def timeline_times(html: str) -> list[list[int]]:
    """What `TIMELINE_TIMES_JS` should find: per timed layer, the distinct starts and ends
    of its features (`interval`), in milliseconds, sorted."""
    timed = [
        features
        for name, features in layers(html).items()
        if f"var {layer_var(html, name)} = L.timeline(" in html
    ]
    assert timed, "the seed map has a time slider"
    return sorted(
        sorted({_milliseconds(t) for f in features for t in interval(html, f["properties"])[:2]})
        for features in timed
    )


def _milliseconds(instant: str) -> int:
    return int(dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp() * 1000)
