"""Toponym recognition and resolution: article text → `Mention`s of gazetteer places.

Recognition matches capitalised word sequences against the gazetteer (longest
match first), drops names on the not-places list, and lets a small model
(`geomap.recognise`) reject what news text uses for something else: people
("Kelly", "Kathleen FitzGibbon"), small places spelled like common words
("Centre"), most parts of longer proper names. A place kept inside a longer name
("The Washington Post") is a toponym with the role ``embedded``; so is a name
that runs on to a head ("Orange County", "Colorado State University"), whose
span then covers the whole name. Resolution picks, for each name, the candidate
that fits the article's other places — the region or country written after it
("Paris, Texas"), the towns near it, the countries the article is about — then
the largest.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Container, Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

from geomap import recognise
from geomap.articles import Article, sentence_spans
from geomap.gazetteer import CURATED, GEONAMES, Gazetteer, Place, default_gazetteer

ROLES = ("literal", "associative", "adjectival", "embedded")

# An abbreviation ("U.S.") or a word. Written as one leading character class (the same
# tokens as "(?:[A-Z]\.){2,}|[^\W_]+") so the regex engine skips to word characters; the
# word's rest is possessive ("*+"; nothing follows that could make it give characters back),
# which the engine runs faster.
_TOKEN = re.compile(r"[^\W_](?:(?<=[A-Z])\.(?:[A-Z]\.)+|[^\W_]*+)")
_JOIN_MARKS = {"'", "’", "-"}
_JOINED_AFTER = re.compile(r"['’][^\W_]|-[^\W_a-z]")
_POSSESSIVE = re.compile(r"['’]s\b")
_JOINED_BEFORE = re.compile(r"([^\W_]+)(['’-])$")
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
# Capitalised heads after a country name that make a organisation name ("US Army"); each
# a `_Around.before_name`.
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
    "listed with <a state, province or country>",
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
LISTED_BONUS = 3.0
#: What joins two names of a list whose names are alike ("California or Washington").
_LIST_JOINS = {" and ", " or ", ", and ", ", or "}
#: The fewest people of a city a newspaper's name is taken to name (`_only_kind`).
NEWSPAPER_CITY = 100_000
_POINT_KINDS = ("city", "facility", "region")
# "St. Petersburg" is Saint Petersburg's own name, abbreviated.
_ABBREVIATIONS = {"st": "Saint", "ste": "Sainte", "mt": "Mount", "ft": "Fort", "pt": "Point"}
_ABBREVIATION = re.compile(r"\b(St|Ste|Mt|Ft|Pt)\.? ", re.IGNORECASE)
# Names with this many candidates ("Franklin", "Washington") are too common to place others.
_VAGUE_NAME_CANDIDATES = 50
#: At most this many passes in context (most articles settle after the first).
MAX_PASSES = 4
#: An all-capitals name this long or shorter is an abbreviation ("EU", "US", "UAE"); a longer
#: one is a name in capitals, as in a dateline ("WASHINGTON", "ROME").
ABBREVIATION_LETTERS = 3


@dataclass(frozen=True)
class Mention:
    """A toponym in an article, resolved to one gazetteer place.

    ``role`` is ``literal`` (a location), ``associative`` (a government acting,
    "Paris has rejected…"), ``adjectival`` (naming an actor: "French troops",
    "US officials") or ``embedded`` (part of a longer name: "The Washington Post";
    a toponym, not a location, so never mapped). ``resolution`` says why this
    place was chosen.
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


class _Match(NamedTuple):
    """A recognised name with its candidate places (a tuple: thousands are made per second)."""

    start: int
    end: int
    text: str
    candidates: tuple[Place, ...]
    role: str
    demonym: bool
    key: str  # the gazetteer name the candidates come from (``text`` may add "South", "County")
    only: str  # the one kind of place the name can mean where it is written, "" for any


def geoparse(article: Article, gazetteer: Gazetteer | None = None) -> list[Mention]:
    """Find and resolve the toponyms of one article (a pure function of its inputs)."""
    gazetteer = gazetteer or default_gazetteer()
    sentences = sentence_spans(article.text)
    starts = [s for s, _ in sentences]
    matches = find_toponyms(article.text, gazetteer, sentences)
    # The unambiguous places give a first context; then every resolved place (but the
    # mention's own reading) votes, so "Atlanta … Georgia" means the state, and the
    # readings are the neighbours that pull a small town to its area. That pass is
    # repeated while it changes a reading: a town first read in another state ("Parkland",
    # Washington) no longer pulls its namesakes there once it is read near the others.
    # Readings that settle are kept; when two readings pull each other back and forth
    # instead, the first pass's stand.
    # In the first pass the mentions of one name (same text, role, kind and candidates)
    # have the same context: each name is resolved once.
    names = [(m.text, m.role, m.demonym, m.only) for m in matches]
    first = _context_countries(matches)
    readings: dict[tuple, Place] = {}
    for name, match in zip(names, matches, strict=True):
        if name not in readings:
            readings[name] = _resolve(match, first, gazetteer)[0]
    resolved = [readings[name] for name in names]
    joins = _joins(article.text, matches)
    chosen = settled = _in_context(joins, names, matches, resolved, gazetteer)
    for _ in range(MAX_PASSES - 1):
        again = [place for place, _, _ in settled]
        if again == resolved:
            chosen = settled
            break
        resolved = again
        settled = _in_context(joins, names, matches, resolved, gazetteer)
    mentions = []
    for match, (place, confidence, why) in zip(matches, chosen, strict=True):
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


