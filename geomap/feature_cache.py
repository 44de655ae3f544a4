"""Map features rendered by the last build, reused where what they show has not changed.

A new article changes a few circles of the troop-figures and movements layers; the
other features of a large corpus (thousands) would come out as the same JSON text
again. `FeatureCache` keeps each group's features as that text, under a hash of
everything the group is made from, in the output folder (`CACHE_NAME`): a rebuild
renders only the groups it has not seen. The features go into the page as
`orjson.Fragment`, the same bytes either way. The cache holds the last build's groups
only, and one written by other code (`geomap.manifest.code_and_data`), another Python
or damaged is ignored: it only saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import shapely

from geomap.boundaries import geojson_geometry
from geomap.files import KeptFiles, stamp, write_whole
from geomap.manifest import code_and_data

CACHE_NAME = ".geomap-features"
#: The layout of the file: (FORMAT, made by, {key: (feature JSON, ...)}).
FORMAT = 1


class FeatureCache:
    """Groups of GeoJSON features as JSON text, by the hash of their inputs.

    Without a ``path`` nothing is read or kept: every group is rendered.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._made_by = f"{sys.implementation.cache_tag} {code_and_data()}"
        self._old = self._load() if path is not None else {}
        self._used: dict[bytes, tuple[bytes, ...]] = {}

    def features(self, inputs: Any, make: Callable[[], list[dict]]) -> list[orjson.Fragment]:
        """The features ``make()`` returns, as JSON text (keys sorted, as Jinja's ``tojson``
        writes them); the last build's text when it had the same ``inputs``.

        ``inputs`` must hold everything the features depend on besides geomap's code:
        JSON-able values, dates and shapely geometries.
        """
        key = hashlib.blake2b(orjson.dumps(inputs, default=_geometry), digest_size=16).digest()
        texts = self._old.get(key)
        if texts is None:
            texts = tuple(orjson.dumps(f, option=orjson.OPT_SORT_KEYS) for f in make())
        self._used[key] = texts
        return [orjson.Fragment(text) for text in texts]

    def save(self) -> None:
        """Keep the groups this build used, replacing the file whole."""
        if self.path is None:
            return
        with contextlib.suppress(OSError):  # the map is right without its cache
            write_whole(self.path, marshal.dumps((FORMAT, self._made_by, self._used)))
            _kept.keep(self.path, (self._made_by, self._used))

    def _load(self) -> dict[bytes, tuple[bytes, ...]]:
        """The groups in the file: the ones this process wrote or read there last while
        the file is as it left it, else read (2 ms for a thousand articles' features)."""
        assert self.path is not None
        try:
            stamped = stamp(self.path)
            kept = _kept.get(self.path, stamped)
            if kept is not None and kept[0] == self._made_by:
                return kept[1]
            layout, made_by, groups = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):  # none yet, damaged
            return {}
        if (layout, made_by) != (FORMAT, self._made_by) or not isinstance(groups, dict):
            return {}
        _kept.keep(self.path, (made_by, groups), stamped)
        return groups


#: The (who made them, groups) of the cache files this process wrote or read last: an
#: output folder's, and another's.
_kept = KeptFiles(most=2)


def _geometry(value: Any) -> Any:
    """A shapely geometry in a key, as the map writes it (`geojson_geometry`: a point's
    coordinates take 1.5 µs, `shapely.to_wkb` 15 a call). Any other type is an error."""
    if isinstance(value, shapely.Geometry):
        return geojson_geometry(value)
    raise TypeError(f"{type(value).__name__} cannot be part of a feature cache key")
