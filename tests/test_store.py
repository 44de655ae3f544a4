import pickle
import sqlite3

import pytest

from geomap import store as store_module
from geomap.articles import read_article
from geomap.exceptions import GeomapWarning, OutputError
from geomap.store import STORE_NAME, ArticleResult, Store


def result(path):
    return ArticleResult(read_article(path), (), (), ())


@pytest.fixture
def corpus(write):
    return [write(f"c/{name}.txt", f"date 2024-01-0{i + 1} Text {name}.") for i, name in
            enumerate("abc")]  # fmt: skip


def test_first_build_is_all_new_then_all_unchanged(tmp_path, corpus):
    articles = [read_article(p) for p in corpus]
    with Store(tmp_path / "out", "v1") as store:
        changes = store.compare(articles)
        assert [a.id for a in changes.new] == ["a", "b", "c"]
        store.update([ArticleResult(a, (), (), ()) for a in articles], changes.removed)
    with Store(tmp_path / "out", "v1") as store:
        again = store.compare(articles)
    assert again.summary() == "articles: 3 (0 new, 0 changed, 3 unchanged, 0 removed)"
    assert [r.article for r in again.unchanged] == articles


def test_changed_removed_and_new_files(tmp_path, corpus, write):
    with Store(tmp_path / "out", "v1") as store:
        store.update([result(p) for p in corpus], [])
    corpus[0].write_text("date 2024-01-01 Edited.")
    corpus[1].unlink()
    extra = write("c/d.txt", "date 2024-01-05 New.")
    articles = [read_article(p) for p in (corpus[0], corpus[2], extra)]
    with Store(tmp_path / "out", "v1") as store:
        changes = store.compare(articles)
    assert [a.id for a in changes.changed] == ["a"]
    assert [a.id for a in changes.new] == ["d"]
    assert [r.article.id for r in changes.unchanged] == ["c"]
    assert changes.removed == [str(corpus[1].resolve())]


def test_another_version_reprocesses_everything(tmp_path, corpus):
    with Store(tmp_path / "out", "v1") as store:
        store.update([result(p) for p in corpus], [])
    with Store(tmp_path / "out", "v2") as store:
        changes = store.compare([read_article(p) for p in corpus])
    assert len(changes.changed) == 3 and not changes.unchanged


def test_corrupt_store_starts_again_with_a_warning(tmp_path, corpus):
    out = tmp_path / "out"
    out.mkdir()
    (out / STORE_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.warns(GeomapWarning, match="unreadable"), Store(out, "v1") as store:
        changes = store.compare([read_article(p) for p in corpus])
    assert len(changes.new) == 3


def test_deleted_store_next_to_outputs_warns(tmp_path, corpus):
    out = tmp_path / "out"
    out.mkdir()
    (out / "places.geojson").write_text("{}")
    with pytest.warns(GeomapWarning, match="missing"), Store(out, "v1") as store:
        assert len(store.compare([read_article(p) for p in corpus]).new) == 3


def test_damaged_row_redoes_that_article_only(tmp_path, corpus, monkeypatch):
    with Store(tmp_path / "out", "v1") as store:
        store.update([result(p) for p in corpus], [])
    monkeypatch.setattr(store_module, "_kept", {})  # found by the next process to open it
    db = sqlite3.connect(tmp_path / "out" / STORE_NAME)
    with db:
        db.execute("UPDATE results SET summary = ? WHERE path LIKE '%b.txt'", (b"garbage",))
    db.close()
    with pytest.warns(GeomapWarning, match="b.txt"), Store(tmp_path / "out", "v1") as store:
        changes = store.compare([read_article(p) for p in corpus])
    assert [a.id for a in changes.changed] == ["b"] and len(changes.unchanged) == 2


def test_fresh_discards_without_warning(tmp_path, corpus, recwarn):
    with Store(tmp_path / "out", "v1") as store:
        store.update([result(p) for p in corpus], [])
    with Store(tmp_path / "out", "v1", fresh=True) as store:
        assert len(store.compare([read_article(p) for p in corpus]).new) == 3
    assert not [w for w in recwarn if issubclass(w.category, GeomapWarning)]


def test_store_of_an_older_layout_is_emptied_quietly(tmp_path, corpus, recwarn):
    (tmp_path / "out").mkdir()
    db = sqlite3.connect(tmp_path / "out" / STORE_NAME)
    with db:
        db.execute("CREATE TABLE results (path TEXT PRIMARY KEY, sha256, version, result BLOB)")
        db.execute("INSERT INTO results VALUES ('x', 'y', 'v1', x'00')")
    db.close()
    with Store(tmp_path / "out", "v1") as store:
        changes = store.compare([read_article(p) for p in corpus])
    assert len(changes.new) == 3 and not changes.removed  # the old row is gone, not "removed"
    assert not [w for w in recwarn if issubclass(w.category, GeomapWarning)]


def test_a_long_lived_process_unpickles_a_stored_summary_once(tmp_path, corpus, monkeypatch):
    out = tmp_path / "out"
    with Store(out, "v1") as store:
        store.update([result(p) for p in corpus], [])
    unpickled = []
    loads = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda blob: unpickled.append(blob) or loads(blob))

    def compare(paths):
        unpickled.clear()
        with Store(out, "v1") as store:
            return store.compare([read_article(p) for p in paths])

    assert compare(corpus).summary().endswith("3 unchanged, 0 removed)") and unpickled == []
    monkeypatch.setattr(store_module, "_kept", {})  # a new process
    compare(corpus)
    assert len(unpickled) == 3
    second = compare(corpus)  # its next rebuild
    assert unpickled == [] and [r.article.id for r in second.unchanged] == ["a", "b", "c"]
    corpus[1].write_text("date 2024-01-02 Edited elsewhere.")
    with monkeypatch.context() as elsewhere, Store(out, "v1") as other:
        elsewhere.setattr(store_module, "_kept", {})  # another process rewrites b's row
        other.update([result(corpus[1])], [])
    third = compare(corpus)
    assert len(unpickled) == 1 and third.unchanged[1].article.text.endswith("elsewhere.")
    compare(corpus[:2])  # c deleted: nothing of it is kept
    kept = [k for k in store_module._kept if k[0] == str(out / STORE_NAME)]
    assert sorted(k[1] for k in kept) == [str(p) for p in corpus[:2]]


def test_a_store_that_cannot_be_written_is_an_output_error(tmp_path, corpus):
    (tmp_path / "out" / STORE_NAME).mkdir(parents=True)  # as a folder geomap may not write
    with pytest.warns(GeomapWarning), pytest.raises(OutputError, match="give --out a folder"):
        Store(tmp_path / "out", "v1")