def _in_context(
    joins: _Joins,
    names: list[tuple],
    matches: list[_Match],
    readings: list[Place],
    gazetteer: Gazetteer,
) -> list[tuple[Place, float, str]]:
    """Every mention resolved with the article's other ``readings`` as its context and
    neighbours: (place, confidence, why) each."""
    votes = Counter(
        p.country for p, m in zip(readings, matches, strict=True) if p.country and not m.demonym
    )
    points = _map_points(matches, readings)
    # A name's mentions differ only by their own reading and the place written after them.
    choices: dict[tuple, tuple[Place, float, str]] = {}
    chosen = []
    for k, (name, match, reading) in enumerate(zip(names, matches, readings, strict=True)):
        if len(match.candidates) == 1:  # nothing to choose: no context to gather
            chosen.append(_resolve(match, (), gazetteer))
            continue
        within = _qualifier(joins, readings, k)
        listed = _listed_with(joins, readings, k)
        choice = (*name, id(within), id(listed), id(reading))
        if choice not in choices:
            context = _other_votes(votes, reading if not match.demonym else None)
            choices[choice] = _resolve(
                match,
                context,
                gazetteer,
                neighbours=_neighbours(points, match),
                within=within,
                listed=listed,
            )
        chosen.append(choices[choice])
    return chosen


def find_toponyms(
    text: str, gazetteer: Gazetteer, sentences: list[tuple[int, int]] | None = None
) -> list[_Match]:
    """Recognise toponym and demonym spans in ``text``, with their candidate places.

    ``sentences`` are the text's `sentence_spans` when the caller has them already.
    Every gazetteer match becomes a candidate with features (`candidates`); the
    recognition model (`geomap.recognise`) keeps the likely toponyms.
    """
    weights, threshold = recognise.model_weights(), recognise.model_threshold()
    return [
        match
        for match, values in candidates(text, gazetteer, sentences)
        if recognise.probability(values, weights) >= threshold
    ]


def candidates(
    text: str, gazetteer: Gazetteer, sentences: list[tuple[int, int]] | None = None
) -> list[tuple[_Match, list[float]]]:
    """Every gazetteer match in ``text`` with its `recognise.FEATURES` values."""
    tokens = _tokens(text, gazetteer)
    sentence_starts = {s for s, _ in sentences or sentence_spans(text)}
    folded = text.replace("’", "'").casefold()
    found: list[tuple[_Match, list[float]]] = []
    surnames: set[str] = set()
    i = free = 0  # i: the first token after the last name found; free: the first no match took
    for first in _name_starts(text, tokens, gazetteer, folded):
        if first < i:
            continue
        longest = _longest_name(text, tokens, first, gazetteer, folded)
        if longest is None:
            continue
        j, key, kind = longest
        start, end = tokens[first][0], tokens[j][1]
        i = j + 1
        if kind == "blocked":
            continue
        if first > free and _compass_before(text, tokens, first):
            first, start = first - 1, tokens[first - 1][0]  # "South Florida", "North American"
        free = j + 1
        facts = _name_facts(gazetteer, key, kind == "demonym")
        places = facts.places
        capital = kind == "place" and key == "Washington" and text.startswith(_DC, end)
        if capital:
            j += 1  # "Washington, D.C.": one name, a city's
            end = tokens[j][1]
            i = free = j + 1
        head = (
            _head_after(text, tokens, j)
            if kind != "demonym" and j + 1 < len(tokens) and text[tokens[j + 1][0]].isupper()
            else None
        )
        if head is not None:
            # "Orange County", "Colorado State University": the whole name is the toponym;
            # the place it is named after only stands in for it, so it is not mapped.
            j, end = head, tokens[head][1]
            i = free = head + 1
        around = _around(text, tokens, first, j)
        if kind == "demonym":
            # "Sahelian towns" name a place; "English troops", like "French troops", an actor.
            region = places[0].kind == "region" and not places[0].country
            role = "literal" if region else "adjectival"
        elif head is not None:
            role = "embedded"
        else:
            role = _role(text, tokens, first, j, places[0], around) or "embedded"
        if capital:
            only = "city"
        else:
            only = _only_kind(text, start, facts, around) if kind == "place" else ""
        if only:
            places = _places_of_kind(gazetteer, key, False, only)
        match = _Match(start, end, text[start:end], places, role, kind == "demonym", key, only)
        values = _features(text, tokens, first, j, match, facts, sentence_starts, around)
        if head is not None:
            values[_F["extended_to_head"]] = 1.0
        if first > 1 and around.prev_any == "of":
            # "Chamber of Commerce", "University of California", "Republic of Armenia"
            values[_F["after_head_of"]] = float(_word(text, tokens, first - 2) in _HEADS_BEFORE_OF)
        if first == j and (values[_F["after_name"]] or values[_F["after_title"]]):
            surnames.add(match.text)
        found.append((match, values))
    names = Counter(match.text for match, _ in found)
    for match, values in found:
        if match.text in surnames:
            values[_F["surname_in_article"]] = 1.0
        if names[match.text] > 1:
            values[_F["repeated"]] = 1.0
    return found


