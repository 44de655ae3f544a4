"""Toponym recognition and resolution: article text → `Mention`s of gazetteer places.

Recognition matches capitalised word sequences against the gazetteer (longest
match first) and rejects what news text uses for something else: names on the
not-places list, parts of longer proper names ("Kathleen FitzGibbon"), small
places spelled like common words. Resolution picks, for each name, the
candidate that fits the article's other places — the region or country written
after it ("Paris, Texas"), the towns near it, the countries the article is
about — then the largest.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

from geomap.articles import Article, sentence_spans
from geomap.gazetteer import CURATED, Gazetteer, Place, default_gazetteer

ROLES = ("literal", "associative", "adjectival")

# An abbreviation ("U.S.") or a word. Written as one leading character class (the same
# tokens as "(?:[A-Z]\.){2,}|[^\W_]+") so the regex engine skips to word characters.
_TOKEN = re.compile(r"[^\W_](?:(?<=[A-Z])\.(?:[A-Z]\.)+|[^\W_]*)")
_JOIN_MARKS = {"'", "’", "-"}
_JOINED_AFTER = re.compile(r"['’-][^\W_]")
_POSSESSIVE = re.compile(r"['’]s\b")
_JOINED_BEFORE = re.compile(r"[^\W_]['’-]$")
_JOINERS = {" ", "-", "'", "’", ". "}
_CONNECTORS = {
    "of",
    "the",
    "and",
    "de",
    "del",
    "la",
    "le",
    "du",
    "des",
    "da",
    "do",
    "al",
    "el",
    "upon",
    "on",
    "sur",
    "am",
    "an",
    "der",
    "y",
    "i",
}

# Lowercase particles inside people's names ("Charles de Gaulle", "Vincent van Gogh").
_NAME_PARTICLES = {"de", "van", "von", "der", "den", "bin", "ibn", "du", "da", "dos", "del", "di"}

# Capitalised words that start sentences or headlines without being part of a name.
_FUNCTION_WORDS = {
    "a",
    "an",
    "the",
    "in",
    "on",
    "at",
    "after",
    "before",
    "since",
    "over",
    "from",
    "to",
    "for",
    "by",
    "with",
    "as",
    "and",
    "but",
    "or",
    "of",
    "if",
    "when",
    "while",
    "during",
    "under",
    "near",
    "across",
    "between",
    "both",
    "this",
    "that",
    "these",
    "those",
    "its",
    "their",
    "his",
    "her",
    "our",
    "many",
    "some",
    "last",
    "next",
    "former",
    "several",
    "most",
    "all",
    "it",
    "there",
    "then",
    "meanwhile",
    "although",
    "though",
    "because",
    "outside",
    "inside",
    "into",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "north",
    "south",
    "east",
    "west",
}

# Nouns after a country name that make it a modifier of an actor ("US troops").
_ACTOR_NOUNS = {
    "troops",
    "soldiers",
    "forces",
    "force",
    "officials",
    "official",
    "military",
    "army",
    "government",
    "ambassador",
    "embassy",
    "president",
    "drone",
    "drones",
    "assets",
    "personnel",
    "authorities",
    "diplomats",
    "diplomat",
    "minister",
    "ministry",
    "leaders",
    "leader",
    "officers",
    "navy",
    "special",
    "administration",
    "envoy",
    "intelligence",
    "defence",
    "defense",
    "contingent",
    "peacekeepers",
    "citizens",
    "nationals",
    "embassy's",
    "base",
    "bases",
    "aid",
    "sanctions",
    "warplanes",
    "aircraft",
    "jets",
    "junta",
    "media",
    "state",
    "foreign",
    "commander",
    "commanders",
    "advisers",
    "advisors",
    "trainers",
    "mission",
}
# Capitalised heads after a country name that make a organisation name ("US Army").
_ORG_HEADS = {
    "Army",
    "Air",
    "Navy",
    "Embassy",
    "Government",
    "Forces",
    "Military",
    "Department",
    "Ministry",
    "Defense",
    "Defence",
    "Special",
    "Marines",
    "Marine",
    "Africa",
    "Congress",
    "State",
    "Treasury",
    "Coast",
    "National",
    "President",
    "Foreign",
}

# A government acting or speaking ("Paris has rejected", "Washington can provide").
_AGENT_VERBS = {
    "said",
    "says",
    "say",
    "told",
    "tells",
    "announced",
    "announces",
    "rejected",
    "rejects",
    "denied",
    "denies",
    "refused",
    "refuses",
    "accused",
    "accuses",
    "warned",
    "warns",
    "urged",
    "urges",
    "demanded",
    "demands",
    "called",
    "calls",
    "insisted",
    "agreed",
    "agrees",
    "decided",
    "paused",
    "suspended",
    "imposed",
    "pressed",
    "pressing",
    "sent",
    "sends",
    "deployed",
    "withdrew",
    "wants",
    "wanted",
    "plans",
    "planned",
    "asked",
    "asks",
    "responded",
    "condemned",
    "condemns",
    "welcomed",
    "welcomes",
    "signed",
    "ordered",
    "threatened",
    "pledged",
    "promised",
    "vowed",
    "backed",
    "backs",
    "supports",
    "supported",
    "recognised",
    "recognized",
    "recalled",
    "expelled",
    "sanctioned",
    "can",
    "could",
    "will",
    "would",
    "should",
    "must",
    "may",
    "might",
    "has",
    "have",
    "had",
    "blamed",
    "criticised",
    "criticized",
    "confirmed",
    "claimed",
}
_SKIPPED_BEFORE_VERB = {
    "also",
    "so",
    "far",
    "still",
    "already",
    "now",
    "not",
    "reportedly",
    "repeatedly",
    "formally",
    "abruptly",
    "previously",
    "recently",
    "long",
    "officially",
    "quickly",
    "has",
    "have",
    "had",
    "been",
    "is",
    "was",
}
_LOCATIVE = {
    "in",
    "to",
    "from",
    "at",
    "near",
    "into",
    "across",
    "inside",
    "within",
    "throughout",
    "around",
    "outside",
    "of",
    "towards",
    "toward",
    "through",
}

_RESOLVED_BY = (
    "only candidate",
    "curated place",
    "article's countries",
    "article's other places",
    "in <region or country written after the name>",
    "largest population",
)
# Resolution weights, added to log10(population): see `_resolve`.
COUNTRY_BONUS = 2.5
CURATED_BONUS = 6.0
CONTEXT_BONUS = 2.0
NEAR_BONUS = 2.0
NEAR_KM = 300.0
REGION_KM = 500.0
#: A lower bound of the km in one degree of latitude (`_km` uses a 6,371 km sphere: 111.19).
KM_PER_DEGREE = 111.1
WITHIN_BONUS = 4.0
WITHIN_KM = 1000.0
_POINT_KINDS = ("city", "facility", "region")
# "St. Petersburg" is Saint Petersburg's own name, abbreviated.
_ABBREVIATIONS = {"st": "Saint", "ste": "Sainte", "mt": "Mount", "ft": "Fort", "pt": "Point"}
_ABBREVIATION = re.compile(r"\b(St|Ste|Mt|Ft|Pt)\.? ", re.IGNORECASE)
# Names with this many candidates ("Franklin", "Washington") are too common to place others.
_VAGUE_NAME_CANDIDATES = 50


@dataclass(frozen=True)
class Mention:
    """A toponym in an article, resolved to one gazetteer place.

    ``role`` is ``literal`` (a location), ``associative`` (a government acting,
    "Paris has rejected…") or ``adjectival`` (naming an actor: "French troops",
    "US officials"). ``resolution`` says why this place was chosen.
    """

    article_id: str
    date: dt.date | None
    start: int
    end: int
    text: str
    place: Place
    role: str
    sentence: str
    confidence: float
    resolution: str


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    text: str
    candidates: tuple[Place, ...]
    role: str
    demonym: bool


def geoparse(article: Article, gazetteer: Gazetteer | None = None) -> list[Mention]:
    """Find and resolve the toponyms of one article (a pure function of its inputs)."""
    gazetteer = gazetteer or default_gazetteer()
    sentences = sentence_spans(article.text)
    starts = [s for s, _ in sentences]
    matches = find_toponyms(article.text, gazetteer, sentences)
    # Two passes: the unambiguous places give a first context; then every resolved
    # place (but the mention's own reading) votes, so "Atlanta … Georgia" means the state,
    # and the first readings are the neighbours that pull a small town to its area.
    # In the first pass the mentions of one name (same text, role and kind) have the same
    # candidates and context: each name is resolved once.
    names = [(match.text, match.role, match.demonym) for match in matches]
    first = _context_countries(matches)
    readings: dict[tuple, Place] = {}
    for name, match in zip(names, matches, strict=True):
        if name not in readings:
            readings[name] = _resolve(match, first, gazetteer)[0]
    resolved = [readings[name] for name in names]
    votes = Counter(
        p.country for p, m in zip(resolved, matches, strict=True) if p.country and not m.demonym
    )
    mentions = []
    for k, (match, reading) in enumerate(zip(matches, resolved, strict=True)):
        context = votes.copy()
        if reading.country and not match.demonym:
            context[reading.country] -= 1
        place, confidence, why = _resolve(
            match,
            +context,
            gazetteer,
            neighbours=_neighbours(matches, resolved, k),
            within=_qualifier(article.text, matches, resolved, k),
        )
        i = bisect.bisect_right(starts, match.start) - 1  # the sentence holding the mention
        if i >= 0 and match.start < sentences[i][1]:
            s_start, s_end = sentences[i]
        else:
            s_start, s_end = match.start, match.end
        mentions.append(
            Mention(
                article_id=article.id,
                date=article.date,
                start=match.start,
                end=match.end,
                text=match.text,
                place=place,
                role=match.role,
                sentence=article.text[s_start:s_end],
                confidence=confidence,
                resolution=why,
            )
        )
    return mentions


def find_toponyms(
    text: str, gazetteer: Gazetteer, sentences: list[tuple[int, int]] | None = None
) -> list[_Match]:
    """Recognise toponym and demonym spans in ``text``, with their candidate places.

    ``sentences`` are the text's `sentence_spans` when the caller has them already.
    """
    tokens = list(map(re.Match.span, _TOKEN.finditer(text)))
    sentence_starts = {s for s, _ in sentences or sentence_spans(text)}
    folded = text.replace("’", "'").casefold()
    # Names start at a capitalised word: visit only those (found without a Python loop).
    capitalised = map(str.isupper, map(text.__getitem__, map(itemgetter(0), tokens)))
    matches: list[_Match] = []
    i = 0  # the first token after the last name found
    for first in compress(range(len(tokens)), capitalised):
        if first < i:
            continue
        found = _longest_name(text, tokens, first, gazetteer, folded)
        if found is None:
            continue
        j, key, kind = found
        start, end = tokens[first][0], tokens[j][1]
        i = j + 1
        if kind == "blocked":
            continue
        if kind == "demonym":
            place = gazetteer.demonym(key)
            role = "literal" if place.kind == "region" else "adjectival"
            matches.append(_Match(start, end, text[start:end], (place,), role, True))
            continue
        candidates = tuple(gazetteer.lookup(key))
        role = _role(text, tokens, first, j, candidates[0])
        if role is None or not _plausible(text, start, end, candidates, sentence_starts, gazetteer):
            continue
        matches.append(_Match(start, end, text[start:end], candidates, role, False))
    return matches


def _longest_name(
    text: str, tokens: list[tuple[int, int]], i: int, gazetteer: Gazetteer, folded: str = ""
):
    """The longest capitalised name starting at token ``i``: (last token, key, kind) or None.

    ``folded`` is ``text`` with case and apostrophes folded (`gazetteer._key`), when the caller
    has it; it is used only if folding kept every character's place.
    """
    start = tokens[i][0]
    if not text[start].isupper():
        return None
    if len(folded) != len(text):
        folded = ""
    # Grow the window over joined words while a name, demonym or not-place may go on with
    # the next character; check, longest first, the windows that spell one and end with a
    # capitalised word or a number.
    spelled = []
    last = min(len(tokens), i + gazetteer.max_name_words) - 1
    for j in range(i, last + 1):
        word_start, end = tokens[j]
        if folded:
            key, then = folded[start:end], folded[end : end + 1]
        else:
            key = text[start:end].replace("’", "'").casefold()
            then = text[end : end + 1].replace("’", "'")
        known, following = gazetteer.prefixes[key]
        if known and (text[word_start].isupper() or text[word_start:end].isdigit()):
            spelled.append(j)
        if not "" < following <= then or j == last or text[end : tokens[j + 1][0]] not in _JOINERS:
            break
    for j in reversed(spelled):
        key = text[start : tokens[j][1]]
        if " ".join(key.split()).casefold() in gazetteer.not_places:
            return j, key, "blocked"
        if gazetteer.demonym(key) is not None:
            return j, key, "demonym"
        if gazetteer.has_name(key) and _whole_words(text, start, tokens[j][1]):
            return j, key, "place"
    return None


def _whole_words(text: str, start: int, end: int) -> bool:
    """False for a match that is part of a longer word ("Jama" in "Jama'at", "al-Islam")."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    # The patterns need an apostrophe or hyphen next to the match: test for one first.
    if (
        after[:1] in _JOIN_MARKS
        and _JOINED_AFTER.match(after)
        and not _POSSESSIVE.match(text[end : end + 3])
    ):
        return False
    return before[-1:] not in _JOIN_MARKS or not _JOINED_BEFORE.search(before)


