"""Troop figures and movements: who has how many troops where, and what moved where.

Reads an article's sentences with the mentions `geomap.geoparse` found in it; a
pure function of (article, mentions, gazetteer) like the stage before it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from geomap.articles import Article, sentence_spans
from geomap.datafiles import read_csv
from geomap.gazetteer import Gazetteer, Place, default_gazetteer
from geomap.geoparse import Mention

QUALIFIERS = ("exact", "approx", "more_than", "fewer_than", "up_to")
STATUSES = ("present", "arriving", "departing", "departed", "planned")


@dataclass(frozen=True)
class TroopFigure:
    """A count of people in an armed force or mission, as one sentence reports it.

    ``count`` is None when the text gives no number ("a small number of personnel").
    ``date`` is the article's date, shifted when the sentence says so ("last year").
    ``start``/``end`` are the sentence's character span in the article text.
    """

    article_id: str
    date: dt.date | None
    actor: str
    actor_code: str | None
    count: int | None
    qualifier: str
    unit: str
    location: Place | None
    status: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class Movement:
    """Forces or assets of ``actor`` moving from one place to another."""

    article_id: str
    date: dt.date | None
    actor: str
    actor_code: str | None
    origin: Place | None
    destination: Place
    sentence: str
    start: int
    end: int


# --- numbers -----------------------------------------------------------------------------

_UNITS_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORD = "|".join([*_UNITS_WORDS, *_SCALES, "dozen"])
_NUMBER = (
    r"(?P<digits>\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s+(?P<scale>million|thousand))?"
    rf"|(?P<words>(?:an?\s+)?(?:{_NUMBER_WORD})(?:[\s-]+(?:and\s+)?(?:{_NUMBER_WORD}))*)"
)
_QUALIFIER = {
    "more than": "more_than", "over": "more_than", "at least": "more_than",
    "upwards of": "more_than", "in excess of": "more_than", "fewer than": "fewer_than",
    "less than": "fewer_than", "under": "fewer_than", "up to": "up_to",
    "as many as": "up_to", "about": "approx", "around": "approx", "approximately": "approx",
    "nearly": "approx", "almost": "approx", "roughly": "approx", "some": "approx",
    "an estimated": "approx", "close to": "approx",
}  # fmt: skip
_VAGUE = (r"a\s+small\s+number\s+of|a\s+handful\s+of|a\s+number\s+of|a\s+few|several|"
          r"hundreds\s+of|thousands\s+of|dozens\s+of")  # fmt: skip
# Unit nouns, and the unit each is reported as.
_UNIT = {
    "troops": "troops", "troop": "troops", "soldiers": "soldiers", "soldier": "soldiers",
    "personnel": "personnel", "peacekeepers": "peacekeepers", "peacekeeping force":
    "peacekeepers", "peacekeeping mission": "peacekeepers", "forces": "forces",
    "force": "forces", "trainers": "trainers", "instructors": "trainers",
    "military advisers": "advisers", "advisers": "advisers", "advisors": "advisers",
    "marines": "marines", "paratroopers": "paratroopers", "commandos": "commandos",
    "special forces": "special forces", "servicemen": "service members",
    "service members": "service members", "servicemembers": "service members",
    "mercenaries": "mercenaries", "contractors": "contractors", "sailors": "sailors",
    "airmen": "airmen", "gendarmes": "gendarmes", "military personnel": "personnel",
}  # fmt: skip
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNIT), key=len, reverse=True))
# Words that may stand between a number and its unit ("1,100 US troops").
_MODIFIER = r"(?:(?!(?:and|or|to|from|in|at|by|with|for|than|of|were|was|is|are|have|has|had|when|who|which|that|the)\b)[\w.'’-]+\s+)"  # noqa: E501
_QUALIFIER_RE = "|".join(q.replace(" ", r"\s+") for q in _QUALIFIER)
_FIGURE = re.compile(
    rf"(?:\b(?P<qual>{_QUALIFIER_RE})\s+)?"
    rf"(?:(?P<vague>{_VAGUE})|\b(?:{_NUMBER}))"
    r"(?P<strong>-(?:strong|member|man|person|soldier))?"
    rf"\s+(?P<mods>{_MODIFIER}{{0,4}}?)(?P<unit>{_UNIT_RE})\b",
    re.IGNORECASE,
)
_NOT_COUNT_BEFORE = re.compile(
    r"(?:[$€£¥]|\b(?:USD|EUR|US\$|January|February|March|April|May|June|July|August|"
    r"September|October|November|December|aged|age)\s*)$",
    re.IGNORECASE,
)  # fmt: skip
_NOT_COUNT_AFTER = re.compile(r"^\s*(?:%|percent|per\s+cent|-year-old|years?\b)", re.IGNORECASE)
_CASUALTY = re.compile(
    r"\b(?:killed|killing|dead|died|deaths|wounded|injured|casualties|kidnapped|captured|"
    r"missing|executed|massacred)\b",
    re.IGNORECASE,
)

# --- status ------------------------------------------------------------------------------

# Checked in order on the words after the unit, then on those before the number.
_STATUS_AFTER = [
    (r"\b(?:is|are|was|were)\s+(?:due|set|expected|scheduled)\s+to\s+(?:shut|close|wind|"
     r"leave|withdraw|depart|end|pull)", "departing"),
    (r"\b(?:will|would|plan(?:s|ned)?\s+to|(?:is|are)\s+to|(?:is|are)\s+(?:due|set|expected)"
     r"\s+to)\s+(?:be\s+)?(?:deploy|arrive|join|reinforce|sent)", "planned"),
    (r"\b(?:left|withdrew|departed|exited|pulled\s+out|have\s+left|had\s+left|"
     r"(?:were|was|have\s+been|had\s+been)\s+(?:withdrawn|evacuated|pulled\s+out|repatriated))\b",
     "departed"),
    (r"\b(?:withdraw|withdrawing|leave|leaving|pull(?:ing)?\s+out|depart|departing|"
     r"shut(?:ting)?\s+down|wind(?:ing)?\s+down|draw(?:ing)?\s+down|exit(?:ing)?|"
     r"evacuat(?:e|ing)|are\s+being\s+withdrawn)\b", "departing"),
    (r"\b(?:arrived|arriving|arrive|landed|crossed\s+into|entered|moved\s+into|(?:were|was|have\s+been)\s+(?:sent|deployed|"
     r"dispatched)\s+to|deployed\s+to|sent\s+to|dispatched\s+to)\b", "arriving"),
]  # fmt: skip
_STATUS_BEFORE = [
    (r"\b(?:plan(?:s|ned)?\s+to|will|would|pledged\s+to|promised\s+to|agreed\s+to|"
     r"(?:is|are)\s+to)\s+(?:send|deploy|dispatch|add)\b", "planned"),
    (r"\b(?:withdrew|pulled\s+out|evacuated|repatriated|brought\s+home)\b", "departed"),
    (r"\b(?:withdraw|withdrawing|pull(?:ing)?\s+out|evacuat(?:e|ing)|repatriat(?:e|ing)|"
     r"bring(?:ing)?\s+home|cut(?:ting)?|reduc(?:e|ing))\b", "departing"),
    (r"\b(?:sent|sending|send|deployed|deploying|dispatched|dispatching|reinforced\s+with)\b",
     "arriving"),
]  # fmt: skip
_REFUSAL = re.compile(r"\b(?:rejected|refused|declined|resisted|denied|no\s+plans?)\b", re.I)
_WINDOW_WORDS = 10

# --- places and actors -------------------------------------------------------------------

_THE_COUNTRY = re.compile(r"\bthe\s+(?:[\w-]+\s+){0,3}?country\b", re.IGNORECASE)
_MOVE_VERB = re.compile(
    r"\b(?:reposition\w*|mov(?:e|ed|es|ing)|relocat\w*|redeploy\w*|transferr?\w*|shift\w*|"
    r"withdr\w*|pull\w*|evacuat\w*|sen[dt]\w*|deploy\w*)\b",
    re.IGNORECASE,
)  # fmt: skip
_LAST_YEAR = re.compile(r"\blast\s+year\b", re.IGNORECASE)
_LAST_MONTH = re.compile(r"\blast\s+month\b", re.IGNORECASE)
_IN_YEAR = re.compile(r"\bin\s+((?:19|20)\d{2})\b")


@dataclass(frozen=True)
class _Actor:
    name: str
    code: str | None
    start: int


def troop_figures(
    article: Article, mentions: list[Mention], gazetteer: Gazetteer | None = None
) -> list[TroopFigure]:
    """The troop figures of one article, in text order."""
    return extract(article, mentions, gazetteer)[0]


def movements(
    article: Article, mentions: list[Mention], gazetteer: Gazetteer | None = None
) -> list[Movement]:
    """The movements ("from Air Base 101 … to Air Base 201") of one article, in text order."""
    return extract(article, mentions, gazetteer)[1]


def extract(
    article: Article, mentions: list[Mention], gazetteer: Gazetteer | None = None
) -> tuple[list[TroopFigure], list[Movement]]:
    """Both the troop figures and the movements, reading the article's sentences once."""
    reader = _Reader(article, mentions, gazetteer or default_gazetteer())
    return reader.figures(), reader.movements()