def _name_starts(
    text: str, tokens: list[tuple[int, int]], gazetteer: Gazetteer, folded: str
) -> list[int]:
    """The tokens where `_longest_name` may find a name: capitalised words that spell a
    name, demonym or not-place or begin a longer one that may go on with the next character.

    Most capitalised words do neither; ruling them out here, with one lookup each, spares
    them `_longest_name`. ``folded`` is as for `_longest_name`.
    """
    firsts = [k for k, (start, _) in enumerate(tokens) if text[start].isupper()]
    if len(folded) != len(text):
        return firsts
    prefixes = gazetteer.prefixes
    starts = []
    for k in firsts:
        start, end = tokens[k]
        known, following = prefixes[folded[start:end]]
        if known or "" < following <= folded[end : end + 1]:
            starts.append(k)
    return starts


def _tokens(text: str, gazetteer: Gazetteer) -> list[tuple[int, int]]:
    """The words of ``text`` as (start, end).

    An abbreviation the gazetteer knows with its dot keeps the dot, as "U.S." does, where
    news writes one: after a town and a comma ("Springfield, Ill.", "DALTON, Ga."). Elsewhere
    "Mass." ends a sentence about a church service.
    """
    tokens = list(map(re.Match.span, _TOKEN.finditer(text)))
    dotted = {
        m.start(1): m.end()
        for m in _AFTER_COMMA.finditer(text)
        if m[1].casefold() + "." in gazetteer.dotted
    }
    return [(start, dotted.get(start, end)) for start, end in tokens] if dotted else tokens


_AFTER_COMMA = re.compile(r", ([^\W\d_]+)\.")


class _NameFacts(NamedTuple):
    """What the gazetteer says about a name, whatever its context."""

    places: tuple[Place, ...]
    best: Place  # the place the resolver would favour: a curated one, else the largest
    primary: bool  # some place's own name, not only an alternate spelling
    large: bool
    plausible_inside: bool  # `_plausible_inside`
    kinds: frozenset[str]  # of the places
    values: tuple[float, ...]  # the context-free features, in FEATURES order (0 elsewhere)


@functools.lru_cache(maxsize=1 << 16)
def _name_facts(gazetteer: Gazetteer, name: str, demonym: bool) -> _NameFacts:
    """The context-free facts and features of ``name`` (cached: names repeat across articles)."""
    places = (gazetteer.demonym(name),) if demonym else tuple(gazetteer.lookup(name))
    best = next((p for p in places if p.source != GEONAMES), places[0])
    primary = demonym or any(gazetteer.is_primary_name(p, name) for p in places)
    large = best.kind in ("country", "region") or best.population >= 100_000
    single = " " not in name and "-" not in name
    frequency = recognise.word_frequency(name) / 7 if single and not demonym else 0.0
    small_city = best.kind == "city" and best.population < 100_000
    values = [0.0] * len(recognise.FEATURES)
    for feature, value in (
        ("bias", 1.0),
        ("demonym", demonym),
        ("country", best.kind == "country"),
        ("region", best.kind == "region"),
        ("city", best.kind == "city"),
        ("curated", best.source != GEONAMES),
        ("log_population", math.log10(best.population + 1) / 9),
        ("all_caps", name.isupper()),
        ("alternate_name_only", not primary),
        ("log_candidates", math.log10(len(places))),
        ("word_frequency", frequency),
        ("first_name", recognise.person_name(name)[0] if single and not demonym else 0.0),
        ("surname", recognise.person_name(name)[1] if single and not demonym else 0.0),
        ("frequent_small_place", frequency * small_city),
        (
            "region_candidate",
            best.kind == "city" and any(p.kind in ("region", "country") for p in places),
        ),
    ):
        values[_F[feature]] = float(value)
    plausible_inside = _plausible_inside(name, places[0], primary)
    kinds = frozenset(place.kind for place in places)
    return _NameFacts(places, best, primary, large, plausible_inside, kinds, tuple(values))


