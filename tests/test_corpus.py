"""Incremental builds of a corpus through the command line: add, change, delete, watch."""

import contextlib
import csv
import json
import os
import re
import threading
import time

import pytest

from geomap import articles, cli, pipeline, recognise
from geomap.cli import main
from geomap.gazetteer import default_gazetteer
from geomap.geoparse import _name_facts
from geomap.store import STORE_NAME
from geomap.watch import Debouncer, watch

# Written for the tests, not copied from news.
A1 = "date 2024-01-10\nThere were 500 Italian soldiers in Niamey last week."
A2 = "date 2024-02-01\nFighting was reported near Gao in Mali."
A3 = "date 2024-03-05\nAbout 300 German troops arrived in Kidal."


def places(out):
    data = json.loads((out / "places.geojson").read_text())
    return {f["properties"]["name"]: f["properties"]["mentions"] for f in data["features"]}


def figures(out):
    with (out / "figures.csv").open(newline="", encoding="utf-8") as handle:
        return {
            (r["article"], r["actor"], r["count"], r["location"]) for r in csv.DictReader(handle)
        }


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a1.txt").write_text(A1)
    (folder / "a2.txt").write_text(A2)
    return folder


def build(corpus, out, *extra):
    assert main(["build", str(corpus), "--out", str(out), *extra]) == 0


@pytest.fixture
def counted(monkeypatch):
    """The articles processed during a build (the serial path calls this per article)."""
    seen = []
    real = pipeline.process_article

    def spy(article, gazetteer):
        seen.append(article.id)
        return real(article, gazetteer)

    monkeypatch.setattr(pipeline, "process_article", spy)
    return seen


def test_adding_an_article_adds_exactly_its_places_and_figures(corpus, tmp_path, counted, caplog):
    out = tmp_path / "out"
    build(corpus, out)
    before_places, before_figures = places(out), figures(out)
    counted.clear()
    (corpus / "a3.txt").write_text(A3)
    build(corpus, out)
    assert counted == ["a3"]
    assert "articles: 3 (1 new, 0 changed, 2 unchanged, 0 removed)" in caplog.text
    assert places(out) == {**before_places, "Kidal": 1}
    assert figures(out) == before_figures | {("a3", "Germany", "300", "Kidal")}


def test_changing_an_article_replaces_its_results(corpus, tmp_path, counted):
    out = tmp_path / "out"
    build(corpus, out)
    assert ("a1", "Italy", "500", "Niamey") in figures(out)
    counted.clear()
    (corpus / "a1.txt").write_text(A1.replace("Niamey", "Agadez"))
    build(corpus, out)
    assert counted == ["a1"]
    assert "Niamey" not in places(out) and places(out)["Agadez"] == 1
    assert figures(out) == {("a1", "Italy", "500", "Agadez")}
    assert {"Gao", "Mali"} <= set(places(out))


def test_deleting_an_article_drops_its_results(corpus, tmp_path, caplog):
    out = tmp_path / "out"
    build(corpus, out)
    (corpus / "a2.txt").unlink()
    build(corpus, out)
    assert "(0 new, 0 changed, 1 unchanged, 1 removed)" in caplog.text
    assert set(places(out)) == {"Niamey"}


def test_second_build_without_change_processes_nothing(corpus, tmp_path, counted, caplog):
    out = tmp_path / "out"
    build(corpus, out)
    first = (out / "places.geojson").read_text()
    counted.clear()
    build(corpus, out)
    assert counted == []
    assert "articles: 2 (0 new, 0 changed, 2 unchanged, 0 removed)" in caplog.text
    assert (out / "places.geojson").read_text() == first


