"""Per-article results kept between builds, so a rebuild redoes only new or changed articles.

One SQLite file under the output folder holds, per article file, the content hash,
the version of geomap and gazetteer that processed it, the file's stamp (size, inode,
times: `geomap.articles.file_stamp`) and two pickles: its mentions, and its summary
(the article, its places counted, troop figures, movements: what the join needs). A
rebuild does not read again a file whose stamp is unchanged, and loads only the
summaries: a thousand articles' mentions took five times as long to unpickle. A
long-lived process keeps the summaries it loaded for its next rebuild (`_kept`).
Processing an article is a pure function of (article, gazetteer), so a stored result
stays right until the file, geomap's code or the gazetteer changes.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import sqlite3
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from geomap.articles import Article, file_stamp
from geomap.exceptions import GeomapWarning, OutputError
from geomap.figures import Movement, TroopFigure
from geomap.geoparse import Mention
from geomap.tally import PlaceCount, count_places

STORE_NAME = ".geomap-store.sqlite"
#: The table's layout and how its blobs are pickled (SQLite's ``user_version``): a store of
#: another layout is emptied, as its rows would all be processed again anyway.
ROW_FORMAT = 4
#: The summary comes before the mentions, so that reading it skips their pages.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    stamp TEXT,
    summary BLOB NOT NULL,
    mentions BLOB NOT NULL
)
"""


#: The summaries this process read back, by store, article path and row (sha256, version,
#: stamp): a long-lived process (`geomap watch`, a notebook) does not unpickle a thousand
#: again for each rebuild (~40 ms). A row rewritten by any process has another key; the
#: summaries of one store are those its last `Store.compare` used, no more.
_kept: dict[tuple[str | None, ...], ArticleSummary] = {}


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
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:  # a file of that name, a folder geomap may not write into
            why = "a file" if isinstance(err, FileExistsError) else err.strerror.lower()
            raise OutputError(
                f"cannot use {folder} as the output folder ({why}): give --out a folder "
                "geomap may write into"
            ) from err
        if fresh:
            self.path.unlink(missing_ok=True)
        elif not self.path.exists() and (folder / "places.geojson").exists():
            warnings.warn(
                f"{self.path} is missing: every article is processed again",
                GeomapWarning,
                stacklevel=2,
            )
        self._db = self._connect()
        self._rows: dict[str, _Row] | None = None  # read once, when first needed
        self._blobs: dict[str, bytes] | None = None  # the summaries, likewise
        self._loaded: dict[str, ArticleSummary | None] = {}  # the summaries, once unpickled
        self._restamp: list[tuple[str, str]] = []  # (stamp, path) of files read but unchanged
        self._kept: dict[tuple[str | None, ...], ArticleSummary] = {}  # what goes into `_kept`

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
            try:
                self.path.unlink(missing_ok=True)
                return _open(self.path)
            except (OSError, sqlite3.DatabaseError) as again:  # not even a new one
                raise OutputError(
                    f"cannot write the store {self.path} ({again}): give --out a folder "
                    "geomap may write into"
                ) from again

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known(self, path: str | Path) -> Article | None:
        """The stored article of the file at ``path`` when the file has the same
        `file_stamp` as when it was read, and geomap the same version: it need not be
        read again. None otherwise: read it."""
        key = os.path.abspath(path)
        row = self._index().get(key)
        if row is None or row.version != self.version or row.stamp is None:
            return None
        try:
            if file_stamp(path) != row.stamp:
                return None
        except OSError:
            return None
        stored = self._stored(key, path)
        return None if stored is None else stored.article

    def compare(self, articles: Sequence[Article]) -> Changes:
        """Sort ``articles`` into new, changed and unchanged; list stored ones now gone."""
        stored = dict(self._index())
        changes = Changes()
        for article in articles:
            key = _key(article)
            row = stored.pop(key, None)
            same = row is not None and (row.sha256, row.version) == (article.sha256, self.version)
            summary = self._stored(key, article.path) if same else None
            if row is None:
                changes.new.append(article)
            elif summary is None:
                changes.changed.append(article)
            elif summary.article is article:  # `known` gave it
                changes.unchanged.append(summary)
            else:  # read, as it had no stamp or another: keep its stamp now
                changes.unchanged.append(dataclasses.replace(summary, article=article))
                if article.stamp is not None:
                    self._restamp.append((article.stamp, key))
        changes.removed.extend(sorted(stored))
        # What this build read back is all that is kept of this store for the next one.
        for kept_as in [k for k in _kept if k[0] == str(self.path) and k not in self._kept]:
            del _kept[kept_as]
        _kept.update(self._kept)
        return changes

    def _index(self) -> dict[str, _Row]:
        if self._rows is None:
            query = "SELECT path, sha256, version, stamp FROM results"
            self._rows = {path: _Row(*rest) for path, *rest in self._db.execute(query)}
        return self._rows

    def _stored(self, key: str, path: str | Path) -> ArticleSummary | None:
        """The stored summary of the article at ``path``, or None, with a warning, when
        the row cannot be read back."""
        if key in self._loaded:
            return self._loaded[key]
        kept_as = self._kept_as(path, self._index()[key])
        summary = _kept.get(kept_as)
        if summary is None:
            summary = self._unpickled(key, path)
        if summary is not None:
            self._kept[kept_as] = summary
        self._loaded[key] = summary
        return summary

    def _unpickled(self, key: str, path: str | Path) -> ArticleSummary | None:
        if self._blobs is None:
            self._blobs = dict(self._db.execute("SELECT path, summary FROM results"))
        try:
            (id_, date, title, text, sha256, stamp), *rest = pickle.loads(self._blobs[key])
            article = Article(id_, date, title, text, sha256, Path(path), stamp)
            return ArticleSummary(article, *rest)
        except Exception as err:  # a damaged row: redo that article only
            warnings.warn(
                f"stored result of {path} unreadable ({err}); processing it again",
                GeomapWarning,
                stacklevel=5,
            )
            return None

    def update(self, results: Iterable[ArticleResult], removed: Iterable[str]) -> None:
        """Save new results and forget removed articles, in one transaction; keep the new
        stamps of files `compare` found unchanged."""
        results = list(results)
        self._rows = self._blobs = None
        self._loaded.clear()
        with self._db:
            self._db.executemany("UPDATE results SET stamp = ? WHERE path = ?", self._restamp)
            self._restamp.clear()
            self._db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?)",
                [
                    (_key(r.article), r.article.sha256, self.version, r.article.stamp, *_pickled(r))
                    for r in results
                ],
            )
            self._db.executemany("DELETE FROM results WHERE path = ?", [(p,) for p in removed])
        for r in results:  # kept as `_stored` would read them back at the next rebuild
            row = _Row(r.article.sha256, self.version, r.article.stamp)
            _kept[self._kept_as(r.article.path, row)] = r.summary

    def _kept_as(self, path: str | Path, row: _Row) -> tuple[str | None, ...]:
        """The key in `_kept` of the summary of ``path`` held in ``row``."""
        return (str(self.path), str(path), *row)