def _features(
    text: str,
    tokens,
    i: int,
    j: int,
    match: _Match,
    facts: _NameFacts,
    sentence_starts: set[int],
    around: _Around,
) -> list[float]:
    """The `recognise.FEATURES` of the match over tokens i..j (article-level ones left 0).

    The context-free values come from ``facts``; every feature set here is 0 there, so a
    feature that is off is left alone (a flag is written only when on: most are off).
    """
    name, start, end = match.text, match.start, match.end
    values = list(facts.values)
    prev_plain, prev_word, next_word = around.prev_plain, around.prev_word, around.next_word
    after_name, before_name = around.after_name, around.before_name
    sentence_start = start in sentence_starts
    if around.after_particle:
        values[_F["after_particle"]] = 1.0
    if prev_plain in recognise.SPEECH_VERBS or (
        around.next_any.casefold() in recognise.SPEECH_VERBS and "." not in around.gap_after
    ):
        values[_F["near_speech_verb"]] = 1.0
    if i != j:
        values[_F["several_words"]] = 1.0
        if _word(text, tokens, i) in _COMPASS:
            values[_F["compass_prefix"]] = 1.0
    if sentence_start:
        values[_F["sentence_start"]] = 1.0
    if start > 0 and text[start - 1] in recognise._QUOTES:
        values[_F["after_quote"]] = 1.0
    if prev_plain in _LOCATIVE:
        values[_F["after_locative"]] = 1.0
    if after_name:
        values[_F["after_name"]] = 1.0
        values[_F["after_common_word"]] = recognise.word_frequency(prev_word) / 7
        values[_F["after_first_name"]] = recognise.person_name(prev_word)[0]
        if facts.large:
            values[_F["after_name_large"]] = 1.0
    if before_name:
        values[_F["before_name"]] = 1.0
        values[_F["before_common_word"]] = recognise.word_frequency(next_word) / 7
        values[_F["before_surname"]] = recognise.person_name(next_word)[1]
        if facts.large:
            values[_F["before_name_large"]] = 1.0
    if prev_plain.rstrip(".") in recognise.TITLES:
        values[_F["after_title"]] = 1.0
    if match.role == "adjectival":
        values[_F["adjectival"]] = 1.0
    elif match.role == "associative":
        values[_F["associative"]] = 1.0
    if text.startswith(("'s", "’s"), end):
        values[_F["possessive"]] = 1.0
    if not match.demonym and not (
        facts.plausible_inside and not (sentence_start and _small_one_word(name, facts))
    ):
        values[_F["small_place_weak"]] = 1.0
    if next_word in recognise.MEDIA_HEADS:
        values[_F["before_media"]] = 1.0
    if next_word in recognise.INSTITUTION_HEADS:
        values[_F["before_institution"]] = 1.0
    if next_word in recognise.FACILITY_HEADS:
        values[_F["before_facility"]] = 1.0
    if (
        name.isupper()
        and len(name) > ABBREVIATION_LETTERS
        and (start == 0 or text[start - 1] == "\n")
    ):
        values[_F["dateline"]] = 1.0
    if text.startswith("-", end) or text.endswith("-", 0, start):
        values[_F["hyphenated"]] = 1.0
    return values


class _Around(NamedTuple):
    """The words either side of a name, found once for `_role` and `_features` (`_around`):
    "" past the text; ``prev_word`` and ``next_word`` only when joined to the name by one
    space."""

    prev_any: str
    prev_plain: str  # prev_any casefolded
    prev_word: str
    next_any: str
    next_word: str
    gap_after: str  # the characters between the name and next_any
    after_name: bool  # `_after_name`
    after_particle: bool  # `_after_particle`
    before_name: bool  # next_word is a capitalised word, no acronym or connector


def _around(text: str, tokens: list[tuple[int, int]], i: int, j: int) -> _Around:
    """The `_Around` of the name over tokens i..j."""
    start, end = tokens[i][0], tokens[j][1]
    if i > 0:
        prev_start, prev_end = tokens[i - 1]
        prev_any = text[prev_start:prev_end]
        prev_word = prev_any if text[prev_end:start] == " " else ""
    else:
        prev_any = prev_word = ""
    if j + 1 < len(tokens):
        next_start, next_end = tokens[j + 1]
        gap_after = text[end:next_start]
        next_any = text[next_start:next_end]
        next_word = next_any if gap_after == " " else ""
    else:
        gap_after = next_any = next_word = ""
    return _Around(
        prev_any,
        prev_any.casefold(),
        prev_word,
        next_any,
        next_word,
        gap_after,
        _after_name(prev_word),
        prev_word in _NAME_PARTICLES and _after_particle(text, tokens, i),
        bool(
            next_word
            and next_word[0].isupper()
            and not next_word.isupper()
            and next_word.casefold() not in _CONNECTORS
        ),
    )


