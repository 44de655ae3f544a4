"""geomap: news articles → a layered map of places, troop figures and movements.

Importing geomap does no I/O; data are loaded when first used.
"""

from geomap.articles import Article, read_articles
from geomap.exceptions import GeomapError, GeomapWarning
from geomap.figures import Movement, TroopFigure, movements, troop_figures
from geomap.gazetteer import Gazetteer, Place, default_gazetteer, load_gazetteer
from geomap.geoparse import Mention, geoparse

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Gazetteer",
    "GeomapError",
    "GeomapWarning",
    "Mention",
    "Movement",
    "Place",
    "TroopFigure",
    "__version__",
    "default_gazetteer",
    "geoparse",
    "load_gazetteer",
    "movements",
    "read_articles",
    "troop_figures",
]