def _role(text: str, tokens, i: int, j: int, best: Place) -> str | None:
    """literal, associative or adjectival from the words around tokens i..j; None to reject."""
    prev_word = _word(text, tokens, i - 1) if _joined(text, tokens, i - 1, i) else None
    next_word = _word(text, tokens, j + 1) if _joined(text, tokens, j, j + 1) else None
    if next_word and next_word[0].isupper() and not next_word.isupper():
        if best.kind == "country" and next_word in _ORG_HEADS:
            return "adjectival"
        if next_word.casefold() not in _CONNECTORS:
            return None  # part of a longer proper name: "Kathleen FitzGibbon", "Washington Post"
    if (
        prev_word
        and prev_word[0].isupper()
        and prev_word.casefold() not in _FUNCTION_WORDS
        and not prev_word.isupper()
    ):
        return None  # "Joe Biden", "President Bazoum"
    if prev_word in _NAME_PARTICLES and _joined(text, tokens, i - 2, i - 1):
        before = _word(text, tokens, i - 2)
        if before[0].isupper() and before.casefold() not in _FUNCTION_WORDS:
            return None  # a surname: "Philippe de Marigny", "Ludwig van Beethoven"
    if best.kind not in ("country", "city"):
        return "literal"
    if next_word and next_word in _ACTOR_NOUNS:
        return "adjectival"
    prev_plain = _word(text, tokens, i - 1).casefold() if i > 0 else ""
    if prev_plain not in _LOCATIVE and _governs_verb(text, tokens, j):
        return "associative"
    return "literal"