_COMPASS = {
    "North",
    "South",
    "East",
    "West",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Central",
    "Northeast",
    "Northwest",
    "Southeast",
    "Southwest",
    "Northeastern",
    "Northwestern",
    "Southeastern",
    "Southwestern",
    "Upper",
    "Lower",
    "Greater",
}


_DC = (", D.C.", ", DC ", ", DC,", ", DC.")
#: "the" right before a name, with up to two plain words that place a part of a sea
#: or a region between them: "the Atlantic", "the tropical Atlantic", "the north Pacific".
_ARTICLE_BEFORE = re.compile(
    r"\b[Tt]he (?:(?:north|south|east|west|northern|southern|eastern|western|central"
    r"|tropical|equatorial|upper|lower|open|mid)[ -]){0,2}$"
)


def _only_kind(text: str, start: int, facts: _NameFacts, around: _Around) -> str:
    """The one kind of place a name can mean where it is written at ``start``, or "".

    After "the", a sea or other natural feature: towns take no article ("the Atlantic" is
    the ocean, not Atlantic, Iowa). Before a newspaper's word, a city of some size: "The
    Washington Post" is D.C.'s, not the state's ("The Texas Tribune" stays the state's).
    """
    kinds = facts.kinds
    if "other" in kinds and _ARTICLE_BEFORE.search(text, max(0, start - 40), start):
        return "other"
    if (
        len(kinds) > 1
        and around.next_word in recognise.MEDIA_HEADS
        and any(p.kind == "city" and p.population >= NEWSPAPER_CITY for p in facts.places)
    ):
        return "city"
    return ""


def _head_after(text: str, tokens, j: int) -> int | None:
    """The token of a name's head ("County", "Street", "University") within three
    capitalised words after token j, or None."""
    for k in range(j + 1, min(j + 4, len(tokens))):
        word = _word(text, tokens, k)
        if not (_joined(text, tokens, k - 1, k) and word[0].isupper()):
            return None
        if word in recognise.NAME_HEADS:
            return k
    return None


def _compass_before(text: str, tokens, i: int) -> bool:
    """True when a capitalised compass word comes right before token i: part of the name."""
    return _joined(text, tokens, i - 1, i) and _word(text, tokens, i - 1) in _COMPASS


def _small_one_word(name: str, facts: _NameFacts) -> bool:
    """A one-word name of a small place: weak evidence at a sentence start ("Over the
    past decade")."""
    place = facts.places[0]
    return place.kind == "city" and place.population < 100_000 and " " not in name


_F = {name: k for k, name in enumerate(recognise.FEATURES)}
_HEADS_BEFORE_OF = (
    recognise.INSTITUTION_HEADS
    | recognise.NAME_HEADS
    | {"Ministry", "Bank", "Council", "Chamber", "Mall"}
)


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
    prefixes, spelled = gazetteer.prefixes, []
    last = min(len(tokens), i + gazetteer.max_name_words) - 1
    for j in range(i, last + 1):
        word_start, end = tokens[j]
        if folded:
            key, then = folded[start:end], folded[end : end + 1]
        else:
            key = text[start:end].replace("’", "'").casefold()
            then = text[end : end + 1].replace("’", "'")
        known, following = prefixes[key]
        if known and (text[word_start].isupper() or text[word_start:end].isdigit()):
            spelled.append(j)
        if not "" < following <= then or j == last or text[end : tokens[j + 1][0]] not in _JOINERS:
            break
    for j in reversed(spelled):
        key = text[start : tokens[j][1]]
        kind = _spelling(gazetteer, key)
        if kind == "place" and not _whole_words(text, start, tokens[j][1]):
            continue
        if kind is not None:
            return j, key, kind
    return None


@functools.lru_cache(maxsize=1 << 16)
def _spelling(gazetteer: Gazetteer, key: str) -> str | None:
    """What ``key`` spells, as written: "blocked" (a not-place), "demonym", "place" or None
    (cached: news repeats its capitalised words)."""
    if " ".join(key.split()).casefold() in gazetteer.not_places:
        return "blocked"
    if gazetteer.demonym(key) is not None:
        return "demonym"
    return "place" if gazetteer.has_name(key) else None


