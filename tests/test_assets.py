"""Inlining the map's scripts and stylesheets, and fetching them from the npm registry.

Most tests use small stand-in files pinned in place of the real ones and a stand-in
``npm`` that writes tarballs, so they need no network; one inlines the real files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import sys
from pathlib import Path

import folium
import pytest
from folium.plugins import Timeline, TimelineSlider

from geomap import assets
from geomap.assets import DROPPED, INLINED, AssetError, ensure_assets, inline_assets

#: The head of a folium page of geomap's, as folium writes it (the seed map's).
CDN_PAGE = """<!DOCTYPE html>
<html>
<head>
    <script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>
    <script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
    <script src="https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js"></script>
    <script src="https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js"></script>
    <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>
    <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css"/>
    <link rel="stylesheet" href="https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css"/>
    <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"/>
    <link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css"/>
    <link rel="stylesheet" href="https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css"/>
    <script src="local.js"></script>
    <script src="https://cdn.jsdelivr.net/npm/leaflet.timeline@1.6.0/dist/leaflet.timeline.min.js"></script>
    <script src="https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js"></script>
</head>
<body><script>var tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";</script></body>
</html>
"""  # noqa: E501
#: A reference to a script or stylesheet on another host.
EXTERNAL_REFERENCE = re.compile(r"""<(script|link)\b[^>]*\b(src|href)=["']?(https?:)?//""", re.I)
#: Stand-ins for the pinned files whose content the tests look for.
STAND_INS = {
    "dist/leaflet.js": 'var L = {}; var s = "</SCRIPT><!-- <script>";\n'
    "//# sourceMappingURL=leaflet.js.map\n",
    "dist/leaflet.css": ".a{background:url(images/layers.png)} "
    '.b{background:url("images/layers-2x.png")} .c{behavior:url(#default#VML)} '
    ".d{background-image:url('images/marker-icon.png')} /* </style> */",
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@pytest.fixture
def stand_ins(tmp_path, monkeypatch) -> Path:
    """A folder of stand-ins for every pinned file, pinned in their place."""
    folder = tmp_path / "assets"
    packages = []
    for package in assets.PACKAGES:
        pins = {}
        for path in package.files:
            default = f"{package.spec} {path}" if path.endswith(".png") else f"// {package.spec}"
            data = STAND_INS.get(path, default).encode()
            (folder / package.spec / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / package.spec / path).write_bytes(data)
            pins[path] = _sha256(data)
        packages.append(dataclasses.replace(package, files=pins))
    monkeypatch.setattr(assets, "PACKAGES", tuple(packages))
    return folder


def test_inline_replaces_every_cdn_reference(stand_ins):
    page = inline_assets(CDN_PAGE, stand_ins)
    assert not EXTERNAL_REFERENCE.search(page)
    for dropped in ("bootstrap", "awesome", "fontawesome", "glyphicons"):
        assert dropped not in page
    scripts = [f"// {spec}" for spec in ("jquery@3.7.1", "leaflet.timeline@1.6.0", "moment@2.18.1")]
    positions = [page.index("var L = {}"), *(page.index(script) for script in scripts)]
    assert positions == sorted(positions), "scripts keep their order"
    assert '<script src="local.js"></script>' in page
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_inlined_scripts_cannot_end_their_element_early(stand_ins):
    page = inline_assets(CDN_PAGE, stand_ins)
    assert r'var s = "<\/SCRIPT><\!-- <script>";' in page
    assert "sourceMappingURL" not in page
    # Every element is closed by its own end tag; the one extra "<script" is in a string.
    assert page.lower().count("<script") - page.lower().count("</script>") == 1


def test_stylesheet_images_become_data_uris(stand_ins):
    page = inline_assets(CDN_PAGE, stand_ins)
    style = page[page.index("<style>") : page.index("</style>")]
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        assert f'url("{_data_uri(f"leaflet@1.9.3 dist/images/{image}".encode())}")' in style
    assert "url(#default#VML)" in style
    assert r"/* <\/style> */" in style
    assert "images/" not in style


def test_leaflet_default_icon_requests_no_file(stand_ins):
    page = inline_assets(CDN_PAGE, stand_ins)
    setup = 'L.Icon.Default.imagePath = "";'
    assert page.index("var L = {}") < page.index(setup) < page.index("// jquery@3.7.1")
    options = json.loads(re.search(r"L\.Icon\.Default\.mergeOptions\((.*)\);", page).group(1))
    assert options == {
        name: _data_uri(f"leaflet@1.9.3 dist/images/{image}".encode())
        for name, image in [
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        ]
    }


def test_unknown_cdn_reference_is_an_error_naming_it(stand_ins):
    page = '<script src="https://cdn.example.org/plugin.js"></script>'
    with pytest.raises(AssetError, match=r"https://cdn\.example\.org/plugin\.js.*INLINED"):
        inline_assets(page, stand_ins)


def _folium_page() -> str:
    """A folium page with what geomap's maps load: Leaflet, and the time slider's plugins."""
    fmap = folium.Map()
    timeline = Timeline({"type": "FeatureCollection", "features": []}).add_to(fmap)
    TimelineSlider().add_timelines(timeline).add_to(fmap)
    return fmap.get_root().render()


def test_every_cdn_reference_folium_writes_is_inlined_or_dropped():
    page = _folium_page()
    urls = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)""", page)
    assert set(urls) == set(INLINED) | DROPPED


def test_real_assets_inline_into_a_map_that_loads_nothing():
    page = inline_assets(_folium_page(), ensure_assets())
    assert not EXTERNAL_REFERENCE.search(page)
    assert 't.version="1.9.3"' in page  # Leaflet itself
    assert len(page.encode()) < 600_000


# Fetching, with a stand-in npm.

FAKE_NPM = """#!{python}
import io, json, sys, tarfile
packages = json.loads(open({packages!r}).read())
packed = []
for spec in sys.argv[3:]:
    if spec not in packages:
        summary = f"404 Not Found - GET https://registry.npmjs.org/{{spec}}"
        print(json.dumps({{"error": {{"code": "E404", "summary": summary}}}}))
        sys.exit("npm error code E404")
    name, version = spec.rsplit("@", 1)
    filename = f"{{name}}-{{version}}.tgz"
    with tarfile.open(filename, "w:gz") as tar:
        for path, text in packages[spec].items():
            info = tarfile.TarInfo("package/" + path)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    packed.append({{"name": name, "version": version, "filename": filename}})
