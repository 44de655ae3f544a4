"""geomap: news articles → a layered map of places (and, later, troop figures).

Importing geomap does no I/O; data are loaded when first used.
"""

from geomap.articles import Article, read_articles
from geomap.exceptions import GeomapError, GeomapWarning
from geomap.gazetteer import Gazetteer, Place, default_gazetteer, load_gazetteer
from geomap.geoparse import Mention, geoparse

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Gazetteer",
    "GeomapError",
    "GeomapWarning",
    "Mention",
    "Place",
    "__version__",
    "default_gazetteer",
    "geoparse",
    "load_gazetteer",
    "read_articles",
]