class _Reader:
    """One article's sentences with their mentions and actors, for both extractors."""

    def __init__(self, article: Article, mentions: list[Mention], gazetteer: Gazetteer) -> None:
        self.article = article
        self.text = article.text
        self.gazetteer = gazetteer
        self.sentences = sentence_spans(article.text)
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.main_country = _main_country(self.mentions)

    def figures(self) -> list[TroopFigure]:
        found: list[TroopFigure] = []
        for index, (start, end) in enumerate(self.sentences):
            sentence = self.text[start:end]
            matches = [m for m in _FIGURE.finditer(sentence) if self._is_figure(sentence, m)]
            for k, match in enumerate(matches):
                clause_start = matches[k - 1].end() if k else 0
                clause_end = matches[k + 1].start() if k + 1 < len(matches) else len(sentence)
                figure = self._figure(index, match, clause_start, clause_end)
                if figure not in found:
                    found.append(figure)
        return found

    def movements(self) -> list[Movement]:
        found = []
        for index, (start, end) in enumerate(self.sentences):
            sentence = self.text[start:end]
            if not _MOVE_VERB.search(sentence):
                continue
            places = self._places(start, end)
            origin = _after_word(sentence, start, places, "from")
            destination = _after_word(sentence, start, places, "to", after=origin)
            if destination is None or (origin and origin[1].id == destination[1].id):
                continue
            actor = self._actor_near(index, start)
            movement = Movement(
                article_id=self.article.id,
                date=self.article.date,
                actor=actor.name,
                actor_code=actor.code,
                origin=origin[1] if origin else None,
                destination=destination[1],
                sentence=sentence,
                start=start,
                end=end,
            )
            found.append(movement)
        return found

    def _is_figure(self, sentence: str, match: re.Match) -> bool:
        """Drop money, dates, ages, percentages and casualty counts."""
        if match.group("vague"):
            return True
        number = "digits" if match.group("digits") else "words"
        number_end = match.end("scale") if match.group("scale") else match.end(number)
        if _NOT_COUNT_BEFORE.search(sentence[: match.start(number)]):
            return False
        if _NOT_COUNT_AFTER.match(sentence[number_end:]):
            return False
        window = sentence[max(0, match.start() - 40) : match.end() + 40]
        return not _CASUALTY.search(window) and bool(_count(match))

    def _figure(self, index: int, match: re.Match, clause_start: int, clause_end: int):
        s_start, s_end = self.sentences[index]
        sentence = self.text[s_start:s_end]
        after = sentence[match.end() : clause_end]
        before = sentence[clause_start : match.start()]
        # Words before the figure belong to it only when no other figure comes first.
        own_start = 0 if clause_start == 0 else match.start()
        actor = self._figure_actor(index, match)
        location = self._figure_location(
            index, s_start + match.end(), s_start + clause_end, s_start + match.start()
        )
        qualifier = _QUALIFIER.get(
            " ".join((match.group("qual") or "").lower().split()),
            "approx" if match.group("vague") else "exact",
        )
        return TroopFigure(
            article_id=self.article.id,
            date=_shift_date(self.article.date, sentence[own_start:clause_end]),
            actor=actor.name,
            actor_code=actor.code,
            count=None if match.group("vague") else _count(match),
            qualifier=qualifier,
            unit=_UNIT[" ".join(match.group("unit").lower().split())],
            location=location,
            status=_status(before, after),
            sentence=sentence,
            start=s_start,
            end=s_end,
        )

    # -- actors --

    def _figure_actor(self, index: int, match: re.Match) -> _Actor:
        """The force's owner: named in the noun phrase ("1,100 US troops"), else nearby.

        "their 1,500 troops" falls to the sentence's first actor, its subject.
        """
        s_start = self.sentences[index][0]
        own = self._actors(s_start + match.start("mods"), s_start + match.start("unit"))
        if own:
            return own[0]
        return self._actor_near(index, s_start + match.start())

    def _actor_near(self, index: int, position: int) -> _Actor:
        """The sentence's first actor, else the nearest one in earlier sentences."""
        start, end = self.sentences[index]
        in_sentence = self._actors(start, end)
        if in_sentence:
            return in_sentence[0]
        for k in range(index - 1, -1, -1):
            earlier = self._actors(*self.sentences[k])
            if earlier:
                return earlier[0]
        return _Actor("unknown", None, position)

    def _actors(self, start: int, end: int) -> list[_Actor]:
        """Actors named between ``start`` and ``end``: demonyms, governments, organisations."""
        found = []
        for m in self.mentions:
            if start <= m.start < end and m.role in ("adjectival", "associative"):
                code = m.place.country
                country = self.gazetteer.country(code) if code else None
                if country is not None:
                    found.append(_Actor(country.name, code, m.start))
        names, pattern = _organisations()
        for hit in pattern.finditer(self.text, start, end):
            actor, code = names[hit.group()]
            found.append(_Actor(actor, code, hit.start()))
        return sorted(found, key=lambda a: a.start)

    # -- places --

    def _places(self, start: int, end: int) -> list[tuple[int, Place]]:
        """Literal places and "the country" phrases (the article's country) in a span."""
        text = self.text[start:end]
        phrases = [(start + p.start(), start + p.end()) for p in _THE_COUNTRY.finditer(text)]
        found = [
            (m.start, m.place)
            for m in self.mentions
            if start <= m.start < end
            and m.role == "literal"
            and not any(a <= m.start < b for a, b in phrases)
        ]
        if self.main_country is not None:
            found += [(a, self.main_country) for a, _ in phrases]
        return sorted(found, key=lambda item: (item[0], item[1].id))

    def _figure_location(self, index: int, after: int, clause_end: int, number: int):
        """Where the troops are: after the figure, else before it, else earlier sentences."""
        s_start, s_end = self.sentences[index]
        following = self._places(after, clause_end)
        if following:
            return following[0][1]
        preceding = self._places(s_start, number)
        if preceding:
            return preceding[-1][1]
        for k in range(index - 1, max(-1, index - 3), -1):
            earlier = self._places(*self.sentences[k])
            if earlier:
                return earlier[-1][1]
        return self.main_country