def _governs_verb(text: str, tokens, j: int) -> bool:
    """True when the name is the subject of an agent verb, skipping an apposition."""
    k = j + 1
    if k < len(tokens) and text[tokens[j][1] : tokens[k][0]].strip() == ",":
        # "France, Niger's former colonial power, also has…": jump past the apposition.
        for m in range(k, min(k + 8, len(tokens) - 1)):
            gap = text[tokens[m][1] : tokens[m + 1][0]]
            if any(c in gap for c in ".;!?\n"):
                return False
            if "," in gap:
                k = m + 1
                break
        else:
            return False
    while k < len(tokens) and _word(text, tokens, k).casefold() in _SKIPPED_BEFORE_VERB:
        if (
            _word(text, tokens, k).casefold() in _AGENT_VERBS
            and k + 1 < len(tokens)
            and _word(text, tokens, k + 1).casefold() not in _SKIPPED_BEFORE_VERB | _AGENT_VERBS
            and not _word(text, tokens, k + 1).endswith(("ed", "en", "ing"))
        ):
            return True  # "has troops": possession by a government
        k += 1
    return k < len(tokens) and _word(text, tokens, k).casefold() in _AGENT_VERBS


def _word(text: str, tokens, k: int) -> str:
    return text[tokens[k][0] : tokens[k][1]] if 0 <= k < len(tokens) else ""