@pytest.fixture
def read(monkeypatch):
    """The article files read during a build."""
    seen = []
    real = articles.read_article

    def spy(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(articles, "read_article", spy)
    return seen


def test_a_rebuild_reads_only_files_whose_stamp_changed(
    corpus, tmp_path, read, counted, monkeypatch
):
    monkeypatch.setattr(articles, "RACY_NS", 0)  # the files are not too fresh to trust
    out = tmp_path / "out"
    build(corpus, out)
    assert sorted(read) == ["a1.txt", "a2.txt"]
    read.clear()
    counted.clear()
    build(corpus, out)
    assert read == [] and counted == []
    # Same size, modification time set back: the status change time still tells.
    status = (corpus / "a1.txt").stat()
    (corpus / "a1.txt").write_text(A1.replace("Niamey", "Agadez"))
    os.utime(corpus / "a1.txt", ns=(status.st_atime_ns, status.st_mtime_ns))
    build(corpus, out)
    assert read == ["a1.txt"] and counted == ["a1"]
    assert "Agadez" in places(out) and "Niamey" not in places(out)


def test_files_changed_just_before_a_build_are_read_again(
    corpus, tmp_path, read, counted, monkeypatch
):
    out = tmp_path / "out"
    monkeypatch.setattr(articles, "RACY_NS", 3600 * 10**9)  # written "just now", however slow
    build(corpus, out)
    read.clear()
    counted.clear()
    build(corpus, out)  # within RACY_NS of their writing: their stamps are not trusted
    assert sorted(read) == ["a1.txt", "a2.txt"] and counted == []  # read, found unchanged
    read.clear()
    monkeypatch.setattr(articles, "RACY_NS", 0)  # now they are old enough
    build(corpus, out)
    assert sorted(read) == ["a1.txt", "a2.txt"]  # read once more, and their stamps kept
    read.clear()
    build(corpus, out)
    assert read == []


def test_a_build_with_nothing_new_writes_nothing(corpus, tmp_path, caplog):
    out = tmp_path / "out"
    build(corpus, out, "--format", "png")

    def stamps():
        return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if not p.name.startswith(".")}

    first = stamps()
    assert {"map.html", "map.png", "places.geojson", "figures.csv"} <= set(first)
    caplog.clear()
    build(corpus, out, "--format", "png")
    assert "up to date: nothing to write" in caplog.text
    assert stamps() == first
    # Another option, a lost output or a changed article: written again.
    build(corpus, out, "--format", "png", "--title", "Sahel forces")
    assert "Sahel forces" in (out / "map.html").read_text()
    (out / "map.png").unlink()
    build(corpus, out, "--format", "png", "--title", "Sahel forces")
    assert (out / "map.png").exists()
    caplog.clear()
    (corpus / "a2.txt").write_text(A2.replace("Gao", "Kidal"))
    build(corpus, out, "--format", "png", "--title", "Sahel forces")
    assert "up to date" not in caplog.text and "Kidal" in places(out)


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_lost_store_rebuilds_from_scratch_with_a_warning(corpus, tmp_path, counted, caplog, damage):
    out = tmp_path / "out"
    build(corpus, out)
    first = (out / "places.geojson").read_text()
    if damage == "delete":
        (out / STORE_NAME).unlink()
    else:
        (out / STORE_NAME).write_bytes(b"\x00" * 4096)
    counted.clear()
    build(corpus, out)
    assert sorted(counted) == ["a1", "a2"]
    assert "processed again" in caplog.text
    assert (out / "places.geojson").read_text() == first


