"""Which gazetteer matches are toponyms: a small logistic model over cheap candidate features.

`geomap.geoparse.find_toponyms` matches capitalised word sequences against the
gazetteer; many matches are something else — people ("Kelly", "Thomas"), common
words ("Centre", "Industry", "As" opening a quote), parts of longer names. Each
match gets a handful of features computed from dict lookups and its neighbouring
words (`features`), and a logistic model (`data/recognise.json`, trained on
GeoWebNews by ``scripts/train_recognise.py``, its figures from 5-fold
cross-validation) decides. Word frequencies come from the ``wordfreq`` package,
how common a word is as a first name or surname from ``data/person_names.csv``.
"""

from __future__ import annotations

import array
import csv
import functools
import json
import marshal
import math
import operator
from collections.abc import Sequence
from importlib import metadata
from itertools import compress

from geomap.datafiles import data_file
from geomap.gazetteer import Strings, cache_dir, write_cache

#: The features, in the order of the model's weights.
FEATURES = (
    "bias",
    "demonym",
    "country",
    "region",
    "city",
    "curated",
    "log_population",
    "several_words",
    "all_caps",
    "sentence_start",
    "after_quote",
    "after_locative",
    "after_name",
    "before_name",
    "before_name_large",
    "after_particle",
    "surname_in_article",
    "after_title",
    "near_speech_verb",
    "alternate_name_only",
    "log_candidates",
    "word_frequency",
    "frequent_small_place",
    "adjectival",
    "associative",
    "possessive",
    "repeated",
    "small_place_weak",
    "after_name_large",
    "before_media",
    "before_institution",
    "before_facility",
    "dateline",
    "region_candidate",
    "before_common_word",
    "after_common_word",
    "hyphenated",
    "compass_prefix",
    "first_name",
    "surname",
    "after_first_name",
    "before_surname",
    "extended_to_head",
    "after_head_of",
)