def _joined(text: str, tokens, a: int, b: int) -> bool:
    """True when tokens a and b are neighbours separated by one space only."""
    return a >= 0 and b < len(tokens) and text[tokens[a][1] : tokens[b][0]] == " "


def _plausible(
    text: str,
    start: int,
    end: int,
    candidates: tuple[Place, ...],
    sentence_starts: set[int],
    gazetteer: Gazetteer,
) -> bool:
    """Reject weak evidence for small places.

    A one-word name of a small place at a sentence start ("Over the past decade"),
    or a small place known only by an alternate spelling ("Nusrat" for Noşratābād).
    """
    best, name = candidates[0], text[start:end]
    if best.kind != "city" or best.population >= 100_000:
        return True
    if not any(gazetteer.is_primary_name(p, name) for p in candidates) and best.population < 50_000:
        return False
    if " " in name:
        return True
    return start not in sentence_starts and not name.isupper()


def _neighbours(matches: list[_Match], readings: list[Place], k: int) -> list[Place]:
    """The article's other places that are points on a map (towns, facilities, small regions).

    Countries, continents and regions without a country say nothing about which of two
    towns is meant; nor does another mention of the same name.
    """
    name = matches[k].text.casefold()
    points = (
        place
        for m, place in zip(matches, readings, strict=True)
        if not m.demonym
        and place.country
        and place.kind in _POINT_KINDS
        and m.text.casefold() != name
        and len(m.candidates) < _VAGUE_NAME_CANDIDATES
    )
    return list(dict.fromkeys(points))  # each place once, however often it is named