def test_a_pool_of_processes_gives_the_same_results(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(24):
        (folder / f"n{i:02}.txt").write_text(A1 if i % 2 else A3)
    build(folder, tmp_path / "one", "--jobs", "1")
    build(folder, tmp_path / "two", "--jobs", "2")
    assert places(tmp_path / "one") == places(tmp_path / "two") == {"Niamey": 12, "Kidal": 12}
    assert figures(tmp_path / "one") == figures(tmp_path / "two")


def test_a_pool_starts_with_the_geoparsing_tables_loaded_here(tmp_path):
    for cached in (recognise._person_names, recognise.person_name, _name_facts):
        cached.cache_clear()  # as in a process that has geoparsed nothing
    articles_ = [
        articles.Article(f"n{i}", None, "", A1, "", tmp_path / f"n{i}.txt") for i in range(16)
    ]
    results = pipeline.process_articles(articles_, default_gazetteer(), jobs=2)
    assert [r.article.id for r in results] == [a.id for a in articles_]
    # Loaded before the workers were forked: shared with them, and here for the next rebuild.
    assert recognise._person_names.cache_info().currsize == 1


def test_add_copies_new_files_and_refuses_duplicates(corpus, tmp_path, caplog):
    out, incoming = tmp_path / "out", tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a3.txt").write_text(A3)
    (incoming / "a1.txt").write_text("date 2024-04-01\nTroops left Gao.")  # a taken name
    (incoming / "copy.txt").write_text(A2)  # content already in the corpus
    assert main(["add", *map(str, sorted(incoming.iterdir())), "--corpus", str(corpus),
                 "--out", str(out)]) == 0  # fmt: skip
    assert sorted(p.name for p in corpus.iterdir()) == ["a1-2.txt", "a1.txt", "a2.txt", "a3.txt"]
    assert (corpus / "a1.txt").read_text() == A1  # nothing overwritten
    assert "already in the corpus" in caplog.text
    assert "Kidal" in places(out)


def test_debouncer_fires_once_after_a_quiet_spell():
    now = [0.0]
    debouncer = Debouncer(1.0, clock=lambda: now[0])
    assert not debouncer.due()
    debouncer.event()
    now[0] = 0.5
    debouncer.event()
    now[0] = 1.4
    assert not debouncer.due()  # only 0.9 s since the last event
    now[0] = 1.6
    assert debouncer.due()
    assert not debouncer.due()  # once per burst


@contextlib.contextmanager
def watching(folder, **options):
    """`watch` of ``folder`` running in a thread; yields the times it rebuilt so far."""
    rebuilt, stop = [], threading.Event()
    thread = threading.Thread(
        target=watch, args=(folder, lambda: rebuilt.append(time.monotonic())),
        kwargs={"delay": 0.2, "poll": 0.05, "stop": stop, **options},
    )  # fmt: skip
    thread.start()
    try:
        time.sleep(0.3)  # the observer is up
        yield rebuilt
    finally:
        stop.set()
        thread.join(5)


def wait_for_rebuild(rebuilt):
    deadline = time.monotonic() + 10
    while not rebuilt and time.monotonic() < deadline:
        time.sleep(0.05)


def test_watch_rebuilds_after_a_new_article(tmp_path):
    with watching(tmp_path) as rebuilt:
        (tmp_path / "new.txt").write_text(A3)
        (tmp_path / "notes.json").write_text("{}")
        wait_for_rebuild(rebuilt)
    assert len(rebuilt) == 1


def test_watch_leaves_out_the_outputs_folder_inside_the_watched_one(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with watching(tmp_path, outputs=out) as rebuilt:
        (out / "map.html").write_text("<html>Niamey</html>")  # what a rebuild writes
        time.sleep(0.6)
        assert rebuilt == []
        (tmp_path / "new.txt").write_text(A3)
        wait_for_rebuild(rebuilt)
    assert len(rebuilt) == 1


def test_an_outputs_folder_inside_the_corpus_is_not_read_as_articles(corpus, counted, caplog):
    out = corpus / "map"
    build(corpus, out)
    first = (out / "places.geojson").read_text()
    counted.clear()
    caplog.clear()
    build(corpus, out)  # map.html and embed.html are .html files in the corpus folder now
    assert counted == [] and "articles: 2 (0 new, 0 changed, 2 unchanged" in caplog.text
    assert "up to date" in caplog.text and (out / "places.geojson").read_text() == first


def test_a_rebuild_of_watch_that_cannot_write_is_logged_and_the_next_one_works(
    corpus, tmp_path, caplog
):
    out = tmp_path / "out"
    args = cli._parser().parse_args(["watch", str(corpus), "--out", str(out), "--jobs", "1"])
    (out / "map.html").mkdir(parents=True)  # where the map cannot be written now
    cli._rebuild([corpus], args, errors_only=True)  # as the watch loop calls it
    assert "error: could not write into" in caplog.text
    (out / "map.html").rmdir()
    cli._rebuild([corpus], args, errors_only=True)
    assert "Niamey" in (out / "map.html").read_text()


def test_verbose_build_says_how_long_each_stage_took(corpus, tmp_path, caplog):
    assert main(["-v", "build", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("took ")]
    seconds = [float(s) for s in re.findall(r"(\d+\.\d+) s", line)]
    assert len(seconds) == 2 and "to join and write" in line and all(s >= 0 for s in seconds)
