"""Geocoders behind geopy's interface: the embedded gazetteer, and opt-in online services.

Choosing a geocoder is one parameter (``None | str | Geocoder``): None is the
offline gazetteer; a geopy service name ("nominatim", "photon", …) gets that
service wrapped in geopy's `RateLimiter`, a persistent on-disk cache and a
fallback to the gazetteer, so a failing service never breaks a build.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from geomap.exceptions import GeocoderServiceError
from geomap.files import write_whole
from geomap.gazetteer import Gazetteer, Place, cache_dir, default_gazetteer

log = logging.getLogger(__name__)
USER_AGENT = "geomap (https://pypi.org/project/geomap)"


def place_location(place: Place) -> Location:
    """A gazetteer place as a geopy `Location`; ``raw`` keeps the place's fields."""
    return Location(place.name, (place.lat, place.lon), dataclasses.asdict(place))


class GazetteerGeocoder(Geocoder):
    """The embedded gazetteer as a geopy geocoder: no network, no rate limit."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        super().__init__(user_agent=USER_AGENT)
        self._gazetteer = gazetteer

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    def geocode(
        self, query: str, *, exactly_one: bool = True, country_codes: str | list[str] | None = None
    ):
        """Places named ``query`` (largest first), optionally only in ``country_codes``."""
        places = self.gazetteer.lookup(query)
        if country_codes:
            codes = {country_codes} if isinstance(country_codes, str) else set(country_codes)
            places = [p for p in places if p.country in {c.upper() for c in codes}]
        locations = [place_location(p) for p in places]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None

    def reverse(self, query, *, exactly_one=True):
        raise NotImplementedError("the embedded gazetteer does not reverse-geocode")


class CachedGeocoder(Geocoder):
    """An online geopy geocoder with a persistent cache, rate limiting and a fallback.

    Answers (misses too) are stored in a JSON file so a rebuild asks the service
    nothing it asked before. Any `GeopyError` is logged and answered by ``fallback``.
    """

    def __init__(
        self,
        service: Geocoder,
        cache_path: Path,
        *,
        fallback: Geocoder,
        min_delay_seconds: float = 1.0,
    ) -> None:
        super().__init__(user_agent=USER_AGENT)
        self.service = service
        self.fallback = fallback
        self.cache_path = cache_path
        self._cache: dict[str, list | None] = _read_cache(cache_path)
        self._geocode = RateLimiter(
            service.geocode,
            min_delay_seconds=min_delay_seconds,
            max_retries=1,
            swallow_exceptions=False,
        )

    def geocode(self, query: str, *, exactly_one: bool = True, **kwargs):
        key = " ".join(query.split()).casefold()
        if key not in self._cache:
            try:
                found = self._geocode(query, exactly_one=True, **kwargs)
            except GeopyError as err:
                log.warning(
                    "geocoder %s failed for %r (%s); using the gazetteer",
                    type(self.service).__name__,
                    query,
                    err,
                )
                return self.fallback.geocode(query, exactly_one=exactly_one)
            self._cache[key] = (
                None if found is None else [found.address, found.latitude, found.longitude]
            )
            _write_cache(self.cache_path, self._cache)
        cached = self._cache[key]
        if cached is None:
            return None
        location = Location(cached[0], (cached[1], cached[2]), {"cached": True})
        return location if exactly_one else [location]

    def reverse(self, query, *, exactly_one=True):
        raise NotImplementedError("geomap only geocodes names")


def get_geocoder(
    spec: None | str | Geocoder = None, *, gazetteer: Gazetteer | None = None, **options
) -> Geocoder:
    """The geocoder named by ``spec``: None/"gazetteer" (offline), a geopy service name, or one.

    Online services are opt-in: the build never picks one by itself.
    """
    offline = GazetteerGeocoder(gazetteer)
    if spec is None or spec == "gazetteer":
        return offline
    if isinstance(spec, Geocoder):
        return spec
    try:
        service_class = get_geocoder_for_service(spec)
    except GeopyError as err:
        raise GeocoderServiceError(
            f"geocoder {spec!r} is unknown; use 'gazetteer' or a geopy service name such as "
            "'nominatim', 'photon' or 'arcgis'"
        ) from err
    options.setdefault("user_agent", os.environ.get("GEOMAP_USER_AGENT", USER_AGENT))
    service = service_class(**options)
    return CachedGeocoder(service, cache_dir() / f"geocode-{spec}.json", fallback=offline)


def _read_cache(path: Path) -> dict[str, list | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning("geocoder cache %s unreadable (%s); starting a new one", path, err)
        return {}


def _write_cache(path: Path, cache: dict) -> None:
    try:
        write_whole(path, json.dumps(cache, ensure_ascii=False, sort_keys=True))
    except OSError as err:
        log.warning("cannot write geocoder cache %s (%s)", path, err)
