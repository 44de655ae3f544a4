"""Per-article results kept between builds, so a rebuild redoes only new or changed articles.

One SQLite file under the output folder holds, per article file, the content hash,
the version of geomap and gazetteer that processed it, and two pickles: its mentions,
and its summary (places counted, troop figures, movements: what the join needs). The
article itself is read again at each build. A rebuild loads only the summaries: a
thousand articles' mentions took five times as long to unpickle. Processing an article
is a pure function of (article, gazetteer), so a stored result stays right until the
file, geomap's code or the gazetteer changes.
"""

from __future__ import annotations

import functools
import os
import pickle
import sqlite3
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geomap.articles import Article
from geomap.exceptions import GeomapWarning
from geomap.figures import Movement, TroopFigure
from geomap.geoparse import Mention
from geomap.tally import PlaceCount, count_places

STORE_NAME = ".geomap-store.sqlite"
#: The table's layout and how its blobs are pickled (SQLite's ``user_version``): a store of
#: another layout is emptied, as its rows would all be processed again anyway.
ROW_FORMAT = 3
#: The summary comes before the mentions, so that reading it skips their pages.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    summary BLOB NOT NULL,
    mentions BLOB NOT NULL
)
"""


@dataclass(frozen=True)
class ArticleResult:
    """What one article yields: its mentions, troop figures and movements."""

    article: Article
    mentions: tuple[Mention, ...]
    figures: tuple[TroopFigure, ...]
    movements: tuple[Movement, ...]

    @functools.cached_property
    def summary(self) -> ArticleSummary:
        return ArticleSummary(
            self.article,
            tuple(count_places(self.mentions)),
            len(self.mentions),
            self.figures,
            self.movements,
        )


@dataclass(frozen=True)
class ArticleSummary:
    """What the join needs of one article: its places counted (`geomap.tally`), how many
    mentions it has, its troop figures and movements."""

    article: Article
    places: tuple[PlaceCount, ...]
    mentions: int
    figures: tuple[TroopFigure, ...]
    movements: tuple[Movement, ...]


@dataclass(frozen=True)
class Changes:
    """How the articles of this build compare with the stored results."""

    new: list[Article] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    unchanged: list[ArticleSummary] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def to_process(self) -> list[Article]:
        return [*self.new, *self.changed]

    def summary(self) -> str:
        total = len(self.new) + len(self.changed) + len(self.unchanged)
        return (
            f"articles: {total} ({len(self.new)} new, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed)"
        )


class Store:
    """The results of earlier builds into one output folder.

    A missing or unreadable store is not an error: the build starts from scratch
    with a `GeomapWarning` (only a warning when earlier outputs show there was one).
    ``fresh`` discards what the store holds, on purpose and without a warning.
    """

    def __init__(self, folder: Path, version: str, *, fresh: bool = False) -> None:
        self.path = folder / STORE_NAME
        self.version = version
        folder.mkdir(parents=True, exist_ok=True)
        if fresh:
            self.path.unlink(missing_ok=True)
        elif not self.path.exists() and (folder / "places.geojson").exists():
            warnings.warn(
                f"{self.path} is missing: every article is processed again",
                GeomapWarning,
                stacklevel=2,
            )
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            return _open(self.path)
        except sqlite3.DatabaseError as err:
            warnings.warn(
                f"{self.path} is unreadable ({err}): starting a new store, every article is "
                "processed again",
                GeomapWarning,
                stacklevel=3,
            )
            self.path.unlink(missing_ok=True)
            return _open(self.path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compare(self, articles: Sequence[Article]) -> Changes:
        """Sort ``articles`` into new, changed and unchanged; list stored ones now gone."""
        stored = {
            path: (sha256, version)
            for path, sha256, version in self._db.execute(
                "SELECT path, sha256, version FROM results"
            )
        }
        changes = Changes()
        keep: list[Article] = []
        for article in articles:
            known = stored.pop(_key(article), None)
            if known is None:
                changes.new.append(article)
            elif known != (article.sha256, self.version):
                changes.changed.append(article)
            else:
                keep.append(article)
        for article, result in zip(keep, self._load(keep), strict=True):
            if result is None:
                changes.changed.append(article)
            else:
                changes.unchanged.append(result)
        changes.removed.extend(sorted(stored))
        return changes

    def _load(self, articles: Sequence[Article]) -> list[ArticleSummary | None]:
        """The stored summaries of ``articles`` (None where a row cannot be read back)."""
        wanted = {_key(a): a for a in articles}
        blobs = {
            path: blob
            for path, blob in self._db.execute("SELECT path, summary FROM results")
            if path in wanted
        }
        results: list[ArticleSummary | None] = []
        for key, article in wanted.items():
            try:
                results.append(ArticleSummary(article, *pickle.loads(blobs[key])))
            except Exception as err:  # a damaged row: redo that article only
                warnings.warn(
                    f"stored result of {article.path} unreadable ({err}); processing it again",
                    GeomapWarning,
                    stacklevel=3,
                )
                results.append(None)
        return results

    def update(self, results: Iterable[ArticleResult], removed: Iterable[str]) -> None:
        """Save new results and forget removed articles, in one transaction."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?)",
                [(_key(r.article), r.article.sha256, self.version, *_pickled(r)) for r in results],
            )
            self._db.executemany("DELETE FROM results WHERE path = ?", [(p,) for p in removed])


def _open(path: Path) -> sqlite3.Connection:
    """The store at ``path``, emptied first when it has another `ROW_FORMAT`."""
    db = sqlite3.connect(path)
    if db.execute("PRAGMA user_version").fetchone()[0] != ROW_FORMAT:
        with db:
            db.execute("DROP TABLE IF EXISTS results")
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version = {ROW_FORMAT}")
    db.execute("SELECT path, sha256, version FROM results LIMIT 1").fetchall()
    return db


def _key(article: Article) -> str:
    return os.path.abspath(article.path)


def _pickled(result: ArticleResult) -> tuple[bytes, bytes]:
    """The summary's and the mentions' blobs."""
    summary = result.summary
    kept = (summary.places, summary.mentions, summary.figures, summary.movements)
    return pickle.dumps(kept, protocol=5), pickle.dumps(result.mentions, protocol=5)