def _after_word(sentence: str, offset: int, places, word: str, after=None):
    """The first place that follows ``word`` ("from", "to") within three words."""
    for match in re.finditer(rf"\b{word}\s+", sentence):
        position = offset + match.end()
        if after is not None and position <= after[0]:
            continue
        for start, place in places:
            gap = sentence[match.end() : start - offset]
            if start >= position and len(gap.split()) <= 3 and not re.search(r"[,.;]", gap):
                return start, place
    return None


def _main_country(mentions: list[Mention]) -> Place | None:
    """The country the article is about: its most mentioned literal country."""
    counts: dict[str, list] = {}
    for m in mentions:
        if m.role == "literal" and m.place.kind == "country":
            counts.setdefault(m.place.id, [0, m.place])[0] += 1
    if not counts:
        return None
    return max(counts.values(), key=lambda item: item[0])[1]


def _count(match: re.Match) -> int | None:
    if match.group("digits"):
        digits = match.group("digits")
        if re.fullmatch(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+", digits):
            value = float(re.sub(r"\D", "", digits))
        else:
            value = float(digits)
        scale = _SCALES.get((match.group("scale") or "").lower(), 1)
        return int(round(value * scale))
    return _words_to_int(match.group("words"))


def _words_to_int(words: str) -> int | None:
    """'two thousand' → 2000, 'a dozen' → 12, 'three hundred and fifty' → 350."""
    total, current = 0, 0
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t not in ("and", "")]
    if tokens and tokens[0] in ("a", "an"):
        tokens[0] = "one"
    for token in tokens:
        if token in _UNITS_WORDS:
            current += _UNITS_WORDS[token]
        elif token == "dozen":
            current = (current or 1) * 12
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in _SCALES:
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            return None
    return total + current or None