#: Words before a person's name.
TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sen",
        "rep",
        "gov",
        "prof",
        "sir",
        "lord",
        "lady",
        "judge",
        "coach",
        "president",
        "senator",
        "governor",
        "minister",
        "mayor",
        "chancellor",
        "secretary",
        "officer",
        "detective",
        "sgt",
        "capt",
        "gen",
        "col",
        "lt",
        "st",
    }
)
#: Verbs of speech next to a person's name ("said Thomas", "Robbins said").
SPEECH_VERBS = frozenset(
    {"said", "says", "told", "tells", "added", "explained", "wrote", "tweeted", "asked"}
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Capitalised words after a place name that make it part of a newspaper's or broadcaster's
#: name ("The Washington Post"), an institution's ("Seattle Fire") or a facility's
#: ("Colchester Hospital"). GeoWebNews counts the place in the first two as a toponym.
MEDIA_HEADS = _words(
    "Post Times Herald Tribune Journal Gazette News Telegraph Chronicle Observer Independent "
    "Daily Standard Express Mail Guardian Record Register Sun Star Mirror Examiner Courier Bee "
    "Globe Inquirer Today Magazine Radio TV Television Review Press Dispatch Advocate"
)
INSTITUTION_HEADS = _words(
    "Police Fire University College School Club Society Council Commission Chamber Department "
    "Authority Board Government Ministry Institute Museum Bank Company Group Association "
    "Federation Foundation Party Assembly Parliament Senate Stock Exchange Airlines Airways "
    "Football Rugby Cricket FC United City County State Tourism Agency Office Court Service "
    "Services Corporation Trust Partnership Alliance Coalition Committee Library Orchestra "
    "Opera Theatre Theater Symphony Zoo Regional Metropolitan Municipal Public Capitol"
)
FACILITY_HEADS = _words(
    "Street Road Avenue Boulevard Lane Drive Highway Hospital Cathedral Airport Station Bridge "
    "Park Square Hall Center Centre Stadium Arena Church Mosque Temple Palace Castle Tower Gate "
    "Harbour Harbor Port Bay River Lake Mountain Mountains Hills Valley Island Islands Beach "
    "Estate Village Town Mall Market Plaza Prison Jail Base Camp"
)
#: Heads of names that contain a place's name and are toponyms as a whole
#: ("Orange County", "Royal Street", "Colorado State University", "Dubai World Cup").
NAME_HEADS = _words(
    "County Parish Borough District Street Avenue Road Boulevard Lane Drive Square River "
    "Canal Lake Valley Mountains Cathedral University College Academy Institute School "
    "Center Centre Hospital Airport Estate Court Hall Stadium Arena Library Hotel Station "
    "Harbor Harbour Gardens Plantation Racecourse Quarter Cup Marathon Games"
)
_QUOTES = frozenset("\"“‘'(\n")


#: The layout of the cached word table (`_frequencies`).
_TABLE_FORMAT = 3


@functools.cache
def _frequencies() -> tuple[Strings, array.array]:
    """English words, sorted, and their Zipf frequencies, from ``wordfreq``.

    Importing wordfreq and building its table take ~0.4 s, more than geoparsing a
    hundred articles, and every process that geoparses paid it (each rebuild, each pool
    worker). So the table is kept in geomap's cache folder, keyed by wordfreq's version,
    and loads in a few milliseconds; a lookup is a bisection.
    """
    path = cache_dir() / f"wordfreq-{metadata.version('wordfreq')}-{_TABLE_FORMAT}.marshal"
    try:
        words, values = marshal.loads(path.read_bytes())
        return Strings.unpacked(words), array.array("d", values)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import wordfreq

    table = sorted(
        (word, math.log10(freq * 1e9))
        for word, freq in wordfreq.get_frequency_dict("en").items()
        if freq > 0
    )
    words = Strings.packed(word for word, _ in table)
    values = array.array("d", [z for _, z in table])
    write_cache(path, (words, values.tobytes()), "word frequency")
    return Strings.unpacked(words), values


@functools.lru_cache(maxsize=1 << 16)
def word_frequency(word: str) -> float:
    """Zipf frequency (log10 per billion words, 0 for unknown) of ``word`` in English."""
    key = word.casefold()
    words, values = _frequencies()
    i, exact = words.locate(key)
    return values[i] if exact else 0.0


@functools.cache
def _person_names() -> dict[str, tuple[str, str]]:
    """Name → (first-name share, surname share) as written; turned into numbers on lookup."""
    with data_file("person_names.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # the header: name, first, last
        return {name: (first, last) for name, first, last in rows}


def _share(percent: str) -> float:
    return math.log10(1 + 1000 * float(percent)) / 3


@functools.lru_cache(maxsize=1 << 16)
def person_name(word: str) -> tuple[float, float]:
    """How common ``word`` is as a US first name and as a surname (0 = not listed, ~1 = John)."""
    first, last = _person_names().get(word.capitalize(), ("0", "0"))
    return _share(first), _share(last)


@functools.cache
def _model() -> dict:
    return json.loads(data_file("recognise.json").read_text(encoding="utf-8"))


@functools.cache
def model_weights() -> tuple[float, ...]:
    """The shipped model's weights, in `FEATURES` order."""
    return weights_from(_model())


def model_threshold() -> float:
    """The probability from which the shipped model calls a candidate a toponym."""
    return float(_model().get("threshold", 0.5))


def weights_from(model: dict) -> tuple[float, ...]:
    """Weights in `FEATURES` order from a saved model (``{"weights": {name: w}}``)."""
    return tuple(float(model["weights"].get(name, 0.0)) for name in FEATURES)


def probability(values: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """The model's probability that a candidate with feature ``values`` is a toponym."""
    weights = model_weights() if weights is None else weights
    # Most values are 0: the products of the others only (selected without a Python loop)
    # add up to the same z, bit for bit (adding ±0.0 never changes a sum that starts at 0).
    z = sum(map(operator.mul, compress(weights, values), compress(values, values)))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
