"""The text of the map: popups, tooltips and labels, as HTML with every article string escaped.

Each function takes plain rows (a frame's itertuples or records as in
`geomap.boundaries`) and returns a finished HTML string; `geomap.render` only places
them. Article-derived text goes through `escape_text` and nothing else, because
Leaflet inserts popups, tooltips and icons as HTML. Articles are cited by the names an
`ArticleNames` makes (``article_names``).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Iterable, Mapping
from typing import Any

from geomap.boundaries import date_key

#: Article titles longer than this are shortened in popups.
TITLE_CHARS = 80
#: How a label and a circle mark a figure that is not simply "present".
STATUS_WORDS = {
    "present": "",
    "arriving": "(arriving)",
    "departing": "(leaving)",
    "departed": "(left)",
    "planned": "(planned)",
}
QUALIFIER_WORDS = {
    "exact": "",
    "approx": "about",
    "more_than": "more than",
    "fewer_than": "fewer than",
    "up_to": "up to",
}

_JS_UNSAFE = str.maketrans(
    {
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "{": "&#123;",
        "}": "&#125;",
        "\n": " ",
        "\r": " ",
        "\u2028": " ",
        "\u2029": " ",
    }
)

#: A row of the ``figures`` or ``movements`` frame as a dict, missing values as None.
Record = Mapping[str, Any]


@functools.lru_cache(maxsize=1 << 16)
def escape_text(text: object) -> str:
    """Make article-derived text inert in folium's HTML *and* JavaScript contexts.

    HTML-escapes ``< > & " '`` and turns the characters that act inside a JavaScript
    template literal (backtick, ``$``, backslash, braces) and line separators into
    entities, because folium pastes popup and tooltip HTML into template literals.
    Cached: the same sentence is quoted by its places, figures, movements and countries.
    """
    return html.escape(str(text), quote=True).translate(_JS_UNSAFE)


class ArticleNames(dict):
    """Article id → its name in popups: escaped title (shortened) and id, or the id alone.

    Made once per article however many popups cite it; ``titles`` maps ids to titles.
    """

    def __init__(self, titles: Mapping[str, str]) -> None:
        super().__init__()
        self.titles = titles

    def __missing__(self, article_id: str) -> str:
        title = self.titles.get(article_id, "")
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        name = escape_text(article_id)
        if title:
            name = f"{escape_text(title)} <small>({name})</small>"
        self[article_id] = name
        return name


def place_popup(
    row: Any, country_names: Mapping[str, str], article_names: Mapping[str, str]
) -> str:
    """A place's popup: what and where it is, the articles naming it (newest first) and quotes.

    Each article is listed once with its number of mentions, however often it names
    the place; the quotes are the newest sentences.
    """
    country = (
        f"{country_names.get(row.country, row.country)} ({row.country})"
        if row.country
        else "no single country"
    )
    articles = "".join(
        f"<li><b>{escape_text(date or 'undated')}</b> · {article_names[article]}"
        f" · {_plural(count, 'mention')}</li>"
        for article, date, count in reversed(row.articles)
    )
    quotes = "".join(
        f"<li><b>{escape_text(date or 'undated')}</b> · {article_names[article]}: "
        f"“{escape_text(sentence)}”</li>"
        for date, article, sentence in row.quotes
    )
    if row.quoted > len(row.quotes):
        quotes += f"<li>and {row.quoted - len(row.quotes)} more</li>"
    counts = f"{_plural(row.mentions, 'mention')} in {_plural(len(row.articles), 'article')}"
    return (
        f'<div class="geomap-popup"><h4>{escape_text(row.name)}</h4>'
        f"<p>{escape_text(row.kind)} · {escape_text(country)} · {counts}<br>"
        f"<small>{escape_text(row.role)}; resolved by {escape_text(row.resolution)} "
        f"(confidence {row.confidence:.2f}, source {escape_text(row.source)})</small></p>"
        f'<h5>Articles</h5><ul class="geomap-list">{articles}</ul>'
        f"<h5>Quotes</h5><ul>{quotes}</ul></div>"
    )


def figures_popup(heading: str, figures: Iterable[Record], article_names: Mapping[str, str]) -> str:
    """Figures reported at one location, newest first, each with its sentence."""
    items = "".join(
        f"<li><b>{_day_text(f['date'])}</b> · {escape_text(_amount(f))} · "
        f"{article_names[f['article']]}: “{escape_text(f['sentence'])}”</li>"
        for f in _newest_first(figures)
    )
    return f'<div class="geomap-popup"><h4>{escape_text(heading)}</h4><ul>{items}</ul></div>'


def country_popup(
    name: str, mentions: int, figures: Iterable[Record], article_names: Mapping[str, str]
) -> str:
    """A country's popup: its mentions and each actor's troop figures there over time.

    Newest first per actor, every figure kept (same-day reports that disagree are both
    listed); the choropleth uses only the latest, so this is where the history lives.
    """
    by_actor = grouped(figures, "actor")
    parts = [f"<h4>{escape_text(name)}</h4>"]
    if mentions:
        parts.append(f"<p>{_plural(mentions, 'mention')} of places here</p>")
    for actor in sorted(by_actor):
        items = "".join(
            f"<li><b>{_day_text(f['date'])}</b> · "
            f"{escape_text(_count_text(f) + ', ' + f['status'])}"
            f"{_elsewhere(f, name)} · {article_names[f['article']]}</li>"
            for f in _newest_first(by_actor[actor])
        )
        parts.append(f'<h5>{escape_text(actor)}</h5><ul class="geomap-list">{items}</ul>')
    return f'<div class="geomap-popup">{"".join(parts)}</div>'


def movement_popup(
    actor: str,
    origin: str,
    destination: str,
    reports: Iterable[Record],
    article_names: Mapping[str, str],
) -> str:
    """Every report of one actor's movement between two places, newest first."""
    items = "".join(
        f"<li><b>{_day_text(r['date'])}</b> · {article_names[r['article']]}: "
        f"“{escape_text(r['sentence'])}”</li>"
        for r in _newest_first(reports)
    )
    return (
        f'<div class="geomap-popup"><h4>{escape_text(actor)}</h4>'
        f"<p>{escape_text(origin)} → {escape_text(destination)}</p><ul>{items}</ul></div>"
    )