def _status(before: str, after: str) -> str:
    """present | arriving | departing | departed | planned, from the nearby verbs."""
    after_words = " ".join(after.split()[:_WINDOW_WORDS])
    for pattern, status in _STATUS_AFTER:
        if re.search(pattern, after_words, re.IGNORECASE):
            return status
    before_words = " ".join(before.split()[-_WINDOW_WORDS:])
    for pattern, status in _STATUS_BEFORE:
        hit = re.search(pattern, before_words, re.IGNORECASE)
        if hit:
            return "present" if _REFUSAL.search(before_words[: hit.start()]) else status
    return "present"


def _shift_date(date: dt.date | None, sentence: str) -> dt.date | None:
    """The article date, moved back for "last year", "last month" or "in 2021"."""
    if date is None:
        return None
    if _LAST_YEAR.search(sentence):
        return date.replace(year=date.year - 1, day=min(date.day, 28))
    if _LAST_MONTH.search(sentence):
        return (date.replace(day=1) - dt.timedelta(days=1)).replace(day=min(date.day, 28))
    year = _IN_YEAR.search(sentence)
    if year and int(year.group(1)) < date.year:
        return dt.date(int(year.group(1)), 12, 31)
    return date


@functools.cache
def _organisations() -> tuple[dict[str, tuple[str, str | None]], re.Pattern]:
    """Surface name → (canonical actor, ISO code or None) from data/actors.csv, and one
    pattern finding any of the names as whole words (longest first)."""
    names = {row["name"]: (row["actor"], row["code"] or None) for row in read_csv("actors.csv")}
    ordered = sorted(names, key=len, reverse=True)
    pattern = re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, ordered))})(?!\w)")
    return names, pattern