def _qualifier(text: str, matches: list[_Match], readings: list[Place], k: int) -> Place | None:
    """The region or country named right after a place, "Richmond, Virginia": or None."""
    if k + 1 >= len(matches) or matches[k].demonym or matches[k + 1].demonym:
        return None
    following = readings[k + 1]
    gap = text[matches[k].end : matches[k + 1].start]
    if gap.strip() != "," or following.kind not in ("region", "country") or not following.country:
        return None
    return following


def _context_countries(matches: list[_Match]) -> Counter[str]:
    """Countries the article is about: those of its unambiguous, non-demonym places."""
    context: Counter[str] = Counter()
    for match in matches:
        best = match.candidates[0]
        if (
            not match.demonym
            and best.country
            and (len(match.candidates) == 1 or best.kind in ("country", "facility", "region"))
        ):
            context[best.country] += 1
    return context


def _resolve(
    match: _Match,
    context: Counter[str],
    gazetteer: Gazetteer,
    *,
    neighbours: Sequence[Place] = (),
    within: Place | None = None,
):
    """Pick one candidate: (place, confidence, why).

    The score adds, to the log of the population, bonuses for the place's own name, for a
    country, for a curated place, for a country the article is about (``context``), for
    lying near the article's other places (``neighbours``) and for lying in the region or
    country written after the name (``within``: "Paris, Texas").
    """
    if len(match.candidates) == 1:
        place = match.candidates[0]
        why = "curated place" if place.source == CURATED else "only candidate"
        return place, 0.95, why
    # A name that is also its country's ("Mexico") means the country: the article's votes
    # for that country come from the name itself. A region named after its chief city
    # ("New York", "Berlin", "Niamey") is not what the bare name means.
    countries = {p.country for p in match.candidates if p.kind == "country"}
    candidates = [p for p in match.candidates if not _named_after_a_city(p, match.candidates)]

    def bonuses(place: Place) -> tuple[float, str | None]:
        value, why = 0.0, None
        if place.kind == "country":
            value += COUNTRY_BONUS
        elif place.country in context and place.country not in countries:
            value += CONTEXT_BONUS
            why = "article's countries"
        if neighbours and place.kind in _POINT_KINDS:
            scale = REGION_KM if place.kind == "region" else NEAR_KM
            # A region is near the places within its own size, about REGION_KM.
            near = max(
                (
                    1 - _km(place, other) / limit
                    for other in neighbours
                    # 1° of latitude is at least 111 km: most neighbours are ruled out here.
                    if KM_PER_DEGREE * abs(other.lat - place.lat)
                    < (limit := REGION_KM if other.kind == "region" else scale)
                ),
                default=0.0,
            )
            if near > 0:
                value += NEAR_BONUS * near
                why = "article's other places"
        if within is not None and place.country == within.country and place is not within:
            km = _km(place, within) if within.kind == "region" else 0.0
            if km < WITHIN_KM:
                value += WITHIN_BONUS * (1 - km / WITHIN_KM)
                why = f"in {within.name}"
        return value, why

    spelled_out = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m[1].casefold()] + " ", match.text)

    def score(place: Place) -> float:
        value = math.log10(place.population + 10)
        if gazetteer.is_primary_name(place, match.text) or (
            spelled_out != match.text and gazetteer.is_primary_name(place, spelled_out)
        ):
            value += 2
        elif match.text.isupper() and place.kind != "country":
            value -= 3  # "US" is an abbreviation, not the French village "Us"
        if place.source == CURATED:
            value += CURATED_BONUS
        return value + bonuses(place)[0]

    scores = {id(place): score(place) for place in candidates}
    ranked = sorted(candidates, key=lambda place: scores[id(place)], reverse=True)
    best = ranked[0]
    margin = scores[id(best)] - scores[id(ranked[1])] if len(ranked) > 1 else 5.0
    confidence = round(1 / (1 + math.exp(-margin)), 3)
    if best.source == CURATED:
        why = "curated place"
    else:
        why = bonuses(best)[1] if best is not match.candidates[0] else None
        why = why or "largest population"
    return best, confidence, why


def _named_after_a_city(place: Place, candidates: tuple[Place, ...]) -> bool:
    """True for a region with a larger city of the same name in it (about REGION_KM)."""
    return place.kind == "region" and any(
        other.kind == "city"
        and other.country == place.country
        and other.population >= place.population
        and _km(place, other) < REGION_KM
        for other in candidates
    )


def _km(a: Place, b: Place) -> float:
    """Great-circle distance in km (haversine; close enough for ranking)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))