def _whole_words(text: str, start: int, end: int) -> bool:
    """False for a match that is part of a longer word ("Jama" in "Jama'at", "al-Islam").

    A hyphen before a lowercase word or after a prefix joins words: "London-based",
    "U.S.-led" and "anti-Russian" keep their place names; "Diaz-Balart" does not.
    """
    after = text[end : end + 2]
    # The patterns need an apostrophe or hyphen next to the match: test for one first.
    if (
        after[:1] in _JOIN_MARKS
        and _JOINED_AFTER.match(after)
        and not _POSSESSIVE.match(text[end : end + 3])
    ):
        return False  # "Jama'at", "Gilgit-Baltistan"
    if text[start - 1 : start] not in _JOIN_MARKS:
        return True
    joined = _JOINED_BEFORE.search(text[max(0, start - 12) : start])
    return joined is None or (joined[2] == "-" and joined[1] in _HYPHEN_PREFIXES)


_HYPHEN_PREFIXES = {"anti", "ex", "pro", "non", "pan", "post", "pre", "trans", "mid", "neo"}


def _role(text: str, tokens, i: int, j: int, best: Place, around: _Around) -> str | None:
    """literal, associative or adjectival from the words around tokens i..j.

    None when the name is part of a longer proper name (a person's, an organisation's).
    """
    next_word = around.next_word
    if best.kind == "country" and next_word in _ORG_HEADS:
        return "adjectival"
    if around.before_name:
        return None  # part of a longer proper name: "Kathleen FitzGibbon", "Washington Post"
    if around.after_name or around.after_particle:
        return None  # "Joe Biden", "President Bazoum"; a surname: "Philippe de Marigny"
    if best.kind not in ("country", "city"):
        return "literal"
    if next_word and next_word in _ACTOR_NOUNS:
        return "adjectival"
    if around.prev_plain not in _LOCATIVE and _governs_verb(text, tokens, j):
        return "associative"
    return "literal"


def _after_name(word: str) -> bool:
    """True after a capitalised word (``word``, joined to the name by a space) that is no
    function word or acronym: "Joe Biden", "President Bazoum"."""
    return bool(
        word and word[0].isupper() and word.casefold() not in _FUNCTION_WORDS and not word.isupper()
    )


def _after_particle(text: str, tokens, i: int) -> bool:
    """True after a name particle (token i - 1, one of `_NAME_PARTICLES` joined to token i)
    that follows a capitalised word: a surname, "Philippe de Marigny", "Ludwig van
    Beethoven"."""
    if not _joined(text, tokens, i - 2, i - 1):
        return False
    before = _word(text, tokens, i - 2)
    return before[0].isupper() and before.casefold() not in _FUNCTION_WORDS


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


def _plausible_inside(name: str, best: Place, primary: bool) -> bool:
    """False for weak evidence of a small place, wherever the name stands (a feature of
    the recognition model; a sentence start weakens it further, `_small_one_word`).

    A small place known only by an alternate spelling (``primary`` False: "Nusrat" for
    Noşratābād), or a one-word small place written in capitals.
    """
    if best.kind != "city" or best.population >= 100_000:
        return True
    if not primary and best.population < 50_000:
        return False
    return " " in name or not name.isupper()


def _map_points(matches: list[_Match], readings: list[Place]) -> list[tuple[str, _Point]]:
    """The article's places that are points on a map (towns, facilities, small regions),
    each with its mention's name casefolded, in text order.

    Countries, continents and regions without a country say nothing about which of two
    towns is meant; nor do names with very many candidates.
    """
    return [
        (m.text.casefold(), _point(place))
        for m, place in zip(matches, readings, strict=True)
        if not m.demonym
        and place.country
        and place.kind in _POINT_KINDS
        and len(m.candidates) < _VAGUE_NAME_CANDIDATES
    ]


def _neighbours(points: list[tuple[str, _Point]], match: _Match) -> list[_Point]:
    """The `_map_points` that may tell where ``match`` is: not mentions of its own name,
    each place once however often it is named."""
    name = match.text.casefold()
    # By identity: the gazetteer makes one object of each place (`Gazetteer.place`), and
    # hashing a Place hashes all its fields.
    return list({id(point.place): point for other, point in points if other != name}.values())


class _Joins(NamedTuple):
    """How each mention is joined to the next, neither a demonym; found once an article (the
    passes in context differ only by the readings). Entry k is about mentions k and k + 1."""

    comma: list[bool]  # "Richmond, Virginia": the next may say where this one is
    listed: list[bool]  # "California or Washington": names of one list (`_LIST_JOINS`)


def _joins(text: str, matches: list[_Match]) -> _Joins:
    comma, listed = [], []
    for match, following in itertools.pairwise(matches):
        gap = text[match.end : following.start]
        plain = not (match.demonym or following.demonym)
        comma.append(plain and gap.strip() == ",")
        listed.append(plain and gap in _LIST_JOINS)
    return _Joins(comma, listed)


