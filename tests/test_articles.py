import datetime as dt
from pathlib import Path

import pytest

from geomap.articles import (
    SUFFIXES,
    find_article_files,
    read_article,
    read_articles,
    sentence_spans,
)
from geomap.exceptions import GeomapWarning, InputNotFoundError, NoArticlesError


def test_seed_inline_date_title_and_hash(write):
    path = write("a.txt", " date 2023-09-08 The Pentagon is moving troops. More text.")
    article = read_article(path)
    assert article.date == dt.date(2023, 9, 8)
    assert article.text.startswith("The Pentagon")
    assert article.title == "The Pentagon is moving troops."
    assert len(article.sha256) == 64
    assert article.id == "a"


@pytest.mark.parametrize("header", ["2023-09-08\n", "Date: 2023-09-08\n", "date 2023-09-08\n"])
def test_date_alone_on_first_line(write, header):
    article = read_article(write("a.txt", header + "Troops left Mali."))
    assert article.date == dt.date(2023, 9, 8)
    assert article.text == "Troops left Mali."


@pytest.mark.parametrize(
    "header",
    ["Date: 8 September 2023\n", "date Sept. 8, 2023\n", "DATE: Sep 8 2023\n", "date 8 sep 2023"],
)
def test_a_date_with_the_months_name_alone_on_the_first_line(write, header):
    article = read_article(write("a.txt", header + "\nTroops left Mali."))
    assert article.date == dt.date(2023, 9, 8)
    assert article.text == "Troops left Mali."


def test_a_first_line_about_dates_is_text(write):
    with pytest.warns(GeomapWarning, match="no date found"):
        article = read_article(write("a.txt", "Date palms grew near Gao in May 2023.\n"))
    assert article.text.startswith("Date palms")
    with pytest.warns(GeomapWarning) as caught:
        assert read_article(write("b.txt", "Date: 31 Sept 2023\nText.")).text == "Text."
    assert "invalid date '31 Sept 2023'" in str(caught[0].message)


def test_windows_line_ends_read_as_any_others(write):
    written = b"Date: 8 September 2023\r\n\r\nTroops left.\r\nMore.\r\n"
    article = read_article(write("a.txt", written))
    assert article.date == dt.date(2023, 9, 8) and article.text == "Troops left.\nMore."
    note = read_article(write("b.md", b"---\r\ntitle: T\r\ndate: 2023-09-08\r\n---\r\nText.\r\n"))
    assert (note.title, note.date, note.text) == ("T", dt.date(2023, 9, 8), "Text.")


def test_missing_date_warns_and_keeps_article(write):
    with pytest.warns(GeomapWarning, match="no date"):
        article = read_article(write("a.txt", "Troops left Mali."))
    assert article.date is None


def test_invalid_date_warns(write):
    with pytest.warns(GeomapWarning) as caught:
        article = read_article(write("a.txt", "date 2023-13-45 Troops left Mali."))
    assert "invalid date '2023-13-45'" in str(caught[0].message)
    assert article.date is None and article.text == "Troops left Mali."


def test_empty_file_is_skipped_with_warning(write):
    with pytest.warns(GeomapWarning, match="empty"):
        assert read_article(write("a.txt", "  \n")) is None


def test_a_file_gone_before_it_is_read_is_skipped_with_warning(write, monkeypatch):
    kept, gone = write("kept.txt", "date 2024-01-01 Kept."), write("gone.txt", "Gone.")
    real = read_article

    def listed_then_deleted(path):  # as an editor's temporary file between listing and reading
        if path == gone:
            gone.unlink()
        return real(path)

    monkeypatch.setattr("geomap.articles.read_article", listed_then_deleted)
    with pytest.warns(GeomapWarning, match="gone.txt: cannot be read .No such file"):
        articles = read_articles([kept.parent])
    assert [a.id for a in articles] == ["kept"]


def test_cp1252_and_undecodable_bytes(write):
    with pytest.warns(GeomapWarning, match="cp1252"):
        article = read_article(write("a.txt", "date 2023-01-01 Caf\xe9 in Niamey".encode("cp1252")))
    assert "Café" in article.text
    with pytest.warns(GeomapWarning, match="undecodable"):
        article = read_article(write("b.txt", b"date 2023-01-01 Niamey \x81\x8d\x8f\x90\x9d ok"))
    assert "\ufffd" in article.text and "Niamey" in article.text


def test_markdown_heading_is_title_and_markup_removed(write):
    article = read_article(
        write("a.md", "date 2023-02-02\n# Troops in **Niger**\n\nSee [the report](http://x).")
    )
    assert article.title == "Troops in Niger"
    assert "**" not in article.text and "http://x" not in article.text


