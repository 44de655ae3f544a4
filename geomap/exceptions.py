"""The errors and warnings geomap raises.

Each error also inherits the builtin it refines, so callers that catch
``ValueError`` or ``FileNotFoundError`` keep working.
"""


class GeomapError(Exception):
    """Base class of every error geomap raises on purpose."""


class InputNotFoundError(GeomapError, FileNotFoundError):
    """An input path given by the user does not exist."""


class NoArticlesError(GeomapError, ValueError):
    """The inputs hold no readable article."""


class DataError(GeomapError, RuntimeError):
    """A data file geomap ships with is missing or malformed."""


class GeocoderServiceError(GeomapError, ValueError):
    """A geocoder was asked for by a name geomap does not know."""


class OutputError(GeomapError, ValueError):
    """An output was asked for in a form geomap cannot write."""


class AssetError(GeomapError, RuntimeError):
    """The JavaScript and CSS files inlined into a map are missing and cannot be fetched."""


class UsageError(GeomapError, ValueError):
    """A command was given arguments that do not go together."""


class EvaluationError(GeomapError, ValueError):
    """A gold or prediction file for scoring is malformed, or the two do not fit together."""


class GeomapWarning(UserWarning):
    """A soft problem (an article without a date, undecodable bytes…), collected in the report."""