def _qualifier(joins: _Joins, readings: list[Place], k: int) -> Place | None:
    """The region or country named right after a place, "Richmond, Virginia": or None."""
    return _area(readings[k + 1]) if k < len(joins.comma) and joins.comma[k] else None


def _listed_with(joins: _Joins, readings: list[Place], k: int) -> Place | None:
    """A state, province or country a place is listed with, "California or Washington":
    the kind (and country) of place the list is of; or None."""
    if k > 0 and joins.listed[k - 1]:
        reading = _area(readings[k - 1])
        if reading is not None:
            return reading
    return _area(readings[k + 1]) if k < len(joins.listed) and joins.listed[k] else None


def _area(reading: Place) -> Place | None:
    """``reading`` when it is a region or country within a country, else None."""
    return reading if reading.kind in ("region", "country") and reading.country else None


def _other_votes(votes: Counter[str], reading: Place | None) -> Set[str]:
    """The countries with a vote in ``votes`` once the vote of ``reading`` (a mention's own
    first reading, None if it has none) is taken back. `_resolve` asks only whether a
    country is among them: a set view, not a copy of the counts."""
    countries = votes.keys()
    if reading is not None and reading.country and votes[reading.country] == 1:
        return countries - {reading.country}
    return countries


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
    context: Container[str],
    gazetteer: Gazetteer,
    *,
    neighbours: Sequence[_Point] = (),
    within: Place | None = None,
    listed: Place | None = None,
):
    """Pick one candidate: (place, confidence, why).

    The score adds, to the log of the population, bonuses for the place's own name, for a
    country, for a curated place (`_ranking`), for a country the article is about
    (``context``), for lying near the article's other places (``neighbours``; a US county
    or state is nearest to the places of a state they name, `_in_named_state`), for lying
    in the region or country written after the name (``within``: "Paris, Texas") and for
    being of the kind of a state or country the name is listed with (``listed``:
    "California or Washington" names two states).
    """
    if len(match.candidates) == 1:
        place = match.candidates[0]
        why = "curated place" if place.source == CURATED else "only candidate"
        return place, 0.95, why
    ranking = _ranking(gazetteer, match.text, match.key, match.demonym, match.only)
    countries = ranking.countries
    within_point = _point(within) if within is not None else None
    scores, whys = [], []
    for place, point, value in zip(ranking.candidates, ranking.points, ranking.scores, strict=True):
        bonus, why = 0.0, None
        kind = place.kind
        if kind == "country":
            bonus += COUNTRY_BONUS
        elif place.country in context and place.country not in countries:
            bonus += CONTEXT_BONUS
            why = "article's countries"
        if neighbours and kind in _POINT_KINDS:
            near = _nearness(point, REGION_KM if kind == "region" else NEAR_KM, neighbours)
            if near < 1 and place.state and _in_named_state(place, neighbours):
                near = 1.0
            if near > 0:
                bonus += NEAR_BONUS * near
                why = "article's other places"
        if within is not None and place.country == within.country and place is not within:
            km = _distance(point, within_point) if within.kind == "region" else 0.0
            if km < WITHIN_KM:
                bonus += WITHIN_BONUS * (1 - km / WITHIN_KM)
                why = f"in {within.name}"
        if listed is not None and _alike(place, listed):
            bonus += LISTED_BONUS
            why = f"listed with {listed.name}"
        scores.append(value + bonus)
        whys.append(why)
    ordered = sorted(scores, reverse=True)
    first = scores.index(ordered[0])  # of the best scores, the first candidate's
    best = ranking.candidates[first]
    margin = ordered[0] - ordered[1] if len(ordered) > 1 else 5.0
    confidence = round(1 / (1 + math.exp(-margin)), 3)
    if best.source == CURATED:
        why = "curated place"
    else:
        why = whys[first] if best is not match.candidates[0] else None
        why = why or "largest population"
    return best, confidence, why


def _alike(place: Place, listed: Place) -> bool:
    """True for another place of the kind of ``listed``, a state of its country if a state."""
    return (
        place is not listed
        and place.kind == listed.kind
        and (place.kind == "country" or place.country == listed.country)
    )


def _in_named_state(place: Place, neighbours: Sequence[_Point]) -> bool:
    """True for a US state the article names a place in, and for a county of a state the
    article names: as near as can be, however large the state ("Jefferson County" in an
    article naming Texas). Not for towns: a town's population says more than a state named
    anywhere in the article (Portland, Oregon stays Portland in an article naming Texas)."""
    if place.kind != "region":
        return False
    if _is_state(place):
        return any(other.place.state == place.state for other in neighbours)
    return any(other.place.state == place.state and _is_state(other.place) for other in neighbours)