class _Row(NamedTuple):
    sha256: str
    version: str
    stamp: str | None


def _open(path: Path) -> sqlite3.Connection:
    """The store at ``path``, emptied first when it has another `ROW_FORMAT`.

    Written without waiting for the disk (``synchronous`` off: a rebuild's commit took
    3-14 ms, 1-2 so): the store only saves work, a crash of this program still leaves
    it whole (SQLite's journal), and one the machine's crash damages is started afresh
    with a warning like any unreadable store.
    """
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    if db.execute("PRAGMA user_version").fetchone()[0] != ROW_FORMAT:
        with db:
            db.execute("DROP TABLE IF EXISTS results")
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version = {ROW_FORMAT}")
    db.execute("SELECT path, sha256, version FROM results LIMIT 1").fetchall()
    return db


def _article_fields(article: Article) -> tuple:
    """The article as `Article` takes it, but its path (the row's): a pickled `Path` took
    longer to load than reading the file."""
    return (article.id, article.date, article.title, article.text, article.sha256, article.stamp)


def _key(article: Article) -> str:
    return os.path.abspath(article.path)


def _pickled(result: ArticleResult) -> tuple[bytes, bytes]:
    """The summary's and the mentions' blobs."""
    summary = result.summary
    article = _article_fields(summary.article)
    kept = (article, summary.places, summary.mentions, summary.figures, summary.movements)
    return pickle.dumps(kept, protocol=5), pickle.dumps(result.mentions, protocol=5)