def test_markdown_front_matter_gives_title_and_date(write):
    note = "---\ntitle: 'Niger: an update'\ndate: 2023-09-08T10:00:00Z\ntags: [sahel]\n---\n"
    article = read_article(write("a.md", note + "\nTroops stayed in Agadez.\n"))
    assert (article.title, article.date) == ("Niger: an update", dt.date(2023, 9, 8))
    assert article.text == "Troops stayed in Agadez."
    with pytest.warns(GeomapWarning, match="no date found"):  # a date that is none
        undated = read_article(write("b.md", "---\ndate: soon\n---\nTroops stayed."))
    assert undated.date is None and undated.text == "Troops stayed."
    named = read_article(write("d.md", "---\ndate: September 8, 2023\n---\nText."))
    assert named.date == dt.date(2023, 9, 8)
    plain = read_article(write("c.txt", "date 2023-01-01\n---\ntitle: x\n---\nText."))
    assert "title: x" in plain.text  # front matter is Markdown's


def test_html_text_title_and_meta_date(write):
    html = (
        "<html><head><title>Site | News</title><meta name='date' content='2022-05-06'>"
        "<script>var niger = 1;</script><style>p{}</style></head><body><h1>Coup in Niger</h1>"
        "<p>Troops &amp; tanks moved to Niamey.</p></body></html>"
    )
    article = read_article(write("a.html", html))
    assert article.date == dt.date(2022, 5, 6)
    assert article.title == "Coup in Niger"
    assert "Troops & tanks moved to Niamey." in article.text
    assert "var niger" not in article.text and "p{}" not in article.text


def test_a_saved_pages_menus_and_buttons_are_not_its_text(write):
    html = (
        "<body><nav><a href='/africa'>Africa</a> | <a href='/europe'>Europe</a></nav>"
        "<h1>Troops leave Niger</h1><p>About 1,100 US troops left Niamey.</p>"
        "<button>Share on Mali Radio</button><svg><text>Chad</text></svg></body>"
    )
    article = read_article(write("a.html", "date 2023-09-08 " + html))
    assert article.text == "Troops leave Niger\n\nAbout 1,100 US troops left Niamey."


def test_folder_is_read_recursively_in_order(write, tmp_path):
    write("b/two.md", "date 2023-01-02 Two.")
    write("a/one.txt", "date 2023-01-01 One.")
    write("a/skip.json", "{}")
    assert [a.id for a in read_articles([tmp_path])] == ["one", "two"]


def test_folder_files_are_those_and_in_the_order_rglob_gives(write, tmp_path):
    """Nested and sibling names that sort differently by path and by string, links to a
    file (read), to a folder (not followed, as rglob) and to nothing, a hidden file, and
    the outputs folder left out."""
    names = ["a/b/x.txt", "a/x.txt", "a-b.md", "a.txt", "B.html", ".hidden.txt", "a/b-c/y.TXT",
             "out/map.html", "other/z.txt"]  # fmt: skip
    for name in names:
        write(name, "date 2023-01-01 Niamey.")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "folder-link").symlink_to(tmp_path / "other")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    found = find_article_files([tmp_path], outputs=tmp_path / "out")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        ".hidden.txt", "B.html", "a/b/x.txt", "a/b-c/y.TXT", "a/x.txt", "a-b.md", "a.txt",
        "link.txt", "other/z.txt",
    ]  # fmt: skip
    globbed = (p for p in tmp_path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    assert found == sorted(p for p in globbed if p.parent.name != "out")


@pytest.mark.parametrize(
    ("given", "prefix"), [(".", ""), ("./corpus/", "corpus/"), ("corpus", "corpus/")]
)
def test_listed_files_are_named_as_pathlib_joins_the_folder_given(
    write, tmp_path, monkeypatch, given, prefix
):
    """Files are listed as text, which must be what `Path` makes of the folder given
    joined with the names ("./corpus/" gives "corpus/a.txt", "." gives "a.txt"): the store
    knows an unchanged article again by that text."""
    for name in ["corpus/a.txt", "corpus/a/b.txt", "corpus/out/map.html"]:
        write(name, "date 2023-01-01 Niamey.")
    monkeypatch.chdir(tmp_path / "corpus" if given == "." else tmp_path)
    outputs = Path(prefix + "out")
    found = find_article_files([given], outputs=outputs)
    assert [str(p) for p in found] == [prefix + "a/b.txt", prefix + "a.txt"]
    assert [a.path for a in read_articles([given], outputs=outputs)] == found


def test_missing_path_and_no_articles(tmp_path):
    with pytest.raises(InputNotFoundError, match="does not exist"):
        read_articles([tmp_path / "nope"])
    with pytest.raises(NoArticlesError, match="no readable article"):
        read_articles([tmp_path])


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("One. Two.", ["One.", "Two."], "plain full stops"),
        (
            "The U.S. Army left. Then Mr. Smith spoke.",
            ["The U.S. Army left.", "Then Mr. Smith spoke."],
            "abbreviations do not end sentences",
        ),
        (
            "Heading\nBody text here.",
            ["Heading", "Body text here."],
            "a line break ends a sentence",
        ),
        ('He said "go." Then left.', ['He said "go."', "Then left."], "closing quote"),
        (
            "Since 2018, it grew. 1,100 troops stayed.",
            ["Since 2018, it grew.", "1,100 troops stayed."],
            "a sentence may start with a digit",
        ),
    ],
)
def test_sentence_spans(text, expected, why):
    assert [text[s:e] for s, e in sentence_spans(text)] == expected, why
