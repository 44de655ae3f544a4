"""Per-article results kept between builds, so a rebuild redoes only new or changed articles.

One SQLite file under the output folder holds, per article file, the content hash,
the version of geomap and gazetteer that processed it, and its pickled mentions,
troop figures and movements (the article itself is read again at each build).
Processing an article is a pure function of (article, gazetteer), so a stored result
stays right until the file, geomap's code or the gazetteer changes.
"""

from __future__ import annotations

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

STORE_NAME = ".geomap-store.sqlite"
#: How a result is pickled; part of each row's version, so rows of another layout are redone.
ROW_FORMAT = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    result BLOB NOT NULL
)
"""


@dataclass(frozen=True)
class ArticleResult:
    """What one article yields: its mentions, troop figures and movements."""

    article: Article
    mentions: tuple[Mention, ...]
    figures: tuple[TroopFigure, ...]
    movements: tuple[Movement, ...]


@dataclass(frozen=True)
class Changes:
    """How the articles of this build compare with the stored results."""

    new: list[Article] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    unchanged: list[ArticleResult] = field(default_factory=list)
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
        self.version = f"{version}-r{ROW_FORMAT}"
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
            db = sqlite3.connect(self.path)
            db.execute(_SCHEMA)
            db.execute("SELECT path, sha256, version FROM results LIMIT 1").fetchall()
            return db
        except sqlite3.DatabaseError as err:
            warnings.warn(
                f"{self.path} is unreadable ({err}): starting a new store, every article is "
                "processed again",
                GeomapWarning,
                stacklevel=3,
            )
            self.path.unlink(missing_ok=True)
            db = sqlite3.connect(self.path)
            db.execute(_SCHEMA)
            return db

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

    def _load(self, articles: Sequence[Article]) -> list[ArticleResult | None]:
        """The stored results of ``articles`` (None where a row cannot be read back)."""
        wanted = {_key(a): a for a in articles}
        blobs = {
            path: blob
            for path, blob in self._db.execute("SELECT path, result FROM results")
            if path in wanted
        }
        results: list[ArticleResult | None] = []
        for key, article in wanted.items():
            try:
                results.append(ArticleResult(article, *pickle.loads(blobs[key])))
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
                "INSERT OR REPLACE INTO results (path, sha256, version, result) VALUES (?,?,?,?)",
                [(_key(r.article), r.article.sha256, self.version, _pickled(r)) for r in results],
            )
            self._db.executemany("DELETE FROM results WHERE path = ?", [(p,) for p in removed])


def _key(article: Article) -> str:
    return os.path.abspath(article.path)


def _pickled(result: ArticleResult) -> bytes:
    return pickle.dumps((result.mentions, result.figures, result.movements), protocol=5)
