"""Reading articles: files and folders of .txt, .md and .html into `Article` objects.

Every later stage works on ``Article.text`` and its character offsets, so all
markup and the date header are removed here, once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from geomap.exceptions import GeomapWarning, InputNotFoundError, NoArticlesError

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

# " date 2023-09-08 " inline before the first sentence, or "Date: 2023-09-08" / "2023-09-08"
# alone on the first line.
_DATE_HEADER = re.compile(r"\A\s*(?:date\s*:?\s*)?(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
# "Date: 8 September 2023", "date Sept. 8, 2023" alone on the first line, as pasted from a
# news site.
_NAMED_DATE_HEADER = re.compile(
    r"\A\s*date\s*:?[ \t]*(\d{1,2} [a-z]{3,9}\.? \d{4}|[a-z]{3,9}\.? \d{1,2},? \d{4})"
    r"[ \t]*(?:\n|\Z)",
    re.IGNORECASE,
)
_NAMED_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
# A Markdown file's front matter: "---" lines around "key: value" lines, at its very start.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"^(date|title)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s|\n")


#: A file whose status changed less than this long (ns) before it was read gets no
#: `Article.stamp`: a second change within the same tick of the file system's clock
#: would leave the stamp as it was (git's "racily clean" files).
RACY_NS = 1_000_000_000


@dataclass(frozen=True)
class Article:
    """One article, its text stripped of markup and of the date header.

    ``sha256`` is the hash of the file's bytes, so a rebuild can tell changed articles.
    ``stamp`` is the file's `file_stamp` taken before reading it: a rebuild that finds
    the same stamp need not read the file again. None when not read from a file.
    """

    id: str
    date: dt.date | None
    title: str
    text: str
    sha256: str
    path: Path
    stamp: str | None = None


def read_articles(
    paths: Iterable[str | Path],
    known: Callable[[str], Article | None] | None = None,
    *,
    outputs: Path | None = None,
) -> list[Article]:
    """Read every article in ``paths`` (files or folders, folders recursively, sorted),
    but those in the folder ``outputs`` (a build's map.html is no article of the next).

    ``known`` gives the article of a file (its path as text) without reading it, or
    None to read it (a store's articles whose file still has the stamp it had): a known
    file needs no `Path`, whose parsing took ~5 ms a thousand files. Unreadable or
    empty files are skipped with a `GeomapWarning`; raises `NoArticlesError` when
    nothing readable is left.
    """
    known = known or (lambda path: None)
    files = _article_files(paths, outputs)
    articles = [a for a in (known(f) or read_article(Path(f)) for f in files) if a is not None]
    if not articles:
        shown = ", ".join(str(p) for p in paths)
        raise NoArticlesError(
            f"no readable article in {shown}: give .txt, .md or .html files or folders holding them"
        )
    return articles


def find_article_files(paths: Iterable[str | Path], *, outputs: Path | None = None) -> list[Path]:
    """Expand ``paths`` to article files, leaving out the folder ``outputs`` inside a folder
    of ``paths``; raise `InputNotFoundError` for a missing path."""
    return [Path(file) for file in _article_files(paths, outputs)]


def _article_files(paths: Iterable[str | Path], outputs: Path | None) -> list[str]:
    """`find_article_files`, each path as the text of its `Path`."""
    files: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputNotFoundError(f"input path {str(path)!r} does not exist")
        if path.is_dir():
            skipped = None
            if outputs is not None and outputs.resolve().is_relative_to(path.resolve()):
                skipped = str(path / outputs.resolve().relative_to(path.resolve()))
            files.extend(_files_under(str(path), skipped))
        else:
            files.append(str(path))
    return list(dict.fromkeys(files))


def _files_under(folder: str, skipped: str | None) -> Iterator[str]:
    """The article files in ``folder`` and its subfolders but ``skipped``, as `Path.rglob`
    finds them (not through links to folders), in the order of their paths' parts, each
    as the text of its `Path` (``folder`` is one's).

    From `os.scandir`'s entries, each folder's sorted by name: a thousand files in 3 ms
    instead of 13, as no file needs a `stat` of its own and no path is parsed to sort.
    """
    try:
        with os.scandir(folder) as listed:
            entries = sorted(listed, key=lambda entry: entry.name)
    except OSError as err:  # a subfolder this user may not list
        warnings.warn(
            f"{folder}: cannot be listed ({err.strerror}); skipped", GeomapWarning, stacklevel=2
        )
        return
    for entry in entries:
        path = entry.name if folder == "." else os.path.join(folder, entry.name)  # as Path joins
        if entry.is_dir():
            if not entry.is_symlink() and path != skipped:
                yield from _files_under(path, skipped)
        elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in SUFFIXES:
            yield path


def read_jsonl_articles(path: str | Path) -> list[Article]:
    """Articles from a JSON Lines file whose lines hold ``id`` and ``text`` (evaluation corpora).

    Offsets in the results refer to ``text`` exactly as given: no header or markup is removed.
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"input file {str(path)!r} does not exist")
    articles = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                article_id, text = str(record["id"]), record["text"]
            except (ValueError, KeyError, TypeError) as err:
                raise NoArticlesError(
                    f"{path}, line {number}: expected a JSON object with 'id' and 'text' ({err})"
                ) from err
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            articles.append(Article(article_id, None, "", text, digest, path))
    return articles


def add_to_corpus(files: Iterable[str | Path], corpus: Path) -> list[Path]:
    """Copy article ``files`` into the ``corpus`` folder; return the new paths.

    A file whose content the corpus already holds is skipped with a `GeomapWarning`;
    a different file with a taken name is copied under a numbered name, so nothing
    in the corpus is overwritten.
    """
    sources = find_article_files(files)
    corpus.mkdir(parents=True, exist_ok=True)
    held = {_sha256(p): p for p in find_article_files([corpus])}
    added = []
    for source in sources:
        digest = _sha256(source)
        if digest in held:
            warnings.warn(
                f"{source}: already in the corpus as {held[digest]}; skipped",
                GeomapWarning,
                stacklevel=2,
            )
            continue
        target = _free_name(corpus / source.name)
        shutil.copy2(source, target)
        held[digest] = target
        added.append(target)
    return added


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def file_stamp(path: str | Path) -> str | None:
    """The file's size, inode, modification and status change times; None while any
    status change is younger than `RACY_NS`. Any write changes the status change time,
    which no program can set back."""
    status = os.stat(path)
    if time.time_ns() - status.st_ctime_ns < RACY_NS:
        return None
    return f"{status.st_size}:{status.st_ino}:{status.st_mtime_ns}:{status.st_ctime_ns}"


def read_article(path: Path) -> Article | None:
    """Read one article file, or return None (with a warning) when it holds no text or
    cannot be read (gone since the folder was listed, as an editor's temporary file may be,
    or not readable by this user)."""
    try:
        stamp = file_stamp(path)  # before reading: a later change gives another stamp
        data = path.read_bytes()
    except OSError as err:
        warnings.warn(
            f"{path}: cannot be read ({err.strerror}), skipped", GeomapWarning, stacklevel=2
        )
        return None
    raw = re.sub(r"\r\n?", "\n", _decode(data, path))  # Windows' (and old Macs') line ends
    if path.suffix.lower() in (".html", ".htm"):
        raw, meta_title, meta_date = _html_to_text(raw)
    elif path.suffix.lower() in (".md", ".markdown"):
        raw, meta_title, meta_date = _front_matter(raw)
    else:
        meta_title, meta_date = "", None
    date, text = _split_date(raw, path)
    date = date or meta_date
    text = text.strip()
    if not text:
        warnings.warn(f"{path}: empty article, skipped", GeomapWarning, stacklevel=2)
        return None
    if date is None:
        warnings.warn(
            f"{path}: no date found; start the file with 'date YYYY-MM-DD' so figures can be dated",
            GeomapWarning,
            stacklevel=2,
        )
    if path.suffix.lower() in (".md", ".markdown"):
        text = _strip_markdown(text)
    title = meta_title or _first_sentence(text)
    return Article(
        id=path.stem,
        date=date,
        title=title,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
        stamp=stamp,
    )


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without BOM), else Windows-1252, else UTF-8 with replacements."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            warnings.warn(f"{path}: not UTF-8, read as {encoding}", GeomapWarning, stacklevel=3)
        return text
    warnings.warn(
        f"{path}: undecodable bytes replaced with U+FFFD; save the file as UTF-8",
        GeomapWarning,
        stacklevel=3,
    )
    return data.decode("utf-8", errors="replace")


def _split_date(text: str, path: Path) -> tuple[dt.date | None, str]:
    match = _DATE_HEADER.match(text) or _NAMED_DATE_HEADER.match(text)
    if not match:
        return None, text
    date = _date(match[1])
    if date is None:
        warnings.warn(f"{path}: invalid date {match[1]!r} ignored", GeomapWarning, stacklevel=3)
    return date, text[match.end() :]


def _date(written: str) -> dt.date | None:
    """The date of "2023-09-08", "8 September 2023" or "Sept. 8, 2023"; None if there is none."""
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(written)
    words = re.sub(r"\bsept\b", "Sep", written.replace(",", "").replace(".", ""), flags=re.I)
    for layout in _NAMED_DATE_FORMATS:  # English month names: the C locale's
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(words, layout).date()
    return None


def _front_matter(text: str) -> tuple[str, str, dt.date | None]:
    """A Markdown file's text after its YAML front matter (Jekyll, Hugo, Obsidian notes),
    and the ``title`` and ``date`` written there ("" and None when absent)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, "", None
    fields = {key.lower(): value.strip("'\"") for key, value in _FIELD.findall(match[1])}
    written = fields.get("date", "")  # "2023-09-08", "2023-09-08T10:00:00Z", "Sept. 8, 2023"
    return text[match.end() :], fields.get("title", ""), _date(written[:10]) or _date(written)


def _first_sentence(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    match = _SENTENCE_END.search(first_line)
    sentence = first_line[: match.start()] if match else first_line
    return sentence.strip()[:200]


def _strip_markdown(text: str) -> str:
    """Remove heading marks and emphasis so offsets refer to the words a reader sees."""
    text = re.sub(r"(?m)^#{1,6}\s+", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"(\*\*|__|\*|_)(\S(?:.*?\S)?)\1", r"\2", text)


class _TextExtractor(HTMLParser):
    """Collects visible text, the title and a date from ``<meta>`` or ``<time>``."""

    #: Not text a reader reads as the article: code, and a saved page's menus ("Africa |
    #: Europe | Middle East" would be places on the map), buttons and drawings.
    _SKIP = {"script", "style", "noscript", "template", "nav", "button", "select", "svg"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self.date: dt.date | None = None
        self._skip = 0
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self._SKIP:
            self._skip += 1
        elif tag in ("title", "h1"):
            self._in = tag
        if tag == "meta" and (values.get("name") or values.get("property") or "").lower() in (
            "date",
            "article:published_time",
            "pubdate",
            "dc.date",
        ):
            self._set_date(values.get("content"))
        elif tag == "time":
            self._set_date(values.get("datetime"))
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == self._in:
            self._in = None
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in == "title":
            self.title += data
            return
        if self._in == "h1":
            self.h1 += data
        self.parts.append(data)

    def _set_date(self, value: str | None) -> None:
        if self.date is None and value:
            with contextlib.suppress(ValueError):
                self.date = dt.date.fromisoformat(value[:10])


def _html_to_text(html: str) -> tuple[str, str, dt.date | None]:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" ?\n[ \n]*\n ?", "\n\n", text).strip()
    title = " ".join((parser.h1 or parser.title).split())
    return text, title, parser.date


# A sentence ends at . ! or ? (plus closing quotes) before a capital, digit or quote, or at a
# line break; "U.S.", "Mr." and initials do not end one. (One leading character class lets
# the regex engine skip to the candidates instead of trying both branches everywhere.)
_BOUNDARY = re.compile(r"[.!?\n](?:(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|(?<=\n)\n*)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){2,}|\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Sgt|Capt|Maj|Rep|Sen|Gov|"
    r"Prof|Jr|Sr|No|Mt|Ft|vs|etc|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec)\.)$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (end exclusive, whitespace trimmed)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        # Only the sentence's last few characters can end an abbreviation: search those in
        # place (``\b`` still sees the character before) instead of slicing the sentence.
        dot = match.start() + 1
        if match.group().startswith(".") and _ABBREVIATION.search(text, max(start, dot - 8), dot):
            continue
        end = match.start() + len(match.group().rstrip())
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