def _is_state(place: Place) -> bool:
    """A US state (or DC) itself, not a county or town in it."""
    return place.kind == "region" and place.source == GEONAMES and place.state is not None


def _nearness(point: _Point, scale: float, neighbours: Sequence[_Point]) -> float:
    """How near ``point`` is to the nearest of ``neighbours``: 1 at the same place, falling
    to 0 at ``scale`` km (REGION_KM from a region: a region is near the places within its
    own size); 0 when none is that near."""
    near, lat = 0.0, point.lat
    for other in neighbours:
        limit = REGION_KM if other.kind == "region" else scale
        # 1° of latitude is at least 111 km: most neighbours are ruled out here.
        if KM_PER_DEGREE * abs(other.lat - lat) < limit:
            nearness = 1 - _distance(point, other) / limit
            if nearness > near:
                near = nearness
    return near


@functools.lru_cache(maxsize=1 << 16)
def _places_of_kind(gazetteer: Gazetteer, key: str, demonym: bool, only: str) -> tuple[Place, ...]:
    """The places of ``key``, only those of kind ``only`` if given: a match's candidates
    and what `_ranking` ranks (cached: the same tuple for both, and for every mention)."""
    places = _name_facts(gazetteer, key, demonym).places
    return tuple(place for place in places if place.kind == only) if only else places


class _Ranking(NamedTuple):
    """The part of `_resolve` that depends on the name alone, not on the article."""

    countries: frozenset[str | None]  # the countries among the candidates
    candidates: tuple[Place, ...]  # those that may be meant (`_named_after_a_city` left out)
    scores: tuple[float, ...]  # each candidate's score before `_resolve`'s article bonuses
    points: tuple[_Point, ...]  # each candidate's `_point`


@functools.lru_cache(maxsize=1 << 16)
def _ranking(gazetteer: Gazetteer, text: str, key: str, demonym: bool, only: str) -> _Ranking:
    """The context-free scores of the candidates of ``key`` written as ``text``, of kind
    ``only`` if given (cached: names repeat across articles)."""
    places = _places_of_kind(gazetteer, key, demonym, only)
    # A name that is also its country's ("Mexico") means the country: the article's votes
    # for that country come from the name itself. A region named after its chief city
    # ("New York", "Berlin", "Niamey") is not what the bare name means.
    countries = frozenset(p.country for p in places if p.kind == "country")
    candidates = tuple(p for p in places if not _named_after_a_city(p, places))
    spelled_out = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m[1].casefold()] + " ", text)
    # "EU", "US": capitals spell an abbreviation, not the town "Eu" or the village "Us".
    abbreviation = text.isupper() and 1 < len(text) <= ABBREVIATION_LETTERS

    def score(place: Place) -> float:
        value = math.log10(place.population + 10)
        own_name = gazetteer.is_primary_name(place, text) or (
            spelled_out != text and gazetteer.is_primary_name(place, spelled_out)
        )
        if own_name and not (abbreviation and place.name != text):
            value += 2
        elif abbreviation and place.kind != "country" and (own_name or place.kind == "city"):
            value -= 3
        if place.source == CURATED:
            value += CURATED_BONUS
        return value

    return _Ranking(
        countries, candidates, tuple(map(score, candidates)), tuple(map(_point, candidates))
    )


def _named_after_a_city(place: Place, candidates: tuple[Place, ...]) -> bool:
    """True for a region with a larger city of the same name in it (about REGION_KM); never
    for a curated region, whose population is not given ("Appalachia", not Appalachia, Va.)."""
    return (
        place.kind == "region"
        and place.source != CURATED
        and any(
            other.kind == "city"
            and other.country == place.country
            and other.population >= place.population
            and _km(place, other) < REGION_KM
            for other in candidates
        )
    )


class _Point(NamedTuple):
    """A place with the trigonometry of its latitude, computed once (`_point`) for the many
    distances `_resolve` measures from it."""

    place: Place
    kind: str
    lat: float
    lon: float
    lat_radians: float
    cos_lat: float


def _point(place: Place) -> _Point:
    lat_radians = math.radians(place.lat)
    return _Point(place, place.kind, place.lat, place.lon, lat_radians, math.cos(lat_radians))


def _km(a: Place, b: Place) -> float:
    """Great-circle distance in km between two places (see `_distance`)."""
    return _distance(_point(a), _point(b))


def _distance(a: _Point, b: _Point) -> float:
    """Great-circle distance in km (haversine; close enough for ranking)."""
    h = (
        math.sin((b.lat_radians - a.lat_radians) / 2) ** 2
        + a.cos_lat * b.cos_lat * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))