def figure_label(newest: list[Record]) -> str:
    """Label of an actor's newest figures at a location, like "US 1,100" (not escaped).

    Shows the qualifier and status ("FR more than 2,000 (left)"), and a range when
    same-day reports disagree.
    """
    first = newest[0]
    who = first["actor_code"] or first["actor"]
    counts = sorted({f["count"] for f in newest})
    if len(counts) > 1:
        number = f"{counts[0]:,}–{counts[-1]:,}"
    else:
        number = f"{QUALIFIER_WORDS.get(first['qualifier'], '')} {counts[0]:,}"
    statuses = {f["status"] for f in newest}
    status = STATUS_WORDS.get(first["status"], "") if len(statuses) == 1 else ""
    return " ".join(f"{who} {number} {status}".split())


def _amount(figure: Record) -> str:
    """Like "France: more than 2,000 troops, departed"."""
    return f"{figure['actor']}: {_count_text(figure)}, {figure['status']}"


def _count_text(figure: Record) -> str:
    """Like "more than 2,000 troops"; "troops (number not given)" rather than 0."""
    if figure["count"] is None:
        return f"{figure['unit']} (number not given)"
    qualifier = QUALIFIER_WORDS.get(figure["qualifier"], "")
    return f"{qualifier} {figure['count']:,} {figure['unit']}".strip()


def _newest_first(records: Iterable[Record]) -> list[Record]:
    """Records with a ``date`` (a date or None), newest first, undated last, ties in order."""
    return sorted(records, key=lambda r: date_key(r["date"]), reverse=True)


def grouped(records: Iterable[Record], key: str) -> dict[Any, list[Record]]:
    """Records by their value of ``key``, in order of first appearance."""
    groups: dict[Any, list[Record]] = {}
    for record in records:
        groups.setdefault(record[key], []).append(record)
    return groups


def _day_text(date: object) -> str:
    return date.isoformat() if isinstance(date, dt.date) else "undated"


def _elsewhere(figure: Record, country: str) -> str:
    """Where in the country the figure is, like " at Gao"; nothing when at the country itself."""
    location = figure["location"]
    return f" at {escape_text(location)}" if location and location != country else ""


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"