print(json.dumps(packed))
"""
PINNED = assets.Package("fake", "1.0.0", "MIT", {"dist/fake.js": _sha256(b"var fake = 1;")})


@pytest.fixture
def fake_npm(tmp_path, monkeypatch) -> Path:
    """An ``npm`` on PATH whose ``pack --json`` serves fake@1.0.0 (only that), pinned."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    packages = tmp_path / "registry.json"
    packages.write_text(json.dumps({"fake@1.0.0": {"dist/fake.js": "var fake = 1;"}}))
    npm = bin_folder / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable, packages=str(packages)))
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_folder))
    monkeypatch.setattr(assets, "PACKAGES", (PINNED,))
    return bin_folder


def test_ensure_assets_fetches_missing_packages_and_then_needs_no_npm(tmp_path, fake_npm):
    folder = tmp_path / "assets"
    assert ensure_assets(folder) == folder
    assert (folder / "fake@1.0.0" / "dist/fake.js").read_text() == "var fake = 1;"
    assert [p.name for p in folder.iterdir()] == ["fake@1.0.0"]  # no scratch left
    (fake_npm / "npm").unlink()
    assert ensure_assets(folder) == folder


def test_ensure_assets_fetches_an_altered_file_again(tmp_path, fake_npm):
    cached = tmp_path / "assets" / "fake@1.0.0" / "dist/fake.js"
    cached.parent.mkdir(parents=True)
    cached.write_text("var fake = 'altered';")
    ensure_assets(tmp_path / "assets")
    assert cached.read_text() == "var fake = 1;"


def test_file_not_matching_its_pin_is_an_error_naming_the_command(tmp_path, fake_npm, monkeypatch):
    wrong = dataclasses.replace(PINNED, files={"dist/fake.js": "0" * 64})
    monkeypatch.setattr(assets, "PACKAGES", (wrong,))
    with pytest.raises(AssetError, match=r"fake@1\.0\.0/dist/fake\.js .*SHA-256.*make assets"):
        ensure_assets(tmp_path / "assets")
    assert not (tmp_path / "assets" / "fake@1.0.0").exists()


def test_package_npm_cannot_fetch_is_an_error_with_npms_reason(tmp_path, fake_npm, monkeypatch):
    monkeypatch.setattr(assets, "PACKAGES", (dataclasses.replace(PINNED, version="2.0.0"),))
    reason = r"npm pack fake@2\.0\.0 failed \(404 Not Found - GET .*make assets"
    with pytest.raises(AssetError, match=reason):
        ensure_assets(tmp_path / "assets")


def test_missing_npm_without_cached_files_is_an_error_naming_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(assets, "PACKAGES", (PINNED,))
    with pytest.raises(AssetError, match=r"fake@1\.0\.0.*npm.*not installed.*make assets"):
        ensure_assets(tmp_path / "assets")
